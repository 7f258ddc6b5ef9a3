import type { Agent } from 'node:http';
import { setTimeout as delay } from 'node:timers/promises';
import { type OpenPoll, openPoll } from './open-poll';

/** Many identical long polls to open at once. */
export interface OpenPollsOptions {
  baseUrl: string;
  token: string;
  agent: Agent;
  count: number;
  query: string;
  /** Connections opened at a time. */
  chunk?: number;
  /** How many polls the server has taken in so far (its waiters gauge). */
  registered: () => Promise<number>;
  /**
   * Opened but not yet registered polls allowed before the next chunk: kept under the server's
   * accept backlog (511). Past it the kernel drops SYNs, and each dropped connect waits 1 s for
   * its retransmission.
   */
  maxPending?: number;
}

/** Source addresses rotated across the whole run: 127.0.0.2 to 127.0.0.33. */
const SOURCE_ADDRESSES = Array.from({ length: 32 }, (_, index) => `127.0.0.${index + 2}`);
let nextSource = 0;
const PACE_MS = 20;
const MAX_PACE_MS = 500;

/**
 * How long to let the server work through `excess` polls over the allowance before asking again,
 * at the rate it registered them since the last ask: asking is a `/metrics` scrape, which costs a
 * server holding thousands of sockets time of its own (open descriptors and handles are counted
 * per scrape), so the harness asks about as often as the answer can have changed, not every 20 ms.
 */
function paceMs(excess: number, registeredPerMs: number): number {
  if (registeredPerMs <= 0) return PACE_MS;
  return Math.min(MAX_PACE_MS, Math.max(PACE_MS, excess / registeredPerMs));
}

/** Opens `count` polls, each on its own socket, a chunk at a time; resolves once all connected. */
export async function openPolls(options: OpenPollsOptions): Promise<OpenPoll[]> {
  const chunk = options.chunk ?? 200;
  const maxPending = options.maxPending ?? 300;
  const polls: OpenPoll[] = [];
  const base = await options.registered();
  const registered = async () => (await options.registered()) - base;
  let seen = 0;
  try {
    while (polls.length < options.count) {
      const batch = Array.from({ length: Math.min(chunk, options.count - polls.length) }, () => {
        const localAddress = SOURCE_ADDRESSES[nextSource++ % SOURCE_ADDRESSES.length];
        return openPoll({ ...options, localAddress }, options.query);
      });
      polls.push(...batch);
      await Promise.all(batch.map((poll) => poll.connected));
      // Registrations only grow: while the last count already puts the backlog under the
      // allowance, there is nothing to ask.
      if (polls.length - seen <= maxPending) continue;
      seen = await registered();
      let seenAt = performance.now();
      let perMs = 0;
      while (polls.length < options.count && polls.length - seen > maxPending) {
        await delay(paceMs(polls.length - seen - maxPending, perMs));
        const now = await registered();
        const at = performance.now();
        perMs = (now - seen) / (at - seenAt);
        seen = now;
        seenAt = at;
      }
    }
  } catch (error) {
    for (const poll of polls) poll.abort();
    throw error;
  }
  return polls;
}
