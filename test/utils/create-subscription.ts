import request from 'supertest';
import type { HeraldEndpoint } from './test-app';
import type { TestTenant } from './create-tenant';

/** A subscription as `POST /v1/subscriptions` answered it, secret included. */
export interface TestSubscription {
  id: string;
  url: string;
  topics: string[];
  secret: string;
  enabled: boolean;
}

/** Registers `url` for `topics` through the API (201 asserted). */
export async function createSubscription(
  herald: HeraldEndpoint,
  tenant: TestTenant,
  url: string,
  topics: string[] = ['*'],
  extra: Record<string, unknown> = {},
): Promise<TestSubscription> {
  const response = await request(herald.baseUrl)
    .post('/v1/subscriptions')
    .set(tenant.auth)
    .send({ url, topics, ...extra })
    .expect(201);
  return response.body as TestSubscription;
}
