import { setTimeout as delay } from 'node:timers/promises';
import { startCpuMeter } from './cpu-meter';
import { readProcessStats } from './read-process-stats';
import type { WebhookReceiver } from './spawn-webhook-receiver';

/** Clock ticks per second of /proc/<pid>/stat's times (USER_HZ, 100 on Linux). */
const TICKS_PER_SECOND = 100;
const POLL_MS = 50;
/** The window: from this share of the backlog answered to the next, so start-up and tail are out. */
const WINDOW = [0.1, 0.9] as const;

/** How fast a backlog went out once released, over the middle of the drain. */
export interface DrainWindow {
  /** 2xx answers per second at the receiver within the window. */
  perSecond: number;
  seconds: number;
  /** Whether the whole backlog was answered before the timeout. */
  drained: boolean;
  /** From the release to the last answer (or the timeout). */
  totalSeconds: number;
  /** CPU each of `pids` used within the window, as a share of one core (1 = a whole core). */
  cpu: Record<number, number | null>;
  /** Busy share of all the machine's CPUs within the window; null where it cannot be read. */
  machineBusy: number | null;
}

interface Sample {
  /** The receiver's clock, epoch ms. */
  at: number;
  answered: number;
  ticks: (number | null)[];
}

function readTicks(pid: number): number | null {
  try {
    return readProcessStats(pid).cpuTicks;
  } catch {
    return null; // the process has exited
  }
}

/**
 * Calls `release` (which lets the workers at a backlog of `backlog` deliveries), then counts the
 * receiver's 2xx answers until all are in or `timeoutMs` runs out. The rate is taken between 10 %
 * and 90 % of the backlog, so neither the workers' first claims nor the last stragglers weigh in.
 */
export async function measureBacklogDrain(options: {
  receiver: WebhookReceiver;
  backlog: number;
  release: () => Promise<void>;
  pids: readonly number[];
  timeoutMs: number;
}): Promise<DrainWindow> {
  const { receiver, backlog, pids } = options;
  const sample = async (): Promise<Sample> => {
    const { answered, at } = await receiver.count();
    return { at, answered, ticks: pids.map(readTicks) };
  };
  const base = await sample();
  const [low, high] = WINDOW.map((share) => base.answered + Math.ceil(backlog * share));
  const deadline = performance.now() + options.timeoutMs;
  await options.release();
  let start: Sample | undefined;
  let machine: (() => number | undefined) | undefined;
  let machineBusy: number | null = null;
  let last = base;
  for (;;) {
    last = await sample();
    if (!start && last.answered >= low) {
      start = last;
      machine = startCpuMeter();
    }
    if (start && last.answered >= high && machineBusy === null) {
      machineBusy = machine?.() ?? null;
      const end = last;
      const seconds = (end.at - start.at) / 1000;
      const cpu: Record<number, number | null> = {};
      pids.forEach((pid, index) => {
        const [from, to] = [start?.ticks[index], end.ticks[index]];
        cpu[pid] =
          from == null || to == null || seconds <= 0
            ? null
            : (to - from) / TICKS_PER_SECOND / seconds;
      });
      const perSecond = seconds > 0 ? (end.answered - start.answered) / seconds : 0;
      // Then wait for the tail, so the next phase starts on an idle pipeline.
      while (last.answered < base.answered + backlog && performance.now() < deadline) {
        await delay(POLL_MS);
        last = await sample();
      }
      return {
        perSecond,
        seconds,
        drained: last.answered >= base.answered + backlog,
        totalSeconds: (last.at - base.at) / 1000,
        cpu,
        machineBusy,
      };
    }
    if (performance.now() >= deadline) break;
    await delay(POLL_MS);
  }
  // Timed out before the window closed: the rate over whatever part of it there was.
  const from = start ?? base;
  const seconds = (last.at - from.at) / 1000;
  return {
    perSecond: seconds > 0 ? (last.answered - from.answered) / seconds : 0,
    seconds,
    drained: false,
    totalSeconds: (last.at - base.at) / 1000,
    cpu: Object.fromEntries(pids.map((pid) => [pid, null])),
    machineBusy: machine?.() ?? null,
  };
}
