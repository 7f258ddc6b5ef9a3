import { HeraldClient, type HeraldEvent } from 'nestjs-herald/client';

/** Prints every `order.*` event of a tenant, resuming after `savedCursor`, until `signal` aborts. */
export async function followOrders(
  baseUrl: string,
  apiKey: string,
  savedCursor: string | undefined,
  handle: (event: HeraldEvent) => Promise<void>,
  signal: AbortSignal,
): Promise<string | undefined> {
  const client = new HeraldClient({ baseUrl, apiKey, topics: ['order.*'], after: savedCursor });
  for await (const event of client.events(signal)) {
    await handle(event); // then persist event.cursor to resume exactly here after a restart
  }
  return client.cursor;
}
