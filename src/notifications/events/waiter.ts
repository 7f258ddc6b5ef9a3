import type { TopicFilter } from '../common/topics/topic-filter';
import { type Deadline, DeadlineQueue } from './deadline-queue';
import type { WokenEvents } from './woken-events';

/** How a held poll ended. */
export type WaitOutcome =
  /** Matching events, complete from the waiter's checked position to the batch's end. */
  | { kind: 'events'; events: WokenEvents }
  /** Something may have arrived that cannot be handed over from memory: read the log again. */
  | { kind: 'recheck' }
  | { kind: 'timeout' }
  | { kind: 'gone' }
  | { kind: 'shutdown' };

/** The timeouts of a process's waiters: one timer for all of them. */
export function createWaiterDeadlines(): DeadlineQueue<Waiter> {
  return new DeadlineQueue<Waiter>((waiter) => waiter.settle({ kind: 'timeout' }));
}

/**
 * One held long poll. Registered before the log is read, so no wake-up can slip between the read
 * and the wait; settled exactly once, by whichever of event, timeout, disconnect or shutdown
 * comes first (the others then do nothing), and on settling it leaves the registry at once.
 * Its timeout is a place in the registry's {@link DeadlineQueue}, and it listens for the client
 * going away as an event listener object, so a held poll keeps no timer and no closure of its own.
 */
export class Waiter {
  /** Highest position the holder has read the log through; unset while its read is under way. */
  checkedThrough?: bigint;
  readonly outcome: Promise<WaitOutcome>;
  private resolve!: (outcome: WaitOutcome) => void;
  private settled = false;
  private deadline?: Deadline<Waiter>;
  private signal?: AbortSignal;

  constructor(
    readonly tenantId: string,
    readonly filter: TopicFilter,
    private readonly release: (waiter: Waiter) => void,
    private readonly deadlines: DeadlineQueue<Waiter>,
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
    this.deadline = this.deadlines.add(this, ms);
    this.signal = signal;
    signal?.addEventListener('abort', this, { once: true });
    return this.outcome;
  }

  /** Settles the waiter; false when it had already settled. */
  settle(outcome: WaitOutcome): boolean {
    if (this.settled) return false;
    this.settled = true;
    if (this.deadline) this.deadlines.delete(this.deadline);
    this.deadline = undefined;
    this.signal?.removeEventListener('abort', this);
    this.signal = undefined;
    this.release(this);
    this.resolve(outcome);
    return true;
  }

  /** The abort signal's listener: the client went away. */
  handleEvent(): void {
    this.settle({ kind: 'gone' });
  }
}
