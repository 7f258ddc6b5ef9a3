import { parseDuration } from './duration';

describe('parseDuration', () => {
  it.each([
    ['0ms', 0],
    ['500ms', 500],
    ['1s', 1000],
    ['5s', 5000],
    ['60s', 60_000],
    ['5m', 300_000],
    ['2h', 7_200_000],
    ['5d', 432_000_000],
    ['007s', 7000],
  ])('reads %s as %d ms', (text, ms) => {
    expect(parseDuration(text)).toBe(ms);
  });

  it.each([
    '',
    '5',
    's',
    '5x',
    '5 s',
    ' 5s',
    '5s ',
    '5S',
    '5sec',
    '1.5s',
    '-5s',
    '+5s',
    '5m30s',
    '1e3ms',
    '0x10s',
    '٣s',
  ])('rejects %j', (text) => {
    expect(() => parseDuration(text)).toThrow(
      `"${text}" is not a duration (write 500ms, 5s, 5m, 2h or 5d)`,
    );
  });

  it('rejects a value too large to hold exactly', () => {
    expect(() => parseDuration('999999999999999d')).toThrow('"999999999999999d" is too large');
  });

  it('accepts the largest exact value', () => {
    expect(parseDuration(`${Number.MAX_SAFE_INTEGER}ms`)).toBe(Number.MAX_SAFE_INTEGER);
  });
});
