import { compileSchema, createSchemaValidator, describePayloadError } from './event-type-schema';

const ajv = createSchemaValidator();

/** The message a payload gets against `schema`, or undefined when it passes. */
function problemOf(schema: Record<string, unknown>, payload: unknown): string | undefined {
  const validate = compileSchema(ajv, schema);
  return validate(payload) ? undefined : describePayloadError(validate.errors);
}

const ORDER = {
  type: 'object',
  required: ['orderId', 'amount'],
  properties: {
    orderId: { type: 'string', format: 'uuid' },
    amount: { type: 'number', minimum: 0 },
    lines: { type: 'array', items: { type: 'object', properties: { qty: { type: 'integer' } } } },
  },
  additionalProperties: false,
};
const ID = '0192f0a4-6b1e-7c3a-9d2e-5f6a7b8c9d0e';

describe('payload schemas', () => {
  it('let a matching payload through', () => {
    expect(problemOf(ORDER, { orderId: ID, amount: 0, lines: [{ qty: 2 }] })).toBeUndefined();
  });

  it.each([
    [{ orderId: ID, amount: -1 }, 'payload/amount must be >= 0'],
    [{ orderId: ID }, "payload must have required property 'amount'"],
    [{ orderId: 'o-1', amount: 1 }, 'payload/orderId must match format "uuid"'],
    [{ orderId: ID, amount: 1, lines: [{ qty: 1.5 }] }, 'payload/lines/0/qty must be integer'],
    [
      { orderId: ID, amount: 1, coupon: 'X' },
      'payload must NOT have additional properties (coupon)',
    ],
  ])('name the path that fails: %j', (payload, message) => {
    expect(problemOf(ORDER, payload)).toBe(message);
  });

  it('ignore keywords JSON Schema does not define, as it says to', () => {
    expect(problemOf({ type: 'object', example: { a: 1 }, 'x-owner': 'billing' }, {})).toBe(
      undefined,
    );
  });

  it('compile a schema with an $id more than once', () => {
    const schema = { $id: 'https://example.com/order', type: 'object' };

    expect(() => [compileSchema(ajv, schema), compileSchema(ajv, { ...schema })]).not.toThrow();
  });

  it("refuse a schema that is not one, with ajv's reason naming the schema's path", () => {
    expect(() => compileSchema(ajv, { properties: { a: { minimum: 'zero' } } })).toThrow(
      'schema/properties/a/minimum must be number',
    );
  });
});
