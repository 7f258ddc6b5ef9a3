import type { LoggedEvent } from './event-log.service';

/**
 * The longest prefix of `events` with at most `limit` events and at most `maxBytes` bytes (by each
 * event's `bytes`), but never less than the first event, whatever its size.
 */
export function fitPage(
  events: readonly LoggedEvent[],
  limit: number,
  maxBytes: number,
): LoggedEvent[] {
  let total = 0;
  let count = 0;
  for (const event of events) {
    if (count === limit) break;
    total += event.bytes;
    if (count > 0 && total > maxBytes) break;
    count++;
  }
  return events.slice(0, count);
}
