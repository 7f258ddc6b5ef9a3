/** What the long-poll benchmark's bare servers (node:http and Nest) share. */

/** An event as the bare servers answer it: Herald's shape. */
export interface BareEvent {
  id: string;
  topic: string;
  payload: unknown;
  cursor: string;
  createdAt: string;
}

/** A poll's answer: Herald's shape. */
export interface BarePage {
  events: BareEvent[];
  nextCursor: string;
}

/** The few `/metrics` lines the benchmark reads, in Herald's names. */
export function barePollMetrics(waiters: number, openConnections: number): string {
  const memory = process.memoryUsage();
  return [
    `herald_longpoll_waiters ${waiters}`,
    `herald_http_open_connections ${openConnections}`,
    `process_resident_memory_bytes ${memory.rss}`,
    `nodejs_heap_size_used_bytes ${memory.heapUsed}`,
    `nodejs_external_memory_bytes ${memory.external}`,
    '',
  ].join('\n');
}
