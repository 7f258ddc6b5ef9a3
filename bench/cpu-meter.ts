import { readFileSync } from 'node:fs';

function readCpuTimes(): { busy: number; total: number } | undefined {
  try {
    // First line of /proc/stat: "cpu user nice system idle iowait irq softirq steal ...".
    const fields = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1);
    const times = fields.map(Number);
    const total = times.reduce((sum, value) => sum + value, 0);
    return { busy: total - times[3] - times[4], total };
  } catch {
    return undefined;
  }
}

/**
 * Starts measuring how busy the whole machine's CPUs are (Postgres, the app, the load generator
 * and anything else running). The returned function gives the busy fraction since the start, or
 * undefined where /proc/stat does not exist. A phase near 1.0 was bounded by CPU, not by locks.
 */
export function startCpuMeter(): () => number | undefined {
  const start = readCpuTimes();
  return () => {
    const end = readCpuTimes();
    if (!start || !end || end.total === start.total) return undefined;
    return (end.busy - start.busy) / (end.total - start.total);
  };
}
