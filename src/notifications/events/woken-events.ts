import type { LoggedEvent } from './event-log.service';
import { fitPage } from './fit-page';

/**
 * The events one wake-up hands to every waiter that gets the same ones (same tenant, same filter
 * result, same cursor). A page is cut from them once per `limit` and kept, so the waiters it
 * answers share one events array, and with it one serialized body (see `serializeEventPage`).
 */
export class WokenEvents {
  private readonly pages = new Map<number, readonly LoggedEvent[]>();

  /** @param events matching events in position order, at least one */
  constructor(readonly events: readonly LoggedEvent[]) {}

  /** The page a poll with this `limit` answers with; see {@link fitPage}. */
  page(limit: number, maxBytes: number): readonly LoggedEvent[] {
    let page = this.pages.get(limit);
    if (!page) this.pages.set(limit, (page = fitPage(this.events, limit, maxBytes)));
    return page;
  }
}
