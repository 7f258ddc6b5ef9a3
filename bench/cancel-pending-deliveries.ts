import type { DataSource } from 'typeorm';

/** Marks every pending delivery failed, so the next phase starts on an idle pipeline; returns how many. */
export async function cancelPendingDeliveries(dataSource: DataSource): Promise<number> {
  const [, cancelled] = await dataSource.query<[unknown, number]>(
    `UPDATE herald.deliveries SET status = 'failed', last_error = 'cancelled by the benchmark',
       updated_at = now()
     WHERE status = 'pending'`,
  );
  return cancelled;
}
