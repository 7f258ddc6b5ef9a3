import { judgeAttempt, parseRetryAfter, retryDelay } from './retry-policy';

const NOW = new Date('2026-11-22T12:00:00Z');
const SCHEDULE = [5_000, 300_000, 1_800_000];

describe('judgeAttempt', () => {
  it.each([200, 204, 299])('counts %i as success', (status) => {
    expect(judgeAttempt(status, undefined, NOW)).toEqual({ kind: 'success' });
  });

  it('turns the subscription off on 410', () => {
    expect(judgeAttempt(410, undefined, NOW)).toEqual({ kind: 'gone' });
  });

  it.each([undefined, 301, 400, 404, 500])('retries %p', (status) => {
    expect(judgeAttempt(status, undefined, NOW)).toEqual({ kind: 'retry' });
  });

  it('honours Retry-After on 429 and 503 only', () => {
    expect(judgeAttempt(429, '7', NOW)).toEqual({ kind: 'retry', retryAfterMs: 7_000 });
    expect(judgeAttempt(503, '7', NOW)).toEqual({ kind: 'retry', retryAfterMs: 7_000 });
    expect(judgeAttempt(500, '7', NOW)).toEqual({ kind: 'retry' });
  });
});

describe('retryDelay', () => {
  it('follows the schedule with ±20 % jitter, then gives up', () => {
    expect(retryDelay(1, SCHEDULE, undefined, () => 0)).toBe(4_000);
    expect(retryDelay(1, SCHEDULE, undefined, () => 1)).toBe(6_000);
    expect(retryDelay(3, SCHEDULE, undefined, () => 0.5)).toBe(1_800_000);
    expect(retryDelay(4, SCHEDULE, undefined)).toBeUndefined();
  });

  it("takes the receiver's Retry-After instead, up to the schedule's longest delay or an hour", () => {
    expect(retryDelay(1, SCHEDULE, 60_000)).toBe(60_000);
    expect(retryDelay(1, SCHEDULE, 365 * 24 * 3_600_000)).toBe(3_600_000);
    expect(retryDelay(1, [5_000, 36_000_000], 365 * 24 * 3_600_000)).toBe(36_000_000);
    expect(retryDelay(4, SCHEDULE, 60_000)).toBeUndefined();
  });
});

describe('parseRetryAfter', () => {
  it('reads seconds and HTTP dates, and ignores what it cannot read', () => {
    expect(parseRetryAfter(' 30 ', NOW)).toBe(30_000);
    expect(parseRetryAfter('Sun, 22 Nov 2026 12:01:00 GMT', NOW)).toBe(60_000);
    expect(parseRetryAfter('Sun, 22 Nov 2026 11:00:00 GMT', NOW)).toBe(0);
    expect(parseRetryAfter('soon', NOW)).toBeUndefined();
    expect(parseRetryAfter(undefined, NOW)).toBeUndefined();
  });
});
