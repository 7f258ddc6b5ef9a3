import type { LongPollContext } from './long-poll-context';
import { requestJson } from './request-json';

/** Publishes one event as the tenant; returns its id. */
export async function publishEvent(
  context: LongPollContext,
  topic: string,
  payload: Record<string, unknown>,
): Promise<string> {
  const { status, body, text } = await requestJson<{ id: string }>({
    agent: context.agent,
    baseUrl: context.baseUrl,
    method: 'POST',
    path: '/v1/events',
    token: context.apiKey,
    body: { topic, payload },
  });
  if (status !== 201) throw new Error(`publishing answered ${status}: ${text}`);
  return body.id;
}
