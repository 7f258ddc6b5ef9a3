import { randomBytes } from 'node:crypto';
import { cleanUpOnExit } from './clean-up-on-exit';
import { readFileSync } from 'node:fs';
import { Agent } from 'node:http';
import { availableParallelism } from 'node:os';
import { join, resolve } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { DataSource } from 'typeorm';
import { buildDataSourceOptions } from '../src/database/data-source-options';
import { generateWebhookSecret } from '../src/notifications/webhooks/secrets/webhook-secret';
import { deleteQueueKeys } from '../test/utils/delete-queue-keys';
import { type RedisServer, startRedisServer } from '../test/utils/redis-server';
import { createBenchDatabase } from './bench-database';
import { checkFollowers } from './check-followers';
import { countDeliveries } from './count-deliveries';
import { countDeliveryBacklog } from './count-delivery-backlog';
import { startCpuMeter } from './cpu-meter';
import { createBenchSubscription } from './create-bench-subscription';
import { createBenchTenant } from './create-bench-tenant';
import { ensureFreshBuild } from './ensure-fresh-build';
import { epochMs } from './epoch-ms';
import { type SoakBenchResult, type SoakMinute, formatSoakReport } from './format-soak-report';
import { measureHttpPublish } from './measure-http-publish';
import { p99Drift } from './p99-drift';
import { startPacedPublisher } from './paced-publisher';
import { readHead } from './read-head';
import { readProcessStats } from './read-process-stats';
import { relativeSpread } from './relative-spread';
import { type MemorySample, sampleServiceMemory } from './sample-service-memory';
import { closeMetricsScraper, scrapeMetricTotal } from './scrape-metrics';
import { type ServerProcess, spawnServerProcess } from './spawn-server-process';
import { type SoakReceiver, spawnSoakReceiver } from './spawn-soak-receiver';
import { startCursorFollowers } from './start-cursor-followers';
import { startForeignCpuMeter } from './start-foreign-cpu-meter';
import { waitForSequencer } from './wait-for-sequencer';

const ROOT = resolve(__dirname, '..');
const ADMIN_TOKEN = 'bench-soak-admin-token-0123456789';
/** Bull's key prefix in `node dist/main.js` (AppModule's default). */
const QUEUE_PREFIX = 'herald';

/** Minutes of mixed load; `SOAK_MINUTES` shortens (or lengthens) it, up to an hour. */
const MINUTES = Math.min(60, Math.max(1, Number(process.env.SOAK_MINUTES ?? 10) || 10));
const MINUTE_MS = 60_000;
/** The first minute: everything starts, caches fill, the heap grows to its working size. */
const WARMUP_MINUTES = 1;

/** The flat-out pass that sets the soak's rate: autocannon, as in bench:publish. */
const CAPACITY = { connections: 8, warmupSeconds: 2, seconds: 8 };
const CAPACITY_PAYLOAD = { s: -1, t: 0 };
/** Paced publishes in flight at most (each on its own connection). */
const PUBLISH_IN_FLIGHT = 64;

const POLLERS = 1_000;
/**
 * Pollers spread over topics, so each publish wakes POLLERS / TOPICS of them: the poll traffic is
 * a fan-out like a tenant's clients watching their own things, not 1,000 answers per event.
 */
const TOPICS = 500;
const TOPIC_PREFIX = 'soak.t';
/** What every subscription matches: all the pollers' topics. */
const SUBSCRIPTION_TOPIC = 'soak.*';
const POLL_WAIT_SECONDS = 30;

const SUBSCRIPTIONS = 5;
const FAILING_SUBSCRIPTION = 0;
const FAIL_EVERY = 10;
/**
 * Short enough that retries land within the run, long enough that the deterministic 1-in-10
 * refusals (retries count as requests too) practically never use it up; every retry a Bull
 * delayed job (HERALD_FAST_RETRIES = its length).
 */
const RETRY_SCHEDULE = ['1s', '2s', '4s', '8s', '16s'];

/** Targets. */
const MEMORY_SPREAD_TARGET = 0.1;
const DRIFT_TARGET = 1.5;

/** After the last publish, pollers may take this long to catch up. */
const CATCH_UP_MS = 60_000;
/**
 * After that, the delivery backlog is waited for as long as it shrinks, up to SETTLE_MAX_MS; one
 * that has not shrunk for SETTLE_STALL_MS is stuck.
 */
const SETTLE_MAX_MS = 15 * MINUTE_MS;
const SETTLE_STALL_MS = MINUTE_MS;
const SETTLE_POLL_MS = 500;
/** Start-up, the capacity pass, catching up and settling: at most about 18 minutes. */
const WATCHDOG_MS = (MINUTES + 20) * MINUTE_MS;
const DELIVERIES_METRIC = 'herald_deliveries_total';
const CAP_WAITS_METRIC = 'herald_delivery_tenant_cap_waits_total';
const CLOCK_TICK_MS = 10;

const startedAt = performance.now();

function log(message: string): void {
  const seconds = ((performance.now() - startedAt) / 1000).toFixed(0).padStart(4);
  console.error(`[bench:soak ${seconds} s] ${message}`);
}

function loadAverage(): number {
  return Number(readFileSync('/proc/loadavg', 'utf8').split(' ')[0]);
}

function mib(bytes: number | null): string {
  return bytes === null ? '?' : `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
}

/**
 * Waits until no delivery is pending and every event is sequenced, as long as that backlog keeps
 * shrinking (see SETTLE_STALL_MS) and for SETTLE_MAX_MS at most.
 */
async function settleDeliveries(dataSource: DataSource): Promise<{ settled: boolean; ms: number }> {
  const start = performance.now();
  let smallest = Infinity;
  let shrunkAt = start;
  for (;;) {
    const backlog = await countDeliveryBacklog(dataSource);
    const now = performance.now();
    const left = backlog.pendingDeliveries + backlog.unsequencedEvents;
    if (left === 0) return { settled: true, ms: now - start };
    if (left < smallest) {
      smallest = left;
      shrunkAt = now;
    }
    if (now - shrunkAt > SETTLE_STALL_MS || now - start > SETTLE_MAX_MS) {
      return { settled: false, ms: now - start };
    }
    await delay(SETTLE_POLL_MS);
  }
}

/** The sum of a counter of the service's over its labels; 0 when it does not have it. */
async function counter(server: ServerProcess, name: string): Promise<number> {
  return (await scrapeMetricTotal(server.baseUrl, name)) ?? 0;
}

interface Services {
  server: ServerProcess;
  receiver: SoakReceiver;
  dataSource: DataSource;
  databaseName: string;
}

/** CPU time of this process and of `pids` so far, ms. */
function benchCpuMs(pids: readonly number[]): number {
  const { user, system } = process.cpuUsage();
  const children = pids.reduce((sum, pid) => sum + readProcessStats(pid).cpuTicks, 0);
  return (user + system) / 1000 + children * CLOCK_TICK_MS;
}

async function run(services: Services, build: string): Promise<SoakBenchResult> {
  const { server, receiver, dataSource } = services;
  const loadBefore = loadAverage();
  const [{ version }] = await dataSource.query<{ version: string }[]>(
    `SELECT 'PostgreSQL ' || current_setting('server_version') AS version`,
  );
  const tenant = await createBenchTenant(server.baseUrl, ADMIN_TOKEN);

  log(
    `capacity: HTTP publish flat out, ${CAPACITY.connections} connections, ${CAPACITY.seconds} s`,
  );
  const capacityOptions = {
    baseUrl: server.baseUrl,
    apiKey: tenant.apiKey,
    payload: CAPACITY_PAYLOAD,
    connections: CAPACITY.connections,
  };
  await measureHttpPublish({ ...capacityOptions, durationSeconds: CAPACITY.warmupSeconds });
  const capacity = await measureHttpPublish({
    ...capacityOptions,
    durationSeconds: CAPACITY.seconds,
  });
  if (capacity.non2xx !== 0 || capacity.errors !== 0) {
    throw new Error(`capacity pass: ${capacity.non2xx} non-2xx answers, ${capacity.errors} errors`);
  }
  const rate = Math.max(1, Math.round(capacity.perSecond / 2));
  log(`  ${Math.round(capacity.perSecond)}/s; the soak publishes ${rate}/s`);
  await waitForSequencer(dataSource, 30_000);

  const subscriptionIds: string[] = [];
  for (let index = 0; index < SUBSCRIPTIONS; index++) {
    subscriptionIds.push(
      await createBenchSubscription(server.baseUrl, tenant.apiKey, {
        url: receiver.urlOf(index),
        topics: [SUBSCRIPTION_TOPIC],
        secret: generateWebhookSecret(),
      }),
    );
  }
  const topics = Array.from({ length: TOPICS }, (_, index) => `${TOPIC_PREFIX}${index}`);
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  const head = await readHead({
    baseUrl: server.baseUrl,
    pid: server.pid,
    apiKey: tenant.apiKey,
    agent,
  });
  agent.destroy();
  log(`opening ${POLLERS} polls over ${TOPICS} topics`);
  const followers = await startCursorFollowers({
    baseUrl: server.baseUrl,
    apiKey: tenant.apiKey,
    topics,
    count: POLLERS,
    cursor: head,
    waitSeconds: POLL_WAIT_SECONDS,
  });

  log(`soak: ${MINUTES} min at ${rate} publishes/s`);
  const soakStart = epochMs();
  followers.startTiming(soakStart);
  await receiver.start(soakStart);
  const publisher = startPacedPublisher({
    baseUrl: server.baseUrl,
    apiKey: tenant.apiKey,
    rate,
    topics,
    maxInFlight: PUBLISH_IN_FLIGHT,
  });
  const t0 = performance.now();
  const samples: {
    memory: MemorySample;
    published: number;
    cores: number;
    benchCores: number;
    busy: number | null;
    foreign: number | null;
    attempts: number;
    capWaits: number;
  }[] = [];
  for (let minute = 1; minute <= MINUTES; minute++) {
    const publishedBefore = publisher.published();
    const ticksBefore = readProcessStats(server.pid).cpuTicks;
    const machine = startCpuMeter();
    const foreignCpu = startForeignCpuMeter(
      [process.pid, receiver.pid, server.pid],
      services.databaseName,
    );
    const benchBefore = benchCpuMs([receiver.pid]);
    const attemptsBefore = await counter(server, DELIVERIES_METRIC);
    const capWaitsBefore = await counter(server, CAP_WAITS_METRIC);
    await delay(Math.max(0, t0 + minute * MINUTE_MS - performance.now()));
    const published = publisher.published() - publishedBefore;
    const cores =
      ((readProcessStats(server.pid).cpuTicks - ticksBefore) * CLOCK_TICK_MS) / MINUTE_MS;
    const busy = machine() ?? null;
    const foreign = foreignCpu() ?? null;
    const benchCores = (benchCpuMs([receiver.pid]) - benchBefore) / MINUTE_MS;
    const attempts = (await counter(server, DELIVERIES_METRIC)) - attemptsBefore;
    const capWaits = (await counter(server, CAP_WAITS_METRIC)) - capWaitsBefore;
    const memory = await sampleServiceMemory(server);
    samples.push({ memory, published, cores, benchCores, busy, foreign, attempts, capWaits });
    log(
      `  minute ${minute}: ${Math.round(published / 60)} publishes/s, RSS ${mib(memory.rssBytes)}, ` +
        `heap ${mib(memory.heapUsedBytes)}, service ${Math.round(cores * 100)} % of a core, ` +
        `${Math.round(attempts / 60)} attempts/s, ` +
        `${followers.received()} events polled`,
    );
  }
  const tally = await publisher.stop();
  log(`published ${tally.published} (${tally.errors} errors); pollers catching up`);
  const catchUpMs = await followers.catchUp(tally.byTopic, CATCH_UP_MS);
  const { followers: followerTallies, wake } = await followers.stop();
  log('settling deliveries');
  const settle = await settleDeliveries(dataSource);
  const perSubscription = await countDeliveries(dataSource, subscriptionIds, `${TOPIC_PREFIX}%`);
  const seen = await receiver.report();

  const minutes = samples.map((sample, index): SoakMinute => ({
    minute: index + 1,
    publishedPerSecond: sample.published / 60,
    attemptsPerSecond: sample.attempts / 60,
    tenantCapWaits: sample.capWaits,
    rssBytes: sample.memory.rssBytes,
    heapUsedBytes: sample.memory.heapUsedBytes,
    wake: wake[index] ?? { count: 0, min: 0, p50: 0, p99: 0, max: 0 },
    firstAttempt: seen.firstAttempt[index] ?? { count: 0, min: 0, p50: 0, p99: 0, max: 0 },
    serviceCores: sample.cores,
    benchCores: sample.benchCores,
    machineCpuBusy: sample.busy,
    foreignCpuBusy: sample.foreign,
  }));
  const steady = minutes.slice(WARMUP_MINUTES);
  const rssSpread = relativeSpread(steady.map((minute) => minute.rssBytes));
  const heaps = steady.flatMap((minute) =>
    minute.heapUsedBytes === null ? [] : [minute.heapUsedBytes],
  );
  const heapSpread = heaps.length === steady.length ? relativeSpread(heaps) : null;
  const wakeRatio = p99Drift(steady.map((minute) => minute.wake));
  const firstAttemptRatio = p99Drift(steady.map((minute) => minute.firstAttempt));
  const check = checkFollowers(followerTallies, tally.byTopic);
  const sum = (pick: (row: (typeof perSubscription)[number]) => number) =>
    perSubscription.reduce((total, row) => total + pick(row), 0);
  const deliveries = {
    expected: sum((row) => row.expected),
    succeeded: sum((row) => row.succeeded),
    failed: sum((row) => row.failed),
    pending: sum((row) => row.pending),
    missing: sum((row) => row.missing),
  };
  return {
    settings: {
      minutes: MINUTES,
      warmupMinutes: WARMUP_MINUTES,
      pollers: POLLERS,
      topics: TOPICS,
      subscriptions: SUBSCRIPTIONS,
      failEvery: FAIL_EVERY,
      retrySchedule: RETRY_SCHEDULE.join(','),
      maxPollsPerTenant: 'default (1000)',
      pollWaitSeconds: POLL_WAIT_SECONDS,
      cpus: availableParallelism(),
      node: process.version,
      postgres: version,
      build,
      loadAverage: { before: loadBefore, after: loadAverage() },
      seconds: (performance.now() - startedAt) / 1000,
    },
    capacity: {
      perSecond: capacity.perSecond,
      p50: capacity.p50,
      p99: capacity.p99,
      rate,
    },
    minutes,
    memory: {
      rssSpread,
      heapSpread,
      target: MEMORY_SPREAD_TARGET,
      rssMet: rssSpread !== null && rssSpread <= MEMORY_SPREAD_TARGET,
      heapMet: heapSpread !== null && heapSpread <= MEMORY_SPREAD_TARGET,
    },
    wakeDrift: {
      ratio: wakeRatio,
      target: DRIFT_TARGET,
      met: wakeRatio !== null && wakeRatio <= DRIFT_TARGET,
    },
    firstAttemptDrift: {
      ratio: firstAttemptRatio,
      target: DRIFT_TARGET,
      met: firstAttemptRatio !== null && firstAttemptRatio <= DRIFT_TARGET,
    },
    publishing: {
      published: tally.published,
      errors: tally.errors,
      maxBehind: tally.maxBehind,
      perSecond: tally.published / tally.seconds,
    },
    pollers: {
      ...check,
      catchUpMs,
      met:
        catchUpMs !== null &&
        check.lost === 0 &&
        check.duplicated === 0 &&
        check.unexpected === 0 &&
        check.outOfOrder === 0,
    },
    deliveries: {
      subscriptions: perSubscription,
      receiver: seen.subscriptions,
      settleMs: settle.ms,
      settled: settle.settled,
      ...deliveries,
      met: deliveries.missing === 0 && deliveries.pending === 0,
    },
  };
}

async function main(): Promise<void> {
  log('building if src/ is newer than dist/main.js');
  const build = ensureFreshBuild(ROOT);
  if (build.status === 'stale') {
    log(`WARNING: src/ does not compile now; measuring the existing dist/:\n${build.errors}`);
  }
  const database = await createBenchDatabase();
  let redis: RedisServer | undefined;
  let receiver: SoakReceiver | undefined;
  let server: ServerProcess | undefined;
  let dataSource: DataSource | undefined;
  const cleanUp = async () => {
    closeMetricsScraper();
    await server?.stop();
    await receiver?.stop();
    await dataSource?.destroy();
    if (redis) {
      await deleteQueueKeys(redis.url, QUEUE_PREFIX).catch(() => 0);
      await redis.stop();
    }
    await database.drop();
  };
  const disarm = cleanUpOnExit(cleanUp, {
    watchdogMs: WATCHDOG_MS,
    what: 'stopping the children and dropping the database',
    log,
  });
  let result: SoakBenchResult;
  try {
    // A Redis of the benchmark's own: every `node dist/main.js` uses the same Bull keys, so on the
    // shared Redis the worker would take (and lose) jobs of whatever else runs there.
    redis = await startRedisServer();
    receiver = await spawnSoakReceiver({
      failingSubscription: FAILING_SUBSCRIPTION,
      failEvery: FAIL_EVERY,
    });
    server = await spawnServerProcess({
      root: ROOT,
      entry: [join(ROOT, 'dist', 'main.js')],
      env: {
        DATABASE_URL: database.url,
        REDIS_URL: redis.url,
        HERALD_ADMIN_TOKEN: ADMIN_TOKEN,
        HERALD_ENCRYPTION_KEY: randomBytes(32).toString('hex'),
        HERALD_ALLOWED_DESTINATIONS: '127.0.0.0/8',
        HERALD_RETRY_SCHEDULE: RETRY_SCHEDULE.join(','),
        HERALD_FAST_RETRIES: String(RETRY_SCHEDULE.length),
        // The capacity pass publishes flat out, and pollers that find events at once are reads
        // answered at once: both limits stay on, out of reach.
        HERALD_RATE_LIMIT_PUBLISH: '1000000/1s',
        HERALD_RATE_LIMIT_READ: '1000000/1s',
        LOG_LEVEL: 'warn',
      },
    });
    log(`Herald: pid ${server.pid} on ${server.baseUrl}, database ${database.name}`);
    dataSource = await new DataSource({
      ...buildDataSourceOptions(database.url),
      extra: { max: 2 },
    }).initialize();
    result = await run({ server, receiver, dataSource, databaseName: database.name }, build.status);
  } finally {
    disarm();
    await cleanUp();
  }
  console.log(formatSoakReport(result));
  console.log(`BENCH_RESULT ${JSON.stringify(result)}`);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
