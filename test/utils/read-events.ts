import request from 'supertest';
import type { HeraldEndpoint } from './test-app';
import type { TestTenant } from './create-tenant';

/** One page of `GET /v1/events`, asserted to be a 200. */
export interface EventPage {
  events: {
    id: string;
    topic: string;
    payload: Record<string, unknown>;
    cursor: string;
    createdAt: string;
  }[];
  nextCursor: string;
}

/** Reads a page without waiting (`wait=0`). */
export async function readEvents(
  herald: HeraldEndpoint,
  tenant: TestTenant,
  query: Record<string, string | number>,
): Promise<EventPage> {
  const response = await request(herald.baseUrl)
    .get('/v1/events')
    .query({ wait: 0, ...query })
    .set(tenant.auth)
    .expect(200);
  return response.body as EventPage;
}
