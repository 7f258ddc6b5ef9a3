import { NotificationsError, NotificationsErrorCode } from '../notifications.errors';

/** A keyset position in a list ordered by (createdAt, id). */
export interface PagePosition {
  createdAt: Date;
  id: string;
}

/** Opaque `?cursor=` of paginated lists. */
export function encodePageCursor({ createdAt, id }: PagePosition): string {
  return Buffer.from(`${createdAt.toISOString()}|${id}`).toString('base64url');
}

/** Reads a `?cursor=`; anything this API did not make is `invalid_cursor`. */
export function decodePageCursor(cursor: string): PagePosition {
  const [time, id, extra] = Buffer.from(cursor, 'base64url').toString().split('|');
  const createdAt = new Date(time ?? '');
  if (
    !id ||
    extra !== undefined ||
    Number.isNaN(createdAt.getTime()) ||
    !/^[0-9a-f-]{36}$/.test(id)
  ) {
    throw new NotificationsError(
      NotificationsErrorCode.InvalidCursor,
      'cursor must be a nextCursor returned by this list',
    );
  }
  return { createdAt, id };
}
