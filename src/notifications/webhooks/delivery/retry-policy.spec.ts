import { decideAfterFailure, judgeAttempt, parseRetryAfter, retryDelay } from './retry-policy';

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

describe('decideAfterFailure', () => {
  const OPTIONS = { retrySchedule: SCHEDULE, fastRetries: 1, disableAfter: 3_600_000 };
  const RETRY = { kind: 'retry' } as const;

  it('brings the first retries back through Bull, parks later ones for the sweeper', () => {
    expect(decideAfterFailure(RETRY, 0, NOW, NOW, OPTIONS, () => 0.5)).toEqual({
      retry: { retries: 1, delayMs: 5_000, at: new Date(NOW.getTime() + 5_000), fast: true },
    });
    expect(decideAfterFailure(RETRY, 1, NOW, NOW, OPTIONS, () => 0.5)).toEqual({
      retry: { retries: 2, delayMs: 300_000, at: new Date(NOW.getTime() + 300_000), fast: false },
    });
  });

  it("waits what the receiver's Retry-After asks", () => {
    const decision = decideAfterFailure(
      { kind: 'retry', retryAfterMs: 7_000 },
      0,
      NOW,
      NOW,
      OPTIONS,
    );
    expect(decision.retry?.delayMs).toBe(7_000);
  });

  it('fails the delivery once the schedule is used up', () => {
    expect(decideAfterFailure(RETRY, 3, NOW, NOW, OPTIONS)).toEqual({});
  });

  it('disables the subscription once it has failed for disableAfter', () => {
    const since = new Date(NOW.getTime() - 3_600_000);
    const decision = decideAfterFailure(RETRY, 0, since, NOW, OPTIONS, () => 0.5);
    expect(decision.disable).toBe(`no successful delivery since ${since.toISOString()}`);
    expect(decision.retry?.retries).toBe(1);
    const recent = new Date(NOW.getTime() - 3_599_999);
    expect(decideAfterFailure(RETRY, 0, recent, NOW, OPTIONS).disable).toBeUndefined();
  });
});
