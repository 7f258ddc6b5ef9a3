import type { ResolvedNotificationsOptions } from '../../notifications.options';
import { SecretBox } from './secret-box';

/**
 * The module's {@link SecretBox}. Without a key it refuses to start when anything would seal or
 * open a signing secret (the worker, or the subscription routes): a key made up for one run would
 * strand every secret sealed under it at the next restart.
 *
 * @param httpMounted whether the module mounts its HTTP controllers
 */
export function createSecretBox(
  options: ResolvedNotificationsOptions,
  httpMounted: boolean,
): SecretBox {
  requireEncryptionKey(options, httpMounted);
  return new SecretBox(options.encryptionKeys, options.encryptionKeySource);
}

/**
 * Throws when no encryption key is configured but the worker or the HTTP routes would seal or
 * open signing secrets.
 */
export function requireEncryptionKey(
  options: ResolvedNotificationsOptions,
  httpMounted: boolean,
): void {
  if (options.encryptionKeys.length === 0 && (options.runWorker || httpMounted)) {
    const uses = [options.runWorker && 'the worker', httpMounted && 'the HTTP routes'].filter(
      Boolean,
    );
    throw new Error(
      `NotificationsModule needs an encryptionKey to seal webhook signing secrets (${uses.join(
        ' and ',
      )} use them): 32 bytes as a Buffer, base64 or 64 hex digits, kept across restarts ` +
        '(generate one with: openssl rand -base64 32)',
    );
  }
}
