import { NotificationsError, NotificationsErrorCode } from '../notifications.errors';
import type { Principal } from './principal';
import { resolveTenant } from './resolve-tenant';

const OWN = '6f1c1f0e-8f5d-4c8a-9a3e-1b2c3d4e5f60';
const OTHER = '0a9b8c7d-6e5f-4a3b-8c1d-0e9f8a7b6c5d';

/** Runs `fn` and returns the NotificationsError it throws; fails on anything else. */
function errorFrom(fn: () => unknown): NotificationsError {
  try {
    fn();
  } catch (error) {
    if (error instanceof NotificationsError) return error;
    throw error;
  }
  throw new Error('expected a NotificationsError, nothing was thrown');
}

describe('resolveTenant', () => {
  describe('for a tenant key', () => {
    const tenant: Principal = { kind: 'tenant', tenantId: OWN, credentialId: 'key-1' };

    it('acts for its own tenant when none is named', () => {
      expect(resolveTenant(tenant, undefined)).toBe(OWN);
    });

    it('acts for its own tenant when it names it', () => {
      expect(resolveTenant(tenant, OWN)).toBe(OWN);
    });

    it('answers tenant_not_found when it names another tenant', () => {
      const error = errorFrom(() => resolveTenant(tenant, OTHER));

      expect(error.code).toBe(NotificationsErrorCode.TenantNotFound);
      expect(error.message).toBe(`Tenant ${OTHER} not found`);
    });

    it('answers tenant_not_found for an empty tenant id', () => {
      expect(errorFrom(() => resolveTenant(tenant, '')).code).toBe(
        NotificationsErrorCode.TenantNotFound,
      );
    });
  });

  describe('for the admin', () => {
    const admin: Principal = { kind: 'admin' };

    it('acts for the tenant it names', () => {
      expect(resolveTenant(admin, OTHER)).toBe(OTHER);
    });

    it('answers validation_failed naming tenantId when it names none', () => {
      const error = errorFrom(() => resolveTenant(admin, undefined));

      expect(error.code).toBe(NotificationsErrorCode.ValidationFailed);
      expect(error.message).toMatch(/^tenantId /);
    });
  });
});
