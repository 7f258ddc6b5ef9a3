import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { Agent } from 'node:http';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { Client } from 'pg';
import { countWaiters } from './count-waiters';
import { createBenchTenant } from './create-bench-tenant';
import { dropDatabase } from './drop-database';
import { ensureFreshBuild } from './ensure-fresh-build';
import type { LongPollContext } from './long-poll-context';
import { openPolls } from './open-polls';
import { publishEvent } from './publish-event';
import { readHead } from './read-head';
import { readProcessStats } from './read-process-stats';
import { closeMetricsScraper } from './scrape-metrics';
import { spawnServerProcess, type ServerProcess } from './spawn-server-process';
import { measureWakeLatency, type WakeResult } from './measure-wake-latency';
import { waitForWaiters } from './wait-for-waiters';

/**
 * Where a held poll's bytes and a wake's time go: heap snapshots of the Herald server idle and
 * holding `--polls` polls (retained bytes by constructor, per poll), a CPU profile of `--park`
 * idle polls opened and parked (as bench:longpoll's memory phase does) and of `--rounds` wakes of
 * `--k` waiters (self time by function and by package, each window only), and the Postgres statements
 * each wake costs: the listener's read and the K re-polls at the new head, by
 * `herald_longpoll_reads_total` when the server has it and by the database's transaction count
 * (which also counts the harness's `/metrics` scrapes). Then the wake latency of K waiters, Herald
 * against the bare `node:http` server (`bench/raw-poll-server.ts`) in the same run.
 *
 *   npx ts-node --transpile-only bench/profile-held-polls.ts --polls 2000 --park 10000 --k 1000 --rounds 3
 */
const ROOT = resolve(__dirname, '..');
const PG_SERVER = 'postgres://postgres@127.0.0.1:5432';
const DATABASE = `herald_bench_profile_${process.pid}`;
const ADMIN_TOKEN = 'bench-profile-admin-token-0123456789';
const SNAPSHOT_SIGNAL = 'SIGTTIN';

function option(name: string, fallback: number): number {
  const index = process.argv.indexOf(`--${name}`);
  return index === -1 ? fallback : Number(process.argv[index + 1]);
}

interface HeapSnapshot {
  snapshot: {
    meta: {
      node_fields: string[];
      node_types: [string[]];
      edge_fields: string[];
      edge_types: [string[]];
    };
  };
  nodes: number[];
  edges: number[];
  strings: string[];
}

/** Nodes whose own name says little: they are counted under what holds them instead. */
const ANONYMOUS =
  /^(array|hidden|number|string|concatenated string|object shape|code):|^closure:$|^object:(system \/ Context|Object|Array)$/;

/**
 * Self bytes and node counts over every node of a heap snapshot, by `type:name`, and by what
 * holds them: an array, property store, context, number or string is counted as `← owner.edge`,
 * the first object holding it by a strong edge, so the bytes land on the object they belong to.
 */
function bytesByConstructor(file: string): {
  byName: Map<string, [number, number]>;
  byOwner: Map<string, [number, number]>;
} {
  const heap = JSON.parse(readFileSync(file, 'utf8')) as HeapSnapshot;
  const { node_fields: fields, node_types, edge_fields, edge_types } = heap.snapshot.meta;
  const types = node_types[0];
  const [typeAt, nameAt, sizeAt, edgeCountAt] = ['type', 'name', 'self_size', 'edge_count'].map(
    (f) => fields.indexOf(f),
  );
  const [edgeTypeAt, edgeNameAt, toAt] = ['type', 'name_or_index', 'to_node'].map((f) =>
    edge_fields.indexOf(f),
  );
  const nodeName = (i: number) => {
    const type = types[heap.nodes[i + typeAt]];
    const raw = heap.strings[heap.nodes[i + nameAt]];
    const name = type === 'string' || type === 'concatenated string' ? '(strings)' : raw;
    return `${type}:${name.slice(0, 60)}`;
  };
  // The first strong retainer of each node, as "owner.edge".
  const owner = new Map<number, string>();
  for (let i = 0, edge = 0; i < heap.nodes.length; i += fields.length) {
    const ownerName = nodeName(i);
    for (let e = 0; e < heap.nodes[i + edgeCountAt]; e++, edge += edge_fields.length) {
      const edgeType = edge_types[0][heap.edges[edge + edgeTypeAt]];
      const to = heap.edges[edge + toAt];
      if (edgeType === 'weak' || edgeType === 'shortcut' || owner.has(to)) continue;
      const label =
        edgeType === 'element' || edgeType === 'hidden'
          ? '[]'
          : String(heap.strings[heap.edges[edge + edgeNameAt]] ?? '').slice(0, 40);
      owner.set(to, `${ownerName}.${label}`);
    }
  }
  const byName = new Map<string, [number, number]>();
  const byOwner = new Map<string, [number, number]>();
  const add = (totals: Map<string, [number, number]>, key: string, size: number) => {
    const [bytes, count] = totals.get(key) ?? [0, 0];
    totals.set(key, [bytes + size, count + 1]);
  };
  for (let i = 0; i < heap.nodes.length; i += fields.length) {
    const key = nodeName(i);
    const size = heap.nodes[i + sizeAt];
    add(byName, key, size);
    add(byOwner, ANONYMOUS.test(key) ? `${key} ← ${owner.get(i) ?? '?'}` : key, size);
  }
  return { byName, byOwner };
}

async function takeSnapshot(server: ServerProcess, dir: string): Promise<string> {
  const before = new Set(readdirSync(dir));
  server.collectGarbage();
  await delay(500);
  process.kill(server.pid, SNAPSHOT_SIGNAL);
  for (;;) {
    await delay(500);
    const file = readdirSync(dir).find((f) => f.endsWith('.heapsnapshot') && !before.has(f));
    // Written in one go once complete; wait until its size stops changing.
    if (file) {
      const path = join(dir, file);
      let size = -1;
      for (;;) {
        await delay(1000);
        const text = readFileSync(path);
        // Past the server's keep-alive timeout, so no client reuses a socket it closed meanwhile.
        if (text.length === size) return delay(6000).then(() => path);
        size = text.length;
      }
    }
  }
}

interface CpuProfile {
  nodes: { id: number; callFrame: { functionName: string; url: string; lineNumber: number } }[];
  startTime: number;
  samples: number[];
  timeDeltas: number[];
}

/** Self time (µs) by function over the samples taken inside the windows (µs, monotonic). */
function selfTimeIn(file: string, windows: [number, number][]): Map<string, number> {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  const names = new Map(
    profile.nodes.map(({ id, callFrame: { functionName, url, lineNumber } }) => {
      const where = url.replace(/^.*node_modules\//, '').replace(/^.*\/dist\//, 'dist/');
      return [id, `${functionName || '(anonymous)'} ${where}:${lineNumber + 1}`];
    }),
  );
  const totals = new Map<string, number>();
  let time = profile.startTime;
  profile.samples.forEach((node, index) => {
    const delta = profile.timeDeltas[index] ?? 0;
    time += delta;
    if (!windows.some(([from, to]) => time >= from && time <= to)) return;
    const name = names.get(node) ?? '?';
    totals.set(name, (totals.get(name) ?? 0) + delta);
  });
  return totals;
}

/** Where a function comes from: its package, Herald's folder, Node's module, or V8's tag. */
function packageOf(key: string): string {
  const where = key.slice(key.lastIndexOf(' ') + 1).replace(/:\d+$/, '');
  if (where === '') return key.split(' ')[0];
  const scoped = /^(@[^/]+\/[^/]+|[^/]+)\//.exec(where);
  if (where.startsWith('dist/')) return where.slice(0, where.lastIndexOf('/'));
  if (where.startsWith('node:')) return 'node (JS)';
  return scoped ? scoped[1] : where;
}

function byPackage(self: Map<string, number>): Map<string, number> {
  const totals = new Map<string, number>();
  for (const [key, value] of self) {
    const name = packageOf(key);
    totals.set(name, (totals.get(name) ?? 0) + value);
  }
  return totals;
}

function top(
  map: Map<string, number>,
  n: number,
  scale: (value: number, key: string) => string,
): string[] {
  return [...map.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, n)
    .map(([key, value]) => `  ${scale(value, key).padStart(18)}  ${key}`);
}

async function transactions(): Promise<number> {
  const client = new Client({ connectionString: `${PG_SERVER}/postgres` });
  await client.connect();
  try {
    const { rows } = await client.query<{ n: string }>(
      'SELECT xact_commit + xact_rollback AS n FROM pg_stat_database WHERE datname = $1',
      [DATABASE],
    );
    return Number(rows[0]?.n ?? 0);
  } finally {
    await client.end();
  }
}

/** `herald_longpoll_reads_total` by its `read` label; empty on a server without it. */
async function longPollReads(baseUrl: string): Promise<Map<string, number>> {
  const text = await (await fetch(`${baseUrl}/metrics`)).text();
  const reads = new Map<string, number>();
  for (const match of text.matchAll(/^herald_longpoll_reads_total\{read="(\w+)"\} (\S+)$/gm))
    reads.set(match[1], Number(match[2]));
  return reads;
}

function readsSince(before: Map<string, number>, after: Map<string, number>): string {
  if (after.size === 0) return 'not counted by this build';
  return [...after]
    .map(([read, value]) => `${read} +${value - (before.get(read) ?? 0)}`)
    .join(', ');
}

const monotonicMicros = () => Number(process.hrtime.bigint() / 1000n);

async function main(): Promise<void> {
  const polls = option('polls', 2000);
  const k = option('k', 1000);
  const park = option('park', 10000);
  const rounds = option('rounds', 3);
  const dir = mkdtempSync(join(tmpdir(), 'herald-profile-'));
  ensureFreshBuild(ROOT);
  await dropDatabase(PG_SERVER, DATABASE);
  const server = await spawnServerProcess({
    root: ROOT,
    entry: [join(ROOT, 'dist', 'main.js')],
    env: {
      DATABASE_URL: `${PG_SERVER}/${DATABASE}`,
      HERALD_ADMIN_TOKEN: ADMIN_TOKEN,
      HERALD_MAX_POLLS_PER_TENANT: '100000',
      HERALD_RATE_LIMIT_PUBLISH: '1000000/1s',
      HERALD_RATE_LIMIT_READ: '1000000/1s',
      HERALD_ROLES: 'api,sequencer',
      LOG_LEVEL: 'warn',
    },
    nodeFlags: [
      `--heapsnapshot-signal=${SNAPSHOT_SIGNAL}`,
      `--diagnostic-dir=${dir}`,
      '--cpu-prof',
      `--cpu-prof-dir=${dir}`,
    ],
  });
  const agent = new Agent({ keepAlive: true, maxSockets: 8 });
  const context: LongPollContext = {
    baseUrl: server.baseUrl,
    pid: server.pid,
    apiKey: (await createBenchTenant(server.baseUrl, ADMIN_TOKEN)).apiKey,
    agent,
  };
  const parkWindows: [number, number][] = [];
  let parkCpuMs = 0;
  let parkMs = 0;
  const openWindows: [number, number][] = [];
  const wakeWindows: [number, number][] = [];
  const statements: {
    reads: string;
    transactions: number;
    openCpuMs: number;
    wakeCpuMs: number;
  }[] = [];
  const cpuMs = () => readProcessStats(server.pid).cpuTicks * 10;
  try {
    // Heap: idle, then holding `polls` polls at the head.
    const idle = await takeSnapshot(server, dir);
    const pollAgent = new Agent({ keepAlive: true, maxSockets: Infinity });
    const held = await openPolls({
      baseUrl: context.baseUrl,
      token: context.apiKey,
      agent: pollAgent,
      count: polls,
      query: `after=${await readHead(context)}&wait=60`,
      registered: () => countWaiters(context.baseUrl),
    });
    await waitForWaiters(context.baseUrl, context.pid, polls, 60_000);
    const holding = await takeSnapshot(server, dir);
    for (const poll of held) {
      poll.answer.catch(() => undefined);
      poll.abort();
    }
    pollAgent.destroy();
    // Sockets idle through the snapshot may have been closed under the scraper: retry once.
    await waitForWaiters(context.baseUrl, context.pid, 0, 60_000).catch(() =>
      waitForWaiters(context.baseUrl, context.pid, 0, 60_000),
    );

    // Park: `park` idle polls opened at the head until the server is quiet, then aborted.
    if (park > 0) {
      const parkAgent = new Agent({ keepAlive: true, maxSockets: Infinity });
      const from = monotonicMicros();
      const cpuAtOpen = cpuMs();
      const parked = await openPolls({
        baseUrl: context.baseUrl,
        token: context.apiKey,
        agent: parkAgent,
        count: park,
        query: `after=${await readHead(context)}&wait=60`,
        registered: () => countWaiters(context.baseUrl),
      });
      await waitForWaiters(context.baseUrl, context.pid, park, 60_000);
      parkMs = (monotonicMicros() - from) / 1000;
      parkCpuMs = cpuMs() - cpuAtOpen;
      parkWindows.push([from, monotonicMicros()]);
      for (const poll of parked) poll.abort();
      parkAgent.destroy();
      await waitForWaiters(context.baseUrl, context.pid, 0, 60_000);
    }

    // Wakes: K polls at the head, one publish; then the K polls again at the new head.
    let cursor = await readHead(context);
    for (let round = 0; round <= rounds; round++) {
      const roundAgent = new Agent({ keepAlive: true, maxSockets: Infinity });
      const reads = await longPollReads(context.baseUrl);
      const txBefore = await transactions();
      const from = monotonicMicros();
      const cpuAtOpen = cpuMs();
      const waiting = await openPolls({
        baseUrl: context.baseUrl,
        token: context.apiKey,
        agent: roundAgent,
        count: k,
        query: `after=${cursor}&wait=60`,
        registered: () => countWaiters(context.baseUrl),
      });
      await waitForWaiters(context.baseUrl, context.pid, k, 60_000);
      const published = monotonicMicros();
      const cpuAtPublish = cpuMs();
      await publishEvent(context, 'bench.wake', { round });
      const answers = await Promise.all(waiting.map((poll) => poll.answer));
      const to = monotonicMicros();
      const cpuAtEnd = cpuMs();
      cursor = answers[0]?.body?.nextCursor ?? cursor;
      // Round 0 starts from the head read above: a warm-up, not counted.
      if (round > 0) {
        openWindows.push([from, published]);
        wakeWindows.push([published, to]);
        statements.push({
          reads: readsSince(reads, await longPollReads(context.baseUrl)),
          transactions: (await transactions()) - txBefore,
          openCpuMs: cpuAtPublish - cpuAtOpen,
          wakeCpuMs: cpuAtEnd - cpuAtPublish,
        });
      }
      roundAgent.destroy();
    }
    const heraldWake = await measureWakeLatency(context, k, rounds);
    await server.stop();
    const profile = readdirSync(dir).find((f) => f.endsWith('.cpuprofile'));
    const raw = await spawnServerProcess({
      root: ROOT,
      entry: ['-r', 'ts-node/register/transpile-only', join(ROOT, 'bench', 'raw-poll-server.ts')],
      gcHook: false,
    });
    let rawWake: WakeResult;
    try {
      rawWake = await measureWakeLatency(
        { ...context, baseUrl: raw.baseUrl, pid: raw.pid },
        k,
        rounds,
      );
    } finally {
      await raw.stop();
    }

    const idleBytes = bytesByConstructor(idle);
    const heldBytes = bytesByConstructor(holding);
    for (const grouping of ['byName', 'byOwner'] as const) {
      const perPoll = new Map<string, number>();
      const countPerPoll = new Map<string, number>();
      for (const [key, [bytes, count]] of heldBytes[grouping]) {
        const [idleBytesOf, idleCount] = idleBytes[grouping].get(key) ?? [0, 0];
        perPoll.set(key, (bytes - idleBytesOf) / polls);
        countPerPoll.set(key, (count - idleCount) / polls);
      }
      const total = [...perPoll.values()].reduce((sum, value) => sum + value, 0);
      console.log(
        `Heap per held poll (${polls} held, snapshot diff), ` +
          `${grouping === 'byName' ? 'by constructor' : 'by what holds it'}: ` +
          `${(total / 1024).toFixed(1)} KiB`,
      );
      console.log(
        top(
          perPoll,
          grouping === 'byName' ? 40 : 60,
          (bytes, key) => `${bytes.toFixed(0)} B ×${(countPerPoll.get(key) ?? 0).toFixed(1)}`,
        ).join('\n'),
      );
    }
    if (park > 0) {
      console.log(
        `\n${park} polls opened and parked: ${(parkMs / 1000).toFixed(1)} s to a quiet server, ` +
          `${(parkCpuMs / 1000).toFixed(1)} s of server CPU`,
      );
    }
    for (const [phase, windows, times] of [
      [`${park} polls opened and parked, once`, parkWindows, 1],
      [`K = ${k} polls opened at the head, per round`, openWindows, rounds],
      [`publish to the last of K = ${k} answers, per round`, wakeWindows, rounds],
    ] as const) {
      if (!profile || windows.length === 0) continue;
      const self = selfTimeIn(join(dir, profile), windows);
      const idleTime = self.get('(idle) :0') ?? 0;
      const busy = [...self.values()].reduce((sum, value) => sum + value, 0) - idleTime;
      console.log(
        `\nCPU, ${phase}: ${(busy / 1000 / times).toFixed(0)} ms busy ` +
          `(${(idleTime / 1000 / times).toFixed(0)} ms idle); self time, share of busy:`,
      );
      self.delete('(idle) :0');
      const share = (us: number) => `${((us / busy) * 100).toFixed(1)} %`;
      console.log(top(self, 25, share).join('\n'));
      console.log('  by package or folder:');
      console.log(top(byPackage(self), 15, share).join('\n'));
    }
    console.log(`\nPostgres per round (K = ${k} re-polls at the head + 1 wake):`);
    for (const row of statements)
      console.log(
        `  herald_longpoll_reads_total: ${row.reads}; transactions +${row.transactions}; ` +
          `server CPU ${row.openCpuMs} ms opening, ${row.wakeCpuMs} ms publish to last answer`,
      );
    console.log(`\nWake of K = ${k}, ${rounds} rounds, Herald against bare node:http in this run:`);
    for (const [name, wake] of [
      ['Herald', heraldWake],
      ['node:http', rawWake],
    ] as const) {
      console.log(
        `  ${name.padEnd(9)} p50 ${wake.latency.p50.toFixed(0)} ms, p99 ${wake.latency.p99.toFixed(0)} ms, ` +
          `server busy ${(wake.serverBusy * 100).toFixed(0)} % of the fan-out, ${wake.wrong} wrong`,
      );
    }
    console.log(`  p99 ratio ${(heraldWake.latency.p99 / rawWake.latency.p99).toFixed(2)}`);
    console.log(
      `\nload average ${readFileSync('/proc/loadavg', 'utf8').split(' ')[0]}; files in ${dir}`,
    );
  } catch (error) {
    console.error(server.outputTail());
    throw error;
  } finally {
    agent.destroy();
    closeMetricsScraper();
    await server.stop();
    await dropDatabase(PG_SERVER, DATABASE);
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
