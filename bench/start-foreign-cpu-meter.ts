import { readFileSync, readdirSync } from 'node:fs';
import { availableParallelism } from 'node:os';

/** Clock ticks per second of /proc/<pid>/stat's times (USER_HZ, 100 on Linux). */
const TICKS_PER_SECOND = 100;

interface ProcessTimes {
  ticks: number;
  /** The command line, NUL-separated arguments joined by spaces ("" for kernel threads). */
  command: string;
}

function readProcesses(): Map<number, ProcessTimes> {
  const processes = new Map<number, ProcessTimes>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      const command = readFileSync(`/proc/${entry}/cmdline`, 'utf8').replaceAll('\0', ' ');
      processes.set(Number(entry), { ticks: Number(fields[11]) + Number(fields[12]), command });
    } catch {
      // The process ended between listing and reading.
    }
  }
  return processes;
}

/**
 * Starts measuring the CPU that processes which are not part of the benchmark use meanwhile:
 * everything but `ownPids`, the Postgres backends of `databaseName`, Postgres's own background
 * processes and Redis (shared: they work for the benchmark too). On a shared machine, a run with
 * a large share was disturbed. The figure is a lower bound: a process that starts and ends between
 * two readings is not seen. The returned function gives the share of all CPUs, or undefined where
 * /proc cannot be read.
 */
export function startForeignCpuMeter(
  ownPids: readonly number[],
  databaseName: string,
): () => number | undefined {
  const isForeign = (pid: number, command: string) =>
    !ownPids.includes(pid) &&
    command !== '' &&
    !command.startsWith('redis-server') &&
    !command.includes('/bin/postgres ') &&
    !(command.startsWith('postgres') && !command.includes(' postgres ')) &&
    !command.includes(` ${databaseName} `);
  let start: Map<number, ProcessTimes>;
  try {
    start = readProcesses();
  } catch {
    return () => undefined;
  }
  const startedAt = performance.now();
  return () => {
    const end = readProcesses();
    let ticks = 0;
    for (const [pid, { ticks: now, command }] of end) {
      if (isForeign(pid, command)) ticks += now - (start.get(pid)?.ticks ?? 0);
    }
    const cpuSeconds = ((performance.now() - startedAt) / 1000) * availableParallelism();
    return ticks / TICKS_PER_SECOND / cpuSeconds;
  };
}
