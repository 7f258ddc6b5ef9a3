import type { DataSource } from 'typeorm';

/** Work Herald has accepted but not yet delivered. */
export interface DeliveryBacklog {
  /** Deliveries whose attempt is due or running. */
  pendingDeliveries: number;
  /** Committed events the sequencer has not stamped yet (their deliveries do not exist yet). */
  unsequencedEvents: number;
}

/** Reads both counts in one statement. */
export async function countDeliveryBacklog(dataSource: DataSource): Promise<DeliveryBacklog> {
  const [row] = await dataSource.query<{ pending: number; unsequenced: number }[]>(
    `SELECT (SELECT count(*) FROM herald.deliveries WHERE status = 'pending')::int AS pending,
            (SELECT count(*) FROM herald.events WHERE position IS NULL)::int AS unsequenced`,
  );
  return { pendingDeliveries: row?.pending ?? 0, unsequencedEvents: row?.unsequenced ?? 0 };
}
