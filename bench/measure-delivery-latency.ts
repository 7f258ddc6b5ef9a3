import { setTimeout as delay } from 'node:timers/promises';
import type { DataSource } from 'typeorm';
import type { NotificationPublisher } from '../src/notifications';
import { countDeliveryBacklog } from './count-delivery-backlog';
import { epochMs } from './epoch-ms';
import type { WebhookReceiver } from './spawn-webhook-receiver';
import { type LatencySummary, summarizeLatencies } from './summarize-latencies';

/** How phase (2) runs. */
export interface DeliveryLatencyOptions {
  dataSource: DataSource;
  publisher: NotificationPublisher;
  receiver: WebhookReceiver;
  tenantId: string;
  topic: string;
  /** Publishes per second, started on a fixed schedule whether earlier ones finished or not. */
  rate: number;
  warmupMs: number;
  durationMs: number;
  /** After the last publish, how long the measured events may take to arrive. */
  settleMs: number;
  payload: Record<string, unknown>;
}

/** Publish-to-first-attempt latency over the measured window. */
export interface DeliveryLatencyResult {
  requestedRate: number;
  /** Publishes per second actually started in the window. */
  publishedPerSecond: number;
  /** Arrival at the receiver minus the start of `publish()`, ms; lost events count as infinite. */
  latency: LatencySummary;
  /** Events published in the window that had not arrived when the settle time ran out. */
  lost: number;
}

const TICK_MS = 1;
const POLL_MS = 50;

/**
 * Publishes at a paced rate (an open loop, so a slow pipeline cannot slow the publisher down and
 * hide its own latency) and, for every event of the measured window, takes the receiver's arrival
 * time of its first attempt (`webhook-id` = event id) minus the time `publish()` was called.
 */
export async function measureDeliveryLatency(
  options: DeliveryLatencyOptions,
): Promise<DeliveryLatencyResult> {
  await options.receiver.track();
  const startedAt = new Map<string, number>();
  const inFlight = new Set<Promise<void>>();
  let failure: Error | undefined;
  const launch = (measured: boolean) => {
    const start = epochMs();
    const publishing = options.publisher
      .publish({ tenantId: options.tenantId, topic: options.topic, payload: options.payload })
      .then(
        (event) => {
          if (measured) startedAt.set(event.id, start);
        },
        (error: unknown) => {
          failure ??= error instanceof Error ? error : new Error(String(error));
        },
      )
      .finally(() => inFlight.delete(publishing));
    inFlight.add(publishing);
  };

  const t0 = performance.now();
  const measureFrom = t0 + options.warmupMs;
  const end = measureFrom + options.durationMs;
  let issued = 0;
  let measuredCount = 0;
  for (let now = t0; now < end && failure === undefined; now = performance.now()) {
    const due = Math.floor(((now - t0) * options.rate) / 1000);
    for (; issued < due; issued += 1) {
      const measured = now >= measureFrom;
      if (measured) measuredCount += 1;
      launch(measured);
    }
    await delay(TICK_MS);
  }
  await Promise.all(inFlight);
  if (failure !== undefined) throw failure;

  const settleBy = performance.now() + options.settleMs;
  for (;;) {
    const backlog = await countDeliveryBacklog(options.dataSource);
    if (backlog.pendingDeliveries === 0 && backlog.unsequencedEvents === 0) break;
    if (performance.now() >= settleBy) break;
    await delay(POLL_MS);
  }
  const arrivals = await options.receiver.arrivals();
  const latencies: number[] = [];
  let lost = 0;
  for (const [id, start] of startedAt) {
    const arrival = arrivals.get(id);
    if (arrival === undefined) lost += 1;
    latencies.push(arrival === undefined ? Infinity : arrival - start);
  }
  return {
    requestedRate: options.rate,
    publishedPerSecond: measuredCount / (options.durationMs / 1000),
    latency: summarizeLatencies(latencies),
    lost,
  };
}
