import { Inject, Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import type { Repository } from 'typeorm';
import { API_KEY_REVOKED_CHANNEL, RESOLVED_OPTIONS } from '../notifications.constants';
import { NotificationsError, NotificationsErrorCode } from '../notifications.errors';
import type { ResolvedNotificationsOptions } from '../notifications.options';
import { ApiKeyEntity } from './api-key.entity';
import { ApiKeyCache } from './api-key-cache';
import { ApiKeyHolds } from './api-key-holds';
import { generateApiKey, hashApiKey, looksLikeApiKey, secretsEqual } from './api-key-secret';
import { PortalSessionsService } from './portal-sessions.service';
import type { Principal } from './principal';
import { TenantsService } from './tenants.service';
import { HERALD } from '../database/herald-names';

/** A key as created: `key` is the secret, returned this once and never stored. */
export interface CreatedApiKey {
  /** The stored key: its id (to revoke it), prefix, tenant and creation time; never the secret. */
  entity: ApiKeyEntity;
  /** The secret (`hk_…`) to send as `Authorization: Bearer`; shown only here. */
  key: string;
}

// The notification goes out when the update commits, also for a key revoked before (revoking
// again is how an operator makes sure every instance has dropped it).
const REVOKE = `
  WITH revoked AS (
    UPDATE ${HERALD.api_keys} SET revoked_at = COALESCE(revoked_at, now()) WHERE id = $1 RETURNING id
  )
  SELECT id, pg_notify('${API_KEY_REVOKED_CHANNEL}', id::text) FROM revoked`;

/** Issues, revokes and checks credentials. */
@Injectable()
export class ApiKeysService {
  constructor(
    @InjectRepository(ApiKeyEntity) private readonly keys: Repository<ApiKeyEntity>,
    @Inject(TenantsService) private readonly tenants: TenantsService,
    @Inject(RESOLVED_OPTIONS) private readonly options: ResolvedNotificationsOptions,
    @Inject(ApiKeyHolds) private readonly holds: ApiKeyHolds,
    @Inject(ApiKeyCache) private readonly cache: ApiKeyCache,
    @Inject(PortalSessionsService) private readonly portalSessions: PortalSessionsService,
  ) {}

  /** Creates a key for an existing tenant. */
  async create(tenantId: string): Promise<CreatedApiKey> {
    await this.tenants.get(tenantId);
    const { key, prefix, hash } = generateApiKey();
    const entity = await this.keys.save(this.keys.create({ tenantId, prefix, keyHash: hash }));
    return { entity, key };
  }

  /**
   * Revokes a key: from then on it authenticates nowhere, and what it holds open (streams, held
   * polls) ends, on this instance at once and on the others when they hear the notification.
   * Revoking a revoked key keeps its time of revocation.
   */
  async revoke(id: string): Promise<void> {
    const rows = await this.keys.query<{ id: string }[]>(REVOKE, [id]);
    if (rows.length === 0) {
      throw new NotificationsError(
        NotificationsErrorCode.ApiKeyNotFound,
        `API key ${id} not found`,
      );
    }
    this.forget(id);
  }

  /**
   * Drops a revoked key or portal session from the cache and ends what it holds open in this
   * process.
   */
  forget(credentialId: string): void {
    this.cache.evict(credentialId);
    this.holds.revoke(credentialId);
  }

  /**
   * After revocations may have been missed (the listener was disconnected): empties the cache, and
   * ends what revoked keys hold open.
   */
  async forgetMissedRevocations(): Promise<void> {
    this.cache.clear();
    const held = this.holds.heldKeys();
    if (held.length === 0) return;
    const revoked = await this.keys.query<{ id: string }[]>(
      `SELECT id FROM ${HERALD.api_keys} WHERE id = ANY($1::uuid[]) AND revoked_at IS NOT NULL
       UNION ALL
       SELECT id FROM ${HERALD.portal_sessions}
       WHERE id = ANY($1::uuid[]) AND revoked_at IS NOT NULL`,
      [held],
    );
    for (const { id } of revoked) this.forget(id);
  }

  /**
   * The principal a bearer token (the admin token, an API key or a portal session's token) stands
   * for, or undefined when it stands for nobody.
   */
  async authenticate(token: string): Promise<Principal | undefined> {
    const adminToken = this.options.adminToken;
    if (adminToken && secretsEqual(token, adminToken)) return { kind: 'admin' };
    if (!looksLikeApiKey(token)) return this.portalSessions.authenticate(token);
    const hash = hashApiKey(token);
    const cached = this.cache.get(hash);
    if (cached) return cached;
    const [key] = await this.keys.query<{ id: string; tenant_id: string }[]>(
      `SELECT id, tenant_id FROM ${HERALD.api_keys} WHERE key_hash = $1 AND revoked_at IS NULL`,
      [hash],
    );
    if (!key) return undefined;
    const principal: Principal = { kind: 'tenant', tenantId: key.tenant_id, credentialId: key.id };
    this.cache.set(hash, principal);
    return principal;
  }
}
