import { metric, scrapeMetrics } from './scrape-metrics';

/** The server's `herald_longpoll_waiters` gauge right now. */
export async function countWaiters(baseUrl: string): Promise<number> {
  return metric(await scrapeMetrics(baseUrl), 'herald_longpoll_waiters');
}
