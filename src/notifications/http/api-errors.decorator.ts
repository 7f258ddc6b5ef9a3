import { applyDecorators } from '@nestjs/common';
import { ApiResponse } from '@nestjs/swagger';
import { ErrorResponseDto } from './error-response.dto';

const DESCRIPTIONS: Record<number, string> = {
  400:
    'Invalid input; `message` names the field (`validation_failed`, `malformed_json`, ' +
    '`invalid_cursor`), the path of a payload that does not match its event type ' +
    '(`payload_invalid`), or a topic that is not a declared event type (`unknown_event_type`)',
  401: 'Missing, malformed or revoked credentials (`unauthorized`)',
  403: 'The credentials may not use this route (`forbidden`)',
  404: 'No such resource for these credentials',
  410: 'The cursor is older than the retention (`cursor_expired`, with `oldestCursor`)',
  413: 'The payload is larger than allowed (`payload_too_large`)',
  409:
    'The tenant has as many subscriptions as allowed (`subscription_limit_reached`), a ' +
    'subscription with this `uid` exists with other settings (`subscription_uid_conflict`), or ' +
    'no configured encryption key opens the signing secret (`signing_secret_unavailable`), or ' +
    "the event type is declared in the host's code (`event_type_declared_in_code`)",
  422: 'The idempotency key was used with another body (`idempotency_key_reused`)',
  429:
    'Over the rate limit of these credentials (`rate_limited`) or, for long polls and streams, ' +
    "the tenant's cap on held requests (`too_many_polls`); `Retry-After` says how many seconds to wait",
  503: 'Postgres could not be reached or dropped the connection (`database_unavailable`); `Retry-After` says when to try again',
};

/**
 * Documents the error answers of a route, each with the shared error body; every route also
 * documents 503, since every route needs Postgres.
 */
export function ApiErrors(...statuses: number[]): MethodDecorator & ClassDecorator {
  return applyDecorators(
    ...[...new Set([...statuses, 503])].map((status) =>
      ApiResponse({ status, description: DESCRIPTIONS[status], type: ErrorResponseDto }),
    ),
  );
}
