import type { TopicFilter } from '../common/topic-filter';
import type { LoggedEvent } from './event-log.service';

/** How a held poll ended. */
export type WaitOutcome =
  /** Matching events, complete from the waiter's checked position to the batch's end. */
  | { kind: 'events'; events: LoggedEvent[] }
  /** Something may have arrived that cannot be handed over from memory: read the log again. */
  | { kind: 'recheck' }
  | { kind: 'timeout' }
  | { kind: 'gone' }
  | { kind: 'shutdown' };

/**
 * One held long poll. Registered before the log is read, so no wake-up can slip between the read
 * and the wait; settled exactly once, by whichever of event, timeout, disconnect or shutdown
 * comes first (the others then do nothing), and on settling it leaves the registry at once.
 */
export class Waiter {
  /** Highest position the holder has read the log through; unset while its read is under way. */
  checkedThrough?: bigint;
  readonly outcome: Promise<WaitOutcome>;
  private resolve!: (outcome: WaitOutcome) => void;
  private settled = false;
  private timer?: NodeJS.Timeout;
  private signal?: AbortSignal;

  constructor(
    readonly tenantId: string,
    readonly filter: TopicFilter,
    private readonly release: (waiter: Waiter) => void,
  ) {
    this.outcome = new Promise((resolve) => (this.resolve = resolve));
  }

  /** Starts the timeout and listens for the client going away; returns the outcome. */
  wait(ms: number, signal?: AbortSignal): Promise<WaitOutcome> {
    if (this.settled) return this.outcome;
    if (signal?.aborted) {
      this.settle({ kind: 'gone' });
      return this.outcome;
    }
    this.timer = setTimeout(() => this.settle({ kind: 'timeout' }), ms);
    this.signal = signal;
    signal?.addEventListener('abort', this.onAbort, { once: true });
    return this.outcome;
  }

  /** Settles the waiter; false when it had already settled. */
  settle(outcome: WaitOutcome): boolean {
    if (this.settled) return false;
    this.settled = true;
    clearTimeout(this.timer);
    this.signal?.removeEventListener('abort', this.onAbort);
    this.signal = undefined;
    this.release(this);
    this.resolve(outcome);
    return true;
  }

  private readonly onAbort = () => this.settle({ kind: 'gone' });
}
