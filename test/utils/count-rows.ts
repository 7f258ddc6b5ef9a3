import type { DataSource } from 'typeorm';

/** How many rows each of Herald's tables holds. */
export interface RowCounts {
  tenants: number;
  apiKeys: number;
  revokedKeys: number;
  portalSessions: number;
  revokedPortalSessions: number;
  events: number;
  subscriptions: number;
  deliveries: number;
}

/** Counts the rows of every table a request could write, in one statement (one snapshot). */
export async function countRows(dataSource: DataSource): Promise<RowCounts> {
  const [counts] = await dataSource.query<RowCounts[]>(`
    SELECT (SELECT count(*)::int FROM herald.tenants) AS "tenants",
           (SELECT count(*)::int FROM herald.api_keys) AS "apiKeys",
           (SELECT count(*)::int FROM herald.api_keys WHERE revoked_at IS NOT NULL) AS "revokedKeys",
           (SELECT count(*)::int FROM herald.portal_sessions) AS "portalSessions",
           (SELECT count(*)::int FROM herald.portal_sessions WHERE revoked_at IS NOT NULL)
             AS "revokedPortalSessions",
           (SELECT count(*)::int FROM herald.events) AS "events",
           (SELECT count(*)::int FROM herald.subscriptions) AS "subscriptions",
           (SELECT count(*)::int FROM herald.deliveries) AS "deliveries"`);
  if (!counts) throw new Error('countRows: no row');
  return counts;
}
