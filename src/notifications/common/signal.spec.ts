import { Signal } from './signal';

/** Tracks whether a promise has resolved yet, without awaiting it. */
function track(promise: Promise<void>): { readonly done: boolean } {
  const state = { done: false };
  void promise.then(() => (state.done = true));
  return state;
}

/** Runs pending microtasks (and timers due at the current fake time). */
async function flush(): Promise<void> {
  await jest.advanceTimersByTimeAsync(0);
}

describe('Signal', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  it('makes the next wait return at once when notified before anyone waits', async () => {
    const signal = new Signal();
    signal.notify();

    const first = track(signal.wait(1000));
    await flush();

    expect(first.done).toBe(true);
    expect(jest.getTimerCount()).toBe(0);
  });

  it('keeps a notify given before anyone waits for one wait only', async () => {
    const signal = new Signal();
    signal.notify();
    signal.notify();

    await signal.wait(1000);
    const second = track(signal.wait(1000));
    await flush();

    expect(second.done).toBe(false);
    await jest.advanceTimersByTimeAsync(1000);
    expect(second.done).toBe(true);
  });

  it('wakes every current waiter on one notify', async () => {
    const signal = new Signal();
    const waits = [track(signal.wait(1000)), track(signal.wait(2000)), track(signal.wait(3000))];
    await flush();
    expect(waits.map((w) => w.done)).toEqual([false, false, false]);

    signal.notify();
    await flush();

    expect(waits.map((w) => w.done)).toEqual([true, true, true]);
    expect(jest.getTimerCount()).toBe(0);
  });

  it('does not carry a notify that woke waiters over to the next wait', async () => {
    const signal = new Signal();
    const current = signal.wait(1000);
    signal.notify();
    await current;

    const next = track(signal.wait(1000));
    await flush();

    expect(next.done).toBe(false);
  });

  it('resolves a wait after its ms without any notify', async () => {
    const signal = new Signal();
    const wait = track(signal.wait(500));

    await jest.advanceTimersByTimeAsync(499);
    expect(wait.done).toBe(false);

    await jest.advanceTimersByTimeAsync(1);
    expect(wait.done).toBe(true);
    expect(jest.getTimerCount()).toBe(0);
  });

  it('wakes a newer waiter after the timer of a wait that lost a race fires', async () => {
    // Regression: with a single release slot, the stale wait's timer cleared the slot the newer
    // waiter had taken, so the notify was parked as pending instead of waking it.
    const signal = new Signal();
    await Promise.race([signal.wait(100), Promise.resolve()]);

    await jest.advanceTimersByTimeAsync(50);
    const newer = track(signal.wait(1000));
    await jest.advanceTimersByTimeAsync(60);
    expect(newer.done).toBe(false);

    signal.notify();
    await flush();

    expect(newer.done).toBe(true);
  });

  it('wakes a newer waiter while a wait that lost a race is still pending', async () => {
    const signal = new Signal();
    await Promise.race([signal.wait(5000), Promise.resolve()]);
    const newer = track(signal.wait(1000));

    signal.notify();
    await flush();

    expect(newer.done).toBe(true);
  });

  it('keeps a notify for the next wait when the only earlier wait was abandoned by its abort', async () => {
    // The loop abandoned its wait (its connection was lost) and is busy; the nudge must still
    // reach its next wait instead of being spent on the abandoned one.
    const signal = new Signal();
    const connection = new AbortController();
    const abandoned = track(signal.wait(5000, connection.signal));
    connection.abort();
    await flush();
    expect(abandoned.done).toBe(true);
    expect(jest.getTimerCount()).toBe(0);

    signal.notify();
    const next = track(signal.wait(1000));
    await flush();

    expect(next.done).toBe(true);
  });
});
