import { Webhook } from 'standardwebhooks';
import type { ReceivedWebhook } from './webhook-receiver';

/** A webhook body as DESIGN defines it. */
export interface WebhookBody {
  type: string;
  timestamp: string;
  data: Record<string, unknown>;
}

/**
 * Verifies one received webhook with the `standardwebhooks` package, as a receiver would, and
 * returns its parsed body; throws when the signature, id or timestamp does not verify.
 */
export function verifyWebhook(secret: string, hook: ReceivedWebhook): WebhookBody {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(hook.headers)) {
    if (typeof value === 'string') headers[name] = value;
  }
  return new Webhook(secret).verify(hook.body, headers) as WebhookBody;
}
