import { Agent } from 'node:http';
import { setTimeout as delay } from 'node:timers/promises';
import type { LongPollContext } from './long-poll-context';
import { openPolls } from './open-polls';
import { countWaiters } from './count-waiters';
import { readHead } from './read-head';
import { readProcessStats } from './read-process-stats';
import { metric, scrapeMetrics } from './scrape-metrics';
import { waitForWaiters } from './wait-for-waiters';

/** The server's memory at one moment, bytes. */
export interface MemorySample {
  /** VmRSS from /proc. */
  rss: number;
  /** `nodejs_heap_size_used_bytes` from /metrics. */
  heapUsed: number;
  /** `nodejs_external_memory_bytes` from /metrics (buffers outside the V8 heap). */
  external: number;
  waiters: number;
  openConnections: number;
}

/** What holding `count` idle polls costs the server. */
export interface PollMemoryResult {
  count: number;
  before: MemorySample;
  /** With every poll held, right after they settled (garbage of the setup still there). */
  heldBeforeGc: MemorySample;
  /** With every poll held, after a full collection. */
  held: MemorySample;
  /** After every poll was aborted and a full collection. */
  released: MemorySample;
  rssPerPoll: number;
  heapPerPoll: number;
  /** The gauge after the polls settled: must equal `count`. */
  heldWaiters: number;
  /** From aborting every poll to the gauge reading 0, ms; null if it never did. */
  releaseMs: number | null;
  /** Opening the polls until the gauge read `count` with the server quiet, ms. */
  holdMs: number;
}

const GC_PAUSE_MS = 1_000;
const RELEASE_TIMEOUT_MS = 10_000;

async function sampleMemory(context: LongPollContext): Promise<MemorySample> {
  const { rssBytes } = readProcessStats(context.pid);
  const samples = await scrapeMetrics(context.baseUrl);
  return {
    rss: rssBytes,
    heapUsed: metric(samples, 'nodejs_heap_size_used_bytes'),
    external: metric(samples, 'nodejs_external_memory_bytes'),
    waiters: metric(samples, 'herald_longpoll_waiters'),
    openConnections: metric(samples, 'herald_http_open_connections'),
  };
}

/** Two full collections (the second frees what finalizers of the first released), a pause, a sample. */
async function sampleAfterGc(context: LongPollContext, collect: () => void): Promise<MemorySample> {
  collect();
  await delay(GC_PAUSE_MS / 2);
  collect();
  await delay(GC_PAUSE_MS / 2);
  return sampleMemory(context);
}

/** Milliseconds until the waiters gauge reads `value`; null if it did not within `timeoutMs`. */
async function waitForGauge(
  context: LongPollContext,
  value: number,
  timeoutMs: number,
): Promise<number | null> {
  const start = performance.now();
  while (performance.now() - start < timeoutMs) {
    if ((await countWaiters(context.baseUrl)) === value) return performance.now() - start;
    await delay(20);
  }
  return null;
}

/**
 * Samples the server idle, holds `count` polls (no events come), samples again, then aborts them
 * all and checks that the waiters gauge returns to 0.
 */
export async function measurePollMemory(
  context: LongPollContext,
  count: number,
  collect: () => void,
): Promise<PollMemoryResult> {
  const before = await sampleAfterGc(context, collect);
  const head = await readHead(context);
  const agent = new Agent({ keepAlive: true, maxSockets: Infinity });
  try {
    const holdStart = performance.now();
    const polls = await openPolls({
      baseUrl: context.baseUrl,
      token: context.apiKey,
      agent,
      count,
      query: `after=${head}&wait=60`,
      registered: () => countWaiters(context.baseUrl),
    });
    const settled = await waitForWaiters(context.baseUrl, context.pid, count, 30_000);
    const holdMs = performance.now() - holdStart;
    const heldBeforeGc = await sampleMemory(context);
    const held = await sampleAfterGc(context, collect);
    for (const poll of polls) poll.abort();
    const releaseMs = await waitForGauge(context, 0, RELEASE_TIMEOUT_MS);
    await waitForWaiters(context.baseUrl, context.pid, 0, RELEASE_TIMEOUT_MS);
    const released = await sampleAfterGc(context, collect);
    return {
      count,
      before,
      heldBeforeGc,
      held,
      released,
      rssPerPoll: (held.rss - before.rss) / count,
      heapPerPoll: (held.heapUsed - before.heapUsed) / count,
      heldWaiters: settled.waiters,
      releaseMs,
      holdMs,
    };
  } finally {
    agent.destroy();
  }
}
