import { SigningSecretError, type SecretBox } from './secret-box';

/** A subscription's sealed secrets, as stored. */
export interface SealedSecrets {
  secret: Buffer;
  previousSecret: Buffer | null;
  previousSecretExpiresAt: Date | null;
}

/** The secrets signing right now, opened. */
export interface OpenSecrets {
  secret: string;
  /** The secret before the last rotation while its grace period lasts, else null. */
  previousSecret: string | null;
  previousSecretExpiresAt: Date | null;
}

/**
 * Opens the current secret, and the previous one only while it is still live at `now` and a
 * configured key opens it. A previous secret under a key that is gone cannot sign, and must not
 * keep the current one from signing: rotating is the way out of a lost key. It signs again if
 * the key comes back within the grace period.
 *
 * @throws SigningSecretError when no configured key opens the current secret
 */
export function openSecrets(box: SecretBox, sealed: SealedSecrets, now: Date): OpenSecrets {
  const live =
    sealed.previousSecret !== null &&
    sealed.previousSecretExpiresAt !== null &&
    sealed.previousSecretExpiresAt > now;
  const secret = box.open(sealed.secret);
  const previousSecret =
    live && sealed.previousSecret ? openOrNull(box, sealed.previousSecret) : null;
  return {
    secret,
    previousSecret,
    previousSecretExpiresAt: previousSecret === null ? null : sealed.previousSecretExpiresAt,
  };
}

function openOrNull(box: SecretBox, sealed: Buffer): string | null {
  try {
    return box.open(sealed);
  } catch (error) {
    if (error instanceof SigningSecretError) return null;
    throw error;
  }
}
