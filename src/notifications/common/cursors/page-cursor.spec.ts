import { NotificationsError, NotificationsErrorCode } from '../../notifications.errors';
import { decodePageCursor, encodePageCursor } from './page-cursor';

const ID = '0192f0a4-6b1e-7c3a-9d2e-5f6a7b8c9d0e';
const encode = (text: string) => Buffer.from(text).toString('base64url');

function errorFrom(run: () => unknown): NotificationsError {
  try {
    run();
  } catch (error) {
    if (error instanceof NotificationsError) return error;
    throw error;
  }
  throw new Error('expected a NotificationsError');
}

describe('page cursors', () => {
  it('decode what they encode', () => {
    const position = { createdAt: new Date('2026-03-01T12:34:56.789Z'), id: ID };

    expect(decodePageCursor(encodePageCursor(position))).toEqual(position);
  });

  it.each([
    ['the empty string', ''],
    ['a number', '1e5'],
    ['a negative number', '-1'],
    ['hex', '0x10'],
    ['a leading space', ' 1'],
    ['a time JS reads but never writes', encode(`1|${ID}`)],
    ['a year Postgres cannot hold', encode(`-005000-01-01T00:00:00.000Z|${ID}`)],
    ['a year beyond 9999', encode(`+275760-09-13T00:00:00.000Z|${ID}`)],
    ['a day that does not exist', encode(`2026-02-30T00:00:00.000Z|${ID}`)],
    ['an id that is not a UUID', encode(`2026-01-01T00:00:00.000Z|${'-'.repeat(36)}`)],
    ['a third part', encode(`2026-01-01T00:00:00.000Z|${ID}|x`)],
    ['padding', `${encode(`2026-01-01T00:00:00.000Z|${ID}`)}==`],
    ['characters base64url skips', `*${encode(`2026-01-01T00:00:00.000Z|${ID}`)}`],
  ])('refuse %s with invalid_cursor', (_, cursor) => {
    const error = errorFrom(() => decodePageCursor(cursor));

    expect(error.code).toBe(NotificationsErrorCode.InvalidCursor);
    expect(error.message).toMatch(/^cursor must be a nextCursor/);
  });
});
