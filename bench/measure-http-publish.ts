import autocannon from 'autocannon';

/** One autocannon pass of `POST /v1/events`. */
export interface HttpPublishOptions {
  baseUrl: string;
  apiKey: string;
  payload: Record<string, unknown>;
  connections: number;
  durationSeconds: number;
  /** Requests per second across all connections; unset means as fast as the server answers. */
  overallRate?: number;
}

/** What one pass measured; latencies are milliseconds. */
export interface HttpPublishResult {
  /** 2xx answers per second: only published events count. */
  perSecond: number;
  ok: number;
  non2xx: number;
  errors: number;
  p50: number;
  p99: number;
  seconds: number;
}

/**
 * Drives `POST /v1/events` with a tenant key. The load generator runs in a worker thread so it
 * does not share the app's event loop, which would halve what the app can answer.
 */
export async function measureHttpPublish(options: HttpPublishOptions): Promise<HttpPublishResult> {
  const result = await autocannon({
    url: `${options.baseUrl}/v1/events`,
    method: 'POST',
    headers: {
      authorization: `Bearer ${options.apiKey}`,
      'content-type': 'application/json',
    },
    body: JSON.stringify({ topic: 'bench.created', payload: options.payload }),
    connections: options.connections,
    duration: options.durationSeconds,
    overallRate: options.overallRate,
    workers: 1,
  });
  return {
    perSecond: result['2xx'] / result.duration,
    ok: result['2xx'],
    non2xx: result.non2xx,
    errors: result.errors,
    p50: result.latency.p50,
    p99: result.latency.p99,
    seconds: result.duration,
  };
}
