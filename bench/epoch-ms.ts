/**
 * Wall-clock milliseconds with sub-millisecond resolution, comparable between processes on one
 * machine: the publisher stamps a publish with it and the receiver child stamps the arrival.
 */
export function epochMs(): number {
  return performance.timeOrigin + performance.now();
}
