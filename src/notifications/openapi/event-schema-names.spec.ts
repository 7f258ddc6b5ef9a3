import { eventSchemaNames } from './event-schema-names';

describe('eventSchemaNames', () => {
  it('names each payload after its topic in PascalCase, with Event after it', () => {
    expect(
      Object.fromEntries(
        eventSchemaNames(['order.created', 'invoice_v2.paid', 'user-profile.updated']),
      ),
    ).toEqual({
      'order.created': 'OrderCreatedEvent',
      'invoice_v2.paid': 'InvoiceV2PaidEvent',
      'user-profile.updated': 'UserProfileUpdatedEvent',
    });
  });

  it('gives every topic of a shared name a suffix of its own, whatever the order', () => {
    const names = eventSchemaNames(['order.created', 'order_created', 'order.paid']);
    const again = eventSchemaNames(['order.paid', 'order_created', 'order.created']);
    expect(names.get('order.created')).toMatch(/^OrderCreatedEvent_[0-9a-f]{8}$/);
    expect(names.get('order_created')).toMatch(/^OrderCreatedEvent_[0-9a-f]{8}$/);
    expect(names.get('order.created')).not.toBe(names.get('order_created'));
    expect(names.get('order.paid')).toBe('OrderPaidEvent');
    expect(again).toEqual(names);
  });

  it('does not take a name the document already holds', () => {
    const names = eventSchemaNames(['order.created'], new Set(['OrderCreatedEvent']));
    expect(names.get('order.created')).toMatch(/^OrderCreatedEvent_[0-9a-f]{8}$/);
  });
});
