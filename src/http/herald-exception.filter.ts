import {
  type ArgumentsHost,
  Catch,
  type ExceptionFilter,
  HttpException,
  HttpStatus,
  Logger,
} from '@nestjs/common';
import type { Response } from 'express';
import { STATUS_CODES } from 'node:http';
import { NotificationsError, NotificationsErrorCode } from '../notifications/notifications.errors';
import { isDatabaseUnavailable, isUnstorableText } from './database-unavailable';
import { ERROR_STATUS, STATUS_CODE } from './error-status';

/** The body of every error answer. */
export interface ErrorBody {
  statusCode: number;
  error: string;
  message: string;
  code: string;
  [detail: string]: unknown;
}

/**
 * Turns every error into `{ statusCode, error, message, code }`: Herald's coded errors by their
 * code, Nest's and Express's by their status, a lost or unreachable database into a 503 worth
 * retrying, and anything else into a logged 500 that reveals nothing of its cause.
 */
@Catch()
export class HeraldExceptionFilter implements ExceptionFilter {
  private readonly logger = new Logger('HeraldExceptionFilter');

  catch(exception: unknown, host: ArgumentsHost): void {
    const response = host.switchToHttp().getResponse<Response>();
    const body = this.toBody(exception);
    if (body.statusCode >= 500) {
      this.logger.error(
        exception instanceof Error ? (exception.stack ?? exception.message) : String(exception),
      );
    }
    if (response.headersSent) {
      response.end();
      return;
    }
    // `rate_limited`, `too_many_polls` and `database_unavailable` say how long to wait; HTTP clients
    // look for it here.
    if (typeof body.retryAfter === 'number') {
      response.setHeader('Retry-After', String(body.retryAfter));
    }
    response.status(body.statusCode).json(body);
  }

  private toBody(exception: unknown): ErrorBody {
    if (exception instanceof NotificationsError) {
      return body(
        ERROR_STATUS[exception.code],
        exception.message,
        exception.code,
        exception.details,
      );
    }
    const parserError = bodyParserError(exception);
    if (parserError) return parserError;
    if (exception instanceof HttpException) {
      const status = exception.getStatus();
      const response = exception.getResponse();
      const message =
        typeof response === 'string' ? response : (messageOf(response) ?? exception.message);
      return body(status, message, STATUS_CODE[status] ?? 'error');
    }
    if (isUnstorableText(exception)) {
      return body(
        HttpStatus.BAD_REQUEST,
        'text must not contain the character U+0000, which Postgres cannot store',
        NotificationsErrorCode.ValidationFailed,
      );
    }
    if (isDatabaseUnavailable(exception)) {
      return body(
        HttpStatus.SERVICE_UNAVAILABLE,
        'The database is unavailable; try again',
        'database_unavailable',
        { retryAfter: 1 },
      );
    }
    return body(HttpStatus.INTERNAL_SERVER_ERROR, 'Internal server error', 'internal_error');
  }
}

function body(
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

/** Errors of Express's body parser carry a `type`; they are the client's fault, never a 500. */
function bodyParserError(exception: unknown): ErrorBody | undefined {
  if (typeof exception !== 'object' || exception === null || !('type' in exception))
    return undefined;
  switch (exception.type) {
    case 'entity.too.large':
      return body(
        413,
        'The body is larger than the server accepts',
        NotificationsErrorCode.PayloadTooLarge,
      );
    case 'encoding.unsupported':
    case 'charset.unsupported':
      return body(415, 'Unsupported body encoding', 'unsupported_media_type');
    default:
      return undefined;
  }
}
