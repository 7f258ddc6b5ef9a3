const UNIT_MS = {
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
} as const;

type DurationUnit = keyof typeof UNIT_MS;

const DURATION_PATTERN = /^(\d+)(ms|s|m|h|d)$/;

/** Largest unit first, so {@link formatDuration} picks the shortest spelling. */
const UNITS_DESCENDING: readonly DurationUnit[] = ['d', 'h', 'm', 's', 'ms'];

/**
 * Parses a duration written as a whole number and one unit (`500ms`, `5s`, `5m`, `2h`, `5d`).
 *
 * @returns the duration in milliseconds
 * @throws Error when the text is not in that form or the result is too large to be exact
 */
export function parseDuration(text: string): number {
  const match = DURATION_PATTERN.exec(text);
  if (!match) {
    throw new Error(`"${text}" is not a duration (write 500ms, 5s, 5m, 2h or 5d)`);
  }
  const [, amount, unit] = match;
  const ms = Number(amount) * UNIT_MS[unit as DurationUnit];
  if (!Number.isSafeInteger(ms)) {
    throw new Error(`"${text}" is too large`);
  }
  return ms;
}

/**
 * Writes milliseconds back in the form {@link parseDuration} reads, using the largest unit that
 * divides the value exactly (300000 → `5m`, 1500 → `1500ms`).
 *
 * @throws RangeError when `ms` is not a non-negative integer
 */
export function formatDuration(ms: number): string {
  if (!Number.isSafeInteger(ms) || ms < 0) {
    throw new RangeError(`${ms} is not a whole, non-negative number of milliseconds`);
  }
  if (ms === 0) {
    // Zero divides by every unit; "0ms" reads better than "0d".
    return '0ms';
  }
  const unit = UNITS_DESCENDING.find((candidate) => ms % UNIT_MS[candidate] === 0) ?? 'ms';
  return `${ms / UNIT_MS[unit]}${unit}`;
}
