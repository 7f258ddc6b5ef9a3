import Bull from 'bull';
import { randomBytes } from 'node:crypto';
import { availableParallelism } from 'node:os';
import { join, resolve } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { DataSource } from 'typeorm';
import { buildDataSourceOptions } from '../src/database/data-source-options';
import { DELIVERY_QUEUE } from '../src/notifications';
import { generateWebhookSecret } from '../src/notifications/webhooks/secrets/webhook-secret';
import { startRedisServer } from '../test/utils/redis-server';
import { createBenchDatabase } from './bench-database';
import { cancelPendingDeliveries } from './cancel-pending-deliveries';
import { createBenchSubscription } from './create-bench-subscription';
import { createBenchTenant } from './create-bench-tenant';
import { countDeliveryBacklog } from './count-delivery-backlog';
import { startCpuMeter } from './cpu-meter';
import { deleteQueueKeys } from '../test/utils/delete-queue-keys';
import { ensureFreshBuild } from './ensure-fresh-build';
import { type ScaleBenchResult, type ScalePhase, formatScaleReport } from './format-scale-report';
import { measureBacklogDrain } from './measure-backlog-drain';
import { publishBacklog } from './publish-backlog';
import { type ServerProcess, spawnServerProcess } from './spawn-server-process';
import { type WebhookReceiver, spawnWebhookReceiver } from './spawn-webhook-receiver';
import { startForeignCpuMeter } from './start-foreign-cpu-meter';
import { waitForSequencer } from './wait-for-sequencer';

const ROOT = resolve(__dirname, '..');
const ADMIN_TOKEN = 'bench-admin-token-0123456789';
/**
 * Several subscriptions, not one: a worker drains each subscription with at most
 * `maxInFlightPerSubscription` (10) attempts in flight, so one subscription would measure that cap
 * rather than what a worker process can do; eight is a small multi-tenant load.
 */
const SUBSCRIPTIONS = 8;
const EVENTS_PER_PHASE = 2_500;
const DELIVERIES_PER_PHASE = EVENTS_PER_PHASE * SUBSCRIPTIONS;
const PUBLISHERS = 16;
/** Worker processes of each phase, in order. */
const PHASES = [1, 2];
const DRAIN_TIMEOUT_MS = 45_000;
const SEQUENCER_TIMEOUT_MS = 30_000;
/** A run normally takes about a minute; past this something is stuck. */
const WATCHDOG_MS = 170_000;
const TARGET = 1.7;
/** Bull's key prefix in `node dist/main.js` (AppModule's default). */
const QUEUE_PREFIX = 'herald';

const TOPIC = 'bench.created';
const PAYLOAD = { orderId: 'o_12345', amount: 4200, currency: 'EUR', lines: 3 };

function log(message: string): void {
  console.error(`[bench:scale] ${message}`);
}

/** Transactions committed in the database so far (all backends, as the statistics have them). */
async function readCommits(dataSource: DataSource): Promise<number> {
  const [row] = await dataSource.query<{ commits: string }[]>(
    `SELECT xact_commit::text AS commits FROM pg_stat_database WHERE datname = current_database()`,
  );
  return Number(row?.commits ?? 0);
}

/** Waits until the sequencer has fanned the phase's events out into `expected` pending deliveries. */
async function waitForBacklog(dataSource: DataSource, expected: number): Promise<void> {
  const left = await waitForSequencer(dataSource, SEQUENCER_TIMEOUT_MS);
  if (left > 0)
    throw new Error(`${left} events still unsequenced after ${SEQUENCER_TIMEOUT_MS} ms`);
  const { pendingDeliveries } = await countDeliveryBacklog(dataSource);
  if (pendingDeliveries !== expected)
    throw new Error(`expected ${expected} pending deliveries, found ${pendingDeliveries}`);
}

async function runPhase(options: {
  workers: number;
  env: Record<string, string>;
  api: ServerProcess;
  apiKey: string;
  receiver: WebhookReceiver;
  redisPid: number;
  queue: Bull.Queue;
  dataSource: DataSource;
  databaseName: string;
}): Promise<ScalePhase> {
  const { api, receiver, queue, dataSource } = options;
  // Paused in Redis for every process: the workers start, the backlog builds up, and then all the
  // workers are let at it at the same moment, none with a head start.
  await queue.pause();
  const workers = await Promise.all(
    Array.from({ length: options.workers }, () =>
      spawnServerProcess({
        root: ROOT,
        entry: [join(ROOT, 'dist', 'main.js')],
        env: { ...options.env, HERALD_ROLES: 'api,worker' },
        gcHook: false,
      }),
    ),
  );
  try {
    log(`${options.workers} worker(s) up (pids ${workers.map((w) => w.pid).join(', ')})`);
    const publishSeconds = await publishBacklog({
      baseUrl: api.baseUrl,
      apiKey: options.apiKey,
      topic: TOPIC,
      payload: PAYLOAD,
      count: EVENTS_PER_PHASE,
      concurrency: PUBLISHERS,
    });
    await waitForBacklog(dataSource, DELIVERIES_PER_PHASE);
    log(
      `    ${EVENTS_PER_PHASE} events published in ${publishSeconds.toFixed(1)} s; ` +
        `${DELIVERIES_PER_PHASE} deliveries pending; releasing them`,
    );
    const foreign = startForeignCpuMeter(
      [process.pid, receiver.pid, api.pid, ...workers.map((w) => w.pid)],
      options.databaseName,
    );
    const pids = [...workers.map((w) => w.pid), api.pid, receiver.pid, options.redisPid];
    let commitsBefore = 0;
    const drain = await measureBacklogDrain({
      receiver,
      backlog: DELIVERIES_PER_PHASE,
      release: async () => {
        commitsBefore = await readCommits(dataSource);
        await queue.resume();
      },
      pids,
      timeoutMs: DRAIN_TIMEOUT_MS,
    });
    const foreignBusy = foreign() ?? null;
    // Read once the workers are gone: a backend reports its counts when it exits, at the latest.
    await Promise.all(workers.map((worker) => worker.stop()));
    const commits = (await readCommits(dataSource)) - commitsBefore;
    log(
      `    ${Math.round(drain.perSecond)} deliveries/s; ` +
        `${drain.drained ? 'drained' : 'NOT drained'} in ${drain.totalSeconds.toFixed(1)} s`,
    );
    return {
      workers: options.workers,
      perSecond: drain.perSecond,
      seconds: drain.seconds,
      drained: drain.drained,
      totalSeconds: drain.totalSeconds,
      workerCpu: workers.map((w) => drain.cpu[w.pid] ?? null),
      apiCpu: drain.cpu[api.pid] ?? null,
      receiverCpu: drain.cpu[receiver.pid] ?? null,
      redisCpu: drain.cpu[options.redisPid] ?? null,
      machineBusy: drain.machineBusy,
      foreignBusy,
      commitsPerDelivery: commits / DELIVERIES_PER_PHASE,
    };
  } finally {
    await Promise.all(workers.map((worker) => worker.stop()));
    // Whatever a slow phase left is cancelled, so the next one starts on an idle pipeline.
    await cancelPendingDeliveries(dataSource);
    await queue.empty();
  }
}

async function run(databaseName: string, databaseUrl: string): Promise<ScaleBenchResult> {
  const background = startCpuMeter();
  await delay(1_000);
  const backgroundCpuBusy = background() ?? null;

  // A Redis of the benchmark's own: every `node dist/main.js` uses the same Bull keys, so on the
  // shared Redis the workers would take (and lose) jobs of whatever else runs there.
  const redis = await startRedisServer();
  let receiver: WebhookReceiver | undefined;
  let api: ServerProcess | undefined;
  let dataSource: DataSource | undefined;
  let queue: Bull.Queue | undefined;
  try {
    receiver = await spawnWebhookReceiver();
    const env = {
      DATABASE_URL: databaseUrl,
      REDIS_URL: redis.url,
      HERALD_ADMIN_TOKEN: ADMIN_TOKEN,
      HERALD_ALLOWED_DESTINATIONS: '127.0.0.0/8',
      // Every process must open the secrets the api process sealed.
      HERALD_ENCRYPTION_KEY: randomBytes(32).toString('hex'),
      // The backlog is published as fast as the api takes it.
      HERALD_RATE_LIMIT_PUBLISH: '1000000/1s',
      HERALD_RATE_LIMIT_READ: '1000000/1s',
      // A log line per attempt would measure the pipe to this process.
      LOG_LEVEL: 'warn',
    };
    // It migrates the database, so it starts first and alone.
    api = await spawnServerProcess({
      root: ROOT,
      entry: [join(ROOT, 'dist', 'main.js')],
      env: { ...env, HERALD_ROLES: 'api,sequencer' },
      gcHook: false,
    });
    log(`api + sequencer: pid ${api.pid} on ${api.baseUrl}`);
    dataSource = await new DataSource(buildDataSourceOptions(databaseUrl)).initialize();
    const [{ version }] = await dataSource.query<{ version: string }[]>(
      `SELECT 'PostgreSQL ' || current_setting('server_version') AS version`,
    );
    queue = new Bull(DELIVERY_QUEUE, redis.url, { prefix: QUEUE_PREFIX });
    const redisPid = Number(/process_id:(\d+)/.exec(await redis.cli('INFO', 'server'))?.[1]);
    const tenant = await createBenchTenant(api.baseUrl, ADMIN_TOKEN);
    for (let n = 0; n < SUBSCRIPTIONS; n++) {
      await createBenchSubscription(api.baseUrl, tenant.apiKey, {
        url: `${receiver.url}?subscription=${n}`,
        topics: ['bench.*'],
        secret: generateWebhookSecret(),
      });
    }

    const phases: ScalePhase[] = [];
    for (const workers of PHASES) {
      log(`phase: ${workers} worker process(es)`);
      phases.push(
        await runPhase({
          workers,
          env,
          api,
          apiKey: tenant.apiKey,
          receiver,
          redisPid,
          queue,
          dataSource,
          databaseName,
        }),
      );
    }
    const [one, two] = phases;
    const ratio = one.perSecond > 0 ? two.perSecond / one.perSecond : 0;
    const used = one.machineBusy === null ? null : one.machineBusy - (one.foreignBusy ?? 0);
    return {
      settings: {
        subscriptions: SUBSCRIPTIONS,
        eventsPerPhase: EVENTS_PER_PHASE,
        deliveriesPerPhase: DELIVERIES_PER_PHASE,
        cpus: availableParallelism(),
        postgres: version,
        backgroundCpuBusy,
      },
      phases,
      ratio,
      cpuCeilingRatio: used === null || used <= 0 ? null : 1 / used,
      target: TARGET,
      met: ratio >= TARGET,
    };
  } finally {
    await queue?.close();
    await dataSource?.destroy();
    await api?.stop();
    await receiver?.stop();
    // The Redis goes with its keys (it never writes them to disk); deleted first all the same, in
    // case it is ever pointed at a Redis that stays.
    await deleteQueueKeys(redis.url, QUEUE_PREFIX).catch(() => 0);
    await redis.stop();
  }
}

async function main(): Promise<void> {
  const watchdog = setTimeout(() => {
    log(`still running after ${WATCHDOG_MS / 1000} s: giving up`);
    process.exit(1);
  }, WATCHDOG_MS);
  watchdog.unref();
  const build = ensureFreshBuild(ROOT);
  if (build.status === 'stale') {
    log(`WARNING: src/ does not compile now; measuring the existing dist/:\n${build.errors}`);
  }
  const database = await createBenchDatabase();
  let result: ScaleBenchResult;
  try {
    result = await run(database.name, database.url);
  } finally {
    await database.drop();
  }
  console.log(formatScaleReport(result));
  console.log(`BENCH_RESULT ${JSON.stringify(result)}`);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
