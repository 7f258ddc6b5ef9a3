import type { ParameterObject, PathItemObject, ResponsesObject } from '@nestjs/swagger';
import type { EventTypeView } from '../event-types/event-type.types';

/** The Standard Webhooks headers Herald signs every attempt with, and its own. */
const WEBHOOK_HEADERS: ParameterObject[] = [
  {
    name: 'webhook-id',
    in: 'header',
    required: true,
    description: 'The event id: the same on every attempt, so a receiver can drop duplicates.',
    schema: { type: 'string' },
  },
  {
    name: 'webhook-timestamp',
    in: 'header',
    required: true,
    description:
      'When this attempt was sent, in unix seconds; refuse one far from your own clock (replays).',
    schema: { type: 'string', pattern: '^[0-9]+$' },
  },
  {
    name: 'webhook-signature',
    in: 'header',
    required: true,
    description:
      '`v1,<base64 HMAC-SHA256 of "{webhook-id}.{webhook-timestamp}.{body}">` with the ' +
      "subscription's secret (the base64 after `whsec_`); two of them, space-separated, while a " +
      'rotated secret still signs. Verify it over the raw body before parsing it.',
    schema: { type: 'string' },
  },
  {
    name: 'herald-subscription-id',
    in: 'header',
    required: true,
    description: 'The subscription this delivery is for (not signed).',
    schema: { type: 'string', format: 'uuid' },
  },
  {
    name: 'herald-subscription-uid',
    in: 'header',
    required: false,
    description: "The subscription's `uid`, when it has one (not signed).",
    schema: { type: 'string' },
  },
];

/** How Herald reads a receiver's answer. */
const RECEIVER_RESPONSES: ResponsesObject = {
  '2XX': { description: 'Received: any 2xx within the delivery timeout ends the retries.' },
  '410': { description: 'Gone: Herald disables the subscription.' },
  '429': { description: 'Too many requests: the next attempt waits for `Retry-After`.' },
  '503': { description: 'Unavailable: the next attempt waits for `Retry-After`.' },
};

/**
 * The webhook Herald POSTs for one event type: the Standard Webhooks envelope
 * `{ type, timestamp, data }` whose `data` is the payload schema at `payloadRef`, signed in the
 * headers.
 */
export function webhookPathItem(
  eventType: Pick<EventTypeView, 'name' | 'description' | 'deprecated'>,
  payloadRef: string,
): PathItemObject {
  return {
    post: {
      summary: eventType.description ?? eventType.name,
      ...(eventType.description === null ? {} : { description: eventType.description }),
      ...(eventType.deprecated ? { deprecated: true } : {}),
      parameters: WEBHOOK_HEADERS,
      requestBody: {
        required: true,
        content: {
          'application/json': {
            schema: {
              type: 'object',
              required: ['type', 'timestamp', 'data'],
              properties: {
                type: {
                  type: 'string',
                  enum: [eventType.name],
                  description: "The event's topic.",
                },
                timestamp: {
                  type: 'string',
                  format: 'date-time',
                  description: 'When the event was published (the same on every attempt).',
                },
                data: { $ref: payloadRef },
              },
            },
          },
        },
      },
      responses: RECEIVER_RESPONSES,
    },
  };
}
