/** One line of a report table: the first cell left-aligned, the others right-aligned. */
export function formatRow(widths: readonly number[], cells: string[]): string {
  return cells
    .map((cell, index) => (index === 0 ? cell.padEnd(widths[0]) : cell.padStart(widths[index])))
    .join(' ')
    .trimEnd();
}

/** A rate per second, rounded. */
export function rate(value: number): string {
  return Math.round(value).toString();
}

/** A ratio as a whole percentage; `?` where it could not be measured. */
export function percent(ratio: number | null | undefined): string {
  return ratio == null ? '?' : `${Math.round(ratio * 100)}%`;
}

/** Whether a target was met. */
export function met(value: boolean): string {
  return value ? 'yes' : 'NO';
}
