import { Param, ParseUUIDPipe } from '@nestjs/common';
import { NotificationsError, NotificationsErrorCode } from '../notifications.errors';

/** A path parameter that must be a UUID; anything else is a `validation_failed` naming it. */
export function UuidParam(name: string): ParameterDecorator {
  return Param(
    name,
    new ParseUUIDPipe({
      exceptionFactory: () =>
        new NotificationsError(NotificationsErrorCode.ValidationFailed, `${name} must be a UUID`),
    }),
  );
}
