import { percent } from './report-cells';

/** One phase of `bench:scale`: the same backlog, drained by `workers` worker processes. */
export interface ScalePhase {
  workers: number;
  /** 2xx answers per second at the receiver between 10 % and 90 % of the backlog. */
  perSecond: number;
  /** Length of that window. */
  seconds: number;
  drained: boolean;
  /** From the release of the backlog to its last answer. */
  totalSeconds: number;
  /** Each worker process's CPU within the window, as a share of one core. */
  workerCpu: (number | null)[];
  /** The api + sequencer process (idle while the backlog drains). */
  apiCpu: number | null;
  receiverCpu: number | null;
  redisCpu: number | null;
  /** Busy share of all CPUs within the window: workers, Postgres, Redis, receiver and the rest. */
  machineBusy: number | null;
  /** Share of all CPUs that processes foreign to the benchmark used during the phase (a lower bound). */
  foreignBusy: number | null;
  /** Postgres transactions committed per delivery while the backlog drained (claims, records). */
  commitsPerDelivery: number;
}

/** Everything one `bench:scale` run measured, as printed and as emitted on `BENCH_RESULT`. */
export interface ScaleBenchResult {
  settings: {
    subscriptions: number;
    eventsPerPhase: number;
    deliveriesPerPhase: number;
    cpus: number;
    postgres: string;
    /** Busy share of all CPUs during a second before the run: anything else running. */
    backgroundCpuBusy: number | null;
  };
  phases: ScalePhase[];
  /** Two workers' rate over one worker's. */
  ratio: number;
  /**
   * What this machine's CPUs allow at all, as a multiple of one worker's rate: all CPUs over the
   * CPUs the one-worker phase's pipeline used (busy minus foreign). Null where /proc is missing.
   */
  cpuCeilingRatio: number | null;
  target: number;
  met: boolean;
}

const WIDTHS = [8, 9, 7, 8, 12, 5, 9, 6, 9, 8, 8, 8];

function row(cells: string[]): string {
  return cells.map((cell, index) => cell.padStart(WIDTHS[index])).join(' ');
}

/**
 * The cores neither the measured processes nor foreign ones used, in a phase's window: Postgres's
 * backends for the most part, then this process and the kernel. Null where /proc is missing.
 */
function rest(phase: ScalePhase, cpus: number): number | null {
  const measured = [...phase.workerCpu, phase.apiCpu, phase.receiverCpu, phase.redisCpu];
  if (phase.machineBusy === null || measured.some((share) => share === null)) return null;
  const known = measured.reduce<number>((sum, share) => sum + (share ?? 0), 0);
  return (phase.machineBusy - (phase.foreignBusy ?? 0)) * cpus - known;
}

/** The human-readable table: both phases, the ratio, and where the CPU went. */
export function formatScaleReport(result: ScaleBenchResult): string {
  const { settings, phases } = result;
  const one = phases[0]?.perSecond ?? 0;
  return [
    `Herald scale benchmark: a backlog of ${settings.deliveriesPerPhase} deliveries ` +
      `(${settings.eventsPerPhase} events x ${settings.subscriptions} subscriptions to one local ` +
      `receiver answering 204) released at once to 1, then 2 worker processes (node dist/main.js, ` +
      `HERALD_ROLES=api,worker); ${settings.cpus} CPUs, ${settings.postgres}`,
    '',
    row([
      'workers',
      'deliv/s',
      'vs 1',
      'window',
      'CPU/worker',
      'api',
      'receiver',
      'machine',
      'foreign',
      'tx/deliv',
    ]),
    ...phases.map((phase) =>
      row([
        String(phase.workers),
        Math.round(phase.perSecond).toString(),
        one > 0 ? `${(phase.perSecond / one).toFixed(2)}x` : '?',
        `${phase.seconds.toFixed(1)} s`,
        phase.workerCpu.map(percent).join(' + '),
        percent(phase.apiCpu),
        percent(phase.receiverCpu),
        percent(phase.redisCpu),
        percent(rest(phase, settings.cpus)),
        percent(phase.machineBusy),
        percent(phase.foreignBusy),
        phase.commitsPerDelivery.toFixed(2),
      ]),
    ),
    '',
    `2 workers / 1 worker: ${result.ratio.toFixed(2)}x (target >= ${result.target}x: ` +
      `${result.met ? 'met' : 'NOT met'}); this machine's CPUs allow about ` +
      `${result.cpuCeilingRatio === null ? '?' : result.cpuCeilingRatio.toFixed(2)}x at the ` +
      "one-worker phase's CPU cost per delivery.",
    'deliv/s: 2xx answers per second counted by the receiver between 10 % and 90 % of the backlog.',
    'CPU/worker, api, receiver, redis: share of one core each process used in that window; pg+rest: ' +
      'the cores used besides (Postgres, mostly); machine: busy share of all CPUs; foreign: other processes on the machine ' +
      `during the phase (at least); tx/deliv: Postgres commits per delivery while it drained. ` +
      `Before the run the machine was ${percent(settings.backgroundCpuBusy)} busy.`,
    ...phases
      .filter((phase) => !phase.drained)
      .map((phase) => `With ${phase.workers} worker(s) the backlog was not drained in time.`),
  ].join('\n');
}
