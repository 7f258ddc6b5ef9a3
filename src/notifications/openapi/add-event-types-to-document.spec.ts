import type { OpenAPIObject } from '@nestjs/swagger';
import { addEventTypesToDocument } from './add-event-types-to-document';

const BASE: OpenAPIObject = {
  openapi: '3.1.0',
  info: { title: 'Host', version: '1' },
  paths: {},
  components: { schemas: { OrderDto: { type: 'object' } } },
};

const ORDER_CREATED = {
  name: 'order.created',
  description: 'An order was placed',
  deprecated: false,
  schema: {
    type: 'object',
    properties: {
      orderId: { type: 'integer' },
      lines: { $ref: '#/$defs/lines' },
      default: { $ref: '#/$defs/lines' },
    },
    required: ['orderId'],
    $defs: { lines: { type: 'array', items: { type: 'string' } } },
  },
};

describe('addEventTypesToDocument', () => {
  it('adds a webhook per event type whose body is the envelope, data a named payload', () => {
    const document = addEventTypesToDocument(BASE, [ORDER_CREATED]);
    const post = document.webhooks?.['order.created']?.post;
    expect(post).toMatchObject({
      summary: 'An order was placed',
      description: 'An order was placed',
    });
    expect(post?.deprecated).toBeUndefined();
    expect(post?.requestBody).toEqual({
      required: true,
      content: {
        'application/json': {
          schema: expect.objectContaining({
            required: ['type', 'timestamp', 'data'],
            properties: {
              type: expect.objectContaining({ enum: ['order.created'] }),
              timestamp: expect.objectContaining({ format: 'date-time' }),
              data: { $ref: '#/components/schemas/OrderCreatedEvent' },
            },
          }),
        },
      },
    });
    expect(post?.parameters?.map((parameter) => 'name' in parameter && parameter.name)).toEqual(
      expect.arrayContaining(['webhook-id', 'webhook-timestamp', 'webhook-signature']),
    );
    expect(document.components?.schemas?.OrderDto).toEqual({ type: 'object' });
  });

  it("points the payload's own references through its component", () => {
    const document = addEventTypesToDocument(BASE, [ORDER_CREATED]);
    expect(document.components?.schemas?.OrderCreatedEvent).toEqual({
      ...ORDER_CREATED.schema,
      properties: {
        ...ORDER_CREATED.schema.properties,
        lines: { $ref: '#/components/schemas/OrderCreatedEvent/$defs/lines' },
        default: { $ref: '#/components/schemas/OrderCreatedEvent/$defs/lines' },
      },
    });
  });

  it('gives a type without a schema any object, and marks a deprecated one', () => {
    const document = addEventTypesToDocument(BASE, [
      { name: 'order.shipped', description: null, deprecated: true, schema: null },
    ]);
    const post = document.webhooks?.['order.shipped']?.post;
    expect(post).toMatchObject({ summary: 'order.shipped', deprecated: true });
    expect(post?.description).toBeUndefined();
    expect(document.components?.schemas?.OrderShippedEvent).toEqual({
      type: 'object',
      additionalProperties: true,
    });
  });

  it('puts them under x-webhooks in an OpenAPI 3.0 document, and leaves its input alone', () => {
    const base = { ...BASE, openapi: '3.0.0' };
    const document = addEventTypesToDocument(base, [ORDER_CREATED]);
    expect(document.webhooks).toBeUndefined();
    expect(document['x-webhooks']?.['order.created']?.post).toBeDefined();
    expect(base.components?.schemas).toEqual({ OrderDto: { type: 'object' } });
    expect(base).not.toHaveProperty('x-webhooks');
  });

  it("documents Herald's own webhook.* events too, unless the catalog declares one", () => {
    const document = addEventTypesToDocument(BASE, [
      { name: 'webhook.test', description: 'Ours', deprecated: false, schema: null },
    ]);
    expect(Object.keys(document.webhooks ?? {}).sort()).toEqual([
      'webhook.attempt.exhausted',
      'webhook.subscription.disabled',
      'webhook.test',
    ]);
    expect(document.webhooks?.['webhook.test']?.post?.summary).toBe('Ours');
    expect(document.components?.schemas?.WebhookAttemptExhaustedEvent).toMatchObject({
      required: expect.arrayContaining(['subscriptionId', 'deliveryId', 'eventId']),
    });
  });
});
