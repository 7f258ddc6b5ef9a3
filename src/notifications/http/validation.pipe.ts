import { type ArgumentMetadata, ValidationPipe, type ValidationError } from '@nestjs/common';
import { NotificationsError, NotificationsErrorCode } from '../notifications.errors';
import { asSentProperties } from './as-sent.decorator';
import { findUnstorable } from '../common/postgres/storable-json';

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

/** What validates in place of a free-form value: the same type, none of its contents. */
function standIn(value: unknown): unknown {
  if (Array.isArray(value)) return [];
  return typeof value === 'object' && value !== null ? {} : value;
}

/**
 * Nest's ValidationPipe, behind two things of Herald's own. The parsed body or query is checked
 * first, once, for every field (see `findUnstorable`): before Nest walks it recursively. And the
 * properties a DTO marks `@AsSent()` are validated by type through a stand-in and handed on
 * exactly as parsed (Nest deletes `constructor` and `prototype` keys in place; class-transformer
 * skips `toString` and the like).
 */
class HeraldValidationPipe extends ValidationPipe {
  override async transform(value: unknown, metadata: ArgumentMetadata): Promise<unknown> {
    if (metadata.type === 'body' || metadata.type === 'query') check(value, metadata.type);
    const asSent = asSentProperties(metadata.metatype);
    if (asSent.length === 0 || !isRecord(value)) return super.transform(value, metadata);
    const sent = Object.fromEntries(Object.entries(value).filter(([key]) => asSent.includes(key)));
    const standIns = Object.fromEntries(
      Object.entries(sent).map(([key, each]) => [key, standIn(each)]),
    );
    const entity: unknown = await super.transform({ ...value, ...standIns }, metadata);
    return isRecord(entity) ? Object.assign(entity, sent) : entity;
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Refuses what no DTO could take, whatever the DTO, before Nest's own validation walks it. */
function check(value: unknown, type: 'body' | 'query'): void {
  const problem =
    findUnstorable(value, { name: type, document: true }) ??
    (isRecord(value) ? hiddenFields(value) : undefined);
  if (problem) throw new NotificationsError(NotificationsErrorCode.ValidationFailed, problem);
}

/**
 * Own fields named like `Object.prototype`'s members, or `prototype`: no DTO has one, and Nest and
 * class-transformer drop them before the check for unknown fields would name them.
 */
function hiddenFields(value: object): string | undefined {
  const hidden = Object.keys(value).filter((key) => key in Object.prototype || key === 'prototype');
  return hidden.length > 0
    ? hidden.map((field) => `property ${field} should not exist`).join('; ')
    : undefined;
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
