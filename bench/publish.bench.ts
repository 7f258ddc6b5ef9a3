import { Logger } from '@nestjs/common';
import { availableParallelism } from 'node:os';
import { DataSource } from 'typeorm';
import { runMigrations } from '../src/database/prepare-database';
import { NotificationPublisher } from '../src/notifications';
import { createBenchDatabase } from './bench-database';
import { startCpuMeter } from './cpu-meter';
import { createBenchTenant } from './create-bench-tenant';
import { type BenchResult, type HttpCeiling, type RatePass, formatReport } from './format-report';
import { type HttpPublishOptions, measureHttpPublish } from './measure-http-publish';
import { measureLoops } from './measure-loops';
import { measureRawInserts } from './measure-raw-inserts';
import { type BarePublishServerKind, startBarePublishServer } from './start-bare-publish-server';
import { BENCH_ADMIN_TOKEN, type BenchApp, startBenchApp } from './start-bench-app';
import { waitForSequencer } from './wait-for-sequencer';

// Six measured phases of warm-up + duration plus start-up keep the run near 70 s.
const CONCURRENCY = 8;
const WARMUP_MS = 1_000;
const DURATION_MS = 8_000;
const SEQUENCER_DRAIN_MS = 5_000;

const IN_PROCESS_TARGET = 0.7;
/** HTTP publish at least this share of the raw insert rate... */
const HTTP_TARGET = 0.25;
/** ...and at least this share of the bare Nest-on-Fastify controller doing the same insert. */
const HTTP_VS_BARE_NEST_TARGET = 0.6;
/** p99 under this at half of Herald's own HTTP rate. */
const HALF_LOAD_P99_TARGET_MS = 20;
/** Below this share of the requested rate, a rate-limited pass was really saturated. */
const SATURATED_BELOW = 0.9;

const PAYLOAD = { orderId: 'o_12345', amount: 4200, currency: 'EUR', lines: 3 };

interface HttpPass {
  perSecond: number;
  p50: number;
  p99: number;
  non2xx: number;
  cpuBusy: number | null;
}

/** A warm-up pass, then the measured pass; any non-2xx answer or error fails the run. */
async function runWarmedHttpPass(
  options: Omit<HttpPublishOptions, 'durationSeconds'>,
  label: string,
): Promise<HttpPass> {
  await measureHttpPublish({ ...options, durationSeconds: WARMUP_MS / 1000 });
  const cpu = startCpuMeter();
  const pass = await measureHttpPublish({ ...options, durationSeconds: DURATION_MS / 1000 });
  const cpuBusy = cpu() ?? null;
  if (pass.non2xx !== 0 || pass.errors !== 0) {
    throw new Error(`${label}: ${pass.non2xx} non-2xx answers and ${pass.errors} errors`);
  }
  return { perSecond: pass.perSecond, p50: pass.p50, p99: pass.p99, non2xx: 0, cpuBusy };
}

/** A warmed pass against Herald, then a wait for the sequencer to catch up. */
async function runHttpPass(
  options: Omit<HttpPublishOptions, 'durationSeconds'>,
  label: string,
  dataSource: DataSource,
): Promise<HttpPass & { backlog: number }> {
  const pass = await runWarmedHttpPass(options, label);
  return { ...pass, backlog: await waitForSequencer(dataSource, SEQUENCER_DRAIN_MS) };
}

/**
 * The same passes against a server that does the raw insert and nothing else: what the HTTP
 * layer alone leaves of the raw rate, on this machine, in this run.
 */
async function runCeilingPass(
  kind: BarePublishServerKind,
  databaseUrl: string,
  rawPerSecond: number,
): Promise<HttpCeiling> {
  const server = await startBarePublishServer(kind, databaseUrl);
  try {
    const options = {
      baseUrl: server.baseUrl,
      apiKey: 'unused',
      payload: PAYLOAD,
      connections: CONCURRENCY,
    };
    const { perSecond, p50, p99, cpuBusy } = await runWarmedHttpPass(options, `${kind} ceiling`);
    return { perSecond, ratio: perSecond / rawPerSecond, p50, p99, cpuBusy };
  } finally {
    await server.close();
  }
}

function ratePass(requestedRate: number, pass: HttpPass): RatePass {
  const { perSecond, p50, p99, non2xx, cpuBusy } = pass;
  const saturated = perSecond < requestedRate * SATURATED_BELOW;
  return { requestedRate, perSecond, p50, p99, non2xx, cpuBusy, saturated };
}

async function run(databaseUrl: string): Promise<BenchResult> {
  await runMigrations(databaseUrl);
  const rawCpu = startCpuMeter();
  const raw = await measureRawInserts({
    databaseUrl,
    concurrency: CONCURRENCY,
    warmupMs: WARMUP_MS,
    durationMs: DURATION_MS,
    payload: PAYLOAD,
  });
  const rawCpuBusy = rawCpu() ?? null;
  const ceilings = {
    nodeHttp: await runCeilingPass('node-http', databaseUrl, raw.perSecond),
    nestFastify: await runCeilingPass('nest-fastify', databaseUrl, raw.perSecond),
  };

  let bench: BenchApp | undefined;
  try {
    bench = await startBenchApp(databaseUrl);
    const dataSource = bench.app.get(DataSource);
    const [{ version }] = await dataSource.query<{ version: string }[]>(
      `SELECT 'PostgreSQL ' || current_setting('server_version') AS version`,
    );
    const tenant = await createBenchTenant(bench.baseUrl, BENCH_ADMIN_TOKEN);
    const publisher = bench.app.get(NotificationPublisher);

    const inProcessCpu = startCpuMeter();
    const inProcess = await measureLoops({
      concurrency: CONCURRENCY,
      warmupMs: WARMUP_MS,
      durationMs: DURATION_MS,
      operation: async () => {
        await publisher.publish({
          tenantId: tenant.tenantId,
          topic: 'bench.created',
          payload: PAYLOAD,
        });
      },
    });
    const inProcessCpuBusy = inProcessCpu() ?? null;
    const afterInProcess = await waitForSequencer(dataSource, SEQUENCER_DRAIN_MS);

    const httpOptions = {
      baseUrl: bench.baseUrl,
      apiKey: tenant.apiKey,
      payload: PAYLOAD,
      connections: CONCURRENCY,
    };
    const http = await runHttpPass(httpOptions, 'HTTP pass', dataSource);
    const halfHttpRate = Math.max(1, Math.round(http.perSecond / 2));
    const halfLoad = await runHttpPass(
      { ...httpOptions, overallRate: halfHttpRate },
      'half-load pass',
      dataSource,
    );

    const halfLoadPass = ratePass(halfHttpRate, halfLoad);
    const inProcessRatio = inProcess.perSecond / raw.perSecond;
    const httpRatio = http.perSecond / raw.perSecond;
    const httpVsBareNest = http.perSecond / ceilings.nestFastify.perSecond;
    return {
      settings: {
        concurrency: CONCURRENCY,
        warmupMs: WARMUP_MS,
        durationMs: DURATION_MS,
        cpus: availableParallelism(),
        postgres: version,
      },
      raw: { perSecond: raw.perSecond, cpuBusy: rawCpuBusy },
      ceilings,
      inProcess: {
        perSecond: inProcess.perSecond,
        ratio: inProcessRatio,
        cpuBusy: inProcessCpuBusy,
        target: IN_PROCESS_TARGET,
        met: inProcessRatio >= IN_PROCESS_TARGET,
      },
      http: {
        perSecond: http.perSecond,
        ratio: httpRatio,
        p50: http.p50,
        p99: http.p99,
        non2xx: http.non2xx,
        cpuBusy: http.cpuBusy,
        target: HTTP_TARGET,
        met: httpRatio >= HTTP_TARGET,
        vsBareNest: httpVsBareNest,
        targetVsBareNest: HTTP_VS_BARE_NEST_TARGET,
        metVsBareNest: httpVsBareNest >= HTTP_VS_BARE_NEST_TARGET,
      },
      halfLoad: {
        ...halfLoadPass,
        targetP99Ms: HALF_LOAD_P99_TARGET_MS,
        // A server that could not keep up with the rate was not tested at half load.
        met: !halfLoadPass.saturated && halfLoadPass.p99 < HALF_LOAD_P99_TARGET_MS,
      },
      sequencerBacklog: {
        afterInProcess,
        afterHttp: http.backlog,
        afterHalfLoad: halfLoad.backlog,
      },
    };
  } finally {
    await bench?.close();
  }
}

async function main(): Promise<void> {
  // Migration and Nest start-up chatter would bury the table.
  Logger.overrideLogger(['error', 'warn']);
  const database = await createBenchDatabase();
  let result: BenchResult;
  try {
    result = await run(database.url);
  } finally {
    await database.drop();
  }
  console.log(formatReport(result));
  console.log(`BENCH_RESULT ${JSON.stringify(result)}`);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
