import type { DataSource } from 'typeorm';

/** Deliveries of one subscription by status, against the events it should have one for. */
export interface SubscriptionDeliveries {
  subscriptionId: string;
  /** Events whose topic the subscription matches. */
  expected: number;
  succeeded: number;
  failed: number;
  pending: number;
  /** Expected deliveries with no row at all. */
  missing: number;
  /** Attempts recorded over all its deliveries. */
  attempts: number;
}

/**
 * Counts `herald.deliveries` by status for each subscription, and the events of `topicPattern`
 * (a SQL LIKE pattern) each should have a delivery for.
 */
export async function countDeliveries(
  dataSource: DataSource,
  subscriptionIds: readonly string[],
  topicPattern: string,
): Promise<SubscriptionDeliveries[]> {
  const [{ events }] = await dataSource.query<{ events: number }[]>(
    `SELECT count(*)::int AS events FROM herald.events WHERE topic LIKE $1`,
    [topicPattern],
  );
  const rows = await dataSource.query<
    { subscription_id: string; status: string; deliveries: number; attempts: number }[]
  >(
    `SELECT subscription_id, status, count(*)::int AS deliveries, sum(attempts)::int AS attempts
       FROM herald.deliveries WHERE subscription_id = ANY($1::uuid[])
       GROUP BY subscription_id, status`,
    [subscriptionIds],
  );
  return subscriptionIds.map((subscriptionId) => {
    const mine = rows.filter((row) => row.subscription_id === subscriptionId);
    const count = (status: string) => mine.find((row) => row.status === status)?.deliveries ?? 0;
    const [succeeded, failed, pending] = [count('succeeded'), count('failed'), count('pending')];
    return {
      subscriptionId,
      expected: events,
      succeeded,
      failed,
      pending,
      missing: events - succeeded - failed - pending,
      attempts: mine.reduce((sum, row) => sum + row.attempts, 0),
    };
  });
}
