import { Agent } from 'node:http';
import { setTimeout as delay } from 'node:timers/promises';
import { countWaiters } from './count-waiters';
import { MinuteBuckets } from './minute-buckets';
import { type OpenPoll, openPoll } from './open-poll';
import type { LatencySummary } from './summarize-latencies';

/** Who polls what. */
export interface CursorFollowersOptions {
  baseUrl: string;
  apiKey: string;
  /** Follower `n` polls `topics[n % topics.length]`. */
  topics: readonly string[];
  count: number;
  /** Where every follower starts: the head of the log. */
  cursor: string;
  /** Seconds each poll may be held. */
  waitSeconds: number;
}

/** What one follower saw. */
export interface FollowerTally {
  topic: number;
  /** The `s` of every event received, in the order received. */
  received: number[];
  /** Events whose cursor was not above the one before. */
  outOfOrder: number;
  /** Answers received (each one poll). */
  polls: number;
  /** Failed polls (socket errors, non-200 answers), retried with the same cursor. */
  errors: number;
  /** Non-200 answers by status. */
  statuses: Record<number, number>;
}

/** Running followers. */
export interface CursorFollowers {
  /** Starts timing wake-ups (event created to answer received) by minute from `startEpochMs`. */
  startTiming(startEpochMs: number): void;
  /** Events received so far, over every follower. */
  received(): number;
  /**
   * Waits until every follower has received as many events as `byTopic` holds for its topic, for
   * at most `timeoutMs`; returns the ms it took, or null on timeout.
   */
  catchUp(byTopic: readonly (readonly number[])[], timeoutMs: number): Promise<number | null>;
  /** Aborts every poll and returns what each follower saw, and the wake latencies by minute. */
  stop(): Promise<{ followers: FollowerTally[]; wake: LatencySummary[] }>;
}

/** Followers started at a time while the server registers them. */
const CHUNK = 100;
const REGISTER_TIMEOUT_MS = 60_000;
const RETRY_MS = 50;
const CATCH_UP_POLL_MS = 100;

/**
 * Starts `count` long-polling clients, each following its cursor on its topic: every answer's
 * `nextCursor` is where it polls next. Resolves once the server holds all of them.
 */
export async function startCursorFollowers(
  options: CursorFollowersOptions,
): Promise<CursorFollowers> {
  const agent = new Agent({ keepAlive: true, maxSockets: Infinity });
  const target = { baseUrl: options.baseUrl, token: options.apiKey, agent };
  let wake: MinuteBuckets | undefined;
  let stopped = false;
  let total = 0;
  const current = new Set<OpenPoll>();

  const follow = async (tally: FollowerTally, firstCursor: string): Promise<void> => {
    let cursor = firstCursor;
    const query = (after: string) =>
      `topics=${options.topics[tally.topic]}&after=${after}&wait=${options.waitSeconds}&limit=1000`;
    while (!stopped) {
      const poll = openPoll(target, query(cursor));
      current.add(poll);
      const answer = await poll.answer.catch(() => undefined);
      current.delete(poll);
      if (stopped) return;
      tally.polls += 1;
      if (answer?.status !== 200 || !answer.body) {
        tally.errors += 1;
        if (answer) tally.statuses[answer.status] = (tally.statuses[answer.status] ?? 0) + 1;
        await delay(RETRY_MS);
        continue;
      }
      const arrivedEpoch = performance.timeOrigin + answer.arrivedAt;
      for (const event of answer.body.events) {
        const { s, t } = event.payload as { s: number; t: number };
        if (BigInt(event.cursor) <= BigInt(cursor)) tally.outOfOrder += 1;
        cursor = event.cursor;
        tally.received.push(s);
        total += 1;
        wake?.add(t, arrivedEpoch - t);
      }
      cursor = answer.body.nextCursor;
    }
  };

  const tallies: FollowerTally[] = [];
  const loops: Promise<void>[] = [];
  const base = await countWaiters(options.baseUrl);
  const deadline = performance.now() + REGISTER_TIMEOUT_MS;
  while (tallies.length < options.count) {
    const chunk = Math.min(CHUNK, options.count - tallies.length);
    for (let n = 0; n < chunk; n++) {
      const tally: FollowerTally = {
        topic: tallies.length % options.topics.length,
        received: [],
        outOfOrder: 0,
        polls: 0,
        errors: 0,
        statuses: {},
      };
      tallies.push(tally);
      loops.push(follow(tally, options.cursor));
    }
    while ((await countWaiters(options.baseUrl)) - base < tallies.length) {
      if (performance.now() > deadline) {
        stopped = true;
        for (const poll of current) poll.abort();
        throw new Error(`the server did not register ${tallies.length} polls in time`);
      }
      await delay(RETRY_MS);
    }
  }

  return {
    startTiming: (startEpochMs) => {
      wake = new MinuteBuckets(startEpochMs);
    },
    received: () => total,
    catchUp: async (byTopic, timeoutMs) => {
      const start = performance.now();
      for (;;) {
        if (tallies.every((tally) => tally.received.length >= byTopic[tally.topic].length)) {
          return performance.now() - start;
        }
        if (performance.now() - start > timeoutMs) return null;
        await delay(CATCH_UP_POLL_MS);
      }
    },
    stop: async () => {
      stopped = true;
      for (const poll of current) poll.abort();
      await Promise.all(loops);
      agent.destroy();
      return { followers: tallies, wake: wake?.summaries() ?? [] };
    },
  };
}
