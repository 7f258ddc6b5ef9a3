import type { NextFunction, Request, Response } from 'express';
import { NotificationsError, NotificationsErrorCode } from '../notifications/notifications.errors';

/**
 * Express error middleware placed right after the JSON body parser: a body that does not parse
 * becomes a `malformed_json` error (Nest would otherwise turn it into a generic 400).
 */
export function jsonBodyErrors(
  error: unknown,
  _req: Request,
  _res: Response,
  next: NextFunction,
): void {
  const failed =
    typeof error === 'object' &&
    error !== null &&
    'type' in error &&
    error.type === 'entity.parse.failed';
  if (!failed) return next(error);
  const detail = error instanceof Error ? `: ${error.message}` : '';
  next(
    new NotificationsError(
      NotificationsErrorCode.MalformedJson,
      `The body is not valid JSON${detail}`,
    ),
  );
}
