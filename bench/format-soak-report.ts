import type { FollowerCheck } from './check-followers';
import type { SubscriptionDeliveries } from './count-deliveries';
import { formatRow, met, percent, rate } from './report-cells';
import type { SoakSubscriptionCounts } from './soak-receiver-messages';
import type { LatencySummary } from './summarize-latencies';

/** One minute of the soak. */
export interface SoakMinute {
  /** 1-based. */
  minute: number;
  /** Publishes answered 201 per second in this minute. */
  publishedPerSecond: number;
  /** Webhook attempts the service finished per second in this minute (herald_deliveries_total). */
  attemptsPerSecond: number;
  /**
   * Times a subscription with a delivery ready waited because the tenant had every webhook slot
   * its cap allows (herald_delivery_tenant_cap_waits_total), in this minute.
   */
  tenantCapWaits: number;
  /** The service's memory at the end of the minute, after a full collection. */
  rssBytes: number;
  heapUsedBytes: number | null;
  /** Event created to poll answer received, for the events created in this minute, ms. */
  wake: LatencySummary;
  /** Event created to its first attempt's arrival at the receiver, same events, ms. */
  firstAttempt: LatencySummary;
  /** Cores the service process used (1 = one core busy the whole minute). */
  serviceCores: number;
  /** Cores the benchmark's own processes used: this one (publisher, pollers) and the receiver. */
  benchCores: number;
  /** Busy share of all the machine's CPUs. */
  machineCpuBusy: number | null;
  /**
   * Share of all CPUs used by processes that are neither the benchmark's, the service's, nor
   * Postgres's or Redis's (a lower bound; see `startForeignCpuMeter`).
   */
  foreignCpuBusy: number | null;
}

/** Whether a p99 drifted up: the median p99 of the later minutes over that of the earlier ones. */
export interface Drift {
  /** Null with fewer than two minutes after warm-up. */
  ratio: number | null;
  target: number;
  met: boolean;
}

/** Everything one soak measured, as printed and as emitted on `BENCH_RESULT`. */
export interface SoakBenchResult {
  settings: {
    minutes: number;
    /** Minutes left out of the memory spread and the drift. */
    warmupMinutes: number;
    pollers: number;
    topics: number;
    subscriptions: number;
    failEvery: number;
    retrySchedule: string;
    maxPollsPerTenant: string;
    pollWaitSeconds: number;
    cpus: number;
    node: string;
    postgres: string;
    build: string;
    loadAverage: { before: number; after: number };
    seconds: number;
  };
  /** The flat-out HTTP publish pass before the soak, and the rate the soak held (half of it). */
  capacity: { perSecond: number; p50: number; p99: number; rate: number };
  minutes: SoakMinute[];
  memory: {
    /** (max - min) / min over the minutes after warm-up. */
    rssSpread: number | null;
    heapSpread: number | null;
    target: number;
    rssMet: boolean;
    heapMet: boolean;
  };
  wakeDrift: Drift;
  firstAttemptDrift: Drift;
  publishing: { published: number; errors: number; maxBehind: number; perSecond: number };
  pollers: FollowerCheck & { catchUpMs: number | null; met: boolean };
  deliveries: {
    subscriptions: SubscriptionDeliveries[];
    /** What the receiver counted on each subscription's path, in the same order. */
    receiver: SoakSubscriptionCounts[];
    settleMs: number;
    settled: boolean;
    expected: number;
    succeeded: number;
    failed: number;
    pending: number;
    missing: number;
    met: boolean;
  };
}

const WIDTHS = [6, 10, 10, 10, 8, 8, 13, 13, 8, 6, 8, 7];
const row = (cells: string[]): string => formatRow(WIDTHS, cells);

function mib(bytes: number | null): string {
  return bytes === null ? '?' : (bytes / 1024 / 1024).toFixed(1);
}

function p50p99(summary: LatencySummary): string {
  return summary.count === 0 ? '-' : `${Math.round(summary.p50)} / ${Math.round(summary.p99)}`;
}

function ratio(value: number | null): string {
  return value === null ? 'n/a' : `${value.toFixed(2)} ×`;
}

function count(value: number): string {
  return value.toLocaleString('en-US');
}

/** The human-readable report: a row per minute, then each target and whether it was met. */
export function formatSoakReport(result: SoakBenchResult): string {
  const { settings, capacity, minutes, memory, publishing, pollers, deliveries } = result;
  const after = `after minute ${settings.warmupMinutes}`;
  const targets: [string, string, string, string][] = [
    [
      `RSS spread ${after}`,
      percent(memory.rssSpread),
      `<= ${percent(memory.target)}`,
      met(memory.rssMet),
    ],
    [
      `heap used spread ${after}`,
      percent(memory.heapSpread),
      `<= ${percent(memory.target)}`,
      met(memory.heapMet),
    ],
    [
      'wake p99, later minutes / earlier',
      ratio(result.wakeDrift.ratio),
      `<= ${result.wakeDrift.target} ×`,
      result.wakeDrift.ratio === null ? 'n/a' : met(result.wakeDrift.met),
    ],
    [
      'first-attempt p99, later minutes / earlier',
      ratio(result.firstAttemptDrift.ratio),
      `<= ${result.firstAttemptDrift.target} ×`,
      result.firstAttemptDrift.ratio === null ? 'n/a' : met(result.firstAttemptDrift.met),
    ],
    [
      'pollers: lost, duplicated, out of order',
      `${pollers.lost}, ${pollers.duplicated}, ${pollers.outOfOrder}`,
      '0, 0, 0',
      met(pollers.met),
    ],
    [
      'deliveries missing, still pending',
      `${deliveries.missing}, ${deliveries.pending}`,
      '0, 0',
      met(deliveries.met),
    ],
  ];
  const targetWidths = [44, 12, 10, 4];
  return [
    `Herald soak: ${settings.minutes} min of mixed load against node dist/main.js ` +
      `(LOG_LEVEL=warn, every role); ${settings.cpus} CPUs, ${settings.postgres}, Node ${settings.node}; ` +
      `load average ${settings.loadAverage.before} before, ${settings.loadAverage.after} after`,
    `- publishes: ${rate(capacity.rate)}/s paced, half of the ${rate(capacity.perSecond)}/s ` +
      `(p50 ${capacity.p50} ms, p99 ${capacity.p99} ms) HTTP publish reached flat out before the soak`,
    `- ${count(settings.pollers)} long polls following their cursors, ${settings.topics} topics ` +
      `(${settings.pollers / settings.topics} pollers each), wait=${settings.pollWaitSeconds}, ` +
      `HERALD_MAX_POLLS_PER_TENANT=${settings.maxPollsPerTenant}`,
    `- ${settings.subscriptions} webhook subscriptions to every topic, one answering 500 to every ` +
      `${settings.failEvery}th request; HERALD_RETRY_SCHEDULE=${settings.retrySchedule}`,
    '',
    row([
      'minute',
      'publish/s',
      'attempts/s',
      'cap waits',
      'RSS MiB',
      'heap MiB',
      'wake p50/p99',
      '1st p50/p99',
      'service',
      'bench',
      'machine',
      'others',
    ]),
    ...minutes.map((minute) =>
      row([
        String(minute.minute),
        rate(minute.publishedPerSecond),
        rate(minute.attemptsPerSecond),
        String(minute.tenantCapWaits),
        mib(minute.rssBytes),
        mib(minute.heapUsedBytes),
        p50p99(minute.wake),
        p50p99(minute.firstAttempt),
        percent(minute.serviceCores),
        percent(minute.benchCores),
        percent(minute.machineCpuBusy),
        percent(minute.foreignCpuBusy),
      ]),
    ),
    '',
    formatRow(targetWidths, ['target', 'result', 'wanted', 'met']),
    ...targets.map((cells) => formatRow(targetWidths, cells)),
    '',
    'attempts/s: webhook attempts finished per second; cap waits: times a subscription waited ' +
      "for a slot because the tenant's in-flight cap was reached. " +
      'RSS and heap: read at the end of each minute, after a full collection the benchmark asks for. ' +
      'Latencies in ms, by the minute the event was created in; wake: created (publisher sends) to ' +
      'the poll answer received; 1st: created to the first attempt arriving at the receiver. ' +
      'service, bench: share of one core the service process, and the benchmark with its ' +
      'receiver, used; machine: busy share of all CPUs; others: share of all CPUs used by ' +
      'processes outside the benchmark, the service, Postgres and Redis.',
    `Published ${count(publishing.published)} (${rate(publishing.perSecond)}/s), ` +
      `${publishing.errors} errors; the schedule fell behind by at most ${publishing.maxBehind} publishes.`,
    `Pollers: ${count(pollers.received)} events received in ${count(pollers.polls)} answers, ` +
      `${pollers.unexpected} unexpected, ${pollers.errors} failed polls ` +
      `${JSON.stringify(pollers.statuses)}; ` +
      (pollers.catchUpMs === null
        ? 'NOT caught up when the wait ran out.'
        : `all caught up ${(pollers.catchUpMs / 1000).toFixed(1)} s after the last publish.`),
    `Deliveries: ${count(deliveries.expected)} expected (events × subscriptions): ` +
      `${count(deliveries.succeeded)} succeeded, ${deliveries.failed} failed, ` +
      `${deliveries.pending} pending, ${deliveries.missing} missing; ` +
      (deliveries.settled
        ? `settled ${(deliveries.settleMs / 1000).toFixed(1)} s after the last publish.`
        : `NOT settled: the backlog stopped shrinking, or the wait ran out, after ` +
          `${(deliveries.settleMs / 1000).toFixed(1)} s.`),
    ...deliveries.subscriptions.map((subscription, index) => {
      const seen = deliveries.receiver[index];
      return (
        `  subscription ${index}: ${count(subscription.succeeded)} succeeded, ` +
        `${subscription.failed} failed, ${subscription.pending} pending, ` +
        `${count(subscription.attempts)} attempts; the receiver got ${count(seen?.requests ?? 0)} ` +
        `requests, answered ${count(seen?.refused ?? 0)} with 500, saw ${count(seen?.repeated ?? 0)} ` +
        `repeats (${seen?.afterSuccess ?? 0} after a 2xx), ${count(seen?.distinctSucceeded ?? 0)} ` +
        'distinct events answered 2xx'
      );
    }),
  ].join('\n');
}
