import { HttpException, HttpStatus } from '@nestjs/common';
import { STATUS_CODES } from 'node:http';
import { NotificationsError, NotificationsErrorCode } from '../notifications.errors';
import { bodyParserError } from './body-parser-errors';
import { isDatabaseUnavailable, isUnstorableText } from '../common/postgres/database-unavailable';
import { ERROR_STATUS, STATUS_CODE } from './error-status';

/** The body of every error answer: `{ statusCode, error, message, code }` and any details. */
export interface ErrorBody {
  statusCode: number;
  error: string;
  message: string;
  code: string;
  [detail: string]: unknown;
}

/**
 * What answers `exception`: Herald's coded errors by their code, the body parsers' refusals (of
 * Express and Fastify) and Nest's exceptions by their status, a lost or unreachable database as a
 * 503 worth retrying, and anything else as a 500 that reveals nothing of its cause.
 */
export function toErrorBody(exception: unknown): ErrorBody {
  if (exception instanceof NotificationsError) {
    return errorBody(
      ERROR_STATUS[exception.code],
      exception.message,
      exception.code,
      exception.details,
    );
  }
  const refusal = bodyParserError(exception);
  if (refusal) return errorBody(refusal.status, refusal.message, refusal.code);
  if (exception instanceof HttpException) {
    const status = exception.getStatus();
    const response = exception.getResponse();
    const message =
      typeof response === 'string' ? response : (messageOf(response) ?? exception.message);
    return errorBody(status, message, STATUS_CODE[status] ?? 'error');
  }
  if (isUnstorableText(exception)) {
    return errorBody(
      HttpStatus.BAD_REQUEST,
      'text must not contain the character U+0000, which Postgres cannot store',
      NotificationsErrorCode.ValidationFailed,
    );
  }
  if (isDatabaseUnavailable(exception)) {
    return errorBody(
      HttpStatus.SERVICE_UNAVAILABLE,
      'The database is unavailable; try again',
      'database_unavailable',
      { retryAfter: 1 },
    );
  }
  return errorBody(HttpStatus.INTERNAL_SERVER_ERROR, 'Internal server error', 'internal_error');
}

function errorBody(
  status: number,
  message: string,
  code: string,
  details: Record<string, unknown> = {},
): ErrorBody {
  return { statusCode: status, error: STATUS_CODES[status] ?? 'Error', message, code, ...details };
}

function messageOf(response: object): string | undefined {
  if (!('message' in response)) return undefined;
  const { message } = response;
  if (Array.isArray(message)) return message.map(String).join('; ');
  return typeof message === 'string' ? message : undefined;
}
