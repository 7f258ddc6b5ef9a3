import type { EventTypeView } from '../event-types/event-type.types';

const UUID = { type: 'string', format: 'uuid' } as const;

/**
 * The events Herald publishes itself (`webhook.*`), which reach a subscription that names them:
 * documented beside the catalog's, so receivers get their types too.
 */
export const OPERATIONAL_EVENT_TYPES: readonly Pick<
  EventTypeView,
  'name' | 'description' | 'schema' | 'deprecated'
>[] = [
  {
    name: 'webhook.attempt.exhausted',
    description: "A delivery failed its last attempt (Herald's own event).",
    deprecated: false,
    schema: {
      type: 'object',
      required: ['subscriptionId', 'deliveryId', 'eventId', 'topic', 'attempts', 'lastError'],
      properties: {
        subscriptionId: UUID,
        deliveryId: UUID,
        eventId: UUID,
        topic: { type: 'string', description: 'The topic of the event that was not delivered' },
        attempts: { type: 'integer', minimum: 1 },
        lastError: { type: 'string' },
      },
    },
  },
  {
    name: 'webhook.subscription.disabled',
    description:
      "A subscription was disabled, by a 410 answer or after failing for too long (Herald's own event).",
    deprecated: false,
    schema: {
      type: 'object',
      required: ['subscriptionId', 'url', 'reason'],
      properties: {
        subscriptionId: UUID,
        url: { type: 'string', format: 'uri' },
        reason: { type: 'string' },
      },
    },
  },
  {
    name: 'webhook.test',
    description:
      "A test event, sent to one endpoint by POST /v1/subscriptions/:id/test (Herald's own event).",
    deprecated: false,
    schema: {
      type: 'object',
      required: ['subscriptionId', 'message'],
      properties: { subscriptionId: UUID, message: { type: 'string' } },
    },
  },
];
