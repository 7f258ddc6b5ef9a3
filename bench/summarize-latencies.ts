/** Order statistics of a set of latencies, in milliseconds. */
export interface LatencySummary {
  count: number;
  min: number;
  p50: number;
  p99: number;
  max: number;
}

/** Nearest-rank percentiles; an empty set gives zeros. */
export function summarizeLatencies(samples: readonly number[]): LatencySummary {
  const sorted = [...samples].sort((a, b) => a - b);
  const rank = (p: number) => sorted[Math.max(0, Math.ceil((p / 100) * sorted.length) - 1)] ?? 0;
  return {
    count: sorted.length,
    min: sorted[0] ?? 0,
    p50: rank(50),
    p99: rank(99),
    max: sorted.at(-1) ?? 0,
  };
}
