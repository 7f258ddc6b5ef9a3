/**
 * A wake-up that is never lost: `notify()` when nobody waits makes the next `wait()` return at
 * once. Used by loops that sleep until either a timeout or an outside nudge.
 */
export class Signal {
  private pending = false;
  private readonly waiters = new Set<() => void>();

  /** Wakes every current waiter, or the next one when there is none. */
  notify(): void {
    if (this.waiters.size === 0) {
      this.pending = true;
      return;
    }
    for (const release of [...this.waiters]) release();
  }

  /**
   * Resolves after `ms`, or as soon as {@link notify} is called. A wait that loses a
   * `Promise.race` still ends by itself within `ms`, so keep `ms` to a loop interval.
   */
  wait(ms: number): Promise<void> {
    if (this.pending) {
      this.pending = false;
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      const release = () => {
        clearTimeout(timer);
        this.waiters.delete(release);
        resolve();
      };
      const timer = setTimeout(release, ms);
      this.waiters.add(release);
    });
  }
}
