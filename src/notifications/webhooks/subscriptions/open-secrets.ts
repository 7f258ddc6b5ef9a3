import type { SecretBox } from './secret-box';

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

/** Opens the current secret, and the previous one only while it is still live at `now`. */
export function openSecrets(box: SecretBox, sealed: SealedSecrets, now: Date): OpenSecrets {
  const live =
    sealed.previousSecret !== null &&
    sealed.previousSecretExpiresAt !== null &&
    sealed.previousSecretExpiresAt > now;
  return {
    secret: box.open(sealed.secret),
    previousSecret: live && sealed.previousSecret ? box.open(sealed.previousSecret) : null,
    previousSecretExpiresAt: live ? sealed.previousSecretExpiresAt : null,
  };
}
