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

/** Opens `count` polls, each on its own socket, a chunk at a time; resolves once all connected. */
export async function openPolls(options: OpenPollsOptions): Promise<OpenPoll[]> {
  const chunk = options.chunk ?? 200;
  const maxPending = options.maxPending ?? 300;
  const polls: OpenPoll[] = [];
  const base = await options.registered();
  const registered = async () => (await options.registered()) - base;
  try {
    while (polls.length < options.count) {
      const batch = Array.from({ length: Math.min(chunk, options.count - polls.length) }, () => {
        const localAddress = SOURCE_ADDRESSES[nextSource++ % SOURCE_ADDRESSES.length];
        return openPoll({ ...options, localAddress }, options.query);
      });
      polls.push(...batch);
      await Promise.all(batch.map((poll) => poll.connected));
      while (polls.length < options.count && polls.length - (await registered()) > maxPending) {
        await delay(PACE_MS);
      }
    }
  } catch (error) {
    for (const poll of polls) poll.abort();
    throw error;
  }
  return polls;
}
