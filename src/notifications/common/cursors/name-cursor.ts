import { NotificationsError, NotificationsErrorCode } from '../../notifications.errors';

/** Opaque `?cursor=` of lists ordered by a name: the last name of the page. */
export function encodeNameCursor(name: string): string {
  return Buffer.from(name).toString('base64url');
}

/**
 * Reads a `?cursor=` of a list ordered by name; anything this API did not make is `invalid_cursor`,
 * the empty string too. `isName` says what a name of that list looks like.
 */
export function decodeNameCursor(cursor: string, isName: (name: string) => boolean): string {
  const name = Buffer.from(cursor, 'base64url').toString();
  if (!isName(name) || encodeNameCursor(name) !== cursor) {
    throw new NotificationsError(
      NotificationsErrorCode.InvalidCursor,
      'cursor must be a nextCursor returned by this list',
    );
  }
  return name;
}
