import { setTimeout as delay } from 'node:timers/promises';
import type { DataSource } from 'typeorm';

/**
 * Waits until the sequencer has stamped every committed event, so one phase's backlog does not
 * eat into the next phase's CPU. Returns the backlog left when `timeoutMs` ran out (0 = caught up).
 */
export async function waitForSequencer(dataSource: DataSource, timeoutMs: number): Promise<number> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const [row] = await dataSource.query<{ backlog: number }[]>(
      'SELECT count(*)::int AS backlog FROM herald.events WHERE position IS NULL',
    );
    const backlog = row?.backlog ?? 0;
    if (backlog === 0 || performance.now() >= deadline) return backlog;
    await delay(100);
  }
}
