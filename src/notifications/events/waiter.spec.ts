import { getEventListeners } from 'node:events';
import { TopicFilter } from '../common/topics/topic-filter';
import type { LoggedEvent } from './event-log.service';
import { createWaiterDeadlines, Waiter, type WaitOutcome } from './waiter';
import { WokenEvents } from './woken-events';

const event: LoggedEvent = {
  id: '0b5c6d0e-2f4a-4b8e-9a57-1f0c2d3e4f50',
  topic: 'order.shipped',
  payload: { orderId: 'o_1' },
  cursor: '7',
  createdAt: new Date('2025-01-01T00:00:00Z'),
  bytes: 200,
};

/** Tracks the outcome of a waiter without awaiting it. */
function track(outcome: Promise<WaitOutcome>): { value?: WaitOutcome } {
  const state: { value?: WaitOutcome } = {};
  void outcome.then((value) => (state.value = value));
  return state;
}

function abortListeners(signal: AbortSignal): number {
  return getEventListeners(signal, 'abort').length;
}

describe('Waiter', () => {
  let release: jest.Mock<void, [Waiter]>;
  let waiter: Waiter;
  let controller: AbortController;

  beforeEach(() => {
    jest.useFakeTimers();
    release = jest.fn<void, [Waiter]>();
    waiter = new Waiter('tenant-1', new TopicFilter(['order.*']), release, createWaiterDeadlines());
    controller = new AbortController();
  });

  afterEach(() => jest.useRealTimers());

  it('keeps its tenant and filter', () => {
    expect(waiter.tenantId).toBe('tenant-1');
    expect(waiter.filter.matches('order.shipped')).toBe(true);
    expect(waiter.checkedThrough).toBeUndefined();
  });

  it('stays unsettled while nothing happens', async () => {
    const outcome = track(waiter.wait(1000, controller.signal));

    await jest.advanceTimersByTimeAsync(999);

    expect(outcome.value).toBeUndefined();
    expect(release).not.toHaveBeenCalled();
    expect(jest.getTimerCount()).toBe(1);
    expect(abortListeners(controller.signal)).toBe(1);
  });

  describe('when the timeout comes first', () => {
    it('settles with timeout, releases itself once and drops its abort listener', async () => {
      const outcome = track(waiter.wait(1000, controller.signal));

      await jest.advanceTimersByTimeAsync(1000);

      expect(outcome.value).toEqual({ kind: 'timeout' });
      expect(release).toHaveBeenCalledTimes(1);
      expect(release).toHaveBeenCalledWith(waiter);
      expect(jest.getTimerCount()).toBe(0);
      expect(abortListeners(controller.signal)).toBe(0);
    });

    it('ignores a later abort and a later settle', async () => {
      const outcome = track(waiter.wait(1000, controller.signal));
      await jest.advanceTimersByTimeAsync(1000);

      controller.abort();
      expect(waiter.settle({ kind: 'events', events: new WokenEvents([event]) })).toBe(false);
      expect(waiter.settle({ kind: 'shutdown' })).toBe(false);
      await jest.advanceTimersByTimeAsync(0);

      expect(outcome.value).toEqual({ kind: 'timeout' });
      expect(await waiter.outcome).toEqual({ kind: 'timeout' });
      expect(release).toHaveBeenCalledTimes(1);
    });
  });

  describe('when the abort signal comes first', () => {
    it('settles with gone, releases itself once and clears its timer', async () => {
      const outcome = track(waiter.wait(1000, controller.signal));

      controller.abort();
      await jest.advanceTimersByTimeAsync(0);

      expect(outcome.value).toEqual({ kind: 'gone' });
      expect(release).toHaveBeenCalledTimes(1);
      expect(jest.getTimerCount()).toBe(0);
      expect(abortListeners(controller.signal)).toBe(0);
    });

    it('ignores a later timeout and a later settle', async () => {
      const outcome = track(waiter.wait(1000, controller.signal));
      controller.abort();

      expect(waiter.settle({ kind: 'recheck' })).toBe(false);
      await jest.advanceTimersByTimeAsync(5000);

      expect(outcome.value).toEqual({ kind: 'gone' });
      expect(release).toHaveBeenCalledTimes(1);
    });

    it('settles at once with gone when the signal is already aborted', async () => {
      controller.abort();

      const outcome = track(waiter.wait(1000, controller.signal));
      await jest.advanceTimersByTimeAsync(0);

      expect(outcome.value).toEqual({ kind: 'gone' });
      expect(release).toHaveBeenCalledTimes(1);
      expect(jest.getTimerCount()).toBe(0);
      expect(abortListeners(controller.signal)).toBe(0);
    });
  });

  describe('when settle comes first', () => {
    it('settles with the outcome given, clears its timer and drops its abort listener', async () => {
      const outcome = track(waiter.wait(1000, controller.signal));

      const woken = new WokenEvents([event]);
      expect(waiter.settle({ kind: 'events', events: woken })).toBe(true);
      await jest.advanceTimersByTimeAsync(0);

      expect(outcome.value).toEqual({ kind: 'events', events: woken });
      expect(release).toHaveBeenCalledTimes(1);
      expect(release).toHaveBeenCalledWith(waiter);
      expect(jest.getTimerCount()).toBe(0);
      expect(abortListeners(controller.signal)).toBe(0);
    });

    it('ignores a later settle, abort and timeout', async () => {
      const outcome = track(waiter.wait(1000, controller.signal));
      waiter.settle({ kind: 'recheck' });

      expect(waiter.settle({ kind: 'timeout' })).toBe(false);
      controller.abort();
      await jest.advanceTimersByTimeAsync(5000);

      expect(outcome.value).toEqual({ kind: 'recheck' });
      expect(release).toHaveBeenCalledTimes(1);
    });

    it('returns the settled outcome from a wait started afterwards, with no timer or listener', async () => {
      waiter.settle({ kind: 'shutdown' });

      const outcome = await waiter.wait(1000, controller.signal);

      expect(outcome).toEqual({ kind: 'shutdown' });
      expect(jest.getTimerCount()).toBe(0);
      expect(abortListeners(controller.signal)).toBe(0);
      expect(release).toHaveBeenCalledTimes(1);
    });

    it('can settle before wait is ever called', async () => {
      expect(waiter.settle({ kind: 'recheck' })).toBe(true);

      expect(await waiter.outcome).toEqual({ kind: 'recheck' });
      expect(release).toHaveBeenCalledTimes(1);
    });
  });

  it('times out without an abort signal', async () => {
    const outcome = track(waiter.wait(250));

    await jest.advanceTimersByTimeAsync(250);

    expect(outcome.value).toEqual({ kind: 'timeout' });
    expect(jest.getTimerCount()).toBe(0);
  });
});
