import { parseRateLimit } from './rate-limit';

describe('parseRateLimit', () => {
  it.each([
    ['1000/1s', { limit: 1000, window: 1000 }],
    ['100/1m', { limit: 100, window: 60_000 }],
    ['1/100ms', { limit: 1, window: 100 }],
    ['5000/1d', { limit: 5000, window: 86_400_000 }],
    ['0010/10s', { limit: 10, window: 10_000 }],
  ])('reads %s', (text, expected) => {
    expect(parseRateLimit(text)).toEqual(expected);
  });

  it('reads off as no limit', () => {
    expect(parseRateLimit('off')).toBe(false);
  });

  it.each([
    ['', 'is not a rate'],
    ['1000', 'is not a rate'],
    ['1000/', 'is not a rate'],
    ['/1s', 'is not a rate'],
    ['1000 / 1s', 'is not a rate'],
    ['-1/1s', 'is not a rate'],
    ['1.5/1s', 'is not a rate'],
    ['OFF', 'is not a rate'],
    ['0/1s', 'at least 1 request'],
    ['99999999999999999999/1s', 'at least 1 request'],
    ['10/1', 'is not a duration'],
    ['10/1sec', 'is not a duration'],
    ['10/50ms', 'between 100ms and 1d'],
    ['10/2d', 'between 100ms and 1d'],
  ])('refuses %j', (text, message) => {
    expect(() => parseRateLimit(text)).toThrow(message);
  });
});
