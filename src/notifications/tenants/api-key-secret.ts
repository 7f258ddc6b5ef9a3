import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

const KEY_PREFIX = 'hk_';

/** A new API key: `hk_` and 32 random bytes in base64url. */
export function generateApiKey(): { key: string; prefix: string; hash: string } {
  const key = KEY_PREFIX + randomBytes(32).toString('base64url');
  return { key, prefix: key.slice(0, KEY_PREFIX.length + 8), hash: hashApiKey(key) };
}

/**
 * API keys carry 256 bits of entropy, so a fast hash is enough: nothing can be brute-forced, and
 * a slow one (bcrypt) would cost every request. Stored hashes are useless to whoever reads them.
 */
export function hashApiKey(key: string): string {
  return createHash('sha256').update(key).digest('hex');
}

/** Whether the token has the shape of an API key (so nothing else reaches the database). */
export function looksLikeApiKey(token: string): boolean {
  return /^hk_[A-Za-z0-9_-]{43}$/.test(token);
}

/** Constant-time comparison of two secrets of any length. */
export function secretsEqual(a: string, b: string): boolean {
  const digest = (s: string) => createHash('sha256').update(s).digest();
  return timingSafeEqual(digest(a), digest(b));
}
