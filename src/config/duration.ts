const UNIT_MS = {
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
} as const;

const DURATION_PATTERN = /^(\d+)(ms|s|m|h|d)$/;

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
  const ms = Number(amount) * UNIT_MS[unit as keyof typeof UNIT_MS];
  if (!Number.isSafeInteger(ms)) {
    throw new Error(`"${text}" is too large`);
  }
  return ms;
}
