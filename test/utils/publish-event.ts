import request from 'supertest';
import { expectEventually } from './expect-eventually';
import type { HeraldEndpoint } from './test-app';
import type { TestTenant } from './create-tenant';

/** An event as published and then sequenced. */
export interface SequencedEvent {
  id: string;
  topic: string;
  cursor: string;
}

/** Publishes through the API and waits until the sequencer has given the event a cursor. */
export async function publishAndSequence(
  herald: HeraldEndpoint,
  tenant: TestTenant,
  topic: string,
  payload: Record<string, unknown> = {},
): Promise<SequencedEvent> {
  const published = await request(herald.baseUrl)
    .post('/v1/events')
    .set(tenant.auth)
    .send({ topic, payload })
    .expect(201);
  const id: string = published.body.id;
  return expectEventually(async () => {
    const response = await request(herald.baseUrl)
      .get(`/v1/events/${id}`)
      .set(tenant.auth)
      .expect(200);
    expect(response.body.cursor).not.toBeNull();
    return { id, topic, cursor: response.body.cursor as string };
  });
}
