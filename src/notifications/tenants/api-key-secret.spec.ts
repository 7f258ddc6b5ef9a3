import { createHash } from 'node:crypto';
import { generateApiKey, hashApiKey, looksLikeApiKey, secretsEqual } from './api-key-secret';

describe('generateApiKey', () => {
  it('makes keys of `hk_` and 43 base64url characters (32 bytes)', () => {
    const { key } = generateApiKey();

    expect(key).toMatch(/^hk_[A-Za-z0-9_-]{43}$/);
    expect(Buffer.from(key.slice(3), 'base64url')).toHaveLength(32);
  });

  it('makes a different key each time', () => {
    const keys = new Set(Array.from({ length: 20 }, () => generateApiKey().key));

    expect(keys.size).toBe(20);
  });

  it('gives the first 11 characters as the prefix', () => {
    const { key, prefix } = generateApiKey();

    expect(prefix).toHaveLength(11);
    expect(prefix).toBe(key.slice(0, 11));
    expect(prefix.startsWith('hk_')).toBe(true);
  });

  it('gives the sha256 hex of the key as the hash, never the key itself', () => {
    const { key, hash } = generateApiKey();

    expect(hash).toMatch(/^[0-9a-f]{64}$/);
    expect(hash).toBe(createHash('sha256').update(key).digest('hex'));
    expect(hash).toBe(hashApiKey(key));
    expect(hash).not.toBe(key);
    expect(hash).not.toContain(key.slice(3));
  });
});

describe('hashApiKey', () => {
  it('is the sha256 hex digest of the key', () => {
    expect(hashApiKey('abc')).toBe(
      'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad',
    );
  });

  it('differs for different keys', () => {
    expect(hashApiKey('hk_a')).not.toBe(hashApiKey('hk_b'));
  });
});

describe('looksLikeApiKey', () => {
  it('accepts generated keys', () => {
    expect(looksLikeApiKey(generateApiKey().key)).toBe(true);
  });

  it('accepts `hk_` followed by 43 characters', () => {
    expect(looksLikeApiKey(`hk_${'A'.repeat(43)}`)).toBe(true);
  });

  it.each([
    ['empty', ''],
    ['the prefix alone', 'hk_'],
    ['one character short', `hk_${'A'.repeat(42)}`],
    ['one character long', `hk_${'A'.repeat(44)}`],
    ['another prefix', `xk_${'A'.repeat(43)}`],
    ['an uppercase prefix', `HK_${'A'.repeat(43)}`],
    ['no prefix', 'A'.repeat(46)],
    ['an admin-style token', 'change-me-admin-token'],
  ])('rejects %s', (_, token) => {
    expect(looksLikeApiKey(token)).toBe(false);
  });
});

describe('secretsEqual', () => {
  it('is true for equal secrets', () => {
    expect(secretsEqual('s3cret-token', 's3cret-token')).toBe(true);
    expect(secretsEqual('', '')).toBe(true);
  });

  it('is false for different secrets of the same length', () => {
    expect(secretsEqual('s3cret-token', 's3cret-tokeN')).toBe(false);
  });

  it('is false, without throwing, for secrets of different lengths', () => {
    expect(() => secretsEqual('short', 'much-longer-secret')).not.toThrow();
    expect(secretsEqual('short', 'much-longer-secret')).toBe(false);
    expect(secretsEqual('s3cret', 's3cret-token')).toBe(false);
    expect(secretsEqual('', 'x')).toBe(false);
  });
});
