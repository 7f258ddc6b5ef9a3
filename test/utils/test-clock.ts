import type { Clock } from '../../src/notifications';

/**
 * The wall clock, moved forward on demand: a test skips a period (a grace, an expiry) instead of
 * sleeping through it, and nothing it does meanwhile can outlast the period by being slow.
 */
export class TestClock implements Clock {
  private offsetMs = 0;

  now(): Date {
    return new Date(Date.now() + this.offsetMs);
  }

  /** Moves the clock `ms` ahead; it keeps running from there. */
  advance(ms: number): void {
    this.offsetMs += ms;
  }
}
