import { setTimeout as delay } from 'node:timers/promises';
import { readProcessStats } from './read-process-stats';
import { metric, scrapeMetrics } from './scrape-metrics';

/** What the server reported once it had settled. */
export interface SettledServer {
  waiters: number;
  openConnections: number;
  /** Whether it got there before the timeout. */
  reached: boolean;
  ms: number;
}

/** A quiet window: at most this many clock ticks (10 ms each) of CPU in WINDOW_MS. */
const QUIET_TICKS = 2;
const WINDOW_MS = 250;

/**
 * Waits until `herald_longpoll_waiters` equals `count` and the server process has gone quiet.
 * The gauge counts a waiter as soon as it registers, before its first read of the log is done;
 * a quiet CPU says those reads are over, so an event published now reaches waiters that are
 * really waiting (and not ones told to re-read because their read was still running).
 */
export async function waitForWaiters(
  baseUrl: string,
  pid: number,
  count: number,
  timeoutMs: number,
): Promise<SettledServer> {
  const start = performance.now();
  let waiters = -1;
  let openConnections = -1;
  for (;;) {
    const before = readProcessStats(pid).cpuTicks;
    await delay(WINDOW_MS);
    const busyTicks = readProcessStats(pid).cpuTicks - before;
    const samples = await scrapeMetrics(baseUrl);
    waiters = metric(samples, 'herald_longpoll_waiters');
    openConnections = metric(samples, 'herald_http_open_connections');
    const ms = performance.now() - start;
    if (waiters === count && busyTicks <= QUIET_TICKS) {
      return { waiters, openConnections, reached: true, ms };
    }
    if (ms > timeoutMs) return { waiters, openConnections, reached: false, ms };
  }
}
