import { ValidationPipe, type ValidationError } from '@nestjs/common';
import { NotificationsError, NotificationsErrorCode } from '../notifications.errors';

function describe(errors: ValidationError[], parent = ''): string[] {
  return errors.flatMap((error) => {
    const path = parent ? `${parent}.${error.property}` : error.property;
    const own = Object.values(error.constraints ?? {}).map((message) =>
      // class-validator names the leaf property only; give the full path for nested fields.
      message.startsWith(error.property)
        ? `${path}${message.slice(error.property.length)}`
        : message,
    );
    return [...own, ...describe(error.children ?? [], path)];
  });
}

/**
 * The validation every Herald controller applies: unknown fields refused, types converted,
 * failures thrown as `validation_failed` with every message naming its field.
 */
export function createValidationPipe(): ValidationPipe {
  return new ValidationPipe({
    whitelist: true,
    forbidNonWhitelisted: true,
    forbidUnknownValues: true,
    transform: true,
    validationError: { target: false, value: false },
    exceptionFactory: (errors) =>
      new NotificationsError(NotificationsErrorCode.ValidationFailed, describe(errors).join('; ')),
  });
}
