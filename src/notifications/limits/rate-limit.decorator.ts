import { SetMetadata } from '@nestjs/common';

/**
 * The budgets an API key spends: publishing, and the management API (everything else that is not
 * a held read). Each key, and the admin token, has one of each.
 */
export type RateLimitBucket = 'publish' | 'management';

/** Route metadata key holding the {@link RateLimitBucket} a route spends, or `false` for none. */
export const RATE_LIMIT_METADATA = 'herald:rate-limit';

/**
 * Says which budget a route spends. Routes behind `@Access` spend `management` unless they say
 * otherwise; `false` exempts a route (long polls and streams, which the held-poll cap bounds).
 */
export function RateLimit(bucket: RateLimitBucket | false): MethodDecorator & ClassDecorator {
  return SetMetadata(RATE_LIMIT_METADATA, bucket);
}
