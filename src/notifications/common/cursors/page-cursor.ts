import { isUUID } from 'class-validator';
import { NotificationsError, NotificationsErrorCode } from '../../notifications.errors';

/** A keyset position in a list ordered by (createdAt, id). */
export interface PagePosition {
  createdAt: Date;
  id: string;
}

/** The times this API writes into cursors: `toISOString()` of years 0000 to 9999. */
const CURSOR_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

/** Opaque `?cursor=` of paginated lists. */
export function encodePageCursor({ createdAt, id }: PagePosition): string {
  return Buffer.from(`${createdAt.toISOString()}|${id}`).toString('base64url');
}

/**
 * Reads a `?cursor=`; anything this API did not make is `invalid_cursor`, the empty string too.
 * Only a cursor that encodes back to itself passes, so what reaches Postgres is a time it can
 * hold (not year -5000) and a UUID.
 */
export function decodePageCursor(cursor: string): PagePosition {
  const [time = '', id = '', extra] = Buffer.from(cursor, 'base64url').toString().split('|');
  const position = { createdAt: new Date(time), id };
  if (
    extra !== undefined ||
    !CURSOR_TIME.test(time) ||
    Number.isNaN(position.createdAt.getTime()) ||
    !isUUID(id) ||
    encodePageCursor(position) !== cursor
  ) {
    throw new NotificationsError(
      NotificationsErrorCode.InvalidCursor,
      'cursor must be a nextCursor returned by this list',
    );
  }
  return position;
}
