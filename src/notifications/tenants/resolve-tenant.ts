import { NotificationsError, NotificationsErrorCode } from '../notifications.errors';
import type { Principal } from './principal';

/**
 * The tenant a request acts for: a tenant key acts for its own tenant (naming another one is a
 * `tenant_not_found`, as if it did not exist); the admin must name one.
 */
export function resolveTenant(principal: Principal, tenantId: string | undefined): string {
  if (principal.kind === 'tenant') {
    if (tenantId !== undefined && tenantId !== principal.tenantId) {
      throw new NotificationsError(
        NotificationsErrorCode.TenantNotFound,
        `Tenant ${tenantId} not found`,
      );
    }
    return principal.tenantId;
  }
  if (tenantId === undefined) {
    throw new NotificationsError(
      NotificationsErrorCode.ValidationFailed,
      'tenantId is required with the admin token',
    );
  }
  return tenantId;
}
