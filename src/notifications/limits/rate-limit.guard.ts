import { type ExecutionContext, Injectable } from '@nestjs/common';
import {
  ThrottlerGuard,
  type ThrottlerLimitDetail,
  type ThrottlerRequest,
} from '@nestjs/throttler';
import { NotificationsError, NotificationsErrorCode } from '../notifications.errors';
import type { AuthenticatedRequest } from '../tenants/principal';
import { RATE_LIMIT_METADATA, type RateLimitBucket } from './rate-limit.decorator';

/**
 * `@nestjs/throttler`'s guard, counting per API key (and per admin token) instead of per address
 * and route: a route spends its {@link RateLimitBucket}, and every route of a bucket shares one
 * budget. Runs after {@link ApiKeyGuard}, which puts the principal on the request. Going over
 * throws `rate_limited` with the seconds to wait.
 */
@Injectable()
export class RateLimitGuard extends ThrottlerGuard {
  /** Both limits off is a valid configuration, not the mistake the base class warns about. */
  override async onModuleInit(): Promise<void> {
    const throttlers = Array.isArray(this.options) ? this.options : this.options.throttlers;
    if (throttlers.length === 0) {
      this.throttlers = [];
      return;
    }
    await super.onModuleInit();
  }

  protected override shouldSkip(context: ExecutionContext): Promise<boolean> {
    const principal = context.switchToHttp().getRequest<AuthenticatedRequest>().principal;
    return Promise.resolve(principal === undefined || this.bucketOf(context) === false);
  }

  /** Only the route's own bucket is spent; the base class would spend every throttler. */
  protected override handleRequest(request: ThrottlerRequest): Promise<boolean> {
    if (request.throttler.name !== this.bucketOf(request.context)) return Promise.resolve(true);
    return super.handleRequest(request);
  }

  protected override getTracker(request: AuthenticatedRequest): Promise<string> {
    const principal = request.principal;
    return Promise.resolve(
      principal?.kind === 'tenant' ? `key:${principal.credentialId}` : 'admin',
    );
  }

  /** One budget per bucket and caller, whichever route of the bucket is called. */
  protected override generateKey(
    _context: ExecutionContext,
    tracker: string,
    name: string,
  ): string {
    return `${name}:${tracker}`;
  }

  protected override throwThrottlingException(
    context: ExecutionContext,
    detail: ThrottlerLimitDetail,
  ): Promise<void> {
    const retryAfter = Math.max(1, detail.timeToBlockExpire);
    const bucket = this.bucketOf(context) || 'management';
    throw new NotificationsError(
      NotificationsErrorCode.RateLimited,
      `Rate limit reached: at most ${detail.limit} ${bucket} requests per ${detail.ttl} ms ` +
        `for these credentials; retry after ${retryAfter} s`,
      { retryAfter },
    );
  }

  private bucketOf(context: ExecutionContext): RateLimitBucket | false {
    return (
      this.reflector.getAllAndOverride<RateLimitBucket | false | undefined>(RATE_LIMIT_METADATA, [
        context.getHandler(),
        context.getClass(),
      ]) ?? 'management'
    );
  }
}
