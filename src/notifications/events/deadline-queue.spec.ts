import { DeadlineQueue } from './deadline-queue';

describe('DeadlineQueue', () => {
  let expired: string[];
  let queue: DeadlineQueue<string>;

  beforeEach(() => {
    jest.useFakeTimers({ now: 1_000_000 });
    expired = [];
    queue = new DeadlineQueue<string>((item) => expired.push(item));
  });

  afterEach(() => jest.useRealTimers());

  it('expires each item at its deadline, in deadline order, on one timer', async () => {
    queue.add('c', 300);
    queue.add('a', 100);
    queue.add('b', 200);
    queue.add('a2', 100);

    expect(jest.getTimerCount()).toBe(1);
    await jest.advanceTimersByTimeAsync(99);
    expect(expired).toEqual([]);
    await jest.advanceTimersByTimeAsync(1);
    expect(expired.sort()).toEqual(['a', 'a2']);
    await jest.advanceTimersByTimeAsync(100);
    expect(expired).toEqual(['a', 'a2', 'b']);
    await jest.advanceTimersByTimeAsync(100);
    expect(expired).toEqual(['a', 'a2', 'b', 'c']);
    expect(queue.size).toBe(0);
    expect(jest.getTimerCount()).toBe(0);
  });

  it('re-arms its timer for an item due earlier than the earliest so far', async () => {
    queue.add('late', 10_000);
    queue.add('early', 50);

    await jest.advanceTimersByTimeAsync(50);

    expect(expired).toEqual(['early']);
    expect(jest.getTimerCount()).toBe(1);
  });

  it('never expires a deleted item, and drops its timer once empty', async () => {
    const a = queue.add('a', 100);
    const b = queue.add('b', 200);

    expect(queue.delete(a)).toBe(true);
    expect(queue.delete(a)).toBe(false);
    await jest.advanceTimersByTimeAsync(150);
    expect(expired).toEqual([]);
    expect(queue.delete(b)).toBe(true);

    expect(queue.size).toBe(0);
    expect(jest.getTimerCount()).toBe(0);
  });

  it('keeps the order of the rest when items are deleted from the middle', async () => {
    const items = Array.from({ length: 200 }, (_, index) => {
      // Deadlines out of insertion order: 0, 7, 14, ... modulo 200.
      const ms = ((index * 7) % 200) + 1;
      return {
        name: String(ms).padStart(3, '0'),
        deadline: queue.add(String(ms).padStart(3, '0'), ms),
      };
    });
    const kept = items.filter((_, index) => index % 3 !== 0);
    for (const [index, item] of items.entries()) if (index % 3 === 0) queue.delete(item.deadline);

    await jest.advanceTimersByTimeAsync(200);

    expect(expired).toEqual(kept.map((item) => item.name).sort());
    expect(queue.size).toBe(0);
  });

  it('takes items added while expiring others', async () => {
    const chained = new DeadlineQueue<string>((item) => {
      expired.push(item);
      if (item === 'first') chained.add('second', 100);
    });
    chained.add('first', 100);

    await jest.advanceTimersByTimeAsync(100);
    expect(expired).toEqual(['first']);
    await jest.advanceTimersByTimeAsync(100);

    expect(expired).toEqual(['first', 'second']);
    expect(jest.getTimerCount()).toBe(0);
  });
});
