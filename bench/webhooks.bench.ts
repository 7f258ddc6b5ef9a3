import { getQueueToken } from '@nestjs/bull';
import { Logger } from '@nestjs/common';
import type { Queue } from 'bull';
import { availableParallelism } from 'node:os';
import { setTimeout as delay } from 'node:timers/promises';
import { DataSource } from 'typeorm';
import { runMigrations } from '../src/database/prepare-database';
import { DELIVERY_QUEUE, NotificationPublisher } from '../src/notifications';
import { generateWebhookSecret } from '../src/notifications/webhooks/secrets/webhook-secret';
import { type BenchDatabase, createBenchDatabase } from './bench-database';
import { createBenchSubscription } from './create-bench-subscription';
import { createBenchTenant } from './create-bench-tenant';
import { deleteQueueKeys } from '../test/utils/delete-queue-keys';
import { startCpuMeter } from './cpu-meter';
import { type WebhooksBenchResult, formatWebhooksReport } from './format-webhooks-report';
import { measureDeliveryLatency } from './measure-delivery-latency';
import { type HeraldDeliveriesResult, measureHeraldDeliveries } from './measure-herald-deliveries';
import { type RawOutboxResult, measureRawOutbox } from './measure-raw-outbox';
import { measureRateLimitedNeighbour } from './measure-rate-limited-neighbour';
import { measureUndiciCeiling } from './measure-undici-ceiling';
import { type SettleOutcome, settleHeraldDeliveries } from './settle-herald-deliveries';
import { type WebhookReceiver, spawnWebhookReceiver } from './spawn-webhook-receiver';
import { startForeignCpuMeter } from './start-foreign-cpu-meter';
import { BENCH_ADMIN_TOKEN, type BenchApp, startBenchApp } from './start-bench-app';

// (a), three pairs of (b) and (1), (2), and three pairs of (3), each warm-up + duration, with
// start-up and the settling after each (1) and (3) keep a run near 2.5 min, never much past 3.
const CONCURRENCY = 8;
const WARMUP_MS = 2_000;
const DURATION_MS = 8_000;
/** (b) and (1) alternate this many times and the medians are reported, so one noisy window (this
 * 2-core VM swings by a third between back-to-back runs) does not decide the ratio. */
const PAIRS = 3;
const PAIR_WARMUP_MS = 1_500;
const PAIR_DURATION_MS = 5_000;
const CLAIM_BATCH = 100;
/** How long (1)'s backlog may take to drain before it is cancelled. */
const SETTLE_MS = 10_000;
/** How long the events of (2)'s window may take to arrive after the last publish. */
const LATENCY_SETTLE_MS = 5_000;
const BACKGROUND_SAMPLE_MS = 1_000;
/** A run normally takes about 2.5 min; past this something is stuck. */
const WATCHDOG_MS = 6 * 60_000;

const DELIVERIES_TARGET = 1_500;
const RAW_OUTBOX_TARGET = 0.5;
const LATENCY_P99_TARGET_MS = 100;

/** (3): the limited subscription's `rateLimit`, and the backlog published for each of its windows
 * (10 s at the limit, more than a window of 6.5 s can send, so it never runs dry). */
const RATE_LIMIT = 50;
const RATE_LIMIT_BACKLOG = RATE_LIMIT * 10;
const LIMITED_TOPIC = 'limited.created';
/** (3): beside the limited one, the unlimited subscription keeps this share of its rate alone. */
const NEIGHBOUR_TARGET = 0.9;

/** Redis and Bull prefix as `startBenchApp` sets them. */
const BENCH_REDIS_URL = 'redis://127.0.0.1:6379';

const TOPIC = 'bench.created';
const PAYLOAD = { orderId: 'o_12345', amount: 4200, currency: 'EUR', lines: 3 };

/** One (b) window and the (1) window right after it. */
interface Pair {
  rawOutbox: RawOutboxResult;
  endToEnd: HeraldDeliveriesResult;
  ratio: number;
}

/** The pair whose `key` is the median (the middle one of an odd count). */
function medianBy(pairs: Pair[], key: (pair: Pair) => number): Pair {
  const sorted = [...pairs].sort((a, b) => key(a) - key(b));
  return sorted[Math.floor(sorted.length / 2)];
}

function log(message: string): void {
  console.error(`[bench:webhooks] ${message}`);
}

function finite(value: number): number | null {
  return Number.isFinite(value) ? value : null;
}

/** How busy the machine is before the benchmark starts: other work skews every figure. */
async function measureBackgroundCpu(): Promise<number | null> {
  const cpu = startCpuMeter();
  await delay(BACKGROUND_SAMPLE_MS);
  return cpu() ?? null;
}

async function run(
  database: BenchDatabase,
  receiver: WebhookReceiver,
  limitedReceiver: WebhookReceiver,
): Promise<WebhooksBenchResult> {
  const databaseUrl = database.url;
  const backgroundCpuBusy = await measureBackgroundCpu();
  const foreignCpu = startForeignCpuMeter(
    [process.pid, receiver.pid, limitedReceiver.pid],
    database.name,
  );
  await runMigrations(databaseUrl);
  const secret = generateWebhookSecret();
  const phase = { warmupMs: WARMUP_MS, durationMs: DURATION_MS, payload: PAYLOAD, secret };

  log('(a) undici POSTs to the receiver');
  const ceiling = await measureUndiciCeiling({ ...phase, receiver, concurrency: CONCURRENCY });

  let bench: BenchApp | undefined;
  try {
    bench = await startBenchApp(databaseUrl);
    const dataSource = bench.app.get(DataSource);
    const queue = bench.app.get<Queue>(getQueueToken(DELIVERY_QUEUE));
    const [{ version }] = await dataSource.query<{ version: string }[]>(
      `SELECT 'PostgreSQL ' || current_setting('server_version') AS version`,
    );
    const tenant = await createBenchTenant(bench.baseUrl, BENCH_ADMIN_TOKEN);
    await createBenchSubscription(bench.baseUrl, tenant.apiKey, {
      url: receiver.url,
      topics: ['bench.*'],
      secret,
    });
    const herald = {
      dataSource,
      publisher: bench.app.get(NotificationPublisher),
      receiver,
      tenantId: tenant.tenantId,
      topic: TOPIC,
      payload: PAYLOAD,
    };

    // Herald idles beside (b) (its sequencer polls every 2 s), and each (b) starts on an idle
    // pipeline: the (1) before it is settled first.
    const pairs: Pair[] = [];
    let settle: SettleOutcome = { delivered: true, cancelled: 0, waitedMs: 0 };
    for (let pair = 1; pair <= PAIRS; pair += 1) {
      log(`(b) raw outbox pipeline, pair ${pair} of ${PAIRS}`);
      const rawOutbox = await measureRawOutbox({
        ...phase,
        warmupMs: PAIR_WARMUP_MS,
        durationMs: PAIR_DURATION_MS,
        databaseUrl,
        receiver,
        concurrency: CONCURRENCY,
        batchSize: CLAIM_BATCH,
      });
      log(`(1) Herald end to end, pair ${pair} of ${PAIRS}`);
      const endToEnd = await measureHeraldDeliveries({
        ...herald,
        concurrency: CONCURRENCY,
        warmupMs: PAIR_WARMUP_MS,
        durationMs: PAIR_DURATION_MS,
      });
      log(`    settling the backlog (up to ${SETTLE_MS / 1000} s)`);
      settle = await settleHeraldDeliveries(dataSource, queue, SETTLE_MS);
      pairs.push({ rawOutbox, endToEnd, ratio: endToEnd.perSecond / rawOutbox.perSecond });
    }
    const { rawOutbox } = medianBy(pairs, (p) => p.rawOutbox.perSecond);
    const { endToEnd } = medianBy(pairs, (p) => p.endToEnd.perSecond);
    const { ratio: ratioToRawOutbox } = medianBy(pairs, (p) => p.ratio);

    const halfRate = Math.max(1, Math.round(endToEnd.perSecond / 2));
    log(`(2) latency at ${halfRate} publishes/s`);
    const latencyCpu = startCpuMeter();
    const latency = await measureDeliveryLatency({
      ...herald,
      rate: halfRate,
      warmupMs: WARMUP_MS,
      durationMs: DURATION_MS,
      settleMs: LATENCY_SETTLE_MS,
    });
    const latencyCpuBusy = latencyCpu() ?? null;

    log(`    settling (2)'s deliveries (up to ${SETTLE_MS / 1000} s)`);
    await settleHeraldDeliveries(dataSource, queue, SETTLE_MS);
    const limitedSubscriptionId = await createBenchSubscription(bench.baseUrl, tenant.apiKey, {
      url: limitedReceiver.url,
      topics: ['limited.*'],
      secret,
      rateLimit: RATE_LIMIT,
    });
    const neighbour = await measureRateLimitedNeighbour(
      {
        ...herald,
        concurrency: CONCURRENCY,
        warmupMs: PAIR_WARMUP_MS,
        durationMs: PAIR_DURATION_MS,
        queue,
        limitedReceiver,
        limitedSubscriptionId,
        limitedTopic: LIMITED_TOPIC,
        limit: RATE_LIMIT,
        backlog: RATE_LIMIT_BACKLOG,
        pairs: PAIRS,
        settleMs: SETTLE_MS,
      },
      log,
    );

    const foreignCpuBusy = foreignCpu() ?? null;
    const p99 = finite(latency.latency.p99);
    return {
      settings: {
        concurrency: CONCURRENCY,
        warmupMs: WARMUP_MS,
        durationMs: DURATION_MS,
        pairs: PAIRS,
        pairWarmupMs: PAIR_WARMUP_MS,
        pairDurationMs: PAIR_DURATION_MS,
        claimBatch: CLAIM_BATCH,
        cpus: availableParallelism(),
        postgres: version,
        backgroundCpuBusy,
        foreignCpuBusy,
      },
      ceiling: { perSecond: ceiling.perSecond, cpuBusy: ceiling.cpuBusy },
      rawOutbox: {
        perSecond: rawOutbox.perSecond,
        insertsPerSecond: rawOutbox.loadPerSecond,
        ratioToCeiling: rawOutbox.perSecond / ceiling.perSecond,
        backlog: rawOutbox.backlog,
        cpuBusy: rawOutbox.cpuBusy,
      },
      herald: {
        perSecond: endToEnd.perSecond,
        publishedPerSecond: endToEnd.loadPerSecond,
        ratioToRawOutbox,
        ratioToCeiling: endToEnd.perSecond / ceiling.perSecond,
        backlog: endToEnd.backlog,
        cpuBusy: endToEnd.cpuBusy,
        target: DELIVERIES_TARGET,
        met: endToEnd.perSecond >= DELIVERIES_TARGET,
        rawOutboxTarget: RAW_OUTBOX_TARGET,
        rawOutboxMet: ratioToRawOutbox >= RAW_OUTBOX_TARGET,
      },
      pairs: pairs.map((p) => ({
        rawOutbox: p.rawOutbox.perSecond,
        herald: p.endToEnd.perSecond,
        ratio: p.ratio,
      })),
      settle,
      latency: {
        requestedRate: latency.requestedRate,
        publishedPerSecond: latency.publishedPerSecond,
        count: latency.latency.count,
        p50: latency.latency.p50,
        p99,
        max: finite(latency.latency.max),
        lost: latency.lost,
        cpuBusy: latencyCpuBusy,
        targetP99Ms: LATENCY_P99_TARGET_MS,
        met: p99 !== null && p99 <= LATENCY_P99_TARGET_MS,
      },
      rateLimit: {
        limit: RATE_LIMIT,
        backlog: RATE_LIMIT_BACKLOG,
        alone: neighbour.alone,
        beside: neighbour.beside,
        ratio: neighbour.ratio,
        target: NEIGHBOUR_TARGET,
        met: neighbour.ratio >= NEIGHBOUR_TARGET,
        limitedPerSecond: neighbour.limitedPerSecond,
        limitedBusiestSecond: neighbour.limitedBusiestSecond,
        limitedMet: neighbour.limitedBusiestSecond <= RATE_LIMIT,
        pairs: neighbour.pairs,
      },
    };
  } finally {
    await bench?.close();
    // Bull's keys of this run (jobs, and job hashes the settling orphaned) would stay in Redis.
    await deleteQueueKeys(BENCH_REDIS_URL, `herald-bench-${process.pid}`);
  }
}

async function main(): Promise<void> {
  // Migration and Nest start-up chatter would bury the table.
  Logger.overrideLogger(['error', 'warn']);
  const watchdog = setTimeout(() => {
    log(`still running after ${WATCHDOG_MS / 1000} s: giving up`);
    process.exit(1);
  }, WATCHDOG_MS);
  watchdog.unref();
  const database = await createBenchDatabase();
  let result: WebhooksBenchResult;
  try {
    const receiver = await spawnWebhookReceiver();
    try {
      const limitedReceiver = await spawnWebhookReceiver();
      try {
        result = await run(database, receiver, limitedReceiver);
      } finally {
        await limitedReceiver.stop();
      }
    } finally {
      await receiver.stop();
    }
  } finally {
    await database.drop();
  }
  console.log(formatWebhooksReport(result));
  console.log(`BENCH_RESULT ${JSON.stringify(result)}`);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
