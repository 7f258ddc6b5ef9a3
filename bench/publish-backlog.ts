import { Agent } from 'node:http';
import { requestJson } from './request-json';

/** What {@link publishBacklog} publishes, and where. */
export interface BacklogOptions {
  baseUrl: string;
  apiKey: string;
  topic: string;
  payload: Record<string, unknown>;
  /** Events in all. */
  count: number;
  /** Requests in flight at once, each on its own keep-alive connection. */
  concurrency: number;
}

/**
 * Publishes `count` events through `POST /v1/events` as fast as `concurrency` connections allow,
 * as a tenant would; resolves with the seconds it took. Any answer but 201 stops it.
 */
export async function publishBacklog(options: BacklogOptions): Promise<number> {
  const agent = new Agent({ keepAlive: true, maxSockets: options.concurrency });
  const started = performance.now();
  let next = 0;
  try {
    await Promise.all(
      Array.from({ length: options.concurrency }, async () => {
        while (next < options.count) {
          next += 1;
          const { status, text } = await requestJson({
            agent,
            baseUrl: options.baseUrl,
            method: 'POST',
            path: '/v1/events',
            token: options.apiKey,
            body: { topic: options.topic, payload: options.payload },
          });
          if (status !== 201) throw new Error(`publishing answered ${status}: ${text}`);
        }
      }),
    );
  } finally {
    agent.destroy();
  }
  return (performance.now() - started) / 1000;
}
