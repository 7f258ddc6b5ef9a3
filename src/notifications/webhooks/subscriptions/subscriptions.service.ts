import { Inject, Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { InjectRepository } from '@nestjs/typeorm';
import type { EntityManager, Repository } from 'typeorm';
import { keysetPage } from '../../common/cursors/keyset-page';
import type { PageQuery } from '../../common/cursors/page-query';
import { HERALD_SCHEMA, RESOLVED_OPTIONS } from '../../notifications.constants';
import { NotificationsError, NotificationsErrorCode } from '../../notifications.errors';
import type { ResolvedNotificationsOptions } from '../../notifications.options';
import { DestinationGuard, DestinationNotAllowedError } from '../destinations/destination-guard';
import { generateWebhookSecret } from '../secrets/webhook-secret';
import type { CreateSubscriptionDto } from './dto/create-subscription.dto';
import type { UpdateSubscriptionDto } from './dto/update-subscription.dto';
import { currentSlot, openSecrets, previousSlot, type OpenSecrets } from '../secrets/open-secrets';
import { SecretBox, SigningSecretError } from '../secrets/secret-box';
import { SubscriptionEntity } from './subscription.entity';

/** The secrets of a subscription, opened. */
export type SubscriptionSecrets = OpenSecrets;

/** Registers, changes and removes a tenant's webhook subscriptions. */
@Injectable()
export class SubscriptionsService {
  constructor(
    @InjectRepository(SubscriptionEntity)
    private readonly subscriptions: Repository<SubscriptionEntity>,
    @Inject(DestinationGuard) private readonly guard: DestinationGuard,
    @Inject(SecretBox) private readonly box: SecretBox,
    @Inject(RESOLVED_OPTIONS) private readonly options: ResolvedNotificationsOptions,
  ) {}

  /** Registers a URL; the secret is returned this once (and by {@link readSecrets}). */
  async create(
    tenantId: string,
    dto: CreateSubscriptionDto,
  ): Promise<{ subscription: SubscriptionEntity; secret: string }> {
    const url = await this.checkUrl(dto.url);
    const secret = dto.secret ?? generateWebhookSecret();
    // The id is chosen here, not by Postgres, because the sealed secret is bound to it.
    const id = randomUUID();
    const subscription = await this.subscriptions.manager.transaction(async (manager) => {
      await this.checkRoom(manager, tenantId);
      return manager.save(
        manager.create(SubscriptionEntity, {
          id,
          tenantId,
          url,
          topics: unique(dto.topics),
          description: dto.description ?? null,
          rateLimit: dto.rateLimit ?? null,
          enabled: true,
          secret: this.box.seal(secret, currentSlot(id)),
        }),
      );
    });
    return { subscription, secret };
  }

  /**
   * Refuses a subscription over `maxSubscriptionsPerTenant` with `subscription_limit_reached`.
   * The tenant's row is locked first so that concurrent creates count one after another and
   * cannot both take the last place; NO KEY UPDATE leaves publishes (foreign-key checks) unblocked.
   */
  private async checkRoom(manager: EntityManager, tenantId: string): Promise<void> {
    await manager.query(`SELECT 1 FROM ${HERALD_SCHEMA}.tenants WHERE id = $1 FOR NO KEY UPDATE`, [
      tenantId,
    ]);
    const count = await manager.countBy(SubscriptionEntity, { tenantId });
    const max = this.options.maxSubscriptionsPerTenant;
    if (count >= max) {
      throw new NotificationsError(
        NotificationsErrorCode.SubscriptionLimitReached,
        `This tenant already has ${count} subscriptions, the most allowed (${max}); ` +
          'delete one before creating another',
      );
    }
  }

  /** A page of the tenant's subscriptions, oldest first. */
  async list(
    tenantId: string,
    query: PageQuery,
  ): Promise<{ data: SubscriptionEntity[]; nextCursor: string | null }> {
    const builder = this.subscriptions
      .createQueryBuilder('s')
      .where('s.tenant_id = :tenantId', { tenantId });
    return keysetPage(builder, 'ASC', query);
  }

  /** The tenant's subscription, or `subscription_not_found` (also for another tenant's). */
  async get(tenantId: string, id: string): Promise<SubscriptionEntity> {
    const subscription = await this.subscriptions.findOneBy({ id, tenantId });
    if (!subscription) {
      throw new NotificationsError(
        NotificationsErrorCode.SubscriptionNotFound,
        `Subscription ${id} not found`,
      );
    }
    return subscription;
  }

  /**
   * Changes url, topics, description, rateLimit or enabled; enabling forgets why it was disabled.
   */
  async update(
    tenantId: string,
    id: string,
    dto: UpdateSubscriptionDto,
  ): Promise<SubscriptionEntity> {
    const subscription = await this.get(tenantId, id);
    if (dto.url !== undefined) subscription.url = await this.checkUrl(dto.url);
    if (dto.topics !== undefined) subscription.topics = unique(dto.topics);
    if (dto.description !== undefined) subscription.description = dto.description;
    if (dto.rateLimit !== undefined) subscription.rateLimit = dto.rateLimit;
    if (dto.enabled !== undefined && dto.enabled !== subscription.enabled) {
      subscription.enabled = dto.enabled;
      subscription.disabledReason = dto.enabled ? null : 'disabled by its owner';
      subscription.failingSince = null;
    }
    return this.subscriptions.save(subscription);
  }

  /** Deletes the subscription and its deliveries. */
  async remove(tenantId: string, id: string): Promise<void> {
    const { affected } = await this.subscriptions.delete({ id, tenantId });
    if (!affected) {
      throw new NotificationsError(
        NotificationsErrorCode.SubscriptionNotFound,
        `Subscription ${id} not found`,
      );
    }
  }

  /** A new secret; the old one keeps signing beside it for `secretRotationGrace`. */
  async rotateSecret(tenantId: string, id: string): Promise<SubscriptionSecrets> {
    const subscription = await this.get(tenantId, id);
    const secret = generateWebhookSecret();
    subscription.previousSecret = this.asPreviousSecret(subscription);
    subscription.previousSecretExpiresAt = new Date(
      this.options.clock.now().getTime() + this.options.secretRotationGrace,
    );
    subscription.secret = this.box.seal(secret, currentSlot(subscription.id));
    await this.subscriptions.save(subscription);
    return this.openSecrets(subscription);
  }

  /**
   * The current secret sealed again for the previous-secret column. One that no key opens is moved
   * unchanged: it signs again, beside the new one, should its key come back within the grace
   * period (see {@link openSecrets}).
   */
  private asPreviousSecret(subscription: SubscriptionEntity): Buffer {
    try {
      return this.box.seal(
        this.box.open(subscription.secret, currentSlot(subscription.id)),
        previousSlot(subscription.id),
      );
    } catch (error) {
      if (!(error instanceof SigningSecretError)) throw error;
      return subscription.secret;
    }
  }

  /** The secrets signing right now, opened. */
  async readSecrets(tenantId: string, id: string): Promise<SubscriptionSecrets> {
    return this.openSecrets(await this.get(tenantId, id));
  }

  private openSecrets(subscription: SubscriptionEntity): SubscriptionSecrets {
    try {
      return openSecrets(
        this.box,
        { ...subscription, subscriptionId: subscription.id },
        this.options.clock.now(),
      );
    } catch (error) {
      if (!(error instanceof SigningSecretError)) throw error;
      throw new NotificationsError(
        NotificationsErrorCode.SigningSecretUnavailable,
        `${error.message}; restore that key, or rotate the secret to make a new one`,
      );
    }
  }

  /** Refuses what the guard refuses, names resolving to private addresses included. */
  private async checkUrl(url: string): Promise<string> {
    try {
      return (await this.guard.checkDestination(url)).toString();
    } catch (error) {
      if (!(error instanceof DestinationNotAllowedError)) throw error;
      throw new NotificationsError(
        NotificationsErrorCode.UrlNotAllowed,
        `url is not allowed: ${error.message}`,
        { reason: error.reason },
      );
    }
  }
}

function unique(topics: string[]): string[] {
  return [...new Set(topics)];
}
