/**
 * A wake-up that is never lost: `notify()` before anyone waits makes the next `wait()` return at
 * once. Used by loops that sleep until either a timeout or an outside nudge.
 */
export class Signal {
  private pending = false;
  private release?: () => void;

  /** Wakes the current waiter, or the next one. */
  notify(): void {
    if (this.release) this.release();
    else this.pending = true;
  }

  /** Resolves after `ms`, or as soon as {@link notify} is called. */
  wait(ms: number): Promise<void> {
    if (this.pending) {
      this.pending = false;
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.release = undefined;
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.release = done;
    });
  }
}
