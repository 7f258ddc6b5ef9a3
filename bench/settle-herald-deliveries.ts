import type { Queue } from 'bull';
import { setTimeout as delay } from 'node:timers/promises';
import type { DataSource } from 'typeorm';
import { cancelPendingDeliveries } from './cancel-pending-deliveries';
import { countDeliveryBacklog } from './count-delivery-backlog';

/** What {@link settleHeraldDeliveries} found and did. */
export interface SettleOutcome {
  /** Backlog delivered within the wait. */
  delivered: boolean;
  /** Pending deliveries marked failed because the wait ran out. */
  cancelled: number;
  waitedMs: number;
}

const POLL_MS = 100;
/** Jobs already running when the backlog is cancelled get this long to finish. */
const ACTIVE_GRACE_MS = 5_000;

/**
 * Lets Herald work off the backlog of a saturating phase for up to `timeoutMs`, so the next phase
 * starts on an idle pipeline; whatever is left is then cancelled (pending deliveries marked
 * failed, waiting and delayed Bull jobs dropped) rather than waited for.
 */
export async function settleHeraldDeliveries(
  dataSource: DataSource,
  queue: Queue,
  timeoutMs: number,
): Promise<SettleOutcome> {
  const start = performance.now();
  for (;;) {
    const backlog = await countDeliveryBacklog(dataSource);
    const waitedMs = Math.round(performance.now() - start);
    if (backlog.pendingDeliveries === 0 && backlog.unsequencedEvents === 0) {
      return { delivered: true, cancelled: 0, waitedMs };
    }
    // Deliveries of events not stamped yet cannot be cancelled: wait for the sequencer anyway.
    if (waitedMs >= timeoutMs && backlog.unsequencedEvents === 0) break;
    await delay(POLL_MS);
  }
  await queue.empty();
  const cancelled = await cancelPendingDeliveries(dataSource);
  const deadline = performance.now() + ACTIVE_GRACE_MS;
  while ((await queue.getJobCounts()).active > 0 && performance.now() < deadline) {
    await delay(POLL_MS);
  }
  return { delivered: false, cancelled, waitedMs: Math.round(performance.now() - start) };
}
