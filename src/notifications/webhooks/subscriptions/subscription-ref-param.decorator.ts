import { Param, type PipeTransform } from '@nestjs/common';
import { ApiParam } from '@nestjs/swagger';
import { NotificationsError, NotificationsErrorCode } from '../../notifications.errors';
import { SUBSCRIPTION_UID_REGEX } from './dto/create-subscription.dto';

/** Refuses what can be neither a subscription's id nor its uid, before it reaches a query. */
class SubscriptionRefPipe implements PipeTransform<unknown, string> {
  constructor(private readonly name: string) {}

  transform(value: unknown): string {
    // Every UUID is also a well-formed uid (hex digits and dashes).
    if (typeof value === 'string' && SUBSCRIPTION_UID_REGEX.test(value)) return value;
    throw new NotificationsError(
      NotificationsErrorCode.ValidationFailed,
      `${this.name} must be a subscription's id (a UUID) or its uid (1 to 256 characters of ` +
        'A-Z a-z 0-9 - _ .)',
    );
  }
}

/**
 * A path parameter naming a subscription by its id or by the uid its client gave it; anything
 * that can be neither is a `validation_failed` naming the parameter.
 */
export function SubscriptionRefParam(name: string): ParameterDecorator {
  return Param(name, new SubscriptionRefPipe(name));
}

/** Documents the path parameter `id` of a route that takes {@link SubscriptionRefParam}. */
export function ApiSubscriptionRef(): MethodDecorator {
  return ApiParam({
    name: 'id',
    type: String,
    description: "The subscription's id, or the uid its client registered it with",
  });
}
