import type { RecordedWebhook } from './recording-receiver';
import { verifyWebhook } from './verify-webhook';

/**
 * Asserts at-least-once delivery of `events` (payload `{ n }` → event id) to one subscription:
 * every request is correctly signed with `secret` and carries, as `webhook-id`, the id of the
 * event its body is (so a duplicate can only repeat that id); every event was answered 2xx at
 * least once; nothing else arrived. Returns how many requests were duplicates of a 2xx'd event.
 */
export function expectEachDelivered(
  requests: readonly RecordedWebhook[],
  events: ReadonlyMap<number, string>,
  secret: string,
): { requests: number; duplicates: number } {
  const succeeded = new Map<string, number>();
  for (const request of requests) {
    const { data } = verifyWebhook(secret, request);
    expect(request.webhookId).toBe(events.get(data.n as number));
    if (request.status !== undefined && request.status >= 200 && request.status < 300)
      succeeded.set(request.webhookId, (succeeded.get(request.webhookId) ?? 0) + 1);
  }
  const missing = [...events.values()].filter((id) => !succeeded.has(id));
  expect({ missing: missing.length, of: events.size }).toEqual({ missing: 0, of: events.size });
  expect(succeeded.size).toBe(events.size);
  const duplicates = [...succeeded.values()].reduce((sum, count) => sum + count - 1, 0);
  return { requests: requests.length, duplicates };
}
