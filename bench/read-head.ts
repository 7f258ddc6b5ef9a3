import type { LongPollContext } from './long-poll-context';
import { requestJson } from './request-json';

/** The current head cursor of the tenant's log (a poll without `after`, not waiting). */
export async function readHead(context: LongPollContext): Promise<string> {
  const { status, body, text } = await requestJson<{ nextCursor: string }>({
    agent: context.agent,
    baseUrl: context.baseUrl,
    method: 'GET',
    path: '/v1/events?wait=0',
    token: context.apiKey,
  });
  if (status !== 200) throw new Error(`reading the head answered ${status}: ${text}`);
  return body.nextCursor;
}
