import { Agent } from 'node:http';
import { setTimeout as delay } from 'node:timers/promises';
import type { OpenPoll, PollAnswer } from './open-poll';
import { openPolls } from './open-polls';
import { countWaiters } from './count-waiters';
import type { LongPollContext } from './long-poll-context';
import { publishEvent } from './publish-event';
import { readHead } from './read-head';
import { readProcessStats } from './read-process-stats';
import { type LatencySummary, summarizeLatencies } from './summarize-latencies';
import { waitForWaiters } from './wait-for-waiters';

/** One publish fanned out to `k` held polls. */
export interface WakeRound {
  /** Publish to arrival of each answer, ms. */
  latencies: number[];
  /** Publish to the publisher's own 201, ms. */
  publishAckMs: number;
  /** Answers that were not a 200 with the published event first (or did not come in time). */
  wrong: number;
  /** Time to open the polls and see the gauge at `k` with the server quiet, ms. */
  holdMs: number;
  /** CPU time of the server and of this (client) process from the publish to the last answer, ms. */
  serverCpuMs: number;
  clientCpuMs: number;
}

/** Every round of one `k`, aggregated. */
export interface WakeResult {
  k: number;
  rounds: number;
  latency: LatencySummary;
  /** The p99 of each round on its own. */
  roundP99: number[];
  publishAck: LatencySummary;
  wrong: number;
  holdMs: number[];
  /**
   * Share of one CPU the server, and this client process, used from the publish to the last
   * answer (summed over rounds): near 1 for the server means the fan-out was bound by its CPU.
   */
  serverBusy: number;
  clientBusy: number;
}

/** How long the answers to one publish may take before they count as wrong. */
const ANSWER_TIMEOUT_MS = 15_000;
const SETTLE_TIMEOUT_MS = 30_000;
const CLOCK_TICK_MS = 10;

async function answersWithin(polls: OpenPoll[], ms: number): Promise<(PollAnswer | undefined)[]> {
  const timeout = delay(ms).then(() => undefined);
  return Promise.all(
    polls.map((poll) =>
      Promise.race([poll.answer.catch(() => undefined), timeout]).then((answer) => {
        if (!answer) poll.abort();
        return answer;
      }),
    ),
  );
}

/** Holds `k` polls after the head, publishes one event and times each poll's answer. */
async function runWakeRound(
  context: LongPollContext,
  k: number,
  round: number,
): Promise<WakeRound> {
  const head = await readHead(context);
  // A fresh agent per round: its sockets are closed after the round, outside the timed part.
  const agent = new Agent({ keepAlive: true, maxSockets: Infinity });
  const holdStart = performance.now();
  try {
    const polls = await openPolls({
      baseUrl: context.baseUrl,
      token: context.apiKey,
      agent,
      count: k,
      query: `after=${head}&wait=60`,
      registered: () => countWaiters(context.baseUrl),
    });
    const settled = await waitForWaiters(context.baseUrl, context.pid, k, SETTLE_TIMEOUT_MS);
    if (!settled.reached) {
      for (const poll of polls) poll.abort();
      throw new Error(`held ${k} polls but the server reports ${settled.waiters} waiters`);
    }
    const holdMs = performance.now() - holdStart;
    const serverTicks = readProcessStats(context.pid).cpuTicks;
    const clientCpu = process.cpuUsage();
    const t0 = performance.now();
    const id = await publishEvent(context, 'bench.wake', { k, round });
    const publishAckMs = performance.now() - t0;
    const answers = await answersWithin(polls, ANSWER_TIMEOUT_MS);
    const { user, system } = process.cpuUsage(clientCpu);
    const clientCpuMs = (user + system) / 1000;
    const serverCpuMs = (readProcessStats(context.pid).cpuTicks - serverTicks) * CLOCK_TICK_MS;
    const latencies: number[] = [];
    let wrong = 0;
    let firstWrong: PollAnswer | undefined;
    for (const answer of answers) {
      if (answer?.status === 200 && answer.body?.events[0]?.id === id) {
        latencies.push(answer.arrivedAt - t0);
      } else {
        wrong += 1;
        firstWrong ??= answer;
      }
    }
    if (latencies.length === 0) {
      // Nothing to time: the server is not delivering events, and every later phase would wait.
      throw new Error(
        `no held poll received the published event ${id}; the first answer was ` +
          (firstWrong ? `${firstWrong.status} ${JSON.stringify(firstWrong.body)}` : 'none'),
      );
    }
    return { latencies, publishAckMs, wrong, holdMs, serverCpuMs, clientCpuMs };
  } finally {
    agent.destroy();
  }
}

/** Runs `rounds` wake rounds of `k` polls and aggregates their latencies. */
export async function measureWakeLatency(
  context: LongPollContext,
  k: number,
  rounds: number,
): Promise<WakeResult> {
  const results: WakeRound[] = [];
  for (let round = 0; round < rounds; round++) {
    results.push(await runWakeRound(context, k, round));
    // Let the server close the round's sockets before the next one opens its own.
    await waitForWaiters(context.baseUrl, context.pid, 0, SETTLE_TIMEOUT_MS);
  }
  const sum = (pick: (result: WakeRound) => number) =>
    results.reduce((total, result) => total + pick(result), 0);
  const fanOutMs = sum((result) => Math.max(...result.latencies));
  return {
    k,
    rounds,
    latency: summarizeLatencies(results.flatMap((result) => result.latencies)),
    roundP99: results.map((result) => summarizeLatencies(result.latencies).p99),
    publishAck: summarizeLatencies(results.map((result) => result.publishAckMs)),
    wrong: results.reduce((sum, result) => sum + result.wrong, 0),
    holdMs: results.map((result) => result.holdMs),
    serverBusy: sum((result) => result.serverCpuMs) / fanOutMs,
    clientBusy: sum((result) => result.clientCpuMs) / fanOutMs,
  };
}
