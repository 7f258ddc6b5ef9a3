import { Agent } from 'node:http';
import { setTimeout as delay } from 'node:timers/promises';
import { epochMs } from './epoch-ms';
import { requestJson } from './request-json';

/** Where and how fast to publish. */
export interface PacedPublisherOptions {
  baseUrl: string;
  apiKey: string;
  /** Publishes per second, on a fixed schedule whether earlier ones have been answered or not. */
  rate: number;
  /** Event `s` (0, 1, 2, ...) goes to `topics[s % topics.length]`. */
  topics: readonly string[];
  /** Requests in flight at most, each on its own keep-alive connection; past it launches wait. */
  maxInFlight: number;
}

/** What a {@link PacedPublisher} did. */
export interface PublishTally {
  /** Answered 201. */
  published: number;
  /** Any other answer, or a socket error. */
  errors: number;
  /** The sequence numbers answered 201, per topic index, in the order the answers came. */
  byTopic: number[][];
  /** The most publishes that were due but not yet sent at one time (0: the schedule was kept). */
  maxBehind: number;
  seconds: number;
}

/** A running paced publisher. */
export interface PacedPublisher {
  /** Answered 201 so far. */
  published(): number;
  /** Stops launching, waits for the requests in flight, and tallies. */
  stop(): Promise<PublishTally>;
}

const TICK_MS = 1;

/**
 * Publishes `POST /v1/events` at `rate` per second (an open loop: a slow server does not slow the
 * schedule down, it only makes publishes wait for a free connection). Each payload is `{ s, t }`:
 * its sequence number and the epoch ms it was sent at, which pollers and receivers time it from.
 */
export function startPacedPublisher(options: PacedPublisherOptions): PacedPublisher {
  const agent = new Agent({ keepAlive: true, maxSockets: options.maxInFlight });
  const byTopic: number[][] = options.topics.map(() => []);
  let published = 0;
  let errors = 0;
  let maxBehind = 0;
  let inFlight = 0;
  let stopped = false;
  const idle = new Set<() => void>();

  const send = async (s: number): Promise<void> => {
    const topic = s % options.topics.length;
    inFlight += 1;
    try {
      const { status } = await requestJson({
        agent,
        baseUrl: options.baseUrl,
        method: 'POST',
        path: '/v1/events',
        token: options.apiKey,
        body: { topic: options.topics[topic], payload: { s, t: epochMs() } },
      });
      if (status === 201) {
        published += 1;
        byTopic[topic].push(s);
      } else {
        errors += 1;
      }
    } catch {
      errors += 1;
    } finally {
      inFlight -= 1;
      if (inFlight === 0) for (const wake of idle) wake();
    }
  };

  const started = performance.now();
  const loop = (async () => {
    let issued = 0;
    while (!stopped) {
      const due = Math.floor(((performance.now() - started) * options.rate) / 1000);
      while (issued < due && inFlight < options.maxInFlight) {
        void send(issued);
        issued += 1;
      }
      maxBehind = Math.max(maxBehind, due - issued);
      await delay(TICK_MS);
    }
  })();

  return {
    published: () => published,
    stop: async () => {
      stopped = true;
      await loop;
      const seconds = (performance.now() - started) / 1000;
      if (inFlight > 0) {
        await new Promise<void>((resolve) => {
          const wake = () => {
            idle.delete(wake);
            resolve();
          };
          idle.add(wake);
        });
      }
      agent.destroy();
      return { published, errors, byTopic, maxBehind, seconds };
    },
  };
}
