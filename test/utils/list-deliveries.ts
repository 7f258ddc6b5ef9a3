import request from 'supertest';
import type { HeraldEndpoint } from './test-app';
import type { TestTenant } from './create-tenant';

/** One attempt as `GET /v1/subscriptions/:id/deliveries` shows it. */
export interface TestAttempt {
  attempt: number;
  startedAt: string;
  durationMs: number | null;
  statusCode: number | null;
  responseSnippet: string | null;
  error: string | null;
}

/** One delivery as the deliveries list shows it. */
export interface TestDelivery {
  id: string;
  eventId: string;
  subscriptionId: string;
  status: 'pending' | 'succeeded' | 'failed';
  nextAttemptAt: string | null;
  lastError: string | null;
  attempts: TestAttempt[];
}

/** The first page (up to 100) of a subscription's deliveries, newest first (200 asserted). */
export async function listDeliveries(
  herald: HeraldEndpoint,
  tenant: TestTenant,
  subscriptionId: string,
  query: Record<string, string> = {},
): Promise<TestDelivery[]> {
  const response = await request(herald.baseUrl)
    .get(`/v1/subscriptions/${subscriptionId}/deliveries`)
    .query({ limit: 100, ...query })
    .set(tenant.auth)
    .expect(200);
  return response.body.data as TestDelivery[];
}
