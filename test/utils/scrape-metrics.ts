import request from 'supertest';

/** One scrape of `/metrics`: look a sample up by name and labels. */
export interface MetricsScrape {
  /** The sample's value (NaN included), or undefined when there is no such sample. */
  value(name: string, labels?: Record<string, string>): number | undefined;
  /** The exposition text as served. */
  text: string;
}

/** Scrapes `/metrics` once (200 asserted) and parses the text exposition format. */
export async function scrapeMetrics(baseUrl: string): Promise<MetricsScrape> {
  const { text } = await request(baseUrl).get('/metrics').expect(200);
  const samples = new Map<string, number>();
  for (const line of text.split('\n')) {
    const match = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!match) continue;
    const [, name, labelText = '', value] = match;
    const labels = [...labelText.matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map(([, k, v]) => [k, v]);
    samples.set(sampleKey(name, Object.fromEntries(labels)), Number(value));
  }
  return { text, value: (name, labels = {}) => samples.get(sampleKey(name, labels)) };
}

function sampleKey(name: string, labels: Record<string, string>): string {
  const sorted = Object.keys(labels)
    .sort()
    .map((key) => `${key}=${JSON.stringify(labels[key])}`);
  return `${name}{${sorted.join(',')}}`;
}
