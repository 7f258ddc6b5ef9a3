/** Registers a webhook for the tenant, as a tenant would; returns the subscription's id. */
export async function createBenchSubscription(
  baseUrl: string,
  apiKey: string,
  body: { url: string; topics: string[]; secret: string; rateLimit?: number },
): Promise<string> {
  const response = await fetch(`${baseUrl}/v1/subscriptions`, {
    method: 'POST',
    headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' },
    body: JSON.stringify({ ...body, description: 'benchmark receiver' }),
  });
  if (response.status !== 201) {
    throw new Error(`POST /v1/subscriptions answered ${response.status}: ${await response.text()}`);
  }
  return ((await response.json()) as { id: string }).id;
}
