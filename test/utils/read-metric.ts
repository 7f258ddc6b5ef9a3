import request from 'supertest';

/** The value of an unlabelled metric from `/metrics`. */
export async function readMetric(baseUrl: string, name: string): Promise<number> {
  const response = await request(baseUrl).get('/metrics').expect(200);
  const line = response.text.split('\n').find((l) => l.startsWith(`${name} `));
  if (!line) throw new Error(`metric ${name} not found`);
  return Number(line.slice(name.length + 1));
}
