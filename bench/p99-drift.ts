import type { LatencySummary } from './summarize-latencies';

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

/**
 * Whether a latency drifted up over a run: the median p99 of the later half of `minutes` over the
 * median p99 of the earlier half (the middle minute of an odd count in neither). The medians keep
 * one noisy minute on a shared machine from deciding it. Null with fewer than two minutes.
 */
export function p99Drift(minutes: readonly LatencySummary[]): number | null {
  const p99s = minutes.filter((minute) => minute.count > 0).map((minute) => minute.p99);
  if (p99s.length < 2) return null;
  const half = Math.floor(p99s.length / 2);
  const earlier = median(p99s.slice(0, half));
  const later = median(p99s.slice(p99s.length - half));
  return earlier > 0 ? later / earlier : null;
}
