import { SetMetadata, UseGuards, applyDecorators, createParamDecorator } from '@nestjs/common';
import type { ExecutionContext } from '@nestjs/common';
import { ApiBearerAuth } from '@nestjs/swagger';
import { ApiErrors } from '../http/api-errors.decorator';
import { RateLimitGuard } from '../limits/rate-limit.guard';
import { ApiKeyGuard } from './api-key.guard';
import type { AccessLevel, AuthenticatedRequest, Principal } from './principal';

import { ACCESS_METADATA, PORTAL_METADATA } from '../notifications.constants';

/**
 * Guards a route (or controller) with the admin token and/or tenant API keys, then with the
 * caller's rate limit (see `@RateLimit`), and documents both.
 */
export function Access(level: AccessLevel): MethodDecorator & ClassDecorator {
  return applyDecorators(
    SetMetadata(ACCESS_METADATA, level),
    UseGuards(ApiKeyGuard, RateLimitGuard),
    ApiBearerAuth(),
    ApiErrors(...(level === 'any' ? [401] : [401, 403]), 429),
  );
}

/**
 * Lets portal sessions use a route (or a controller's routes) that `@Access` opens to tenants; a
 * read-only session only with GET. `AdmitPortalSessions(false)` on a handler shuts its
 * controller's default off. Routes without it refuse portal sessions with `403`.
 */
export function AdmitPortalSessions(admit = true): MethodDecorator & ClassDecorator {
  return SetMetadata(PORTAL_METADATA, admit);
}

/** The authenticated caller of the current request. */
export const CurrentPrincipal = createParamDecorator(
  (_data: unknown, context: ExecutionContext): Principal => {
    const principal = context.switchToHttp().getRequest<AuthenticatedRequest>().principal;
    if (!principal) throw new Error('CurrentPrincipal used on a route without @Access()');
    return principal;
  },
);
