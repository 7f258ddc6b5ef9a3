import { randomBytes } from 'node:crypto';

/** What every signing secret starts with; the base64 key follows it. */
export const WEBHOOK_SECRET_PREFIX = 'whsec_';

const SECRET_BYTES = 32;

/** A new signing secret: `whsec_` and the base64 of 32 random bytes, as Svix issues them. */
export function generateWebhookSecret(): string {
  return WEBHOOK_SECRET_PREFIX + randomBytes(SECRET_BYTES).toString('base64');
}
