import { randomBytes } from 'node:crypto';
import { hashApiKey } from './api-key-secret';

const TOKEN_PREFIX = 'hp_';

/** A new portal session token: `hp_` and 32 random bytes in base64url, with its stored hash. */
export function generatePortalToken(): { token: string; hash: string } {
  const token = TOKEN_PREFIX + randomBytes(32).toString('base64url');
  return { token, hash: hashApiKey(token) };
}

/** Whether the token has the shape of a portal session token (so nothing else reaches the database). */
export function looksLikePortalToken(token: string): boolean {
  return /^hp_[A-Za-z0-9_-]{43}$/.test(token);
}
