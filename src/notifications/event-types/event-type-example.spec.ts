import { eventTypeExample } from './event-type-example';

describe('eventTypeExample', () => {
  it('builds a payload from the schema, using its own examples and resolving its references', () => {
    const schema = {
      type: 'object',
      required: ['orderId'],
      properties: {
        orderId: { type: 'integer', minimum: 1 },
        email: { type: 'string', format: 'email' },
        status: { enum: ['placed', 'paid'] },
        lines: { $ref: '#/$defs/lines' },
      },
      $defs: {
        lines: {
          type: 'array',
          items: { type: 'object', properties: { sku: { type: 'string', examples: ['SKU-1'] } } },
        },
      },
    };
    expect(eventTypeExample(schema)).toEqual({
      orderId: 1,
      email: 'user@example.com',
      status: 'placed',
      lines: [{ sku: 'SKU-1' }],
    });
  });

  it('is null without a schema, or when the schema cannot be read', () => {
    expect(eventTypeExample(null)).toBeNull();
    expect(eventTypeExample({ $ref: '#/$defs/missing' })).toBeNull();
  });
});
