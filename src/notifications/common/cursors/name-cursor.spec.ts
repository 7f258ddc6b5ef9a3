import { NotificationsError, NotificationsErrorCode } from '../../notifications.errors';
import { decodeNameCursor, encodeNameCursor } from './name-cursor';

const isWord = (name: string) => /^[a-z.]+$/.test(name);

describe('name cursors', () => {
  it('decode what they encode', () => {
    expect(decodeNameCursor(encodeNameCursor('order.created'), isWord)).toBe('order.created');
  });

  it.each([
    ['the empty string', ''],
    ['a name the list cannot hold', encodeNameCursor('Order!')],
    ['padding', `${encodeNameCursor('order.created')}=`],
    ['characters base64url skips', `*${encodeNameCursor('order.created')}`],
  ])('refuse %s with invalid_cursor', (_, cursor) => {
    let thrown: unknown;
    try {
      decodeNameCursor(cursor, isWord);
    } catch (error) {
      thrown = error;
    }

    expect(thrown).toBeInstanceOf(NotificationsError);
    expect((thrown as NotificationsError).code).toBe(NotificationsErrorCode.InvalidCursor);
  });
});
