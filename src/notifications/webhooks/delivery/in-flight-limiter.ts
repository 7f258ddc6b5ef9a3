/**
 * Caps attempts in flight in this process: per subscription, so one slow or hanging receiver holds
 * at most `perKey` slots and never delays the others, and in all, so a worker's sockets and memory
 * stay bounded whatever the number of subscriptions.
 */
export class InFlightLimiter {
  private readonly counts = new Map<string, number>();
  private total = 0;

  constructor(
    private readonly perKey: number,
    private readonly overall: number,
  ) {}

  /** Attempts in flight in this process. */
  get inFlight(): number {
    return this.total;
  }

  /** Whether every slot of the process is taken. */
  get full(): boolean {
    return this.total >= this.overall;
  }

  /** How many slots `key` could take now. */
  free(key: string): number {
    const own = this.perKey - (this.counts.get(key) ?? 0);
    return Math.max(0, Math.min(own, this.overall - this.total));
  }

  /** Takes a slot for `key` (the caller checked {@link free}); returns its release, safe to call twice. */
  acquire(key: string): () => void {
    this.counts.set(key, (this.counts.get(key) ?? 0) + 1);
    this.total += 1;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.total -= 1;
      const left = (this.counts.get(key) ?? 1) - 1;
      if (left === 0) this.counts.delete(key);
      else this.counts.set(key, left);
    };
  }
}
