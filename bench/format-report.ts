import { formatRow, met, percent, rate } from './report-cells';

/** An HTTP pass at a fixed request rate. */
export interface RatePass {
  requestedRate: number;
  /** 2xx answers per second actually served. */
  perSecond: number;
  p50: number;
  p99: number;
  non2xx: number;
  /** Busy share of all the machine's CPUs during the pass; null where it cannot be read. */
  cpuBusy: number | null;
  /** Served less than 90 % of the requested rate: the latencies are those of a full server. */
  saturated: boolean;
}

/** A server doing the raw insert behind HTTP and nothing else, driven like Herald. */
export interface HttpCeiling {
  perSecond: number;
  /** Of the raw insert rate. */
  ratio: number;
  p50: number;
  p99: number;
  cpuBusy: number | null;
}

/** Everything one run measured, as printed and as emitted on the `BENCH_RESULT` line. */
export interface BenchResult {
  settings: {
    concurrency: number;
    warmupMs: number;
    durationMs: number;
    cpus: number;
    postgres: string;
  };
  raw: { perSecond: number; cpuBusy: number | null };
  /** What HTTP alone leaves of the raw rate: plain node:http, and Nest on Fastify with one controller. */
  ceilings: { nodeHttp: HttpCeiling; nestFastify: HttpCeiling };
  inProcess: {
    perSecond: number;
    ratio: number;
    cpuBusy: number | null;
    target: number;
    met: boolean;
  };
  http: {
    perSecond: number;
    ratio: number;
    p50: number;
    p99: number;
    non2xx: number;
    cpuBusy: number | null;
    target: number;
    met: boolean;
    /** Of the bare Nest-on-Fastify ceiling's rate. */
    vsBareNest: number;
    targetVsBareNest: number;
    metVsBareNest: boolean;
  };
  /** HTTP at half of its own measured rate. */
  halfLoad: RatePass & { targetP99Ms: number; met: boolean };
  /** Unsequenced events left after each phase's drain wait; non-zero means the sequencer lagged. */
  sequencerBacklog: {
    afterInProcess: number;
    afterHttp: number;
    afterHalfLoad: number;
  };
}

const WIDTHS = [40, 9, 7, 7, 7, 5, 24, 4];

const row = (cells: string[]): string => formatRow(WIDTHS, cells);

function ms(value: number): string {
  return value.toFixed(1);
}

function ceilingRow(title: string, ceiling: HttpCeiling): string {
  return row([
    title,
    rate(ceiling.perSecond),
    percent(ceiling.ratio),
    ms(ceiling.p50),
    ms(ceiling.p99),
    percent(ceiling.cpuBusy),
    'ceiling',
  ]);
}

function rateLabel(title: string, pass: RatePass): string {
  const note = pass.saturated ? ', saturated' : '';
  return `${title} (${rate(pass.requestedRate)}/s${note})`;
}

/** The human-readable table: figures, ratios to the raw baseline, targets and whether each was met. */
export function formatReport(result: BenchResult): string {
  const { settings, raw, ceilings, inProcess, http, halfLoad } = result;
  const backlog = result.sequencerBacklog;
  return [
    `Herald publish benchmark: ${settings.concurrency} concurrent, ` +
      `${settings.durationMs / 1000} s after ${settings.warmupMs / 1000} s warm-up, ` +
      `${settings.cpus} CPUs, ${settings.postgres}`,
    '',
    row(['measurement', 'events/s', 'vs raw', 'p50 ms', 'p99 ms', 'CPU', 'target', 'met']),
    row(['raw pg INSERT (baseline)', rate(raw.perSecond), '100%', '', '', percent(raw.cpuBusy)]),
    ceilingRow('same INSERT behind bare node:http', ceilings.nodeHttp),
    ceilingRow('same INSERT behind bare Nest (Fastify)', ceilings.nestFastify),
    row([
      'in-process publish()',
      rate(inProcess.perSecond),
      percent(inProcess.ratio),
      '',
      '',
      percent(inProcess.cpuBusy),
      `>= ${percent(inProcess.target)} of raw`,
      met(inProcess.met),
    ]),
    row([
      'HTTP POST /v1/events',
      rate(http.perSecond),
      percent(http.ratio),
      ms(http.p50),
      ms(http.p99),
      percent(http.cpuBusy),
      `>= ${percent(http.target)} of raw`,
      met(http.met),
    ]),
    row([
      `  = ${percent(http.vsBareNest)} of bare Nest (Fastify)`,
      '',
      '',
      '',
      '',
      '',
      `>= ${percent(http.targetVsBareNest)} of bare Nest`,
      met(http.metVsBareNest),
    ]),
    row([
      rateLabel('HTTP at half its own rate', halfLoad),
      rate(halfLoad.perSecond),
      percent(halfLoad.perSecond / raw.perSecond),
      ms(halfLoad.p50),
      ms(halfLoad.p99),
      percent(halfLoad.cpuBusy),
      `p99 < ${halfLoad.targetP99Ms} ms`,
      met(halfLoad.met),
    ]),
    '',
    'CPU: busy share of all CPUs on the machine during the phase (Postgres, app, load generator, ' +
      'anything else).',
    'Ceilings: the raw INSERT behind HTTP with nothing of Herald (no auth, validation, idempotency, ' +
      "rate limit or logging), driven like HTTP POST /v1/events; a framework's share of the raw rate " +
      'bounds what any service on it can reach here.',
    `Sequencer backlog after each phase's drain: in-process ${backlog.afterInProcess}, ` +
      `HTTP ${backlog.afterHttp}, half its own rate ${backlog.afterHalfLoad}.`,
  ].join('\n');
}
