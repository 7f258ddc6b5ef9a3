import { createCipheriv, randomBytes, randomUUID } from 'node:crypto';
import { SecretBox, SigningSecretError, parseEncryptionKey, type SecretSlot } from './secret-box';

const SECRET = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
const SLOT: SecretSlot = { subscriptionId: randomUUID(), column: 'secret' };

/** A value in the first format (version 1: only the version byte authenticated), made by hand. */
function sealUnbound(key: Buffer, plaintext: string): Buffer {
  const version = Buffer.from([1]);
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  cipher.setAAD(version);
  const ciphertext = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
  return Buffer.concat([version, iv, cipher.getAuthTag(), ciphertext]);
}

describe('SecretBox', () => {
  const box = new SecretBox([randomBytes(32)]);

  it('opens what it sealed', () => {
    expect(box.open(box.seal(SECRET, SLOT), SLOT)).toBe(SECRET);
  });

  it('round-trips empty and non-ASCII text', () => {
    expect(box.open(box.seal('', SLOT), SLOT)).toBe('');
    expect(box.open(box.seal('clé secrète ✓', SLOT), SLOT)).toBe('clé secrète ✓');
  });

  it('lays out version 2, a 12-byte IV, a 16-byte tag and the ciphertext', () => {
    const sealed = box.seal(SECRET, SLOT);

    expect(sealed[0]).toBe(2);
    expect(sealed).toHaveLength(1 + 12 + 16 + Buffer.byteLength(SECRET));
    expect(sealed.includes(Buffer.from(SECRET))).toBe(false);
  });

  it('uses a fresh IV each time, so equal secrets do not look equal', () => {
    const first = box.seal(SECRET, SLOT);
    const second = box.seal(SECRET, SLOT);

    expect(first.subarray(1, 13).equals(second.subarray(1, 13))).toBe(false);
    expect(first.equals(second)).toBe(false);
  });

  it.each([
    ['the version', 0],
    ['the IV', 5],
    ['the tag', 20],
    ['the ciphertext', 35],
  ])('detects a change to %s', (_, index) => {
    const sealed = box.seal(SECRET, SLOT);
    sealed[index] ^= 0x01;

    expect(() => box.open(sealed, SLOT)).toThrow(
      /^signing secret cannot be opened: (the encryptionKey option does not hold|the stored value has unknown version)/,
    );
  });

  it('refuses a truncated value', () => {
    const sealed = box.seal(SECRET, SLOT);

    expect(() => box.open(sealed.subarray(0, sealed.length - 1), SLOT)).toThrow(
      'signing secret cannot be opened: the encryptionKey option does not hold the key',
    );
    expect(() => box.open(sealed.subarray(0, 20), SLOT)).toThrow(
      'signing secret cannot be opened: the stored value is too short (20 bytes)',
    );
  });

  it('refuses an unknown version', () => {
    const sealed = box.seal(SECRET, SLOT);
    sealed[0] = 3;

    expect(() => box.open(sealed, SLOT)).toThrow(
      'signing secret cannot be opened: the stored value has unknown version 3',
    );
  });

  it('refuses a value whose version is set back to the unbound format', () => {
    const sealed = box.seal(SECRET, SLOT);
    sealed[0] = 1;

    expect(() => box.open(sealed, SLOT)).toThrow(SigningSecretError);
  });

  it('cannot be opened with another key, and says which setting lacks it', () => {
    const other = new SecretBox([randomBytes(32)], 'HERALD_ENCRYPTION_KEY');

    expect(() => other.open(box.seal(SECRET, SLOT), SLOT)).toThrow(SigningSecretError);
    expect(() => other.open(box.seal(SECRET, SLOT), SLOT)).toThrow(
      'signing secret cannot be opened: HERALD_ENCRYPTION_KEY does not hold the key it was sealed with',
    );
  });

  it('refuses to seal or open without keys', () => {
    const empty = new SecretBox([]);

    expect(() => empty.seal(SECRET, SLOT)).toThrow(/no encryption key is configured/);
    expect(() => empty.open(box.seal(SECRET, SLOT), SLOT)).toThrow(
      /no encryption key is configured/,
    );
  });

  it('keeps its own copy of the key', () => {
    const key = randomBytes(32);
    const owned = new SecretBox([key]);
    const sealed = owned.seal(SECRET, SLOT);
    key.fill(0);

    expect(owned.open(sealed, SLOT)).toBe(SECRET);
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
    expect(rotated.open(before.seal(SECRET, SLOT), SLOT)).toBe(SECRET);
    expect(rotated.open(rotated.seal(SECRET, SLOT), SLOT)).toBe(SECRET);
  });

  it('seals with the first key only', () => {
    expect(new SecretBox([newKey]).open(rotated.seal(SECRET, SLOT), SLOT)).toBe(SECRET);
    expect(() => before.open(rotated.seal(SECRET, SLOT), SLOT)).toThrow(SigningSecretError);
  });

  it('seals again under the first key what an older key opened', () => {
    const resealed = rotated.reseal(before.seal(SECRET, SLOT), SLOT);

    expect(resealed).not.toBeNull();
    expect(new SecretBox([newKey]).open(resealed ?? Buffer.alloc(0), SLOT)).toBe(SECRET);
  });

  it('leaves alone what the first key sealed', () => {
    expect(rotated.reseal(rotated.seal(SECRET, SLOT), SLOT)).toBeNull();
  });

  it('cannot reseal what no key opens', () => {
    expect(() => rotated.reseal(new SecretBox([randomBytes(32)]).seal(SECRET, SLOT), SLOT)).toThrow(
      SigningSecretError,
    );
  });
});

describe('SecretBox slots', () => {
  const key = randomBytes(32);
  const box = new SecretBox([key]);
  const [idA, idB] = [randomUUID(), randomUUID()];
  const currentOfA: SecretSlot = { subscriptionId: idA, column: 'secret' };
  const previousOfA: SecretSlot = { subscriptionId: idA, column: 'previous_secret' };
  const currentOfB: SecretSlot = { subscriptionId: idB, column: 'secret' };

  it('opens a value in the slot it was sealed for', () => {
    expect(box.open(box.seal(SECRET, currentOfA), currentOfA)).toBe(SECRET);
    expect(box.open(box.seal(SECRET, previousOfA), previousOfA)).toBe(SECRET);
  });

  it("does not open a value in another subscription's row", () => {
    expect(() => box.open(box.seal(SECRET, currentOfA), currentOfB)).toThrow(
      'signing secret cannot be opened: the encryptionKey option does not hold the key it was ' +
        'sealed with (or the stored value was altered, or copied from another row or column)',
    );
  });

  it('does not open a value in the other column of the same row', () => {
    expect(() => box.open(box.seal(SECRET, currentOfA), previousOfA)).toThrow(SigningSecretError);
    expect(() => box.open(box.seal(SECRET, previousOfA), currentOfA)).toThrow(SigningSecretError);
  });

  it('reads the id in any case, as Postgres and callers may write it', () => {
    const upper = { subscriptionId: idA.toUpperCase(), column: 'secret' as const };

    expect(box.open(box.seal(SECRET, upper), currentOfA)).toBe(SECRET);
  });

  it('opens a value of the unbound format in any slot', () => {
    const unbound = sealUnbound(key, SECRET);

    expect(box.open(unbound, currentOfA)).toBe(SECRET);
    expect(box.open(unbound, currentOfB)).toBe(SECRET);
    expect(box.open(unbound, previousOfA)).toBe(SECRET);
    expect(new SecretBox([randomBytes(32), key]).open(unbound, currentOfA)).toBe(SECRET);
  });

  it('seals a value of the unbound format again, bound to its slot, under the first key', () => {
    const newKey = randomBytes(32);
    const resealed = new SecretBox([newKey, key]).reseal(sealUnbound(key, SECRET), currentOfA);

    expect(resealed?.[0]).toBe(2);
    const underNew = new SecretBox([newKey]);
    expect(underNew.open(resealed ?? Buffer.alloc(0), currentOfA)).toBe(SECRET);
    expect(() => underNew.open(resealed ?? Buffer.alloc(0), currentOfB)).toThrow(
      SigningSecretError,
    );
    // The first key sealed it too, and only the format was old.
    expect(box.reseal(sealUnbound(key, SECRET), currentOfA)).not.toBeNull();
  });

  it('seals for its own column a value sealed for the other one', () => {
    const moved = box.seal(SECRET, currentOfA);

    expect(() => box.reseal(moved, previousOfA)).toThrow(SigningSecretError);
    const resealed = box.reseal(moved, previousOfA, currentOfA);
    expect(box.open(resealed ?? Buffer.alloc(0), previousOfA)).toBe(SECRET);
    expect(box.reseal(resealed ?? Buffer.alloc(0), previousOfA)).toBeNull();
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
