/** A tenant and one of its API keys, made through the admin API. */
export interface BenchTenant {
  tenantId: string;
  apiKey: string;
}

async function postJson<T>(url: string, token: string, body: unknown): Promise<T> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  if (response.status !== 201) {
    throw new Error(`POST ${url} answered ${response.status}: ${await response.text()}`);
  }
  return (await response.json()) as T;
}

/** Creates a tenant and an API key for it, as an operator would. */
export async function createBenchTenant(baseUrl: string, adminToken: string): Promise<BenchTenant> {
  const tenant = await postJson<{ id: string }>(`${baseUrl}/v1/tenants`, adminToken, {
    name: 'bench tenant',
  });
  const key = await postJson<{ key: string }>(
    `${baseUrl}/v1/tenants/${tenant.id}/api-keys`,
    adminToken,
    {},
  );
  return { tenantId: tenant.id, apiKey: key.key };
}
