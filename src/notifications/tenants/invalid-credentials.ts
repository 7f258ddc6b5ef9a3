import { NotificationsError, NotificationsErrorCode } from '../notifications.errors';

/**
 * The one `unauthorized` error, for a missing, unknown or revoked credential alike, so callers
 * learn nothing about why.
 */
export function invalidCredentials(): NotificationsError {
  return new NotificationsError(
    NotificationsErrorCode.Unauthorized,
    'Missing or invalid credentials: send Authorization: Bearer <admin token or API key>',
  );
}
