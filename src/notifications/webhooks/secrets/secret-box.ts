import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { HERALD } from '../../database/herald-names';

/** Sealed before associated data bound a value to its row and column; still opened, never sealed. */
const UNBOUND_VERSION = 1;
/** Sealed with the subscription id and column as associated data. */
const VERSION = 2;
const KEY_BYTES = 32;
const IV_BYTES = 12;
const TAG_BYTES = 16;
const HEADER_BYTES = 1 + IV_BYTES + TAG_BYTES;
const OPEN_FAILED = 'signing secret cannot be opened';

/** The columns of `herald.subscriptions` that hold sealed signing secrets. */
export type SecretColumn = 'secret' | 'previous_secret';

/**
 * Where a sealed secret is stored. A value sealed for one slot opens only there: copied into
 * another subscription's row, or from one column to the other, it does not open.
 */
export interface SecretSlot {
  subscriptionId: string;
  column: SecretColumn;
}

/**
 * A stored signing secret that no configured key opens: the key it was sealed with is gone, or the
 * value was altered or copied from elsewhere. Deliveries that need it fail with this message and
 * follow their retry schedule, so restoring the key lets the next attempts succeed.
 */
export class SigningSecretError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'SigningSecretError';
  }
}

/**
 * Encrypts signing secrets at rest with AES-256-GCM. A sealed value is
 * `version (1) | iv (12) | tag (16) | ciphertext`. Version 2 authenticates the version byte, the
 * subscription id and the column as associated data, so a sealed value opens only in the slot it
 * was sealed for. Version 1 values (the version byte alone authenticated) still open anywhere,
 * and {@link reseal} moves them to version 2.
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

  /** Encrypts `plaintext` for `slot` under the first key with a fresh random IV. */
  seal(plaintext: string, slot: SecretSlot): Buffer {
    const [key] = this.keys;
    if (!key) {
      throw new SigningSecretError(
        `signing secret cannot be sealed: no encryption key is configured (${this.keySource})`,
      );
    }
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', key, iv);
    cipher.setAAD(associatedData(VERSION, slot));
    const ciphertext = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    return Buffer.concat([Buffer.from([VERSION]), iv, cipher.getAuthTag(), ciphertext]);
  }

  /**
   * Decrypts a value {@link seal} made for `slot`, under any of the keys.
   *
   * @throws SigningSecretError when the value is malformed, was altered, was sealed for another
   *   slot, or no key opens it.
   */
  open(sealed: Buffer, slot: SecretSlot): string {
    return this.openWithKey(sealed, slot).plaintext;
  }

  /**
   * The value sealed again for `slot` under the first key, in the current version; null when it
   * already is. `sealedFor` is the slot the stored value was sealed for, when it was moved from
   * another column (see {@link openSecrets}).
   *
   * @throws SigningSecretError as {@link open} does.
   */
  reseal(sealed: Buffer, slot: SecretSlot, sealedFor: SecretSlot = slot): Buffer | null {
    const { plaintext, keyIndex } = this.openWithKey(sealed, sealedFor);
    const current = keyIndex === 0 && sealed[0] === VERSION && sealedFor.column === slot.column;
    return current ? null : this.seal(plaintext, slot);
  }

  private openWithKey(sealed: Buffer, slot: SecretSlot): { plaintext: string; keyIndex: number } {
    if (sealed.length < HEADER_BYTES) {
      throw new SigningSecretError(
        `${OPEN_FAILED}: the stored value is too short (${sealed.length} bytes)`,
      );
    }
    const version = sealed[0];
    if (version !== VERSION && version !== UNBOUND_VERSION) {
      throw new SigningSecretError(
        `${OPEN_FAILED}: the stored value has unknown version ${version}`,
      );
    }
    if (this.keys.length === 0) {
      throw new SigningSecretError(
        `${OPEN_FAILED}: no encryption key is configured (${this.keySource})`,
      );
    }
    const aad =
      version === VERSION ? associatedData(VERSION, slot) : Buffer.from([UNBOUND_VERSION]);
    const iv = sealed.subarray(1, 1 + IV_BYTES);
    const tag = sealed.subarray(1 + IV_BYTES, HEADER_BYTES);
    const ciphertext = sealed.subarray(HEADER_BYTES);
    for (const [keyIndex, key] of this.keys.entries()) {
      const decipher = createDecipheriv('aes-256-gcm', key, iv);
      decipher.setAAD(aad);
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
        '(or the stored value was altered, or copied from another row or column)',
    );
  }
}

/**
 * The version byte, then the slot as text: a UUID and a column name cannot run into each other
 * across the separator, so no two slots share associated data.
 */
function associatedData(version: number, slot: SecretSlot): Buffer {
  return Buffer.concat([
    Buffer.from([version]),
    Buffer.from(
      `${HERALD.subscriptions}/${slot.subscriptionId.toLowerCase()}/${slot.column}`,
      'utf8',
    ),
  ]);
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
