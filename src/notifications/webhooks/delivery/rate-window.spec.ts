import { RateWindow } from './rate-window';

const SECOND = 1_000;

describe('RateWindow', () => {
  it('grants up to the limit, then says when the oldest grant leaves the window', () => {
    const window = new RateWindow();
    expect(window.take(5, 3, 0, SECOND)).toEqual({ granted: 3, waitMs: 0 });
    expect(window.take(5, 3, 100, SECOND)).toEqual({ granted: 2, waitMs: 900 });
    expect(window.take(5, 1, 999, SECOND)).toEqual({ granted: 0, waitMs: 1 });
    // The first grant leaves at 1000 exactly: [0, 1000) held five, [1000, 2000) starts afresh.
    expect(window.take(5, 5, 1_000, SECOND)).toEqual({ granted: 3, waitMs: 100 });
    expect(window.take(5, 5, 1_100, SECOND)).toEqual({ granted: 2, waitMs: 900 });
  });

  it('never lets any window of its length hold more than the limit', () => {
    const window = new RateWindow();
    const starts: number[] = [];
    // Asked at uneven moments, for uneven numbers, for ten seconds.
    for (let now = 0; now < 10 * SECOND; now += 7 + (now % 13)) {
      const { granted } = window.take(5, 1 + (now % 4), now, SECOND);
      for (let n = 0; n < granted; n++) starts.push(now);
    }
    expect(starts.length).toBeGreaterThanOrEqual(50);
    for (let i = 0; i + 5 < starts.length; i++)
      expect(starts[i + 5] - starts[i]).toBeGreaterThanOrEqual(SECOND);
  });

  it('grants nothing while a lowered limit is still used up, and is empty once the window passed', () => {
    const window = new RateWindow();
    expect(window.take(10, 10, 0, SECOND).granted).toBe(10);
    expect(window.take(2, 1, 500, SECOND)).toEqual({ granted: 0, waitMs: 500 });
    expect(window.isEmpty(999, SECOND)).toBe(false);
    expect(window.isEmpty(1_000, SECOND)).toBe(true);
  });

  it('stretches its window for a share under one a second', () => {
    const window = new RateWindow();
    expect(window.take(1, 2, 0, 3 * SECOND)).toEqual({ granted: 1, waitMs: 3_000 });
    expect(window.take(1, 1, 2_999, 3 * SECOND).granted).toBe(0);
    expect(window.take(1, 1, 3_000, 3 * SECOND).granted).toBe(1);
  });
});
