/** (max - min) / min of `values`: how far apart they are, as a share of the smallest; null if empty. */
export function relativeSpread(values: readonly number[]): number | null {
  if (values.length === 0) return null;
  const min = Math.min(...values);
  const max = Math.max(...values);
  return min > 0 ? (max - min) / min : null;
}
