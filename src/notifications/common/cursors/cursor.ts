import { NotificationsError, NotificationsErrorCode } from '../../notifications.errors';

const MAX_POSITION = 9223372036854775807n;

/**
 * Cursors are log positions written in decimal. Clients must treat them as opaque strings: only
 * the server compares them, so their form may change.
 */
export function parseCursor(text: string, field = 'after'): bigint {
  if (!/^\d{1,19}$/.test(text) || BigInt(text) > MAX_POSITION) {
    throw new NotificationsError(
      NotificationsErrorCode.InvalidCursor,
      `${field} must be a cursor returned by this API (or 0 for the oldest retained event)`,
    );
  }
  return BigInt(text);
}

/** The string form of a position. */
export function formatCursor(position: bigint | string): string {
  return position.toString();
}
