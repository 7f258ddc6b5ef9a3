import { DataSource } from 'typeorm';
import { ControlListener } from '../common/postgres/control-listener';
import { NotificationsError, NotificationsErrorCode } from '../notifications.errors';
import { resolveNotificationsOptions } from '../notifications.options';
import { EventTypeCatalog } from './event-type-catalog';
import type { EventTypeSource } from './event-type.types';

const TYPES: EventTypeSource[] = [
  {
    name: 'order.created',
    schema: { type: 'object', required: ['amount'], properties: { amount: { minimum: 0 } } },
  },
  { name: 'order.shipped' },
];

/** A catalog of `TYPES`, not connected to any database (it reads nothing until bootstrap). */
function catalogOf(strictEventTypes: boolean, eventTypes = TYPES): EventTypeCatalog {
  const dataSource = new DataSource({ type: 'postgres' });
  return new EventTypeCatalog(
    dataSource,
    resolveNotificationsOptions({ eventTypes, strictEventTypes }),
    new ControlListener(dataSource),
  );
}

function errorFrom(run: () => unknown): NotificationsError {
  try {
    run();
  } catch (error) {
    if (error instanceof NotificationsError) return error;
    throw error;
  }
  throw new Error('expected a NotificationsError');
}

describe('EventTypeCatalog', () => {
  it('lists the types declared in code, sorted, and finds them by name', () => {
    const catalog = catalogOf(false);

    expect(catalog.list().map((type) => type.name)).toEqual(['order.created', 'order.shipped']);
    expect(catalog.get('order.shipped')).toEqual({
      name: 'order.shipped',
      description: null,
      schema: null,
      deprecated: false,
      declaredIn: 'code',
    });
    expect(catalog.get('order.cancelled')).toBeUndefined();
  });

  it('checks a payload against its schema, naming the path', () => {
    const catalog = catalogOf(false);

    expect(() => catalog.check('order.created', { amount: 3 })).not.toThrow();
    const error = errorFrom(() => catalog.check('order.created', { amount: -3 }));
    expect(error.code).toBe(NotificationsErrorCode.PayloadInvalid);
    expect(error.message).toBe('payload/amount must be >= 0 (event type order.created)');
    expect(() => catalog.check('order.shipped', { anything: true })).not.toThrow();
  });

  it('lets undeclared topics through unless strict', () => {
    expect(() => catalogOf(false).check('invoice.paid', {})).not.toThrow();
    const error = errorFrom(() => catalogOf(true).check('invoice.paid', {}));
    expect(error.code).toBe(NotificationsErrorCode.UnknownEventType);
    expect(error.message).toMatch(/^topic invoice.paid is not a declared event type/);
  });

  it("lets Herald's own webhook.* topics through, strict or not", () => {
    expect(() => catalogOf(true).check('webhook.test', {})).not.toThrow();
    expect(() => catalogOf(true).checkPatterns(['webhook.test'])).not.toThrow();
  });

  it('when strict, takes subscription patterns that match some declared type', () => {
    const catalog = catalogOf(true);

    expect(() => catalog.checkPatterns(['*'])).not.toThrow();
    expect(() => catalog.checkPatterns(['order.*', 'order.created'])).not.toThrow();
    const error = errorFrom(() => catalog.checkPatterns(['order.*', 'invoice.*']));
    expect(error.code).toBe(NotificationsErrorCode.UnknownEventType);
    expect(error.message).toMatch(/^topic pattern invoice.\* matches no declared event type/);
    expect(() => catalog.checkPatterns(['order.created.v2'])).toThrow(NotificationsError);
  });

  it('when strict with no declared types, refuses even *', () => {
    expect(() => catalogOf(true, []).checkPatterns(['*'])).toThrow(NotificationsError);
  });

  it('when not strict, takes any pattern', () => {
    expect(() => catalogOf(false, []).checkPatterns(['invoice.*'])).not.toThrow();
  });
});
