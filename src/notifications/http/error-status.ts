import { HttpStatus } from '@nestjs/common';
import { NotificationsErrorCode } from '../notifications.errors';

/** The HTTP status of each Herald error code; the only place that pairs them. */
export const ERROR_STATUS: Record<NotificationsErrorCode, HttpStatus> = {
  [NotificationsErrorCode.ValidationFailed]: HttpStatus.BAD_REQUEST,
  [NotificationsErrorCode.MalformedJson]: HttpStatus.BAD_REQUEST,
  [NotificationsErrorCode.InvalidCursor]: HttpStatus.BAD_REQUEST,
  [NotificationsErrorCode.Unauthorized]: HttpStatus.UNAUTHORIZED,
  [NotificationsErrorCode.Forbidden]: HttpStatus.FORBIDDEN,
  [NotificationsErrorCode.NotFound]: HttpStatus.NOT_FOUND,
  [NotificationsErrorCode.TenantNotFound]: HttpStatus.NOT_FOUND,
  [NotificationsErrorCode.ApiKeyNotFound]: HttpStatus.NOT_FOUND,
  [NotificationsErrorCode.PortalSessionNotFound]: HttpStatus.NOT_FOUND,
  [NotificationsErrorCode.EventNotFound]: HttpStatus.NOT_FOUND,
  [NotificationsErrorCode.CursorExpired]: HttpStatus.GONE,
  [NotificationsErrorCode.PayloadTooLarge]: HttpStatus.PAYLOAD_TOO_LARGE,
  [NotificationsErrorCode.IdempotencyKeyReused]: HttpStatus.UNPROCESSABLE_ENTITY,
  [NotificationsErrorCode.UrlNotAllowed]: HttpStatus.BAD_REQUEST,
  [NotificationsErrorCode.SubscriptionNotFound]: HttpStatus.NOT_FOUND,
  [NotificationsErrorCode.DeliveryNotFound]: HttpStatus.NOT_FOUND,
  [NotificationsErrorCode.RateLimited]: HttpStatus.TOO_MANY_REQUESTS,
  [NotificationsErrorCode.TooManyPolls]: HttpStatus.TOO_MANY_REQUESTS,
  [NotificationsErrorCode.SubscriptionLimitReached]: HttpStatus.CONFLICT,
  [NotificationsErrorCode.SubscriptionUidConflict]: HttpStatus.CONFLICT,
  [NotificationsErrorCode.SigningSecretUnavailable]: HttpStatus.CONFLICT,
  [NotificationsErrorCode.PayloadInvalid]: HttpStatus.BAD_REQUEST,
  [NotificationsErrorCode.UnknownEventType]: HttpStatus.BAD_REQUEST,
  [NotificationsErrorCode.EventTypeNotFound]: HttpStatus.NOT_FOUND,
  [NotificationsErrorCode.EventTypeDeclaredInCode]: HttpStatus.CONFLICT,
};

/** Codes for errors raised by Nest or Express themselves rather than by Herald. */
export const STATUS_CODE: Partial<Record<number, string>> = {
  400: 'bad_request',
  401: 'unauthorized',
  403: 'forbidden',
  404: 'not_found',
  405: 'method_not_allowed',
  413: 'payload_too_large',
  415: 'unsupported_media_type',
  429: 'rate_limited',
  503: 'unavailable',
};
