import { applyDecorators } from '@nestjs/common';
import { ApiResponse } from '@nestjs/swagger';
import { ErrorResponseDto } from './error-response.dto';

const DESCRIPTIONS: Record<number, string> = {
  400: 'Invalid input; `message` names the field (`validation_failed`, `malformed_json`, `invalid_cursor`)',
  401: 'Missing, malformed or revoked credentials (`unauthorized`)',
  403: 'The credentials may not use this route (`forbidden`)',
  404: 'No such resource for these credentials',
  410: 'The cursor is older than the retention (`cursor_expired`, with `oldestCursor`)',
  413: 'The payload is larger than allowed (`payload_too_large`)',
  422: 'The idempotency key was used with another body (`idempotency_key_reused`)',
};

/** Documents the error answers of a route, each with the shared error body. */
export function ApiErrors(...statuses: number[]): MethodDecorator & ClassDecorator {
  return applyDecorators(
    ...statuses.map((status) =>
      ApiResponse({ status, description: DESCRIPTIONS[status], type: ErrorResponseDto }),
    ),
  );
}
