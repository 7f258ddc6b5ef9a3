import { randomBytes } from 'node:crypto';
import { Webhook } from 'standardwebhooks';

/** What {@link signWebhook} signs: one attempt of one delivery. */
export interface WebhookSigningInput {
  /** The event id, sent as `webhook-id` and identical on every attempt. */
  id: string;
  /** When this attempt is sent; sent in whole unix seconds. */
  timestamp: Date;
  /** The exact request body; the receiver verifies these bytes. */
  body: string;
  /** The live `whsec_` secrets: one, or two while a rotated secret is still honoured. */
  secrets: readonly string[];
}

/** The Standard Webhooks headers of one attempt. */
export interface WebhookSignatureHeaders {
  'webhook-id': string;
  'webhook-timestamp': string;
  'webhook-signature': string;
}

const SECRET_PREFIX = 'whsec_';
const SECRET_BYTES = 32;

/**
 * Signs an attempt as Standard Webhooks prescribes: `v1,<base64 HMAC-SHA256 of
 * "{id}.{timestamp}.{body}">` per secret, space-separated, so a receiver holding either the old or
 * the new secret during a rotation can verify.
 */
export function signWebhook(input: WebhookSigningInput): WebhookSignatureHeaders {
  if (input.secrets.length === 0) {
    throw new Error('signWebhook needs at least one secret');
  }
  const signatures = input.secrets.map((secret) =>
    new Webhook(secret).sign(input.id, input.timestamp, input.body),
  );
  return {
    'webhook-id': input.id,
    // The same rounding standardwebhooks applies inside sign(), so header and signature agree.
    'webhook-timestamp': String(Math.floor(input.timestamp.getTime() / 1000)),
    'webhook-signature': signatures.join(' '),
  };
}

/** A new signing secret: `whsec_` and the base64 of 32 random bytes, as Svix issues them. */
export function generateWebhookSecret(): string {
  return SECRET_PREFIX + randomBytes(SECRET_BYTES).toString('base64');
}
