import { randomBytes } from 'node:crypto';
import { SecretBox, SigningSecretError, parseEncryptionKey } from './secret-box';

const SECRET = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';

describe('SecretBox', () => {
  const box = new SecretBox([randomBytes(32)]);

  it('opens what it sealed', () => {
    expect(box.open(box.seal(SECRET))).toBe(SECRET);
  });

  it('round-trips empty and non-ASCII text', () => {
    expect(box.open(box.seal(''))).toBe('');
    expect(box.open(box.seal('clé secrète ✓'))).toBe('clé secrète ✓');
  });

  it('lays out version 1, a 12-byte IV, a 16-byte tag and the ciphertext', () => {
    const sealed = box.seal(SECRET);

    expect(sealed[0]).toBe(1);
    expect(sealed).toHaveLength(1 + 12 + 16 + Buffer.byteLength(SECRET));
    expect(sealed.includes(Buffer.from(SECRET))).toBe(false);
  });

  it('uses a fresh IV each time, so equal secrets do not look equal', () => {
    const first = box.seal(SECRET);
    const second = box.seal(SECRET);

    expect(first.subarray(1, 13).equals(second.subarray(1, 13))).toBe(false);
    expect(first.equals(second)).toBe(false);
  });

  it.each([
    ['the version', 0],
    ['the IV', 5],
    ['the tag', 20],
    ['the ciphertext', 35],
  ])('detects a change to %s', (_, index) => {
    const sealed = box.seal(SECRET);
    sealed[index] ^= 0x01;

    expect(() => box.open(sealed)).toThrow(
      /^signing secret cannot be opened: (the encryptionKey option does not hold|the stored value has unknown version)/,
    );
  });

  it('refuses a truncated value', () => {
    const sealed = box.seal(SECRET);

    expect(() => box.open(sealed.subarray(0, sealed.length - 1))).toThrow(
      'signing secret cannot be opened: the encryptionKey option does not hold the key',
    );
    expect(() => box.open(sealed.subarray(0, 20))).toThrow(
      'signing secret cannot be opened: the stored value is too short (20 bytes)',
    );
  });

  it('refuses an unknown version', () => {
    const sealed = box.seal(SECRET);
    sealed[0] = 2;

    expect(() => box.open(sealed)).toThrow(
      'signing secret cannot be opened: the stored value has unknown version 2',
    );
  });

  it('cannot be opened with another key, and says which setting lacks it', () => {
    const other = new SecretBox([randomBytes(32)], 'HERALD_ENCRYPTION_KEY');

    expect(() => other.open(box.seal(SECRET))).toThrow(SigningSecretError);
    expect(() => other.open(box.seal(SECRET))).toThrow(
      'signing secret cannot be opened: HERALD_ENCRYPTION_KEY does not hold the key it was sealed with',
    );
  });

  it('refuses to seal or open without keys', () => {
    const empty = new SecretBox([]);

    expect(() => empty.seal(SECRET)).toThrow(/no encryption key is configured/);
    expect(() => empty.open(box.seal(SECRET))).toThrow(/no encryption key is configured/);
  });

  it('keeps its own copy of the key', () => {
    const key = randomBytes(32);
    const owned = new SecretBox([key]);
    const sealed = owned.seal(SECRET);
    key.fill(0);

    expect(owned.open(sealed)).toBe(SECRET);
  });

  it.each([0, 16, 31, 33])('refuses a %i-byte key', (length) => {
    expect(() => new SecretBox([Buffer.alloc(length)])).toThrow(
      `SecretBox needs 32-byte keys, got ${length} bytes`,
    );
  });
});

describe('SecretBox with several keys', () => {
  const oldKey = randomBytes(32);
  const newKey = randomBytes(32);
  const before = new SecretBox([oldKey]);
  const rotated = new SecretBox([newKey, oldKey]);

  it('opens what any of its keys sealed', () => {
    expect(rotated.open(before.seal(SECRET))).toBe(SECRET);
    expect(rotated.open(rotated.seal(SECRET))).toBe(SECRET);
  });

  it('seals with the first key only', () => {
    expect(new SecretBox([newKey]).open(rotated.seal(SECRET))).toBe(SECRET);
    expect(() => before.open(rotated.seal(SECRET))).toThrow(SigningSecretError);
  });

  it('seals again under the first key what an older key opened', () => {
    const resealed = rotated.reseal(before.seal(SECRET));

    expect(resealed).not.toBeNull();
    expect(new SecretBox([newKey]).open(resealed ?? Buffer.alloc(0))).toBe(SECRET);
  });

  it('leaves alone what the first key sealed', () => {
    expect(rotated.reseal(rotated.seal(SECRET))).toBeNull();
  });

  it('cannot reseal what no key opens', () => {
    expect(() => rotated.reseal(new SecretBox([randomBytes(32)]).seal(SECRET))).toThrow(
      SigningSecretError,
    );
  });
});

describe('parseEncryptionKey', () => {
  const key = randomBytes(32);

  it.each([
    ['base64', key.toString('base64')],
    ['base64 without padding', key.toString('base64').replace(/=+$/, '')],
    ['base64url', key.toString('base64url')],
    ['lower-case hex', key.toString('hex')],
    ['upper-case hex', key.toString('hex').toUpperCase()],
    ['base64 with surrounding whitespace', ` ${key.toString('base64')}\n`],
  ])('reads %s', (_, text) => {
    expect(parseEncryptionKey(text).equals(key)).toBe(true);
  });

  it.each([
    ['16 bytes of base64', randomBytes(16).toString('base64'), 'decodes to 16 bytes'],
    ['48 bytes of base64', randomBytes(48).toString('base64'), 'decodes to 48 bytes'],
    ['62 hex characters', 'ab'.repeat(31), 'decodes to 46 bytes'],
    ['empty', '', 'must be 32 bytes written as base64 or as 64 hex characters'],
    ['a passphrase', 'correct horse battery staple', 'must be 32 bytes written as base64'],
    [
      'base64 with a stray character',
      `${key.toString('base64').slice(0, 43)}!`,
      'must be 32 bytes',
    ],
  ])('refuses %s', (_, text, message) => {
    expect(() => parseEncryptionKey(text)).toThrow(message);
  });

  it('does not repeat the key text in its error', () => {
    const text = randomBytes(16).toString('hex');

    expect(() => parseEncryptionKey(text)).toThrow(
      expect.not.objectContaining({ message: expect.stringContaining(text) }),
    );
  });
});
