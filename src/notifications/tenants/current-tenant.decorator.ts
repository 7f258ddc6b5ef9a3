import { createParamDecorator, type ExecutionContext } from '@nestjs/common';
import type { AuthenticatedRequest } from './principal';
import { resolveTenant } from './resolve-tenant';

/**
 * The tenant a route that names none acts for: a tenant key's own tenant; the admin token, which
 * must name one, is refused with `validation_failed` (see {@link resolveTenant}).
 */
export const CurrentTenant = createParamDecorator(
  (_data: unknown, context: ExecutionContext): string => {
    const principal = context.switchToHttp().getRequest<AuthenticatedRequest>().principal;
    if (!principal) throw new Error('CurrentTenant used on a route without @Access()');
    return resolveTenant(principal, undefined);
  },
);
