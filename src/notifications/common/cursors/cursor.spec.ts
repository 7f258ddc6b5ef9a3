import { NotificationsError, NotificationsErrorCode } from '../../notifications.errors';
import { formatCursor, parseCursor } from './cursor';

/** Runs `fn` and returns the NotificationsError it throws; fails on anything else. */
function errorFrom(fn: () => unknown): NotificationsError {
  try {
    fn();
  } catch (error) {
    if (error instanceof NotificationsError) return error;
    throw error;
  }
  throw new Error('expected a NotificationsError, nothing was thrown');
}

describe('parseCursor', () => {
  it.each([
    ['0', 0n],
    ['1', 1n],
    ['1042', 1042n],
    ['0000000000000000001', 1n],
    ['9223372036854775806', 9223372036854775806n],
    ['9223372036854775807', 9223372036854775807n],
  ])('reads %j as %s', (text, position) => {
    expect(parseCursor(text)).toBe(position);
  });

  it.each([
    ['one past the largest position', '9223372036854775808'],
    ['the largest 19-digit number', '9999999999999999999'],
    ['20 digits', '10000000000000000000'],
    ['20 digits with a leading zero', '00000000000000000001'],
    ['negative', '-1'],
    ['signed', '+1'],
    ['empty', ''],
    ['letters', 'abc'],
    ['hexadecimal', '0x10'],
    ['an exponent', '1e3'],
    ['a fraction', '1.0'],
    ['a leading space', ' 1'],
    ['a trailing newline', '1\n'],
    ['non-ASCII digits', '٣'],
  ])('rejects %s (%j) with invalid_cursor', (_, text) => {
    const error = errorFrom(() => parseCursor(text));

    expect(error.code).toBe(NotificationsErrorCode.InvalidCursor);
    expect(error.code).toBe('invalid_cursor');
  });

  it('names `after` in the error by default', () => {
    expect(errorFrom(() => parseCursor('x')).message).toMatch(/^after must be a cursor/);
  });

  it('names the field it is given in the error', () => {
    const error = errorFrom(() => parseCursor('-5', 'lastEventId'));

    expect(error.code).toBe(NotificationsErrorCode.InvalidCursor);
    expect(error.message).toMatch(/^lastEventId must be a cursor/);
    expect(error.message).not.toMatch(/^after/);
  });
});

describe('formatCursor', () => {
  it('writes a position in decimal', () => {
    expect(formatCursor(9223372036854775807n)).toBe('9223372036854775807');
    expect(formatCursor('42')).toBe('42');
  });

  it('round-trips through parseCursor', () => {
    expect(parseCursor(formatCursor(123456789012345678n))).toBe(123456789012345678n);
  });
});
