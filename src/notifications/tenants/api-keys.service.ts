import { Inject, Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { IsNull, type Repository } from 'typeorm';
import { RESOLVED_OPTIONS } from '../notifications.constants';
import { NotificationsError, NotificationsErrorCode } from '../notifications.errors';
import type { ResolvedNotificationsOptions } from '../notifications.options';
import { ApiKeyEntity } from './api-key.entity';
import { ApiKeyCache } from './api-key-cache';
import { generateApiKey, hashApiKey, looksLikeApiKey, secretsEqual } from './api-key-secret';
import type { Principal } from './principal';
import { TenantsService } from './tenants.service';

/** A key as created: `key` is the secret, returned this once and never stored. */
export interface CreatedApiKey {
  entity: ApiKeyEntity;
  key: string;
}

/** Issues, revokes and checks credentials. */
@Injectable()
export class ApiKeysService {
  private readonly cache: ApiKeyCache;

  constructor(
    @InjectRepository(ApiKeyEntity) private readonly keys: Repository<ApiKeyEntity>,
    @Inject(TenantsService) private readonly tenants: TenantsService,
    @Inject(RESOLVED_OPTIONS) private readonly options: ResolvedNotificationsOptions,
  ) {
    this.cache = new ApiKeyCache(options.apiKeyCacheTtl, options.clock);
  }

  /** Creates a key for an existing tenant. */
  async create(tenantId: string): Promise<CreatedApiKey> {
    await this.tenants.get(tenantId);
    const { key, prefix, hash } = generateApiKey();
    const entity = await this.keys.save(this.keys.create({ tenantId, prefix, keyHash: hash }));
    return { entity, key };
  }

  /** Revokes a key; revoking a revoked key changes nothing. */
  async revoke(id: string): Promise<void> {
    const result = await this.keys.update({ id, revokedAt: IsNull() }, { revokedAt: new Date() });
    if (result.affected === 0 && !(await this.keys.existsBy({ id }))) {
      throw new NotificationsError(
        NotificationsErrorCode.ApiKeyNotFound,
        `API key ${id} not found`,
      );
    }
    this.cache.evict(id);
  }

  /** The principal a bearer token stands for, or undefined when it stands for nobody. */
  async authenticate(token: string): Promise<Principal | undefined> {
    const adminToken = this.options.adminToken;
    if (adminToken && secretsEqual(token, adminToken)) return { kind: 'admin' };
    if (!looksLikeApiKey(token)) return undefined;
    const hash = hashApiKey(token);
    const cached = this.cache.get(hash);
    if (cached) return cached;
    const [key] = await this.keys.query<{ id: string; tenant_id: string }[]>(
      'SELECT id, tenant_id FROM herald.api_keys WHERE key_hash = $1 AND revoked_at IS NULL',
      [hash],
    );
    if (!key) return undefined;
    const principal: Principal = { kind: 'tenant', tenantId: key.tenant_id, apiKeyId: key.id };
    this.cache.set(hash, principal);
    return principal;
  }
}
