import { Injectable, type PipeTransform } from '@nestjs/common';
import { NotificationsError, NotificationsErrorCode } from '../notifications.errors';

/** For routes that take no body: any field sent is refused, naming it, like an unknown DTO field. */
@Injectable()
export class EmptyBodyPipe implements PipeTransform<unknown, undefined> {
  transform(value: unknown): undefined {
    const fields = typeof value === 'object' && value !== null ? Object.keys(value) : [];
    if (fields.length > 0) {
      throw new NotificationsError(
        NotificationsErrorCode.ValidationFailed,
        fields.map((field) => `property ${field} should not exist`).join('; '),
      );
    }
    return undefined;
  }
}
