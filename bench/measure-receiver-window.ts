import { setTimeout as delay } from 'node:timers/promises';
import { startCpuMeter } from './cpu-meter';
import type { RunningLoops } from './start-loops';
import type { WebhookReceiver } from './spawn-webhook-receiver';

/** What the receiver answered in one measured window while a load ran. */
export interface ReceiverWindow {
  /** 2xx answers per second at the receiver. */
  perSecond: number;
  /** Operations per second of the load itself (publishes, requests, inserts). */
  loadPerSecond: number;
  seconds: number;
  /** Busy share of all the machine's CPUs during the window; null where it cannot be read. */
  cpuBusy: number | null;
}

/**
 * Waits out the warm-up, then counts the receiver's answers over `durationMs` by the receiver's
 * own clock; the load keeps running (the caller stops it).
 */
export async function measureReceiverWindow(
  receiver: WebhookReceiver,
  load: RunningLoops,
  warmupMs: number,
  durationMs: number,
): Promise<ReceiverWindow> {
  await delay(warmupMs);
  const cpu = startCpuMeter();
  const loadStart = load.completed();
  const start = await receiver.count();
  await delay(durationMs);
  const end = await receiver.count();
  const loadEnd = load.completed();
  const seconds = (end.at - start.at) / 1000;
  return {
    perSecond: (end.answered - start.answered) / seconds,
    loadPerSecond: (loadEnd - loadStart) / seconds,
    seconds,
    cpuBusy: cpu() ?? null,
  };
}
