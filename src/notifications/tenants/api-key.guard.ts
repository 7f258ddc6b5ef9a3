import { type CanActivate, type ExecutionContext, Inject, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { NotificationsError, NotificationsErrorCode } from '../notifications.errors';
import { ApiKeysService } from './api-keys.service';
import { bearerToken } from './bearer-token';
import { invalidCredentials } from './invalid-credentials';
import { ACCESS_METADATA, PORTAL_METADATA } from '../notifications.constants';
import type { AccessLevel, AuthenticatedRequest, Principal } from './principal';

/** The methods that change nothing, the only ones a read-only portal session may use. */
const READS = new Set(['GET', 'HEAD']);

/**
 * Authenticates `Authorization: Bearer <token>` and checks the route's access level. Every failure
 * to authenticate gives the same `unauthorized` error, so callers learn nothing about why. A portal
 * session passes only on routes that admit it (`AdmitPortalSessions`), and, read-only, only to read.
 */
@Injectable()
export class ApiKeyGuard implements CanActivate {
  constructor(
    @Inject(Reflector) private readonly reflector: Reflector,
    @Inject(ApiKeysService) private readonly apiKeys: ApiKeysService,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const level = this.reflector.getAllAndOverride<AccessLevel | undefined>(ACCESS_METADATA, [
      context.getHandler(),
      context.getClass(),
    ]);
    if (!level) return true;
    const request = context.switchToHttp().getRequest<AuthenticatedRequest>();
    const principal = await this.authenticate(request.headers.authorization);
    if (level !== 'any' && principal.kind !== level) {
      throw new NotificationsError(
        NotificationsErrorCode.Forbidden,
        level === 'admin'
          ? 'This route needs the admin token'
          : 'This route needs a tenant API key',
      );
    }
    if (principal.kind === 'tenant' && principal.portal) {
      const admitted = this.reflector.getAllAndOverride<boolean | undefined>(PORTAL_METADATA, [
        context.getHandler(),
        context.getClass(),
      ]);
      if (!admitted) {
        throw new NotificationsError(
          NotificationsErrorCode.Forbidden,
          'This route needs a tenant API key: a portal session cannot use it',
        );
      }
      if (principal.portal.readOnly && !READS.has(request.method.toUpperCase())) {
        throw new NotificationsError(
          NotificationsErrorCode.Forbidden,
          'This portal session is read-only',
        );
      }
    }
    request.principal = principal;
    return true;
  }

  private async authenticate(header: string | undefined): Promise<Principal> {
    const token = bearerToken(header);
    const principal = token ? await this.apiKeys.authenticate(token) : undefined;
    if (!principal) throw invalidCredentials();
    return principal;
  }
}
