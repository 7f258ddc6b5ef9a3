/**
 * Stable, machine-readable error codes. The module's HTTP layer maps each to a status in one place
 * (`http/error-status.ts`); nothing else inside the module knows about HTTP statuses.
 */
export enum NotificationsErrorCode {
  ValidationFailed = 'validation_failed',
  MalformedJson = 'malformed_json',
  Unauthorized = 'unauthorized',
  Forbidden = 'forbidden',
  NotFound = 'not_found',
  TenantNotFound = 'tenant_not_found',
  ApiKeyNotFound = 'api_key_not_found',
  PortalSessionNotFound = 'portal_session_not_found',
  EventNotFound = 'event_not_found',
  IdempotencyKeyReused = 'idempotency_key_reused',
  PayloadTooLarge = 'payload_too_large',
  InvalidCursor = 'invalid_cursor',
  CursorExpired = 'cursor_expired',
  UrlNotAllowed = 'url_not_allowed',
  SubscriptionNotFound = 'subscription_not_found',
  DeliveryNotFound = 'delivery_not_found',
  RateLimited = 'rate_limited',
  TooManyPolls = 'too_many_polls',
  SubscriptionLimitReached = 'subscription_limit_reached',
  SubscriptionUidConflict = 'subscription_uid_conflict',
  SigningSecretUnavailable = 'signing_secret_unavailable',
  PayloadInvalid = 'payload_invalid',
  UnknownEventType = 'unknown_event_type',
  EventTypeNotFound = 'event_type_not_found',
  EventTypeDeclaredInCode = 'event_type_declared_in_code',
}

/** The one exception type the module throws for anything a caller did wrong. */
export class NotificationsError extends Error {
  constructor(
    readonly code: NotificationsErrorCode,
    message: string,
    /** Extra fields merged into the error response body, e.g. `oldestCursor`. */
    readonly details: Record<string, unknown> = {},
  ) {
    super(message);
    this.name = 'NotificationsError';
  }
}
