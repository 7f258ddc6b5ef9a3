import { TopicFilter } from '../common/topics/topic-filter';
import { HeraldMetrics } from '../metrics/herald-metrics';
import { resolveNotificationsOptions } from '../notifications.options';
import type { Waiter, WaitOutcome } from './waiter';
import { WokenEvents } from './woken-events';
import { type SequencedEvent, WaiterRegistry } from './waiter-registry';

const T1 = 'tenant-1';
const T2 = 'tenant-2';
const NOW = new Date('2025-06-01T12:00:00Z');

function sequenced(tenantId: string, topic: string, position: number): SequencedEvent {
  return {
    id: `event-${position}`,
    tenantId,
    topic,
    payload: { position },
    cursor: String(position),
    createdAt: new Date(NOW.getTime() - 200),
    bytes: 200,
  };
}

/** Tracks the outcome of a waiter without awaiting it. */
function track(waiter: Waiter): { value?: WaitOutcome } {
  const state: { value?: WaitOutcome } = {};
  void waiter.outcome.then((value) => (state.value = value));
  return state;
}

async function flush(): Promise<void> {
  await jest.advanceTimersByTimeAsync(0);
}

/** The current value of a single-sample metric, read from the registry. */
async function metricValue(metrics: HeraldMetrics, name: string): Promise<number | undefined> {
  const metric = metrics.registry.getSingleMetric(name);
  if (!metric) throw new Error(`metric ${name} is not registered`);
  const { values } = await metric.get();
  return values[0]?.value;
}

/** One sample of the wake-latency histogram, e.g. its `_count`. */
async function wakeLatency(metrics: HeraldMetrics, suffix: '_count' | '_sum'): Promise<number> {
  const { values } = await metrics.wakeLatency.get();
  const name = `herald_longpoll_wake_latency_seconds${suffix}`;
  const sample = values.find((value) => value.metricName === name);
  if (!sample) throw new Error(`no ${name} sample`);
  return sample.value;
}

describe('WaiterRegistry', () => {
  let metrics: HeraldMetrics;
  let registry: WaiterRegistry;
  const all = new TopicFilter([]);

  const gauge = () => metricValue(metrics, 'herald_longpoll_waiters');
  const wakeCount = () => wakeLatency(metrics, '_count');
  const wakeSum = () => wakeLatency(metrics, '_sum');

  /** Registers a waiter that has read the log through `checkedThrough` and is now waiting. */
  function hold(tenantId: string, filter: TopicFilter, checkedThrough?: bigint) {
    const waiter = registry.register(tenantId, filter);
    waiter.checkedThrough = checkedThrough;
    void waiter.wait(30_000);
    return { waiter, outcome: track(waiter) };
  }

  beforeEach(() => {
    jest.useFakeTimers({ now: NOW });
    metrics = new HeraldMetrics(resolveNotificationsOptions({}));
    registry = new WaiterRegistry(metrics);
  });

  afterEach(() => jest.useRealTimers());

  it('starts empty', async () => {
    expect(registry.size).toBe(0);
    expect(registry.tenants()).toEqual([]);
    expect(registry.isClosed).toBe(false);
    expect(await gauge()).toBe(0);
  });

  it('holds registered waiters by tenant and counts them in the gauge', async () => {
    const a = registry.register(T1, all);
    registry.register(T1, all);
    registry.register(T2, all);

    expect(a.tenantId).toBe(T1);
    expect(registry.size).toBe(3);
    expect(registry.tenants().sort()).toEqual([T1, T2]);
    expect(await gauge()).toBe(3);
  });

  it('exposes the gauge in the Prometheus text format', async () => {
    registry.register(T1, all);
    registry.register(T2, all);

    const text = await metrics.registry.getSingleMetricAsString('herald_longpoll_waiters');

    expect(text).toMatch(/^herald_longpoll_waiters 2$/m);
  });

  describe('settling a waiter', () => {
    it('removes it from the registry and the gauge', async () => {
      const a = registry.register(T1, all);
      const b = registry.register(T2, all);

      a.settle({ kind: 'recheck' });

      expect(registry.size).toBe(1);
      expect(registry.tenants()).toEqual([T2]);
      expect(await gauge()).toBe(1);

      b.settle({ kind: 'gone' });

      expect(registry.size).toBe(0);
      expect(registry.tenants()).toEqual([]);
      expect(await gauge()).toBe(0);
    });

    it('keeps a tenant listed while it still has another waiter', () => {
      const a = registry.register(T1, all);
      registry.register(T1, all);

      a.settle({ kind: 'timeout' });

      expect(registry.size).toBe(1);
      expect(registry.tenants()).toEqual([T1]);
    });

    it('removes it only once when it is settled again', async () => {
      const a = registry.register(T1, all);
      registry.register(T1, all);

      a.settle({ kind: 'timeout' });
      expect(a.settle({ kind: 'timeout' })).toBe(false);

      expect(registry.size).toBe(1);
      expect(await gauge()).toBe(1);
    });

    it('removes it when its wait times out, leaving no timer behind', async () => {
      const { outcome } = hold(T1, all, 0n);
      expect(jest.getTimerCount()).toBe(1);

      await jest.advanceTimersByTimeAsync(30_000);

      expect(outcome.value).toEqual({ kind: 'timeout' });
      expect(registry.size).toBe(0);
      expect(registry.tenants()).toEqual([]);
      expect(jest.getTimerCount()).toBe(0);
      expect(await gauge()).toBe(0);
    });

    it('removes it when its client goes away', async () => {
      const controller = new AbortController();
      const waiter = registry.register(T1, all);
      const outcome = track(waiter);
      void waiter.wait(30_000, controller.signal);

      controller.abort();
      await flush();

      expect(outcome.value).toEqual({ kind: 'gone' });
      expect(registry.size).toBe(0);
      expect(jest.getTimerCount()).toBe(0);
    });
  });

  describe('deliver', () => {
    it('hands matching events to a waiter that has read through the start of the batch', async () => {
      const { outcome } = hold(T1, new TopicFilter(['order.*']), 10n);
      const shipped = sequenced(T1, 'order.shipped', 11);
      const deeper = sequenced(T1, 'order.eu.paid', 13);

      registry.deliver(10n, [
        shipped,
        sequenced(T1, 'invoice.paid', 12),
        deeper,
        sequenced(T2, 'order.shipped', 14),
      ]);
      await flush();

      expect(outcome.value).toEqual({ kind: 'events', events: new WokenEvents([shipped, deeper]) });
      expect(registry.size).toBe(0);
      expect(jest.getTimerCount()).toBe(0);
      expect(await gauge()).toBe(0);
    });

    it('hands over only the events after what the waiter has already read', async () => {
      const { outcome } = hold(T1, all, 12n);
      const after = sequenced(T1, 'order.shipped', 13);

      registry.deliver(10n, [
        sequenced(T1, 'order.shipped', 11),
        sequenced(T1, 'order.shipped', 12),
        after,
      ]);
      await flush();

      expect(outcome.value).toEqual({ kind: 'events', events: new WokenEvents([after]) });
    });

    it('hands events to a waiter that has read exactly through the start of the batch', async () => {
      const { outcome } = hold(T1, all, 10n);
      const next = sequenced(T1, 'order.shipped', 11);

      registry.deliver(10n, [next]);
      await flush();

      expect(outcome.value).toEqual({ kind: 'events', events: new WokenEvents([next]) });
    });

    it('leaves a waiter alone when every matching event is one it has already read', async () => {
      const { outcome } = hold(T1, all, 12n);

      registry.deliver(10n, [sequenced(T1, 'a', 11), sequenced(T1, 'b', 12)]);
      await flush();

      expect(outcome.value).toBeUndefined();
      expect(registry.size).toBe(1);
    });

    it('tells a waiter whose read is under way to read the log again', async () => {
      const { outcome } = hold(T1, all, undefined);

      registry.deliver(10n, [sequenced(T1, 'order.shipped', 11)]);
      await flush();

      expect(outcome.value).toEqual({ kind: 'recheck' });
      expect(registry.size).toBe(0);
      expect(jest.getTimerCount()).toBe(0);
    });

    it('tells a waiter that is behind the start of the batch to read the log again', async () => {
      const { outcome } = hold(T1, all, 9n);

      registry.deliver(10n, [sequenced(T1, 'order.shipped', 11)]);
      await flush();

      expect(outcome.value).toEqual({ kind: 'recheck' });
      expect(registry.size).toBe(0);
    });

    it('does not wake a waiter whose read is under way for topics it does not want', async () => {
      const { outcome } = hold(T1, new TopicFilter(['invoice.*']), undefined);
      const behind = hold(T1, new TopicFilter(['invoice.*']), 3n);

      registry.deliver(10n, [sequenced(T1, 'order.shipped', 11)]);
      await flush();

      expect(outcome.value).toBeUndefined();
      expect(behind.outcome.value).toBeUndefined();
      expect(registry.size).toBe(2);
    });

    it('gives nothing to waiters of other tenants or of topics that do not match', async () => {
      const otherTenant = hold(T2, all, 10n);
      const otherTenantReading = hold(T2, all, undefined);
      const otherTopic = hold(T1, new TopicFilter(['order.*']), 10n);
      const exact = hold(T1, new TopicFilter(['order']), 10n);

      registry.deliver(10n, [sequenced(T1, 'orders.shipped', 11), sequenced(T1, 'invoice', 12)]);
      await flush();

      for (const { outcome } of [otherTenant, otherTenantReading, otherTopic, exact]) {
        expect(outcome.value).toBeUndefined();
      }
      expect(registry.size).toBe(4);
      expect(registry.tenants().sort()).toEqual([T1, T2]);
      // One timer serves every held waiter.
      expect(jest.getTimerCount()).toBe(1);
      expect(await gauge()).toBe(4);
    });

    it('serves every waiter of a tenant according to its own position and filter', async () => {
      const current = hold(T1, all, 10n);
      const reading = hold(T1, all, undefined);
      const filtered = hold(T1, new TopicFilter(['invoice.paid']), 10n);
      const other = hold(T2, all, 10n);
      const order = sequenced(T1, 'order.shipped', 11);
      const invoice = sequenced(T1, 'invoice.paid', 12);
      const forOther = sequenced(T2, 'user.created', 13);

      registry.deliver(10n, [order, invoice, forOther]);
      await flush();

      expect(current.outcome.value).toEqual({
        kind: 'events',
        events: new WokenEvents([order, invoice]),
      });
      expect(reading.outcome.value).toEqual({ kind: 'recheck' });
      expect(filtered.outcome.value).toEqual({
        kind: 'events',
        events: new WokenEvents([invoice]),
      });
      expect(other.outcome.value).toEqual({ kind: 'events', events: new WokenEvents([forOther]) });
      expect(registry.size).toBe(0);
      expect(registry.tenants()).toEqual([]);
      expect(jest.getTimerCount()).toBe(0);
      expect(await gauge()).toBe(0);
    });

    it('hands one WokenEvents to waiters with the same filter and position, and separate ones otherwise', async () => {
      const first = hold(T1, new TopicFilter(['order.*', 'invoice.paid']), 10n);
      const second = hold(T1, new TopicFilter(['invoice.paid', 'order.*']), 10n);
      const laterCursor = hold(T1, new TopicFilter(['order.*', 'invoice.paid']), 11n);
      const otherFilter = hold(T1, new TopicFilter(['order.*']), 10n);
      const order = sequenced(T1, 'order.shipped', 11);
      const invoice = sequenced(T1, 'invoice.paid', 12);

      registry.deliver(10n, [order, invoice]);
      await flush();

      const woken = (state: { value?: WaitOutcome }) =>
        state.value?.kind === 'events' ? state.value.events : undefined;
      expect(woken(first.outcome)?.events).toEqual([order, invoice]);
      expect(woken(second.outcome)).toBe(woken(first.outcome));
      expect(woken(laterCursor.outcome)?.events).toEqual([invoice]);
      expect(woken(otherFilter.outcome)?.events).toEqual([order]);
      expect(woken(laterCursor.outcome)).not.toBe(woken(first.outcome));
      expect(woken(otherFilter.outcome)).not.toBe(woken(first.outcome));
    });

    it('does nothing for an empty batch', () => {
      hold(T1, all, undefined);

      registry.deliver(10n, []);

      expect(registry.size).toBe(1);
    });

    it('observes the wake latency for events handed over, not for rechecks', async () => {
      hold(T1, all, undefined);
      registry.deliver(10n, [sequenced(T1, 'a', 11)]);
      expect(await wakeCount()).toBe(0);

      hold(T1, all, 11n);
      registry.deliver(11n, [sequenced(T1, 'a', 12)]);
      expect(await wakeCount()).toBe(1);
      // The event was written 200 ms before the (frozen) clock's now.
      expect(await wakeSum()).toBeCloseTo(0.2);
    });
  });

  describe('recheckAll', () => {
    it('tells every waiter of every tenant to read the log again', async () => {
      const waiters = [hold(T1, all, 10n), hold(T1, all, undefined), hold(T2, all, 3n)];

      registry.recheckAll();
      await flush();

      for (const { outcome } of waiters) expect(outcome.value).toEqual({ kind: 'recheck' });
      expect(registry.size).toBe(0);
      expect(registry.tenants()).toEqual([]);
      expect(jest.getTimerCount()).toBe(0);
      expect(await gauge()).toBe(0);
    });

    it('leaves the registry open', () => {
      registry.recheckAll();

      expect(registry.isClosed).toBe(false);
      registry.register(T1, all);
      expect(registry.size).toBe(1);
    });
  });

  describe('onModuleDestroy', () => {
    it('answers every held waiter with shutdown', async () => {
      const waiters = [hold(T1, all, 10n), hold(T2, all, undefined)];

      registry.onModuleDestroy();
      await flush();

      for (const { outcome } of waiters) expect(outcome.value).toEqual({ kind: 'shutdown' });
      expect(registry.isClosed).toBe(true);
      expect(registry.size).toBe(0);
      expect(registry.tenants()).toEqual([]);
      expect(jest.getTimerCount()).toBe(0);
      expect(await gauge()).toBe(0);
    });

    it('settles a waiter registered afterwards at once with shutdown, without holding it', async () => {
      registry.onModuleDestroy();

      const waiter = registry.register(T1, all);
      const outcome = await waiter.wait(30_000);

      expect(outcome).toEqual({ kind: 'shutdown' });
      expect(waiter.settle({ kind: 'recheck' })).toBe(false);
      expect(registry.size).toBe(0);
      expect(registry.tenants()).toEqual([]);
      expect(jest.getTimerCount()).toBe(0);
      expect(await gauge()).toBe(0);
    });
  });
});
