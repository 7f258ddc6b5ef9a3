import { signWebhook } from '../src/notifications/webhooks/delivery/webhook-signer';

/** One webhook request of the baselines: what Herald's dispatcher would send for the event. */
export interface WebhookRequestInput {
  eventId: string;
  topic: string;
  createdAt: Date;
  /** The payload as stored: JSON text, placed in the body byte for byte. */
  payloadJson: string;
  secret: string;
}

/**
 * Body and headers as Herald's dispatcher builds them (`{"type","timestamp","data"}`, Standard
 * Webhooks headers, signed now with Herald's signer), so the baselines pay the same per-request
 * work (serializing, one HMAC-SHA256) as Herald does.
 */
export function signedWebhookRequest(input: WebhookRequestInput): {
  body: string;
  headers: Record<string, string>;
} {
  const body = `{"type":${JSON.stringify(input.topic)},"timestamp":${JSON.stringify(
    input.createdAt.toISOString(),
  )},"data":${input.payloadJson}}`;
  return {
    body,
    headers: {
      'content-type': 'application/json',
      'user-agent': 'Herald-Webhooks/1',
      ...signWebhook({ id: input.eventId, timestamp: new Date(), body, secrets: [input.secret] }),
    },
  };
}
