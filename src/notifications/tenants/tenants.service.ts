import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import type { Repository } from 'typeorm';
import { NotificationsError, NotificationsErrorCode } from '../notifications.errors';
import { TenantEntity } from './tenant.entity';

/** Creates and finds tenants. */
@Injectable()
export class TenantsService {
  constructor(@InjectRepository(TenantEntity) private readonly tenants: Repository<TenantEntity>) {}

  /** Creates a tenant. */
  create(name: string): Promise<TenantEntity> {
    return this.tenants.save(this.tenants.create({ name }));
  }

  /** The tenant with this id, or `tenant_not_found`. */
  async get(id: string): Promise<TenantEntity> {
    const tenant = await this.tenants.findOneBy({ id });
    if (!tenant) {
      throw new NotificationsError(NotificationsErrorCode.TenantNotFound, `Tenant ${id} not found`);
    }
    return tenant;
  }
}
