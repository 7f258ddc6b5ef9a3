import type { ThrottlerModuleOptions, ThrottlerOptions } from '@nestjs/throttler';
import type { ResolvedNotificationsOptions } from '../notifications.options';
import type { RateLimitBucket } from './rate-limit.decorator';

/**
 * Herald's rate limits as `@nestjs/throttler` options: one named throttler per bucket whose limit
 * is on. A key that goes over is refused for one whole window from then (the block), so a client
 * that keeps hammering does not get a request through at every instant the window slides.
 */
export function toThrottlerOptions(
  options: Pick<ResolvedNotificationsOptions, 'publishRateLimit' | 'managementRateLimit'>,
): ThrottlerModuleOptions {
  const rules: Record<RateLimitBucket, ResolvedNotificationsOptions['publishRateLimit']> = {
    publish: options.publishRateLimit,
    management: options.managementRateLimit,
  };
  const throttlers: ThrottlerOptions[] = [];
  for (const [name, rule] of Object.entries(rules)) {
    if (rule)
      throttlers.push({ name, limit: rule.limit, ttl: rule.window, blockDuration: rule.window });
  }
  // Retry-After comes with the error body, through the one exception filter; no X-RateLimit-*.
  return { throttlers, setHeaders: false };
}
