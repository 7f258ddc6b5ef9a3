import { Agent } from 'node:http';
import { setTimeout as delay } from 'node:timers/promises';
import { startCpuMeter } from './cpu-meter';
import type { LongPollContext } from './long-poll-context';
import { type OpenPoll, openPoll } from './open-poll';
import { readHead } from './read-head';
import { readProcessStats } from './read-process-stats';
import { requestJson } from './request-json';
import { type LatencySummary, summarizeLatencies } from './summarize-latencies';

/** How hard and how long to push. */
export interface SustainedOptions {
  pollers: number;
  publishers: number;
  publishMs: number;
  /** How long pollers may take to catch up once publishing stops. */
  drainTimeoutMs: number;
}

/** What one cursor-following poller saw. */
export interface PollerResult {
  received: number;
  /** Events per second, from the first publish to this poller's last event. */
  perSecond: number;
  polls: number;
  /** Published events it never saw. */
  lost: number;
  /** Events it saw more than once. */
  duplicated: number;
  /** Events it saw that no publisher had been told were published. */
  unexpected: number;
  /** Events whose cursor was not above the one before. */
  outOfOrder: number;
  /** Whether it saw the same events in the same order as poller 0. */
  sameOrderAsFirst: boolean;
  /** Events of one publisher seen out of that publisher's order (informational). */
  publisherOrderBreaks: number;
  /** Failed polls (socket errors, non-200), retried with the same cursor. */
  errors: number;
}

/** The whole sustained phase. */
export interface SustainedResult {
  options: SustainedOptions;
  published: number;
  publishPerSecond: number;
  publishErrors: number;
  /** Sum over pollers. */
  deliveredPerSecond: number;
  /** Slowest poller. */
  minPollerPerSecond: number;
  /** POST sent to the poller reading the event, over every poller, ms. */
  lag: LatencySummary;
  /** Until every poller had every event after publishing stopped, ms; null on timeout. */
  drainMs: number | null;
  pollers: PollerResult[];
  /** Busy share of all CPUs, and of one CPU by the server alone, while publishing. */
  machineCpuBusy: number | null;
  serverCpuCores: number;
  lost: number;
  duplicated: number;
  unexpected: number;
  outOfOrder: number;
  allSameOrder: boolean;
}

interface PollerState {
  cursor: string;
  ids: string[];
  seen: Set<string>;
  duplicated: number;
  outOfOrder: number;
  publisherOrderBreaks: number;
  lastSeq: Map<number, number>;
  lastArrival: number;
  lags: number[];
  polls: number;
  errors: number;
  current?: OpenPoll;
}

const TOPIC = 'bench.sustained';
const CLOCK_TICK_MS = 10;

function newPoller(cursor: string): PollerState {
  return {
    cursor,
    ids: [],
    seen: new Set(),
    duplicated: 0,
    outOfOrder: 0,
    publisherOrderBreaks: 0,
    lastSeq: new Map(),
    lastArrival: 0,
    lags: [],
    polls: 0,
    errors: 0,
  };
}

/** Follows `nextCursor` until `stopped()`, recording every event it is given. */
async function follow(
  context: LongPollContext,
  agent: Agent,
  state: PollerState,
  stopped: () => boolean,
): Promise<void> {
  const target = { baseUrl: context.baseUrl, token: context.apiKey, agent };
  while (!stopped()) {
    const poll = openPoll(target, `topics=${TOPIC}&after=${state.cursor}&wait=30&limit=1000`);
    state.current = poll;
    const answer = await poll.answer.catch(() => undefined);
    if (stopped()) return;
    state.polls += 1;
    if (answer?.status !== 200 || !answer.body) {
      state.errors += 1;
      await delay(50);
      continue;
    }
    for (const event of answer.body.events) {
      const { p, s, t } = event.payload as { p: number; s: number; t: number };
      const key = `${p}:${s}`;
      if (state.seen.has(key)) state.duplicated += 1;
      state.seen.add(key);
      state.ids.push(event.id);
      if (BigInt(event.cursor) <= BigInt(state.cursor)) state.outOfOrder += 1;
      if ((state.lastSeq.get(p) ?? -1) > s) state.publisherOrderBreaks += 1;
      state.lastSeq.set(p, s);
      state.cursor = event.cursor;
      state.lags.push(answer.arrivedAt - t);
      state.lastArrival = answer.arrivedAt;
    }
    state.cursor = answer.body.nextCursor;
  }
}

/** Publishes back to back until `stopped()`; each payload names its publisher and sequence. */
async function publish(
  context: LongPollContext,
  publisher: number,
  published: Set<string>,
  stopped: () => boolean,
): Promise<number> {
  let errors = 0;
  for (let s = 0; !stopped(); s++) {
    const payload = { p: publisher, s, t: performance.now() };
    try {
      const response = await requestJson({
        agent: context.agent,
        baseUrl: context.baseUrl,
        method: 'POST',
        path: '/v1/events',
        token: context.apiKey,
        body: { topic: TOPIC, payload },
      });
      if (response.status === 201) published.add(`${publisher}:${s}`);
      else errors += 1;
    } catch {
      errors += 1;
    }
  }
  return errors;
}

/**
 * `pollers` clients follow their cursors while `publishers` loops publish as fast as the server
 * answers for `publishMs`; then publishing stops and the pollers drain. Every poller must see
 * exactly the published events, each once, in cursor order.
 */
export async function measureSustainedPolling(
  context: LongPollContext,
  options: SustainedOptions,
): Promise<SustainedResult> {
  const head = await readHead(context);
  const pollAgent = new Agent({ keepAlive: true, maxSockets: Infinity });
  const states = Array.from({ length: options.pollers }, () => newPoller(head));
  let pollersStopped = false;
  const following = states.map((state) => follow(context, pollAgent, state, () => pollersStopped));
  const published = new Set<string>();
  let publishingStopped = false;
  const machineCpu = startCpuMeter();
  const serverTicks = readProcessStats(context.pid).cpuTicks;
  const publishStart = performance.now();
  const publishing = Array.from({ length: options.publishers }, (_, publisher) =>
    publish(context, publisher, published, () => publishingStopped),
  );
  await delay(options.publishMs);
  publishingStopped = true;
  const publishErrors = (await Promise.all(publishing)).reduce((sum, n) => sum + n, 0);
  const publishSeconds = (performance.now() - publishStart) / 1000;
  const machineCpuBusy = machineCpu() ?? null;
  const serverCpuCores =
    ((readProcessStats(context.pid).cpuTicks - serverTicks) * CLOCK_TICK_MS) /
    (publishSeconds * 1000);

  const drainStart = performance.now();
  let drainMs: number | null = null;
  while (performance.now() - drainStart < options.drainTimeoutMs) {
    if (states.every((state) => [...published].every((key) => state.seen.has(key)))) {
      drainMs = performance.now() - drainStart;
      break;
    }
    await delay(50);
  }
  pollersStopped = true;
  for (const state of states) state.current?.abort();
  await Promise.all(following);
  pollAgent.destroy();

  const first = states[0]?.ids ?? [];
  const pollers = states.map((state): PollerResult => {
    let lost = 0;
    for (const key of published) if (!state.seen.has(key)) lost += 1;
    let unexpected = 0;
    for (const key of state.seen) if (!published.has(key)) unexpected += 1;
    const seconds = (state.lastArrival - publishStart) / 1000;
    return {
      received: state.ids.length,
      perSecond: seconds > 0 ? state.ids.length / seconds : 0,
      polls: state.polls,
      lost,
      duplicated: state.duplicated,
      unexpected,
      outOfOrder: state.outOfOrder,
      sameOrderAsFirst:
        state.ids.length === first.length && state.ids.every((id, index) => id === first[index]),
      publisherOrderBreaks: state.publisherOrderBreaks,
      errors: state.errors,
    };
  });
  const total = (pick: (poller: PollerResult) => number) =>
    pollers.reduce((sum, poller) => sum + pick(poller), 0);
  return {
    options,
    published: published.size,
    publishPerSecond: published.size / publishSeconds,
    publishErrors,
    deliveredPerSecond: total((poller) => poller.perSecond),
    minPollerPerSecond: Math.min(...pollers.map((poller) => poller.perSecond)),
    lag: summarizeLatencies(states.flatMap((state) => state.lags)),
    drainMs,
    pollers,
    machineCpuBusy,
    serverCpuCores,
    lost: total((poller) => poller.lost),
    duplicated: total((poller) => poller.duplicated),
    unexpected: total((poller) => poller.unexpected),
    outOfOrder: total((poller) => poller.outOfOrder),
    allSameOrder: pollers.every((poller) => poller.sameOrderAsFirst),
  };
}
