import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

const VERSION = 1;
const KEY_BYTES = 32;
const IV_BYTES = 12;
const TAG_BYTES = 16;
const HEADER_BYTES = 1 + IV_BYTES + TAG_BYTES;

/**
 * Encrypts signing secrets at rest with AES-256-GCM. A sealed value is
 * `version (1) | iv (12) | tag (16) | ciphertext`; the version byte leaves room to change the
 * scheme or the key later without guessing what old rows hold.
 */
export class SecretBox {
  private readonly key: Buffer;

  /** @param key 32 bytes, e.g. from {@link parseEncryptionKey}. */
  constructor(key: Buffer) {
    if (key.length !== KEY_BYTES) {
      throw new Error(`SecretBox needs a ${KEY_BYTES}-byte key, got ${key.length} bytes`);
    }
    // A private copy, so the caller zeroing or reusing its buffer cannot change the key.
    this.key = Buffer.from(key);
  }

  /** Encrypts `plaintext` with a fresh random IV. */
  seal(plaintext: string): Buffer {
    const version = Buffer.from([VERSION]);
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.key, iv);
    // The version byte is authenticated too, so it cannot be flipped to steer decoding.
    cipher.setAAD(version);
    const ciphertext = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    return Buffer.concat([version, iv, cipher.getAuthTag(), ciphertext]);
  }

  /**
   * Decrypts a value made by {@link seal}.
   *
   * @throws Error when the value is malformed, was altered, or was sealed under another key.
   */
  open(sealed: Buffer): string {
    if (sealed.length < HEADER_BYTES) {
      throw new Error(`sealed secret is too short (${sealed.length} bytes)`);
    }
    if (sealed[0] !== VERSION) {
      throw new Error(`sealed secret has unknown version ${sealed[0]}`);
    }
    const iv = sealed.subarray(1, 1 + IV_BYTES);
    const tag = sealed.subarray(1 + IV_BYTES, HEADER_BYTES);
    const decipher = createDecipheriv('aes-256-gcm', this.key, iv);
    decipher.setAAD(sealed.subarray(0, 1));
    decipher.setAuthTag(tag);
    try {
      return Buffer.concat([
        decipher.update(sealed.subarray(HEADER_BYTES)),
        decipher.final(),
      ]).toString('utf8');
    } catch (cause) {
      throw new Error(
        'sealed secret failed authentication: it was altered or sealed with another key',
        {
          cause,
        },
      );
    }
  }
}

/**
 * Reads a 32-byte encryption key written as 64 hex characters or as base64 (standard or URL-safe,
 * padding optional). The message never repeats the text, since it is a key.
 *
 * @throws Error when the text is neither.
 */
export function parseEncryptionKey(text: string): Buffer {
  const trimmed = text.trim();
  if (/^[0-9a-fA-F]{64}$/.test(trimmed)) {
    return Buffer.from(trimmed, 'hex');
  }
  // Node's base64 decoder skips characters it does not know, so the alphabet is checked first.
  if (/^[A-Za-z0-9+/_-]+={0,2}$/.test(trimmed)) {
    const key = Buffer.from(trimmed, 'base64');
    if (key.length === KEY_BYTES) return key;
    throw new Error(
      `the encryption key decodes to ${key.length} bytes; it must be ${KEY_BYTES} bytes ` +
        '(generate one with: openssl rand -base64 32)',
    );
  }
  throw new Error(
    `the encryption key must be ${KEY_BYTES} bytes written as base64 or as 64 hex characters ` +
      '(generate one with: openssl rand -base64 32)',
  );
}
