import { toOpenApi31 } from './to-openapi-31';

describe('toOpenApi31', () => {
  it('turns nullable scalars into type arrays, adding null to an enum', () => {
    const document = {
      openapi: '3.0.0',
      components: {
        schemas: {
          Thing: {
            type: 'object',
            properties: {
              cursor: { type: 'string', nullable: true, example: '1042' },
              status: { type: 'string', enum: ['on', 'off'], nullable: true },
              count: { type: 'number', nullable: false },
            },
          },
        },
      },
    };
    expect(toOpenApi31(document)).toEqual({
      openapi: '3.1.0',
      components: {
        schemas: {
          Thing: {
            type: 'object',
            properties: {
              cursor: { type: ['string', 'null'], example: '1042' },
              status: { type: ['string', 'null'], enum: ['on', 'off', null] },
              count: { type: 'number' },
            },
          },
        },
      },
    });
  });

  it('wraps a nullable reference or composition in anyOf with null, annotations outside', () => {
    const converted = toOpenApi31({
      openapi: '3.0.0',
      paths: {
        '/x': {
          get: {
            parameters: [{ name: 'a', in: 'query', schema: { $ref: '#/c', nullable: true } }],
            responses: {
              '200': {
                description: 'ok',
                content: {
                  'application/json': {
                    schema: {
                      type: 'object',
                      allOf: [{ $ref: '#/components/schemas/Page' }],
                      nullable: true,
                      description: 'A page',
                    },
                  },
                },
              },
            },
          },
        },
      },
    });
    const get = converted.paths['/x'].get;
    expect(get.parameters[0].schema).toEqual({ anyOf: [{ $ref: '#/c' }, { type: 'null' }] });
    expect(get.responses['200'].content['application/json'].schema).toEqual({
      description: 'A page',
      anyOf: [{ type: 'object', allOf: [{ $ref: '#/components/schemas/Page' }] }, { type: 'null' }],
    });
  });

  it('turns boolean exclusive bounds into numbers', () => {
    const converted = toOpenApi31({
      openapi: '3.0.0',
      schema: {
        properties: {
          above: { type: 'number', minimum: 0, exclusiveMinimum: true },
          below: { type: 'number', maximum: 10, exclusiveMaximum: true },
          inclusive: { type: 'number', minimum: 1, exclusiveMinimum: false },
        },
      },
    });
    expect(converted.schema.properties).toEqual({
      above: { type: 'number', exclusiveMinimum: 0 },
      below: { type: 'number', exclusiveMaximum: 10 },
      inclusive: { type: 'number', minimum: 1 },
    });
  });

  it('leaves data alone: examples, defaults, and properties named like keywords', () => {
    const document = {
      openapi: '3.0.0',
      schema: {
        type: 'object',
        example: { nullable: true, exclusiveMinimum: true },
        default: { nullable: true },
        properties: { nullable: { type: 'boolean' }, exclusiveMinimum: { type: 'number' } },
      },
    };
    expect(toOpenApi31(document)).toEqual({ ...document, openapi: '3.1.0' });
  });

  it('converts a property named like a data keyword, which holds a schema', () => {
    const converted = toOpenApi31({
      openapi: '3.0.0',
      schema: { properties: { example: { type: 'object', nullable: true } } },
    });
    expect(converted.schema.properties.example).toEqual({ type: ['object', 'null'] });
  });

  it('does not change the document it is given', () => {
    const document = { openapi: '3.0.0', schema: { type: 'string', nullable: true } };
    toOpenApi31(document);
    expect(document).toEqual({ openapi: '3.0.0', schema: { type: 'string', nullable: true } });
  });
});
