import request from 'supertest';
import type { TestTenant } from './create-tenant';
import type { HeraldEndpoint } from './test-app';

/** Publishes through the API (201 asserted) and returns the event's id, without waiting for it. */
export async function sendEvent(
  herald: HeraldEndpoint,
  tenant: TestTenant,
  topic: string,
  payload: Record<string, unknown> = {},
): Promise<string> {
  const response = await request(herald.baseUrl)
    .post('/v1/events')
    .set(tenant.auth)
    .send({ topic, payload })
    .expect(201);
  return response.body.id as string;
}
