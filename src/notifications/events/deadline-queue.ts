/** A place in a {@link DeadlineQueue}, kept by its holder to take it out again. */
export interface Deadline<T> {
  readonly item: T;
  /** When it expires, in ms since the epoch. */
  readonly at: number;
  /** Position in the heap; -1 once out of the queue. */
  index: number;
}

/**
 * Deadlines of many items served by one timer: a binary min-heap by deadline, and a single
 * `setTimeout` armed for the earliest. Adding and removing are O(log n); an item whose deadline
 * has passed is taken out and handed to `expire`. Holding ten thousand polls costs one timer,
 * not ten thousand.
 */
export class DeadlineQueue<T> {
  private readonly heap: Deadline<T>[] = [];
  private timer?: NodeJS.Timeout;
  /** When the armed timer fires. */
  private armedAt = Infinity;

  constructor(
    private readonly expire: (item: T) => void,
    private readonly now: () => number = Date.now,
  ) {}

  /** Items waiting for their deadline. */
  get size(): number {
    return this.heap.length;
  }

  /** Queues `item` to expire `ms` from now; keep the result to {@link delete} it. */
  add(item: T, ms: number): Deadline<T> {
    const deadline: Deadline<T> = { item, at: this.now() + ms, index: this.heap.length };
    this.heap.push(deadline);
    this.up(deadline.index);
    if (deadline.at < this.armedAt) this.arm();
    return deadline;
  }

  /** Takes a deadline out before it expires; false when it was not queued (any more). */
  delete(deadline: Deadline<T>): boolean {
    const { index } = deadline;
    if (index < 0 || this.heap[index] !== deadline) return false;
    deadline.index = -1;
    const last = this.heap.pop();
    if (last !== undefined && last !== deadline) {
      this.heap[index] = last;
      last.index = index;
      this.down(index);
      this.up(index);
    }
    // The timer may stay armed for a deadline that is gone; it then re-arms for the next one.
    if (this.heap.length === 0) this.disarm();
    return true;
  }

  private readonly fire = (): void => {
    this.timer = undefined;
    this.armedAt = Infinity;
    const now = this.now();
    for (let first = this.heap[0]; first !== undefined && first.at <= now; first = this.heap[0]) {
      this.delete(first);
      this.expire(first.item);
    }
    this.arm();
  };

  private arm(): void {
    this.disarm();
    const first = this.heap[0];
    if (first === undefined) return;
    this.armedAt = first.at;
    this.timer = setTimeout(this.fire, Math.max(0, first.at - this.now()));
  }

  private disarm(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    this.armedAt = Infinity;
  }

  private up(index: number): void {
    const { heap } = this;
    const moving = heap[index];
    while (index > 0) {
      const parentIndex = (index - 1) >> 1;
      const parent = heap[parentIndex];
      if (parent.at <= moving.at) break;
      heap[index] = parent;
      parent.index = index;
      index = parentIndex;
    }
    heap[index] = moving;
    moving.index = index;
  }

  private down(index: number): void {
    const { heap } = this;
    const moving = heap[index];
    for (;;) {
      const left = 2 * index + 1;
      const right = left + 1;
      let child = left;
      if (right < heap.length && heap[right].at < heap[left].at) child = right;
      if (child >= heap.length || heap[child].at >= moving.at) break;
      heap[index] = heap[child];
      heap[index].index = index;
      index = child;
    }
    heap[index] = moving;
    moving.index = index;
  }
}
