import { readFileSync } from 'node:fs';
import { cleanUpOnExit } from './clean-up-on-exit';
import { Agent } from 'node:http';
import { availableParallelism, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Client } from 'pg';
import { startCpuMeter } from './cpu-meter';
import { createBenchTenant } from './create-bench-tenant';
import { dropDatabase } from './drop-database';
import { ensureFreshBuild } from './ensure-fresh-build';
import {
  type LongPollBenchResult,
  type WakeRow,
  formatLongPollReport,
} from './format-longpoll-report';
import type { LongPollContext } from './long-poll-context';
import { type PollMemoryResult, measurePollMemory } from './measure-poll-memory';
import { type SustainedResult, measureSustainedPolling } from './measure-sustained-polling';
import { type WakeResult, measureWakeLatency } from './measure-wake-latency';
import { closeMetricsScraper, scrapeMetricTotal } from './scrape-metrics';
import { type ServerProcess, spawnServerProcess } from './spawn-server-process';

const ROOT = resolve(__dirname, '..');
const PG_SERVER = 'postgres://postgres@127.0.0.1:5432';
const DATABASE = `herald_bench_lp_${process.pid}`;
const ADMIN_TOKEN = 'bench-longpoll-admin-token-0123456789';
/**
 * No `worker`: with an empty subscription table it would do nothing here, but it would consume
 * jobs from Bull's default `herald` prefix, which another local Herald on this Redis may own.
 */
const SERVER_ROLES = 'api,sequencer';

const WAKE_KS = [100, 1_000, 5_000];
/** Herald's wake p99 at most this many times the bare node:http server's, at these K. */
const WAKE_TARGETS_VS_RAW = new Map([
  [1_000, 1.5],
  [5_000, 1.5],
]);
const ROUNDS = 3;
const WARMUP_K = 1_000;
const MEMORY_POLLS = 10_000;
/** Herald's RSS per idle held poll at most this many times the bare Nest-on-Fastify server's. */
const RSS_TARGET_VS_BARE_NEST = 1.25;
/** Herald's time to open and park MEMORY_POLLS polls at most this many times bare Nest's. */
const PARK_TARGET_VS_BARE_NEST = 2;
/** Postgres statements per wake (herald_longpoll_reads_total) at STATEMENTS_K waiters, at most. */
const STATEMENTS_K = 1_000;
const STATEMENTS_TARGET = 10;
const READS_METRIC = 'herald_longpoll_reads_total';
/** One tenant holds MEMORY_POLLS polls: the per-tenant cap is on, but above that. */
const MAX_POLLS_PER_TENANT = 20_000;
const SUSTAINED = { pollers: 20, publishers: 8, publishMs: 10_000, drainTimeoutMs: 15_000 };

/** A run normally takes about 3 minutes; past this something is stuck. */
const WATCHDOG_MS = 8 * 60_000;

/** Client sockets of the memory phase, plus headroom for everything else. */
const FDS_NEEDED = MEMORY_POLLS + 1_000;

/** The 1-minute load average: other work on the machine makes every figure here noisy. */
function loadAverage(): number {
  return Number(readFileSync('/proc/loadavg', 'utf8').split(' ')[0]);
}

function openFileLimit(): number {
  const limits = readFileSync('/proc/self/limits', 'utf8');
  const soft = /^Max open files\s+(\S+)/m.exec(limits)?.[1];
  return soft === undefined || soft === 'unlimited' ? Infinity : Number(soft);
}

async function postgresVersion(): Promise<string> {
  const client = new Client({ connectionString: `${PG_SERVER}/postgres` });
  await client.connect();
  try {
    const { rows } = await client.query<{ v: string }>(
      `SELECT current_setting('server_version') AS v`,
    );
    return `PostgreSQL ${rows[0]?.v ?? '?'}`;
  } finally {
    await client.end();
  }
}

interface Phases {
  wake: WakeResult[];
  /** herald_longpoll_reads_total over the rounds at STATEMENTS_K; null on a server without it. */
  statements: number | null;
  memory: PollMemoryResult;
}

/** Runs `measure` with a keep-alive agent and the context the measurements take. */
async function withContext<T>(
  server: ServerProcess,
  apiKey: string,
  measure: (context: LongPollContext) => Promise<T>,
): Promise<T> {
  const agent = new Agent({ keepAlive: true, maxSockets: SUSTAINED.publishers });
  try {
    return await measure({ baseUrl: server.baseUrl, pid: server.pid, apiKey, agent });
  } finally {
    agent.destroy();
  }
}

/** (b): memory per idle held poll. */
function measureMemory(server: ServerProcess, context: LongPollContext): Promise<PollMemoryResult> {
  log(`  (b) memory, ${MEMORY_POLLS} held polls`);
  return measurePollMemory(context, MEMORY_POLLS, () => server.collectGarbage());
}

function warmUp(context: LongPollContext): Promise<WakeResult> {
  log(`  warm-up: ${WARMUP_K} held polls`);
  return measureWakeLatency(context, WARMUP_K, 1);
}

/** (a) and (b) against one server: Herald's or a baseline's. */
function measureHeldPolls(server: ServerProcess, apiKey: string): Promise<Phases> {
  return withContext(server, apiKey, async (context) => {
    await warmUp(context);
    const wake: WakeResult[] = [];
    let statements: number | null = null;
    for (const k of WAKE_KS) {
      log(`  (a) wake latency, K = ${k}, ${ROUNDS} rounds`);
      const readsBefore = await scrapeMetricTotal(server.baseUrl, READS_METRIC);
      wake.push(await measureWakeLatency(context, k, ROUNDS));
      const readsAfter = await scrapeMetricTotal(server.baseUrl, READS_METRIC);
      if (k === STATEMENTS_K && readsBefore !== null && readsAfter !== null) {
        statements = readsAfter - readsBefore;
      }
    }
    return { wake, statements, memory: await measureMemory(server, context) };
  });
}

function measureSustained(server: ServerProcess, apiKey: string): Promise<SustainedResult> {
  return withContext(server, apiKey, (context) => {
    log(`  (c) sustained, ${SUSTAINED.publishMs / 1000} s of publishing`);
    return measureSustainedPolling(context, SUSTAINED);
  });
}

/** A baseline server of `bench/`, run through ts-node (it installs its own GC hook). */
function spawnBaselineServer(file: string): Promise<ServerProcess> {
  return spawnServerProcess({
    root: ROOT,
    entry: ['-r', 'ts-node/register/transpile-only', join(ROOT, 'bench', file)],
    gcHook: false,
  });
}

function compose(
  herald: Phases,
  raw: Phases,
  bare: Phases,
  sustained: SustainedResult,
  settings: LongPollBenchResult['settings'],
): LongPollBenchResult {
  const bareNest = bare.memory;
  const wake = herald.wake.map((row, index): WakeRow => {
    const target = WAKE_TARGETS_VS_RAW.get(row.k) ?? null;
    const rawRow = raw.wake[index];
    const p99VsRaw = row.latency.p99 / rawRow.latency.p99;
    return {
      ...row,
      raw: rawRow.latency,
      rawServerBusy: rawRow.serverBusy,
      rawClientBusy: rawRow.clientBusy,
      p99VsRaw,
      bareNest: bare.wake[index].latency,
      bareNestP99VsRaw: bare.wake[index].latency.p99 / rawRow.latency.p99,
      targetVsRaw: target,
      met: target === null ? null : row.wrong === 0 && p99VsRaw <= target,
    };
  });
  const { memory } = herald;
  const rssVsBareNest = memory.rssPerPoll / bareNest.rssPerPoll;
  const parkVsBareNest = memory.holdMs / bareNest.holdMs;
  const perWake = herald.statements === null ? null : herald.statements / ROUNDS;
  return {
    settings,
    wake,
    statements: {
      k: STATEMENTS_K,
      rounds: ROUNDS,
      total: herald.statements,
      perWake,
      target: STATEMENTS_TARGET,
      met: perWake !== null && perWake <= STATEMENTS_TARGET,
    },
    memory: {
      ...memory,
      raw: raw.memory,
      bareNest,
      rssVsBareNest,
      targetRssVsBareNest: RSS_TARGET_VS_BARE_NEST,
      met:
        memory.heldWaiters === MEMORY_POLLS &&
        bareNest.heldWaiters === MEMORY_POLLS &&
        memory.releaseMs !== null &&
        rssVsBareNest <= RSS_TARGET_VS_BARE_NEST,
      parkVsBareNest,
      targetParkVsBareNest: PARK_TARGET_VS_BARE_NEST,
      parkMet:
        memory.heldWaiters === MEMORY_POLLS &&
        bareNest.heldWaiters === MEMORY_POLLS &&
        parkVsBareNest <= PARK_TARGET_VS_BARE_NEST,
    },
    sustained: {
      ...sustained,
      met:
        sustained.published > 0 &&
        sustained.publishErrors === 0 &&
        sustained.lost === 0 &&
        sustained.duplicated === 0 &&
        sustained.unexpected === 0 &&
        sustained.outOfOrder === 0 &&
        sustained.allSameOrder,
    },
  };
}

const startedAt = performance.now();

function log(message: string): void {
  const seconds = ((performance.now() - startedAt) / 1000).toFixed(1).padStart(5);
  console.error(`[bench:longpoll ${seconds} s] ${message}`);
}

async function main(): Promise<void> {
  const limit = openFileLimit();
  if (limit < FDS_NEEDED) {
    throw new Error(`open-file limit ${limit} < ${FDS_NEEDED}: run it as npm run bench:longpoll`);
  }
  const profileDir = process.argv.includes('--cpu-prof')
    ? join(tmpdir(), `herald-longpoll-profile-${process.pid}`)
    : undefined;
  const nodeFlags = profileDir ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : [];
  log('building if src/ is newer than dist/main.js');
  const loadBefore = loadAverage();
  const build = ensureFreshBuild(ROOT);
  if (build.status === 'stale') {
    log(`WARNING: src/ does not compile now; measuring the existing dist/:\n${build.errors}`);
  }
  // A leftover of a crashed run with a recycled pid.
  await dropDatabase(PG_SERVER, DATABASE);
  let server: ServerProcess | undefined;
  const cleanUp = async () => {
    closeMetricsScraper();
    await server?.stop();
    await dropDatabase(PG_SERVER, DATABASE);
  };
  const disarm = cleanUpOnExit(cleanUp, {
    watchdogMs: WATCHDOG_MS,
    what: 'stopping the server and dropping the database',
    log,
  });
  let result: LongPollBenchResult;
  try {
    server = await spawnServerProcess({
      root: ROOT,
      entry: [join(ROOT, 'dist', 'main.js')],
      env: {
        DATABASE_URL: `${PG_SERVER}/${DATABASE}`,
        HERALD_ADMIN_TOKEN: ADMIN_TOKEN,
        HERALD_LONGPOLL_MAX_WAIT: '60s',
        // One tenant holds 10,000 polls and publishes flat out: limits on, but out of reach.
        HERALD_MAX_POLLS_PER_TENANT: String(MAX_POLLS_PER_TENANT),
        HERALD_RATE_LIMIT_PUBLISH: '1000000/1s',
        HERALD_RATE_LIMIT_READ: '1000000/1s',
        HERALD_ROLES: SERVER_ROLES,
        REDIS_URL: 'redis://127.0.0.1:6379',
      },
      nodeFlags,
    });
    log(`Herald: pid ${server.pid} on ${server.baseUrl}, database ${DATABASE}`);
    const tenant = await createBenchTenant(server.baseUrl, ADMIN_TOKEN);
    const heraldCpu = startCpuMeter();
    const herald = await measureHeldPolls(server, tenant.apiKey);
    const heraldCpuBusy = heraldCpu() ?? null;
    const sustained = await measureSustained(server, tenant.apiKey);
    await server.stop();
    server = await spawnBaselineServer('raw-poll-server.ts');
    log(`raw node:http baseline: pid ${server.pid} on ${server.baseUrl}`);
    const rawCpu = startCpuMeter();
    const raw = await measureHeldPolls(server, 'raw');
    const rawCpuBusy = rawCpu() ?? null;
    await server.stop();
    const bareServer = await spawnBaselineServer('bare-nest-poll-server.ts');
    server = bareServer;
    log(`bare Nest (Fastify) baseline: pid ${bareServer.pid} on ${bareServer.baseUrl}`);
    const bareCpu = startCpuMeter();
    const bareNest = await measureHeldPolls(bareServer, 'bare');
    const bareCpuBusy = bareCpu() ?? null;
    result = compose(herald, raw, bareNest, sustained, {
      cpus: availableParallelism(),
      node: process.version,
      postgres: await postgresVersion(),
      serverRoles: SERVER_ROLES,
      maxPollsPerTenant: MAX_POLLS_PER_TENANT,
      rounds: ROUNDS,
      build: build.status,
      machineCpuBusy: { herald: heraldCpuBusy, raw: rawCpuBusy, bareNest: bareCpuBusy },
      loadAverage: { before: loadBefore, after: loadAverage() },
      seconds: (performance.now() - startedAt) / 1000,
    });
  } finally {
    await cleanUp();
    disarm();
  }
  if (profileDir) log(`CPU profile of the Herald server written to ${profileDir}`);
  console.log(formatLongPollReport(result));
  console.log(`BENCH_RESULT ${JSON.stringify(result)}`);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
