/**
 * The most arrivals in any window of `windowMs` (half-open, so arrivals exactly `windowMs` apart
 * fall in different windows), and where that window starts.
 */
export function busiestWindow(times: number[], windowMs: number): { count: number; at: number } {
  const sorted = [...times].sort((a, b) => a - b);
  let busiest = { count: 0, at: sorted[0] ?? 0 };
  for (let first = 0, last = 0; first < sorted.length; first++) {
    while (last < sorted.length && sorted[last] < sorted[first] + windowMs) last += 1;
    if (last - first > busiest.count) busiest = { count: last - first, at: sorted[first] };
  }
  return busiest;
}
