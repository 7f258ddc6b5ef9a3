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
   * Resolves after `ms`, as soon as {@link notify} is called, or when `abort` fires. Pass the
   * loop's abort signal rather than racing the wait against something else: an abandoned wait
   * would stay registered and swallow the next notify.
   */
  wait(ms: number, abort?: AbortSignal): Promise<void> {
    if (this.pending) {
      this.pending = false;
      return Promise.resolve();
    }
    if (abort?.aborted) return Promise.resolve();
    return new Promise((resolve) => {
      const release = () => {
        clearTimeout(timer);
        abort?.removeEventListener('abort', release);
        this.waiters.delete(release);
        resolve();
      };
      const timer = setTimeout(release, ms);
      abort?.addEventListener('abort', release, { once: true });
      this.waiters.add(release);
    });
  }
}
