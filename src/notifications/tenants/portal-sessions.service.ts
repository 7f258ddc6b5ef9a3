import { Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import { HERALD } from '../database/herald-names';
import { API_KEY_REVOKED_CHANNEL, RESOLVED_OPTIONS } from '../notifications.constants';
import { NotificationsError, NotificationsErrorCode } from '../notifications.errors';
import type { ResolvedNotificationsOptions } from '../notifications.options';
import { ApiKeyCache } from './api-key-cache';
import { ApiKeyHolds } from './api-key-holds';
import { hashApiKey } from './api-key-secret';
import { generatePortalToken, looksLikePortalToken } from './portal-session-token';
import type { Principal } from './principal';
import { TenantsService } from './tenants.service';

/** Shortest and longest life of a portal session, and the default, in seconds. */
export const PORTAL_SESSION_TTL = { min: 60, max: 86_400, default: 3_600 } as const;

/** What a portal session is made with; see {@link PortalSessionsService.create}. */
export interface PortalSessionOptions {
  /** Seconds until the session ends: a whole number from 60 to 86,400. Default 3,600. */
  ttl?: number;
  /** Refuse every change (`403`): the session can only look. Default false. */
  readOnly?: boolean;
}

/** A new portal session; `token` is the secret, returned this once and never stored. */
export interface PortalLink {
  /** The session's id, to revoke it. */
  id: string;
  tenantId: string;
  /** The portal, signed in with this session: `<publicUrl>/portal#token=<token>`. */
  url: string;
  /** The bearer token (`hp_…`), valid for this tenant until `expiresAt`. */
  token: string;
  expiresAt: Date;
  readOnly: boolean;
}

// As for API keys, the notification of each revoked session goes out when the update commits, and
// every instance drops the session from its cache and ends what it holds open.
const REVOKE = `
  WITH revoked AS (
    UPDATE ${HERALD.portal_sessions} SET revoked_at = COALESCE(revoked_at, now())
    WHERE id = $1 RETURNING id
  )
  SELECT id, pg_notify('${API_KEY_REVOKED_CHANNEL}', id::text) FROM revoked`;

const REVOKE_ALL = `
  WITH revoked AS (
    UPDATE ${HERALD.portal_sessions} SET revoked_at = now()
    WHERE tenant_id = $1 AND revoked_at IS NULL AND expires_at > $2 RETURNING id
  )
  SELECT id, pg_notify('${API_KEY_REVOKED_CHANNEL}', id::text) FROM revoked`;

/**
 * Portal sessions: links that sign a tenant's customer into the portal for a while, without
 * handing over an API key. The token works for its tenant on the subscription, delivery and
 * event-reading routes only; a read-only one changes nothing.
 */
@Injectable()
export class PortalSessionsService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    @Inject(TenantsService) private readonly tenants: TenantsService,
    @Inject(RESOLVED_OPTIONS) private readonly options: ResolvedNotificationsOptions,
    @Inject(ApiKeyCache) private readonly cache: ApiKeyCache,
    @Inject(ApiKeyHolds) private readonly holds: ApiKeyHolds,
  ) {}

  /**
   * Makes a portal link for an existing tenant, e.g. for the customer signed in to the host app.
   * The tenant's sessions that have expired are deleted on the way.
   *
   * @throws NotificationsError `validation_failed` for a `ttl` out of range, `tenant_not_found`
   */
  async create(tenantId: string, options: PortalSessionOptions = {}): Promise<PortalLink> {
    const ttl = options.ttl ?? PORTAL_SESSION_TTL.default;
    if (!Number.isInteger(ttl) || ttl < PORTAL_SESSION_TTL.min || ttl > PORTAL_SESSION_TTL.max) {
      throw new NotificationsError(
        NotificationsErrorCode.ValidationFailed,
        `ttl must be a whole number of seconds from ${PORTAL_SESSION_TTL.min} to ${PORTAL_SESSION_TTL.max}`,
      );
    }
    const readOnly = options.readOnly ?? false;
    await this.tenants.get(tenantId);
    const now = this.options.clock.now();
    const expiresAt = new Date(now.getTime() + ttl * 1000);
    const { token, hash } = generatePortalToken();
    await this.dataSource.query(
      `DELETE FROM ${HERALD.portal_sessions} WHERE tenant_id = $1 AND expires_at <= $2`,
      [tenantId, now],
    );
    const [row] = await this.dataSource.query<{ id: string }[]>(
      `INSERT INTO ${HERALD.portal_sessions} (tenant_id, token_hash, read_only, expires_at)
       VALUES ($1, $2, $3, $4) RETURNING id`,
      [tenantId, hash, readOnly, expiresAt],
    );
    return {
      id: row.id,
      tenantId,
      url: `${this.options.publicUrl}/portal#token=${token}`,
      token,
      expiresAt,
      readOnly,
    };
  }

  /**
   * Revokes a session at once: from then on its token authenticates nowhere, and what it holds
   * open (streams, held polls) ends, on every instance.
   *
   * @throws NotificationsError `portal_session_not_found`
   */
  async revoke(id: string): Promise<void> {
    const rows = await this.dataSource.query<{ id: string }[]>(REVOKE, [id]);
    if (rows.length === 0) {
      throw new NotificationsError(
        NotificationsErrorCode.PortalSessionNotFound,
        `Portal session ${id} not found`,
      );
    }
    this.forget(id);
  }

  /**
   * Revokes every session of a tenant that has not ended yet.
   *
   * @returns how many were revoked
   * @throws NotificationsError `tenant_not_found`
   */
  async revokeAll(tenantId: string): Promise<number> {
    await this.tenants.get(tenantId);
    const rows = await this.dataSource.query<{ id: string }[]>(REVOKE_ALL, [
      tenantId,
      this.options.clock.now(),
    ]);
    for (const { id } of rows) this.forget(id);
    return rows.length;
  }

  /**
   * The principal a portal token stands for, or undefined when it stands for nobody: unknown,
   * revoked or expired alike.
   */
  async authenticate(token: string): Promise<Principal | undefined> {
    if (!looksLikePortalToken(token)) return undefined;
    const hash = hashApiKey(token);
    const principal = this.cache.get(hash) ?? (await this.find(hash));
    if (principal?.kind !== 'tenant' || !principal.portal) return undefined;
    if (principal.portal.expiresAt <= this.options.clock.now().getTime()) {
      this.cache.evict(principal.credentialId);
      return undefined;
    }
    return principal;
  }

  private async find(hash: string): Promise<Principal | undefined> {
    const [session] = await this.dataSource.query<
      { id: string; tenant_id: string; read_only: boolean; expires_at: Date }[]
    >(
      `SELECT id, tenant_id, read_only, expires_at FROM ${HERALD.portal_sessions}
       WHERE token_hash = $1 AND revoked_at IS NULL`,
      [hash],
    );
    if (!session) return undefined;
    const principal: Principal = {
      kind: 'tenant',
      tenantId: session.tenant_id,
      credentialId: session.id,
      portal: { readOnly: session.read_only, expiresAt: session.expires_at.getTime() },
    };
    this.cache.set(hash, principal);
    return principal;
  }

  private forget(id: string): void {
    this.cache.evict(id);
    this.holds.revoke(id);
  }
}
