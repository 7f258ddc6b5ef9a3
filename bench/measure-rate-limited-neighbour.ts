import type { Queue } from 'bull';
import { waitForSequencer } from './wait-for-sequencer';
import { setTimeout as delay } from 'node:timers/promises';
import type { DataSource } from 'typeorm';
import type { NotificationPublisher } from '../src/notifications';
import { busiestWindow } from '../test/utils/busiest-window';
import { cancelPendingDeliveries } from './cancel-pending-deliveries';
import {
  type HeraldDeliveriesOptions,
  type HeraldDeliveriesResult,
  measureHeraldDeliveries,
} from './measure-herald-deliveries';
import { settleHeraldDeliveries } from './settle-herald-deliveries';
import type { WebhookReceiver } from './spawn-webhook-receiver';

/**
 * The receiver stamps an arrival before it reads the body, in sub-milliseconds, while Redis counts
 * starts; an arrival a hair late or early at the edge of a second is not a second too busy (as
 * `test/webhooks-rate-limit.e2e-spec.ts` allows).
 */
const CLOCK_ALLOWANCE_MS = 5;
const SECOND_MS = 1_000 - CLOCK_ALLOWANCE_MS;

/** How phase (3) runs: (1)'s options for the unlimited subscription, and the limited one's. */
export interface RateLimitedNeighbourOptions extends HeraldDeliveriesOptions {
  queue: Queue;
  /** The limited subscription's own receiver, so that its arrivals are counted apart. */
  limitedReceiver: WebhookReceiver;
  limitedSubscriptionId: string;
  /** A topic only the limited subscription matches. */
  limitedTopic: string;
  /** Its `rateLimit`, deliveries a second. */
  limit: number;
  /** Events published for it in one transaction before each "beside" window. */
  backlog: number;
  /** Alone and beside alternate this many times. */
  pairs: number;
  /** How long each window's backlog may take to drain before it is cancelled. */
  settleMs: number;
}

/** One window of the unlimited subscription alone and the window beside the limited one after it. */
export interface RateLimitedPair {
  /** The unlimited subscription's deliveries a second, alone. */
  alone: number;
  /** The same beside the limited subscription working off its backlog. */
  beside: number;
  ratio: number;
  /** The limited subscription's deliveries a second over the beside window. */
  limitedPerSecond: number;
  /** The most of its arrivals in any second, from its backlog's first request to the window's end. */
  limitedBusiestSecond: number;
  /** Its deliveries still pending when the window closed (then cancelled). */
  limitedLeft: number;
}

/** Phase (3)'s figures: every pair, and the medians (the busiest second is the most of all). */
export interface RateLimitedNeighbourResult {
  pairs: RateLimitedPair[];
  alone: number;
  beside: number;
  /** The median of the pairs' ratios, each beside over the alone just before it. */
  ratio: number;
  limitedPerSecond: number;
  limitedBusiestSecond: number;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

/** Publishes `count` events of `topic` in one transaction: their deliveries are due together. */
async function publishInOneTransaction(
  dataSource: DataSource,
  publisher: NotificationPublisher,
  tenantId: string,
  topic: string,
  payload: Record<string, unknown>,
  count: number,
): Promise<void> {
  await dataSource.transaction(async (manager) => {
    for (let n = 0; n < count; n++)
      await publisher.publish({ tenantId, topic, payload }, { manager });
  });
}

async function measureBeside(options: RateLimitedNeighbourOptions): Promise<{
  unlimited: HeraldDeliveriesResult;
  limited: Omit<RateLimitedPair, 'alone' | 'beside' | 'ratio'>;
}> {
  const { limitedReceiver } = options;
  await limitedReceiver.track();
  await publishInOneTransaction(
    options.dataSource,
    options.publisher,
    options.tenantId,
    options.limitedTopic,
    options.payload,
    options.backlog,
  );
  // Sequenced and fanned out before the window opens, so that work does not fall into it.
  await waitForSequencer(options.dataSource, 30_000);
  // The limited receiver's count over the same window as the unlimited one's (after the warm-up).
  const limitedStart = delay(options.warmupMs).then(() => limitedReceiver.count());
  const unlimited = await measureHeraldDeliveries(options);
  const limitedEnd = await limitedReceiver.count();
  const start = await limitedStart;
  const arrivals = [...(await limitedReceiver.arrivals()).values()];
  const [{ left }] = await options.dataSource.query<{ left: number }[]>(
    `SELECT count(*)::int AS left FROM herald.deliveries
      WHERE subscription_id = $1 AND status = 'pending'`,
    [options.limitedSubscriptionId],
  );
  return {
    unlimited,
    limited: {
      limitedPerSecond:
        (limitedEnd.answered - start.answered) / ((limitedEnd.at - start.at) / 1000),
      limitedBusiestSecond: busiestWindow(arrivals, SECOND_MS).count,
      limitedLeft: left,
    },
  };
}

/**
 * Phase (3): the unlimited subscription of (1), loaded as in (1), alone and then beside a
 * subscription of the same tenant limited to `limit` a second with a backlog of `backlog` events
 * (more than the window can send), `pairs` times. Between windows the limited backlog's rest is
 * cancelled and the unlimited one's settled, so each window starts on an idle pipeline.
 */
export async function measureRateLimitedNeighbour(
  options: RateLimitedNeighbourOptions,
  log: (message: string) => void,
): Promise<RateLimitedNeighbourResult> {
  const pairs: RateLimitedPair[] = [];
  for (let pair = 1; pair <= options.pairs; pair += 1) {
    log(`(3) unlimited subscription alone, pair ${pair} of ${options.pairs}`);
    const alone = await measureHeraldDeliveries(options);
    await settleHeraldDeliveries(options.dataSource, options.queue, options.settleMs);
    log(`(3) beside ${options.backlog} deliveries limited to ${options.limit}/s, pair ${pair}`);
    const beside = await measureBeside(options);
    await cancelPendingDeliveries(options.dataSource, options.limitedSubscriptionId);
    await settleHeraldDeliveries(options.dataSource, options.queue, options.settleMs);
    pairs.push({
      alone: alone.perSecond,
      beside: beside.unlimited.perSecond,
      ratio: beside.unlimited.perSecond / alone.perSecond,
      ...beside.limited,
    });
  }
  return {
    pairs,
    alone: median(pairs.map((p) => p.alone)),
    beside: median(pairs.map((p) => p.beside)),
    ratio: median(pairs.map((p) => p.ratio)),
    limitedPerSecond: median(pairs.map((p) => p.limitedPerSecond)),
    limitedBusiestSecond: Math.max(...pairs.map((p) => p.limitedBusiestSecond)),
  };
}
