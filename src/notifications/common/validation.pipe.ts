import { type ArgumentMetadata, ValidationPipe, type ValidationError } from '@nestjs/common';
import { NotificationsError, NotificationsErrorCode } from '../notifications.errors';
import { findUnstorable } from './storable-json';

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
 * Nest's ValidationPipe behind a check of the parsed body or query (see `findUnstorable`), once
 * for every field and before Nest walks it recursively.
 */
class HeraldValidationPipe extends ValidationPipe {
  override async transform(value: unknown, metadata: ArgumentMetadata): Promise<unknown> {
    if (metadata.type === 'body' || metadata.type === 'query') {
      const problem = findUnstorable(value, { name: metadata.type, document: true });
      if (problem) throw new NotificationsError(NotificationsErrorCode.ValidationFailed, problem);
    }
    return super.transform(value, metadata);
  }
}

/**
 * The validation every Herald controller applies: text Postgres cannot store, numbers JSON cannot
 * hold and nesting deeper than `MAX_JSON_DEPTH` refused anywhere in a body or query; unknown
 * fields refused, types converted; failures thrown as `validation_failed` with every message
 * naming its field.
 */
export function createValidationPipe(): ValidationPipe {
  return new HeraldValidationPipe({
    whitelist: true,
    forbidNonWhitelisted: true,
    forbidUnknownValues: true,
    transform: true,
    validationError: { target: false, value: false },
    exceptionFactory: (errors) =>
      new NotificationsError(NotificationsErrorCode.ValidationFailed, describe(errors).join('; ')),
  });
}
