import { randomBytes, randomUUID } from 'node:crypto';
import { currentSlot, openSecrets, previousSlot } from './open-secrets';
import { SecretBox, SigningSecretError } from './secret-box';

describe('openSecrets', () => {
  const now = new Date('2026-01-01T00:00:00Z');
  const later = new Date('2026-01-02T00:00:00Z');
  const earlier = new Date('2025-12-31T00:00:00Z');
  const [keyA, keyB] = [randomBytes(32), randomBytes(32)];
  const box = new SecretBox([keyB]);
  const subscriptionId = randomUUID();
  const current = currentSlot(subscriptionId);
  const previous = previousSlot(subscriptionId);
  const underB = (text: string, slot = current) => box.seal(text, slot);
  const underA = (text: string, slot = current) => new SecretBox([keyA]).seal(text, slot);

  it('opens both secrets while the previous one is live', () => {
    expect(
      openSecrets(
        box,
        {
          subscriptionId,
          secret: underB('new'),
          previousSecret: underB('old', previous),
          previousSecretExpiresAt: later,
        },
        now,
      ),
    ).toEqual({ secret: 'new', previousSecret: 'old', previousSecretExpiresAt: later });
  });

  it('leaves out a previous secret whose grace period is over', () => {
    expect(
      openSecrets(
        box,
        {
          subscriptionId,
          secret: underB('new'),
          previousSecret: underB('old', previous),
          previousSecretExpiresAt: earlier,
        },
        now,
      ),
    ).toEqual({ secret: 'new', previousSecret: null, previousSecretExpiresAt: null });
  });

  it('leaves out a live previous secret that no key opens, so the current one still signs', () => {
    expect(
      openSecrets(
        box,
        {
          subscriptionId,
          secret: underB('new'),
          previousSecret: underA('old', previous),
          previousSecretExpiresAt: later,
        },
        now,
      ),
    ).toEqual({ secret: 'new', previousSecret: null, previousSecretExpiresAt: null });
  });

  it('opens a live previous secret moved unchanged from the current column', () => {
    expect(
      openSecrets(
        box,
        {
          subscriptionId,
          secret: underB('new'),
          previousSecret: underB('old', current),
          previousSecretExpiresAt: later,
        },
        now,
      ),
    ).toEqual({ secret: 'new', previousSecret: 'old', previousSecretExpiresAt: later });
  });

  it('does not open a previous secret as the current one', () => {
    expect(() =>
      openSecrets(
        box,
        {
          subscriptionId,
          secret: underB('old', previous),
          previousSecret: null,
          previousSecretExpiresAt: null,
        },
        now,
      ),
    ).toThrow(SigningSecretError);
  });

  it("does not open another subscription's secrets", () => {
    const other = randomUUID();
    expect(() =>
      openSecrets(
        box,
        {
          subscriptionId: other,
          secret: underB('new'),
          previousSecret: null,
          previousSecretExpiresAt: null,
        },
        now,
      ),
    ).toThrow(SigningSecretError);
    expect(
      openSecrets(
        box,
        {
          subscriptionId: other,
          secret: box.seal('new', currentSlot(other)),
          previousSecret: underB('old', previous),
          previousSecretExpiresAt: later,
        },
        now,
      ),
    ).toEqual({ secret: 'new', previousSecret: null, previousSecretExpiresAt: null });
  });

  it('throws when no key opens the current secret', () => {
    expect(() =>
      openSecrets(
        box,
        {
          subscriptionId,
          secret: underA('new'),
          previousSecret: null,
          previousSecretExpiresAt: null,
        },
        now,
      ),
    ).toThrow(SigningSecretError);
  });
});
