import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

const VERSION = 1;
const KEY_BYTES = 32;
const IV_BYTES = 12;
const TAG_BYTES = 16;
const HEADER_BYTES = 1 + IV_BYTES + TAG_BYTES;
const OPEN_FAILED = 'signing secret cannot be opened';

/**
 * A stored signing secret that no configured key opens: the key it was sealed with is gone, or the
 * value was altered. Deliveries that need it fail with this message and follow their retry
 * schedule, so restoring the key lets the next attempts succeed.
 */
export class SigningSecretError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'SigningSecretError';
  }
}

/**
 * Encrypts signing secrets at rest with AES-256-GCM. A sealed value is
 * `version (1) | iv (12) | tag (16) | ciphertext`; the version byte leaves room to change the
 * scheme later without guessing what old rows hold.
 *
 * It holds a list of keys so they can be rotated: the first seals, any of them opens, and
 * {@link reseal} moves a value sealed under an older key to the first.
 */
export class SecretBox {
  private readonly keys: readonly Buffer[];

  /**
   * @param keys 32 bytes each, e.g. from {@link parseEncryptionKey}; the first seals. An empty list
   *   makes a box that refuses every seal and open, for a process that never touches secrets.
   * @param keySource how messages name where the keys come from (a variable, an option)
   */
  constructor(
    keys: readonly Buffer[],
    private readonly keySource = 'the encryptionKey option',
  ) {
    for (const key of keys) {
      if (key.length !== KEY_BYTES) {
        throw new Error(`SecretBox needs ${KEY_BYTES}-byte keys, got ${key.length} bytes`);
      }
    }
    // Private copies, so the caller zeroing or reusing its buffers cannot change the keys.
    this.keys = keys.map((key) => Buffer.from(key));
  }

  /** Encrypts `plaintext` under the first key with a fresh random IV. */
  seal(plaintext: string): Buffer {
    const [key] = this.keys;
    if (!key) {
      throw new SigningSecretError(
        `signing secret cannot be sealed: no encryption key is configured (${this.keySource})`,
      );
    }
    const version = Buffer.from([VERSION]);
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', key, iv);
    // The version byte is authenticated too, so it cannot be flipped to steer decoding.
    cipher.setAAD(version);
    const ciphertext = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    return Buffer.concat([version, iv, cipher.getAuthTag(), ciphertext]);
  }

  /**
   * Decrypts a value made by {@link seal} under any of the keys.
   *
   * @throws SigningSecretError when the value is malformed, was altered, or no key opens it.
   */
  open(sealed: Buffer): string {
    return this.openWithKey(sealed).plaintext;
  }

  /**
   * The value sealed again under the first key when an older key opened it; null when the first
   * key already seals it.
   *
   * @throws SigningSecretError as {@link open} does.
   */
  reseal(sealed: Buffer): Buffer | null {
    const { plaintext, keyIndex } = this.openWithKey(sealed);
    return keyIndex === 0 ? null : this.seal(plaintext);
  }

  private openWithKey(sealed: Buffer): { plaintext: string; keyIndex: number } {
    if (sealed.length < HEADER_BYTES) {
      throw new SigningSecretError(
        `${OPEN_FAILED}: the stored value is too short (${sealed.length} bytes)`,
      );
    }
    if (sealed[0] !== VERSION) {
      throw new SigningSecretError(
        `${OPEN_FAILED}: the stored value has unknown version ${sealed[0]}`,
      );
    }
    if (this.keys.length === 0) {
      throw new SigningSecretError(
        `${OPEN_FAILED}: no encryption key is configured (${this.keySource})`,
      );
    }
    const iv = sealed.subarray(1, 1 + IV_BYTES);
    const tag = sealed.subarray(1 + IV_BYTES, HEADER_BYTES);
    const ciphertext = sealed.subarray(HEADER_BYTES);
    for (const [keyIndex, key] of this.keys.entries()) {
      const decipher = createDecipheriv('aes-256-gcm', key, iv);
      decipher.setAAD(sealed.subarray(0, 1));
      decipher.setAuthTag(tag);
      try {
        const plaintext = Buffer.concat([decipher.update(ciphertext), decipher.final()]);
        return { plaintext: plaintext.toString('utf8'), keyIndex };
      } catch {
        // GCM tells a wrong key from an altered value no better than this: try the next key.
      }
    }
    throw new SigningSecretError(
      `${OPEN_FAILED}: ${this.keySource} does not hold the key it was sealed with ` +
        '(or the stored value was altered)',
    );
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
