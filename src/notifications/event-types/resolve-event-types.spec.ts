import { Type } from 'class-transformer';
import { IsEmail, IsInt, IsOptional, IsString, Min, ValidateNested } from 'class-validator';
import { EventType } from './event-type.decorator';
import { EventPayload } from './event-type.types';
import { resolveEventTypes } from './resolve-event-types';

class Line {
  @IsString()
  sku!: string;

  @IsInt()
  @Min(1)
  quantity!: number;
}

@EventType('order.created', { description: 'An order was placed' })
class OrderCreated extends EventPayload {
  @IsString()
  orderId!: string;

  @IsInt()
  @Min(0)
  amount!: number;

  @IsOptional()
  @IsEmail()
  email?: string;

  @ValidateNested({ each: true })
  @Type(() => Line)
  lines!: Line[];
}

@EventType('order.shipped', { schema: { type: 'object', required: ['carrier'] }, deprecated: true })
class OrderShipped extends EventPayload {
  @IsString()
  trackingId!: string;
}

class NotDecorated {}

/** Two modules of one host, each with classes of the same names. */
function billingModule() {
  class Line {
    @IsInt()
    cents!: number;
  }
  @EventType('invoice.created')
  class Created extends EventPayload {
    @IsString()
    invoiceId!: string;

    @ValidateNested()
    @Type(() => Line)
    line!: Line;

    @ValidateNested()
    @Type(() => OuterLine)
    other!: OuterLine;
  }
  return Created;
}
const OuterLine = Line;
type OuterLine = Line;

function shippingModule() {
  @EventType('parcel.created')
  class Created extends EventPayload {
    @IsString()
    parcelId!: string;
  }
  return Created;
}

describe('resolveEventTypes', () => {
  it('tells classes of the same name apart, in the host and among nested classes', () => {
    const [invoice, parcel] = resolveEventTypes([billingModule(), shippingModule()]);

    expect(Object.keys(invoice.schema!.properties as object)).toEqual([
      'invoiceId',
      'line',
      'other',
    ]);
    expect(Object.keys(parcel.schema!.properties as object)).toEqual(['parcelId']);
    expect(invoice.schema).toMatchObject({
      properties: { line: { $ref: '#/$defs/Line' }, other: { $ref: '#/$defs/Line2' } },
      $defs: {
        Line: { required: ['cents'] },
        Line2: { required: ['sku', 'quantity'] },
      },
    });
  });

  it('describes a class by its class-validator decorators, nested classes under $defs', () => {
    const [view] = resolveEventTypes([OrderCreated]);

    expect(view).toEqual({
      name: 'order.created',
      description: 'An order was placed',
      deprecated: false,
      declaredIn: 'code',
      schema: expect.objectContaining({
        type: 'object',
        required: ['orderId', 'amount', 'lines'],
        properties: expect.objectContaining({
          amount: { type: 'integer', minimum: 0 },
          email: { type: 'string', format: 'email' },
          lines: { type: 'array', items: { $ref: '#/$defs/Line' } },
        }),
        $defs: { Line: expect.objectContaining({ required: ['sku', 'quantity'] }) },
      }),
    });
  });

  it("prefers the decorator's schema to the class's", () => {
    expect(resolveEventTypes([OrderShipped])[0]).toEqual({
      name: 'order.shipped',
      description: null,
      schema: { type: 'object', required: ['carrier'] },
      deprecated: true,
      declaredIn: 'code',
    });
  });

  it('takes plain declarations, with or without a schema, sorted by name', () => {
    const views = resolveEventTypes([
      { name: 'user.signed_up', schema: { type: 'object' } },
      { name: 'audit.entry', description: 'Anything' },
    ]);

    expect(views.map((view) => [view.name, view.schema])).toEqual([
      ['audit.entry', null],
      ['user.signed_up', { type: 'object' }],
    ]);
  });

  it.each([
    ['an upper-case name', [{ name: 'Order.Created' }], /eventTypes\[0\]: "Order.Created" is not/],
    ['a wildcard', [{ name: 'order.*' }], /eventTypes\[0\]: "order.\*" is not an event type name/],
    ['the empty name', [{ name: '' }], /eventTypes\[0\]: "" is not an event type name/],
    [
      'a name given twice',
      [OrderCreated, { name: 'order.created' }],
      /eventTypes\[1\]: event type order.created is declared twice/,
    ],
    [
      'a class without @EventType',
      [NotDecorated],
      /eventTypes\[0\]: class NotDecorated has no @EventType decorator/,
    ],
    [
      'a schema that does not compile',
      [{ name: 'x.y', schema: { type: 'nope' } }],
      /eventTypes\[0\]: the schema of event type x.y does not compile: schema\/type must be/,
    ],
    [
      'a schema with a reference to nowhere',
      [{ name: 'x.y', schema: { $ref: '#/$defs/Missing' } }],
      /the schema of event type x.y does not compile: can't resolve reference/,
    ],
  ])('throws on %s, naming it', (_, sources, message) => {
    expect(() => resolveEventTypes(sources)).toThrow(message);
  });
});
