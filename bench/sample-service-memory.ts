import { setTimeout as delay } from 'node:timers/promises';
import { readProcessStats } from './read-process-stats';
import { scrapeMetrics } from './scrape-metrics';
import type { ServerProcess } from './spawn-server-process';

/** The service's memory at one moment. */
export interface MemorySample {
  rssBytes: number;
  /** prom-client's `nodejs_heap_size_used_bytes`; null when the server does not export it. */
  heapUsedBytes: number | null;
}

/** Lets the collection finish and the process settle before reading. */
const AFTER_GC_MS = 500;

/**
 * Asks the server for a full collection, then reads its RSS from /proc and its heap in use from
 * its `/metrics` (the process's default metrics): what it retains, not where the sawtooth of
 * garbage happens to be.
 */
export async function sampleServiceMemory(server: ServerProcess): Promise<MemorySample> {
  server.collectGarbage();
  await delay(AFTER_GC_MS);
  const samples = await scrapeMetrics(server.baseUrl);
  return {
    rssBytes: readProcessStats(server.pid).rssBytes,
    heapUsedBytes: samples.get('nodejs_heap_size_used_bytes') ?? null,
  };
}
