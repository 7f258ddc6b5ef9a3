import { Inject, Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { InjectRepository } from '@nestjs/typeorm';
import { QueryFailedError, type EntityManager, type Repository } from 'typeorm';
import { sqlStateOf } from '../../common/postgres/database-unavailable';
import { EventTypeCatalog } from '../../event-types/event-type-catalog';
import { secretsEqual } from '../../tenants/api-key-secret';
import { keysetPage } from '../../common/cursors/keyset-page';
import type { PageQuery } from '../../common/cursors/page-query';
import { HERALD_SCHEMA, RESOLVED_OPTIONS } from '../../notifications.constants';
import { NotificationsError, NotificationsErrorCode } from '../../notifications.errors';
import type { ResolvedNotificationsOptions } from '../../notifications.options';
import { DestinationGuard, DestinationNotAllowedError } from '../destinations/destination-guard';
import { generateWebhookSecret } from '../secrets/webhook-secret';
import type { CreateSubscriptionDto } from './dto/create-subscription.dto';
import { webhookHeadersProblem } from './dto/is-webhook-headers.decorator';
import type { UpdateSubscriptionDto } from './dto/update-subscription.dto';
import { currentSlot, openSecrets, previousSlot, type OpenSecrets } from '../secrets/open-secrets';
import { SecretBox, SigningSecretError } from '../secrets/secret-box';
import { SubscriptionEntity } from './subscription.entity';

/** What a create came to: the subscription and its secret, and whether it was made just now. */
export interface CreatedSubscription {
  subscription: SubscriptionEntity;
  secret: string;
  /** False when the `uid` had been registered before with the same settings. */
  created: boolean;
}

/** What a registration asks for, as compared with a subscription of the same uid. */
interface Registration {
  url: string;
  topics: string[];
  description?: string;
  headers?: Record<string, string>;
  rateLimit?: number | null;
  secret?: string;
}

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
    @Inject(EventTypeCatalog) private readonly catalog: EventTypeCatalog,
  ) {}

  /**
   * Registers a URL; the secret is returned this once (and by {@link readSecrets}). With a `uid`
   * the tenant already gave a subscription, it registers nothing: the same settings give that
   * subscription back (`created` false, its secret included), other settings are
   * `subscription_uid_conflict`. The unique index on (tenant, uid) decides between concurrent
   * registrations.
   */
  async create(tenantId: string, dto: CreateSubscriptionDto): Promise<CreatedSubscription> {
    this.catalog.checkPatterns(dto.topics);
    const headers = checkHeaders(dto.headers ?? {});
    const url = await this.checkUrl(dto.url);
    const topics = unique(dto.topics);
    const wanted: Registration = {
      url,
      topics,
      description: dto.description,
      headers: dto.headers,
      rateLimit: dto.rateLimit,
      secret: dto.secret,
    };
    const secret = dto.secret ?? generateWebhookSecret();
    // The id is chosen here, not by Postgres, because the sealed secret is bound to it.
    const id = randomUUID();
    let registered: SubscriptionEntity;
    try {
      registered = await this.subscriptions.manager.transaction(async (manager) => {
        await lockTenant(manager, tenantId);
        // After the tenant's lock, so that one registered a moment ago is seen; before the count,
        // so that registering again at the limit is not refused for want of room.
        const existing = await this.findUid(manager, tenantId, dto.uid);
        if (existing) return existing;
        await this.checkRoom(manager, tenantId);
        return manager.save(
          manager.create(SubscriptionEntity, {
            id,
            tenantId,
            uid: dto.uid ?? null,
            url,
            topics,
            description: dto.description ?? null,
            headers,
            rateLimit: dto.rateLimit ?? null,
            enabled: true,
            secret: this.box.seal(secret, currentSlot(id)),
          }),
        );
      });
    } catch (error) {
      if (!isUidTaken(error)) throw error;
      // Another registration with this uid committed first: answer as to registering again.
      registered = await this.subscriptions.findOneByOrFail({ tenantId, uid: dto.uid });
    }
    if (registered.id === id) return { subscription: registered, secret, created: true };
    return this.registeredAgain(registered, wanted);
  }

  /** The tenant's subscription registered with `uid`, if one is. */
  private findUid(
    manager: EntityManager,
    tenantId: string,
    uid: string | undefined,
  ): Promise<SubscriptionEntity | null> {
    return uid === undefined
      ? Promise.resolve(null)
      : manager.findOneBy(SubscriptionEntity, { tenantId, uid });
  }

  /**
   * The answer to registering `existing`'s uid again: the subscription and its secret when `wanted`
   * asks for what it already is (url and topics, and description, headers, rateLimit and secret where given),
   * `subscription_uid_conflict` naming what differs otherwise.
   */
  private registeredAgain(existing: SubscriptionEntity, wanted: Registration): CreatedSubscription {
    const conflict = (fields: string[]) =>
      new NotificationsError(
        NotificationsErrorCode.SubscriptionUidConflict,
        `Subscription ${existing.id} was registered with uid ${JSON.stringify(existing.uid)} and ` +
          `another ${fields.join(', ')}; register with another uid, or change that subscription ` +
          'with PATCH',
        { subscriptionId: existing.id },
      );
    const differ = [
      wanted.url !== existing.url && 'url',
      !sameSet(wanted.topics, existing.topics) && 'topics',
      wanted.description !== undefined &&
        wanted.description !== existing.description &&
        'description',
      wanted.headers !== undefined && !sameHeaders(wanted.headers, existing.headers) && 'headers',
      wanted.rateLimit !== undefined && wanted.rateLimit !== existing.rateLimit && 'rateLimit',
    ].filter((field) => field !== false);
    if (differ.length > 0) throw conflict(differ);
    const { secret } = this.openSecrets(existing);
    if (wanted.secret !== undefined && !secretsEqual(wanted.secret, secret)) {
      throw conflict(['secret']);
    }
    return { subscription: existing, secret, created: false };
  }

  /**
   * Refuses a subscription over `maxSubscriptionsPerTenant` with `subscription_limit_reached`;
   * run under {@link lockTenant}, so that concurrent creates count one after another and cannot
   * both take the last place.
   */
  private async checkRoom(manager: EntityManager, tenantId: string): Promise<void> {
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

  /**
   * The tenant's subscription named by its id or its uid (`ref`), or `subscription_not_found`
   * (also for another tenant's). A UUID is looked for as both, the id first: a client may have
   * chosen UUIDs for its uids.
   */
  async get(tenantId: string, ref: string): Promise<SubscriptionEntity> {
    const found = UUID_REGEX.test(ref)
      ? await this.subscriptions.findBy([
          { tenantId, id: ref },
          { tenantId, uid: ref },
        ])
      : await this.subscriptions.findBy({ tenantId, uid: ref });
    const subscription = found.find((each) => each.id === ref) ?? found[0];
    if (!subscription) {
      throw new NotificationsError(
        NotificationsErrorCode.SubscriptionNotFound,
        `Subscription ${ref} not found`,
      );
    }
    return subscription;
  }

  /**
   * Changes url, topics, description, headers (all of them at once), rateLimit or enabled;
   * enabling forgets why it was disabled.
   */
  async update(
    tenantId: string,
    ref: string,
    dto: UpdateSubscriptionDto,
  ): Promise<SubscriptionEntity> {
    if (dto.topics !== undefined) this.catalog.checkPatterns(dto.topics);
    const subscription = await this.get(tenantId, ref);
    if (dto.url !== undefined) subscription.url = await this.checkUrl(dto.url);
    if (dto.topics !== undefined) subscription.topics = unique(dto.topics);
    if (dto.description !== undefined) subscription.description = dto.description;
    if (dto.headers !== undefined) subscription.headers = checkHeaders(dto.headers);
    if (dto.rateLimit !== undefined) subscription.rateLimit = dto.rateLimit;
    if (dto.enabled !== undefined && dto.enabled !== subscription.enabled) {
      subscription.enabled = dto.enabled;
      subscription.disabledReason = dto.enabled ? null : 'disabled by its owner';
      subscription.failingSince = null;
    }
    return this.subscriptions.save(subscription);
  }

  /** Deletes the subscription (by id or uid) and its deliveries. */
  async remove(tenantId: string, ref: string): Promise<void> {
    const { id } = await this.get(tenantId, ref);
    const { affected } = await this.subscriptions.delete({ id, tenantId });
    if (!affected) {
      throw new NotificationsError(
        NotificationsErrorCode.SubscriptionNotFound,
        `Subscription ${ref} not found`,
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

/**
 * Locks the tenant's row for the rest of the transaction: creates of one tenant then run one after
 * another. NO KEY UPDATE leaves publishes (foreign-key checks) unblocked.
 */
async function lockTenant(manager: EntityManager, tenantId: string): Promise<void> {
  await manager.query(`SELECT 1 FROM ${HERALD_SCHEMA}.tenants WHERE id = $1 FOR NO KEY UPDATE`, [
    tenantId,
  ]);
}

/** Any UUID, as Postgres's uuid type reads it (so comparing `id` with it cannot fail). */
const UUID_REGEX = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Whether `error` is the unique index on (tenant, uid) refusing a second registration. */
function isUidTaken(error: unknown): boolean {
  return (
    error instanceof QueryFailedError &&
    sqlStateOf(error) === '23505' &&
    (error.driverError as { constraint?: unknown }).constraint === 'subscriptions_tenant_uid_idx'
  );
}

function sameSet(a: string[], b: string[]): boolean {
  const set = new Set(b);
  return a.length === set.size && a.every((each) => set.has(each));
}

function sameHeaders(a: Record<string, string>, b: Record<string, string>): boolean {
  const entries = Object.entries(a);
  return (
    entries.length === Object.keys(b).length &&
    entries.every(([name, value]) => Object.hasOwn(b, name) && b[name] === value)
  );
}

/** The headers as given, or `validation_failed` naming the header at fault. */
function checkHeaders(headers: Record<string, string>): Record<string, string> {
  const problem = webhookHeadersProblem(headers);
  if (problem) throw new NotificationsError(NotificationsErrorCode.ValidationFailed, problem);
  return headers;
}

function unique(topics: string[]): string[] {
  return [...new Set(topics)];
}
