import { formatRow, met, percent, rate } from './report-cells';

/** Everything one webhook benchmark run measured, as printed and as emitted on `BENCH_RESULT`. */
export interface WebhooksBenchResult {
  settings: {
    /** Publisher loops of (1) and (b), request loops of (a). */
    concurrency: number;
    /** Of (a) and (2). */
    warmupMs: number;
    durationMs: number;
    /** (b) and (1) alternate this many times, each window `pairWarmupMs` + `pairDurationMs`. */
    pairs: number;
    pairWarmupMs: number;
    pairDurationMs: number;
    /** Rows baseline (b) claims at a time. */
    claimBatch: number;
    cpus: number;
    postgres: string;
    /** Busy share of all CPUs during a second before the run started: anything else running. */
    backgroundCpuBusy: number | null;
    /** Share of all CPUs that processes foreign to the benchmark used during it (a lower bound). */
    foreignCpuBusy: number | null;
  };
  /** (a) undici POSTs at `concurrency`, no database: the HTTP ceiling. */
  ceiling: { perSecond: number; cpuBusy: number | null };
  /** (b) the simplest correct outbox pipeline in plain pg and undici: its median pair's window. */
  rawOutbox: {
    perSecond: number;
    insertsPerSecond: number;
    ratioToCeiling: number;
    /** Rows not yet delivered when the window closed. */
    backlog: number;
    cpuBusy: number | null;
  };
  /** (1) Herald end to end: publish() in 8 loops to the receiver's 2xx: its median pair's window. */
  herald: {
    perSecond: number;
    publishedPerSecond: number;
    /** The median of the pairs' ratios, each (1) to the (b) just before it. */
    ratioToRawOutbox: number;
    ratioToCeiling: number;
    backlog: { pendingDeliveries: number; unsequencedEvents: number };
    cpuBusy: number | null;
    target: number;
    met: boolean;
    rawOutboxTarget: number;
    rawOutboxMet: boolean;
  };
  /** Every pair's deliveries per second, and (1)'s share of (b). */
  pairs: { rawOutbox: number; herald: number; ratio: number }[];
  /** How the last (1)'s backlog was cleared before (2). */
  settle: { delivered: boolean; cancelled: number; waitedMs: number };
  /** (2) publish-to-first-attempt latency at half of (1)'s rate. */
  latency: {
    requestedRate: number;
    publishedPerSecond: number;
    count: number;
    p50: number;
    /** Null when more than 1 % of the events never arrived. */
    p99: number | null;
    max: number | null;
    lost: number;
    cpuBusy: number | null;
    targetP99Ms: number;
    met: boolean;
  };
  /**
   * (3) (1)'s subscription alone, then beside one of the same tenant limited to `limit` a second
   * with a backlog, alternating `settings.pairs` times (windows as (1)'s), medians shown.
   */
  rateLimit: {
    limit: number;
    /** Events published for the limited subscription before each of its windows. */
    backlog: number;
    /** The unlimited subscription's deliveries a second alone, and beside the limited one. */
    alone: number;
    beside: number;
    /** The median of the pairs' ratios, each beside over the alone just before it. */
    ratio: number;
    target: number;
    met: boolean;
    /** The limited subscription's deliveries a second over its windows (median). */
    limitedPerSecond: number;
    /** The most of its arrivals in any second (995 ms, for clock granularity), over all windows. */
    limitedBusiestSecond: number;
    /** Whether that stayed within `limit`. */
    limitedMet: boolean;
    pairs: {
      alone: number;
      beside: number;
      ratio: number;
      limitedPerSecond: number;
      limitedBusiestSecond: number;
      limitedLeft: number;
    }[];
  };
}

const WIDTHS = [44, 8, 7, 7, 7, 7, 5, 15, 4];

const row = (cells: string[]): string => formatRow(WIDTHS, cells);

function ms(value: number | null): string {
  return value === null ? 'lost' : value.toFixed(1);
}

/** The human-readable table: figures, ratios to both baselines, targets and whether each was met. */
export function formatWebhooksReport(result: WebhooksBenchResult): string {
  const { settings, ceiling, rawOutbox, herald, pairs, settle, latency, rateLimit } = result;
  const settled = settle.delivered
    ? `delivered in ${(settle.waitedMs / 1000).toFixed(1)} s`
    : `${settle.cancelled} deliveries cancelled after waiting ${(settle.waitedMs / 1000).toFixed(1)} s`;
  return [
    `Herald webhook benchmark: ${settings.concurrency} publishers / connections; ` +
      `(a) and (2) ${settings.durationMs / 1000} s after ${settings.warmupMs / 1000} s warm-up; ` +
      `(b) and (1) alternate ${settings.pairs} times, ${settings.pairDurationMs / 1000} s after ` +
      `${settings.pairWarmupMs / 1000} s each, medians shown; ` +
      `(3) as (1), ${settings.pairs} times; ${settings.cpus} CPUs, ${settings.postgres}; ` +
      'the receivers (204 at once) run in child processes, one per subscription',
    '',
    row(['measurement', 'deliv/s', 'vs (b)', 'vs (a)', 'p50 ms', 'p99 ms', 'CPU', 'target', 'met']),
    row([
      `(a) undici POST, ${settings.concurrency} concurrent (HTTP ceiling)`,
      rate(ceiling.perSecond),
      '',
      '100%',
      '',
      '',
      percent(ceiling.cpuBusy),
    ]),
    row([
      `(b) raw outbox: pg + SKIP LOCKED ${settings.claimBatch} + undici`,
      rate(rawOutbox.perSecond),
      '100%',
      percent(rawOutbox.ratioToCeiling),
      '',
      '',
      percent(rawOutbox.cpuBusy),
    ]),
    row([
      '(1) Herald end to end, publish() to 2xx',
      rate(herald.perSecond),
      percent(herald.ratioToRawOutbox),
      percent(herald.ratioToCeiling),
      '',
      '',
      percent(herald.cpuBusy),
      `>= ${herald.target}/s`,
      met(herald.met),
    ]),
    row([
      '',
      '',
      '',
      '',
      '',
      '',
      '',
      `>= ${percent(herald.rawOutboxTarget)} of (b)`,
      met(herald.rawOutboxMet),
    ]),
    row([
      `(2) Herald publish to 1st attempt, ${rate(latency.requestedRate)}/s`,
      rate(latency.publishedPerSecond),
      '',
      '',
      ms(latency.p50),
      ms(latency.p99),
      percent(latency.cpuBusy),
      `p99 <= ${latency.targetP99Ms} ms`,
      met(latency.met),
    ]),
    row(["(3) (1)'s subscription alone", rate(rateLimit.alone), '', '', '', '', '']),
    row([
      `    beside one at ${rateLimit.limit}/s: ${percent(rateLimit.ratio)} of alone`,
      rate(rateLimit.beside),
      '',
      '',
      '',
      '',
      '',
      `>= ${percent(rateLimit.target)} alone`,
      met(rateLimit.met),
    ]),
    row([
      `    the limited one (busiest second ${rateLimit.limitedBusiestSecond})`,
      rate(rateLimit.limitedPerSecond),
      '',
      '',
      '',
      '',
      '',
      `<= ${rateLimit.limit} in 1 s`,
      met(rateLimit.limitedMet),
    ]),
    '',
    'deliv/s: 2xx answers per second counted by the receiver; row (2): publishes started per second.',
    `Pairs, (b) then (1): ${pairs
      .map((p) => `${rate(p.rawOutbox)} / ${rate(p.herald)} (${percent(p.ratio)})`)
      .join(', ')}; (1)'s "vs (b)" is the median of these ratios.`,
    'CPU: busy share of all CPUs on the machine (Postgres, Redis, this process, the receiver, anything else); ' +
      `before the run it was ${percent(settings.backgroundCpuBusy)} busy, and during it other ` +
      `processes used at least ${percent(settings.foreignCpuBusy)} (more than a few % skews every figure).`,
    `Published per second while measuring: (b) ${rate(rawOutbox.insertsPerSecond)}, ` +
      `(1) ${rate(herald.publishedPerSecond)}.`,
    `Backlog when the window closed: (b) ${rawOutbox.backlog} rows undelivered; ` +
      `(1) ${herald.backlog.pendingDeliveries} deliveries pending and ` +
      `${herald.backlog.unsequencedEvents} events not yet sequenced.`,
    `Between the last (1) and (2) the backlog was ${settled}.`,
    `(2): ${latency.count} events measured at half of (1)'s rate, ${latency.lost} lost ` +
      `(not delivered by the end of the settle time), max ${ms(latency.max)} ms.`,
    `(3) pairs, alone then beside (limited one: deliv/s, busiest second, left pending): ${rateLimit.pairs
      .map(
        (p) =>
          `${rate(p.alone)} / ${rate(p.beside)} (${percent(p.ratio)}; ` +
          `${rate(p.limitedPerSecond)}/s, ${p.limitedBusiestSecond}, ${p.limitedLeft})`,
      )
      .join(', ')}; the "% of alone" is the median of these ratios; the limited one had ` +
      `${rateLimit.backlog} events published in one transaction before each window, the rest ` +
      'cancelled after it.',
  ].join('\n');
}
