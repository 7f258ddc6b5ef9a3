import { randomBytes } from 'node:crypto';
import { openSecrets } from './open-secrets';
import { SecretBox, SigningSecretError } from './secret-box';

describe('openSecrets', () => {
  const now = new Date('2026-01-01T00:00:00Z');
  const later = new Date('2026-01-02T00:00:00Z');
  const earlier = new Date('2025-12-31T00:00:00Z');
  const [keyA, keyB] = [randomBytes(32), randomBytes(32)];
  const box = new SecretBox([keyB]);
  const underB = (text: string) => box.seal(text);
  const underA = (text: string) => new SecretBox([keyA]).seal(text);

  it('opens both secrets while the previous one is live', () => {
    expect(
      openSecrets(
        box,
        { secret: underB('new'), previousSecret: underB('old'), previousSecretExpiresAt: later },
        now,
      ),
    ).toEqual({ secret: 'new', previousSecret: 'old', previousSecretExpiresAt: later });
  });

  it('leaves out a previous secret whose grace period is over', () => {
    expect(
      openSecrets(
        box,
        { secret: underB('new'), previousSecret: underB('old'), previousSecretExpiresAt: earlier },
        now,
      ),
    ).toEqual({ secret: 'new', previousSecret: null, previousSecretExpiresAt: null });
  });

  it('leaves out a live previous secret that no key opens, so the current one still signs', () => {
    expect(
      openSecrets(
        box,
        { secret: underB('new'), previousSecret: underA('old'), previousSecretExpiresAt: later },
        now,
      ),
    ).toEqual({ secret: 'new', previousSecret: null, previousSecretExpiresAt: null });
  });

  it('throws when no key opens the current secret', () => {
    expect(() =>
      openSecrets(
        box,
        { secret: underA('new'), previousSecret: null, previousSecretExpiresAt: null },
        now,
      ),
    ).toThrow(SigningSecretError);
  });
});
