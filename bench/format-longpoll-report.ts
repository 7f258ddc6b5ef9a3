import type { PollMemoryResult } from './measure-poll-memory';
import type { SustainedResult } from './measure-sustained-polling';
import type { WakeResult } from './measure-wake-latency';
import type { LatencySummary } from './summarize-latencies';

/** A wake-latency row with the raw baseline's figures and its target, if it has one. */
export interface WakeRow extends WakeResult {
  raw: LatencySummary;
  rawServerBusy: number;
  rawClientBusy: number;
  p99VsRaw: number;
  /** The same against the bare Nest-on-Fastify server: the framework's own cost. */
  bareNest: LatencySummary;
  bareNestP99VsRaw: number;
  /** At most this many times the bare node:http server's p99 (null: no target at this K). */
  targetVsRaw: number | null;
  met: boolean | null;
}

/** Everything one run measured, as printed and as emitted on the `BENCH_RESULT` line. */
export interface LongPollBenchResult {
  settings: {
    cpus: number;
    node: string;
    postgres: string;
    serverRoles: string;
    /** HERALD_MAX_POLLS_PER_TENANT of the Herald server. */
    maxPollsPerTenant: number;
    rounds: number;
    /** `stale`: src/ did not compile, so the dist/ already there was measured. */
    build: 'up-to-date' | 'built' | 'stale';
    /** 1-minute load average before and after the run: above ~0.5 before, other work competed. */
    loadAverage: { before: number; after: number };
    /** Busy share of all CPUs while (a) and (b) ran against each server (null: no /proc/stat). */
    machineCpuBusy: { herald: number | null; raw: number | null; bareNest: number | null };
    seconds: number;
  };
  wake: WakeRow[];
  /** herald_longpoll_reads_total over the rounds of `k` waiters (harness's head reads included). */
  statements: {
    k: number;
    rounds: number;
    /** null: the server does not have the metric. */
    total: number | null;
    perWake: number | null;
    target: number;
    met: boolean;
  };
  memory: PollMemoryResult & {
    raw: PollMemoryResult;
    /** The same holding in a one-controller Nest app on Fastify: the fixed stack's own cost. */
    bareNest: PollMemoryResult;
    rssVsBareNest: number;
    targetRssVsBareNest: number;
    met: boolean;
    /** Time to open and park `count` polls, Herald's over bare Nest's. */
    parkVsBareNest: number;
    targetParkVsBareNest: number;
    parkMet: boolean;
  };
  sustained: SustainedResult & { met: boolean };
}

const KIB = 1024;
const READS = 'herald_longpoll_reads_total';
/** Load average above which other work was competing for the CPUs. */
const BUSY_LOAD = 0.5;
const MIB = 1024 * 1024;

function table(rows: string[][]): string[] {
  const widths = rows[0].map((_, column) => Math.max(...rows.map((row) => row[column].length)));
  return rows.map((row) =>
    row
      .map((cell, column) =>
        column === 0 ? cell.padEnd(widths[0]) : cell.padStart(widths[column]),
      )
      .join('  ')
      .trimEnd(),
  );
}

const ms = (value: number) => value.toFixed(1);
const mib = (bytes: number) => (bytes / MIB).toFixed(1);
const kib = (bytes: number) => (bytes / KIB).toFixed(2);
const percent = (share: number) => `${Math.round(share * 100)}%`;
const cpuShare = (share: number | null) => (share === null ? '?' : percent(share));
const yesNo = (value: boolean | null) => (value === null ? '' : value ? 'yes' : 'NO');

/** The human-readable report: figures, targets and whether each was met. */
export function formatLongPollReport(result: LongPollBenchResult): string {
  const { settings, wake, memory, sustained } = result;
  const wakeRows = table([
    [
      'held polls K',
      'samples',
      'min',
      'p50',
      'p99',
      'max',
      'p99 per round',
      'publish 201',
      'wrong',
      'CPU srv/cli',
      'raw p50',
      'raw p99',
      'p99 x raw',
      'Nest p99',
      'Nest x raw',
      'target',
      'met',
    ],
    ...wake.map((row) => [
      row.k.toLocaleString('en'),
      String(row.latency.count),
      ms(row.latency.min),
      ms(row.latency.p50),
      ms(row.latency.p99),
      ms(row.latency.max),
      row.roundP99.map(ms).join(' / '),
      ms(row.publishAck.p50),
      String(row.wrong),
      `${percent(row.serverBusy)}/${percent(row.clientBusy)}`,
      ms(row.raw.p50),
      `${ms(row.raw.p99)} (${percent(row.rawServerBusy)}/${percent(row.rawClientBusy)})`,
      row.p99VsRaw.toFixed(1),
      ms(row.bareNest.p99),
      row.bareNestP99VsRaw.toFixed(1),
      row.targetVsRaw === null ? '' : `<= ${row.targetVsRaw} x raw`,
      yesNo(row.met),
    ]),
  ]);
  const n = memory.count.toLocaleString('en');
  const memoryRows = table([
    ['server memory', 'RSS MiB', 'heap used MiB', 'external MiB', 'waiters', 'open conns'],
    ...(
      [
        ['Herald idle (after GC)', memory.before],
        [`Herald ${n} held`, memory.heldBeforeGc],
        [`Herald ${n} held (after GC)`, memory.held],
        ['Herald released (after GC)', memory.released],
        ['raw idle (after GC)', memory.raw.before],
        [`raw ${n} held (after GC)`, memory.raw.held],
        ['bare Nest (Fastify) idle (after GC)', memory.bareNest.before],
        [`bare Nest (Fastify) ${n} held (after GC)`, memory.bareNest.held],
      ] as const
    ).map(([label, sample]) => [
      label,
      mib(sample.rss),
      mib(sample.heapUsed),
      mib(sample.external),
      String(sample.waiters),
      String(sample.openConnections),
    ]),
  ]);
  const pollerRows = table([
    [
      'poller',
      'events',
      'events/s',
      'polls',
      'lost',
      'dup',
      'unexpected',
      'order',
      'same seq',
      'errors',
    ],
    ...sustained.pollers.map((poller, index) => [
      String(index),
      String(poller.received),
      poller.perSecond.toFixed(0),
      String(poller.polls),
      String(poller.lost),
      String(poller.duplicated),
      String(poller.unexpected),
      String(poller.outOfOrder),
      yesNo(poller.sameOrderAsFirst),
      String(poller.errors),
    ]),
  ]);
  const o = sustained.options;
  const wrongAnswers = wake.reduce((total, row) => total + row.wrong, 0);
  const integrityMet = sustained.met && wrongAnswers === 0;
  const times = (ratio: number) => `${ratio.toFixed(2)} x`;
  const targetRows = table([
    ['target', 'Herald', 'ceiling in this run', 'ratio', 'limit', 'met'],
    ...wake
      .filter((row) => row.targetVsRaw !== null)
      .map((row) => [
        `wake p99, ${row.k.toLocaleString('en')} waiters`,
        `${ms(row.latency.p99)} ms`,
        `node:http ${ms(row.raw.p99)} ms`,
        times(row.p99VsRaw),
        `<= ${row.targetVsRaw} x`,
        yesNo(row.met),
      ]),
    ...wake
      .filter((row) => row.targetVsRaw !== null)
      .map((row) => [
        `  bare Nest on Fastify itself`,
        `${ms(row.bareNest.p99)} ms`,
        `node:http ${ms(row.raw.p99)} ms`,
        times(row.bareNestP99VsRaw),
        `<= ${row.targetVsRaw} x`,
        row.targetVsRaw !== null && row.bareNestP99VsRaw > row.targetVsRaw
          ? 'out of reach on Nest here'
          : 'within reach',
      ]),
    [
      'RSS per idle held poll',
      `${kib(memory.rssPerPoll)} KiB`,
      `bare Nest ${kib(memory.bareNest.rssPerPoll)} KiB`,
      times(memory.rssVsBareNest),
      `<= ${memory.targetRssVsBareNest} x`,
      yesNo(memory.met),
    ],
    [
      `open and park ${n} polls`,
      `${(memory.holdMs / 1000).toFixed(1)} s`,
      `bare Nest ${(memory.bareNest.holdMs / 1000).toFixed(1)} s`,
      times(memory.parkVsBareNest),
      `<= ${memory.targetParkVsBareNest} x`,
      yesNo(memory.parkMet),
    ],
    [
      `statements per wake, ${result.statements.k.toLocaleString('en')} waiters`,
      result.statements.perWake === null ? 'not counted' : result.statements.perWake.toFixed(1),
      '',
      '',
      `<= ${result.statements.target}`,
      yesNo(result.statements.met),
    ],
    [
      'lost, duplicated, out of order',
      `${sustained.lost + sustained.unexpected} / ${sustained.duplicated} / ${sustained.outOfOrder}; ` +
        `${wrongAnswers} wrong wake answers`,
      '',
      '',
      '0',
      yesNo(integrityMet),
    ],
  ]);
  return [
    `Herald long-poll benchmark: ${settings.cpus} CPUs, node ${settings.node}, ${settings.postgres}; ` +
      `server = node dist/main.js in its own process (roles ${settings.serverRoles}, ` +
      `HERALD_MAX_POLLS_PER_TENANT=${settings.maxPollsPerTenant}); ` +
      `build ${settings.build}; ${settings.seconds.toFixed(0)} s; load average ` +
      `${settings.loadAverage.before.toFixed(2)} before, ${settings.loadAverage.after.toFixed(2)} after` +
      (settings.loadAverage.before > BUSY_LOAD
        ? ' (WARNING: the machine was busy before the run; figures are noisy)'
        : ''),
    '',
    `(a) Wake latency: publish (POST sent) to each held poll's answer, ms, ${settings.rounds} rounds ` +
      'per K; raw = the same against a bare node:http server (bench/raw-poll-server.ts), Nest = ' +
      'against a bare Nest-on-Fastify one (bench/bare-nest-poll-server.ts); ' +
      'CPU srv/cli = share of one CPU used by the server / by this client from publish to last answer',
    ...wakeRows,
    `All CPUs' busy share during (a) and (b): ${cpuShare(settings.machineCpuBusy.herald)} against ` +
      `Herald, ${cpuShare(settings.machineCpuBusy.raw)} against raw, ` +
      `${cpuShare(settings.machineCpuBusy.bareNest)} against bare Nest (Postgres, server, client, ` +
      'other work)',
    '',
    `(b) Memory per idle held poll (${memory.count.toLocaleString('en')} held, waiters gauge ` +
      `${memory.heldWaiters}; setup took ${(memory.holdMs / 1000).toFixed(1)} s)`,
    ...memoryRows,
    `Per held poll: RSS ${kib(memory.rssPerPoll)} KiB, V8 heap ${kib(memory.heapPerPoll)} KiB; ` +
      `raw node:http: RSS ${kib(memory.raw.rssPerPoll)} KiB, heap ${kib(memory.raw.heapPerPoll)} KiB ` +
      `(Herald ${(memory.rssPerPoll / memory.raw.rssPerPoll).toFixed(1)} x raw in RSS); bare Nest ` +
      `on Fastify (bench/bare-nest-poll-server.ts): RSS ${kib(memory.bareNest.rssPerPoll)} KiB, heap ` +
      `${kib(memory.bareNest.heapPerPoll)} KiB, ${memory.bareNest.heldWaiters} held, opened and ` +
      `parked in ${(memory.bareNest.holdMs / 1000).toFixed(1)} s`,
    `Aborted all: waiters gauge back to 0 in ` +
      `${memory.releaseMs === null ? 'NEVER (timeout)' : `${memory.releaseMs.toFixed(0)} ms`}`,
    '',
    `(c) Sustained: ${o.pollers} pollers following cursors (wait=30, limit=1000), ` +
      `${o.publishers} publishers for ${o.publishMs / 1000} s`,
    `published ${sustained.published} (${sustained.publishPerSecond.toFixed(0)}/s, ` +
      `${sustained.publishErrors} errors); delivered ${sustained.deliveredPerSecond.toFixed(0)} events/s ` +
      `in total, slowest poller ${sustained.minPollerPerSecond.toFixed(0)}/s; ` +
      `drained ${sustained.drainMs === null ? 'NOT within the timeout' : `${sustained.drainMs.toFixed(0)} ms after the last publish`}`,
    `POST-to-poller lag: p50 ${ms(sustained.lag.p50)} ms, p99 ${ms(sustained.lag.p99)} ms, ` +
      `max ${ms(sustained.lag.max)} ms; CPU while publishing: machine ` +
      `${sustained.machineCpuBusy === null ? '?' : `${Math.round(sustained.machineCpuBusy * 100)}%`}, ` +
      `server ${sustained.serverCpuCores.toFixed(2)} cores`,
    ...pollerRows,
    `lost ${sustained.lost}, duplicated ${sustained.duplicated}, unexpected ${sustained.unexpected}, ` +
      `out of order ${sustained.outOfOrder}, every poller the same sequence: ` +
      `${yesNo(sustained.allSameOrder)} -> ${sustained.met ? 'OK' : 'FAILED'}`,
    '',
    `Targets: Herald against the ceilings measured in this run (statements per wake: ` +
      `${READS} over ${result.statements.rounds} rounds, the harness's head read before each ` +
      `round included; lost = lost + unexpected events of (c))`,
    ...targetRows,
  ].join('\n');
}
