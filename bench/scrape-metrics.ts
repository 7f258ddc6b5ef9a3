import { Agent, request } from 'node:http';

// Its own connection, so a scrape never waits behind a held poll or a busy publisher socket.
const agent = new Agent({ keepAlive: true, maxSockets: 1 });

/** Unlabelled samples of the server's `/metrics`, by name. */
export type MetricSamples = ReadonlyMap<string, number>;

/** Fetches `/metrics` and parses every unlabelled sample line. */
export async function scrapeMetrics(baseUrl: string): Promise<MetricSamples> {
  const samples = new Map<string, number>();
  for (const line of (await fetchMetricsText(baseUrl)).split('\n')) {
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*) (\S+)$/.exec(line);
    if (match) samples.set(match[1], Number(match[2]));
  }
  return samples;
}

/**
 * The sum of every sample of `name`, whatever its labels (a counter's total over them all); null
 * when the server does not have that metric.
 */
export async function scrapeMetricTotal(baseUrl: string, name: string): Promise<number | null> {
  let total: number | null = null;
  for (const line of (await fetchMetricsText(baseUrl)).split('\n')) {
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{[^}]*\})? (\S+)$/.exec(line);
    if (match?.[1] === name) total = (total ?? 0) + Number(match[2]);
  }
  return total;
}

function fetchMetricsText(baseUrl: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = request(`${baseUrl}/metrics`, { agent }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (text += chunk));
      res.on('error', reject);
      res.on('end', () => {
        if (res.statusCode !== 200) {
          reject(new Error(`/metrics answered ${res.statusCode}`));
          return;
        }
        resolve(text);
      });
    });
    req.on('error', reject);
    req.end();
  });
}

/** Closes the scraper's idle keep-alive connection. */
export function closeMetricsScraper(): void {
  agent.destroy();
}

/** One sample, which must exist. */
export function metric(samples: MetricSamples, name: string): number {
  const value = samples.get(name);
  if (value === undefined) throw new Error(`metric ${name} not found on /metrics`);
  return value;
}
