import { readFileSync } from 'node:fs';

/** What /proc says about one process right now. */
export interface ProcessStats {
  /** Resident set size (VmRSS), bytes. */
  rssBytes: number;
  /** User + system CPU time consumed so far, in clock ticks (usually 10 ms). */
  cpuTicks: number;
}

/** Reads VmRSS from /proc/<pid>/status and utime + stime from /proc/<pid>/stat (Linux only). */
export function readProcessStats(pid: number): ProcessStats {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const rss = /^VmRSS:\s+(\d+) kB$/m.exec(status);
  if (!rss) throw new Error(`no VmRSS in /proc/${pid}/status`);
  // The command name in parentheses may hold spaces: count fields from after its closing one.
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // After "pid (comm) ", utime and stime are the 12th and 13th fields (14th and 15th of stat).
  const cpuTicks = Number(fields[11]) + Number(fields[12]);
  return { rssBytes: Number(rss[1]) * 1024, cpuTicks };
}
