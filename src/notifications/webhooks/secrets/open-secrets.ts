import { SigningSecretError, type SecretBox, type SecretSlot } from './secret-box';

/** A subscription's sealed secrets, as stored. */
export interface SealedSecrets {
  subscriptionId: string;
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

/** The slot of a subscription's current secret. */
export function currentSlot(subscriptionId: string): SecretSlot {
  return { subscriptionId, column: 'secret' };
}

/** The slot of a subscription's previous secret. */
export function previousSlot(subscriptionId: string): SecretSlot {
  return { subscriptionId, column: 'previous_secret' };
}

/**
 * Opens the current secret, and the previous one only while it is still live at `now` and a
 * configured key opens it. A previous secret under a key that is gone cannot sign, and must not
 * keep the current one from signing: rotating is the way out of a lost key. It signs again if
 * the key comes back within the grace period.
 *
 * The previous secret opens as sealed for its own column or, only there, as sealed for the same
 * subscription's current secret: a rotation that could not open the current secret (its key was
 * gone) moved it unchanged. A value sealed as a previous secret never opens as the current one,
 * so a retired secret cannot be brought back by copying it.
 *
 * @throws SigningSecretError when no configured key opens the current secret
 */
export function openSecrets(box: SecretBox, sealed: SealedSecrets, now: Date): OpenSecrets {
  const live =
    sealed.previousSecret !== null &&
    sealed.previousSecretExpiresAt !== null &&
    sealed.previousSecretExpiresAt > now;
  const secret = box.open(sealed.secret, currentSlot(sealed.subscriptionId));
  const previousSecret =
    live && sealed.previousSecret
      ? (openOrNull(box, sealed.previousSecret, previousSlot(sealed.subscriptionId)) ??
        openOrNull(box, sealed.previousSecret, currentSlot(sealed.subscriptionId)))
      : null;
  return {
    secret,
    previousSecret,
    previousSecretExpiresAt: previousSecret === null ? null : sealed.previousSecretExpiresAt,
  };
}

function openOrNull(box: SecretBox, sealed: Buffer, slot: SecretSlot): string | null {
  try {
    return box.open(sealed, slot);
  } catch (error) {
    if (error instanceof SigningSecretError) return null;
    throw error;
  }
}
