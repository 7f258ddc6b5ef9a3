import { type BeforeApplicationShutdown, Inject, Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { isUUID } from 'class-validator';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Pool, PoolClient } from 'pg';
import type { DataSource, EntityManager } from 'typeorm';
import { v7 as uuidv7 } from 'uuid';
import { isTopic, TOPIC_MAX_LENGTH } from '../common/topics/topic';
import { EventTypeCatalog } from '../event-types/event-type-catalog';
import { HeraldMetrics } from '../metrics/herald-metrics';
import { PUBLISHED_CHANNEL, RESOLVED_OPTIONS } from '../notifications.constants';
import { NotificationsError, NotificationsErrorCode } from '../notifications.errors';
import type { ResolvedNotificationsOptions } from '../notifications.options';
import {
  PAYLOAD_NOT_OBJECT,
  type PublishInput,
  type PublishOptions,
  type PublishedEvent,
  type TypedPublishOptions,
} from './publish.types';
import { publishArguments, type PublishArguments } from './typed-publish';
import type {
  EventData,
  EventPayload,
  EventTypeClass,
  EventTypeToken,
} from '../event-types/event-type.types';
import { findUnstorable } from '../common/postgres/storable-json';
import { pgPoolOf } from '../common/postgres/pg-pool';
import { sqlStateOf } from '../common/postgres/database-unavailable';
import { runPrepared, type PreparedStatement } from '../common/postgres/prepared-statement';
import { HERALD } from '../database/herald-names';
import { HeraldTracing } from '../tracing/herald-tracing';
import type { TraceContext } from '../tracing/trace-context';

interface InsertedRow {
  id: string;
  created_at: Date;
}

interface ExistingRow extends InsertedRow {
  topic: string;
  same_body: boolean;
}

// The tenant is checked here rather than by a foreign key (see the EventsTenantCheck migration):
// no row comes back for an unknown tenant, and nothing is written.
const INSERT_EVENT = `
  INSERT INTO ${HERALD.events}
    (id, tenant_id, topic, payload, idempotency_key, target_subscription_id, traceparent, tracestate)
  SELECT $1::uuid, $2::uuid, $3::text, $4::jsonb, $5::text, $6::uuid, $7::text, $8::text
  WHERE EXISTS (SELECT FROM ${HERALD.tenants} WHERE id = $2::uuid)`;

// Only a keyed insert needs ON CONFLICT: a speculative insertion costs an extra WAL record.
const ON_KEY_CONFLICT = `
  ON CONFLICT (tenant_id, idempotency_key) WHERE idempotency_key IS NOT NULL DO NOTHING`;

const RETURNING = `RETURNING id, created_at`;

/**
 * In the caller's transaction: one round trip for the insert and a NOTIFY that Postgres delivers
 * only if, and when, the caller commits, however it commits.
 */
const withNotify = (insert: string) => `
  WITH inserted AS (${insert})
  SELECT id, created_at, pg_notify('${PUBLISHED_CHANNEL}', '') FROM inserted`;

/**
 * Prepared statements, so Postgres parses and plans the insert once per connection: planning it
 * every time cost about as much as running it (60–80 µs of the backend's CPU, measured).
 */
const INSERT_STATEMENTS = {
  autocommit: {
    keyed: {
      name: 'herald_insert_event_keyed',
      text: `${INSERT_EVENT} ${ON_KEY_CONFLICT} ${RETURNING}`,
    },
    unkeyed: { name: 'herald_insert_event', text: `${INSERT_EVENT} ${RETURNING}` },
  },
  inTransaction: {
    keyed: {
      name: 'herald_insert_event_keyed_notify',
      text: withNotify(`${INSERT_EVENT} ${ON_KEY_CONFLICT} ${RETURNING}`),
    },
    unkeyed: {
      name: 'herald_insert_event_notify',
      text: withNotify(`${INSERT_EVENT} ${RETURNING}`),
    },
  },
} satisfies Record<string, Record<string, PreparedStatement>>;

// A transaction that NOTIFYs holds a database-wide lock from its pre-commit until its commit
// record is flushed, so notifying commits cannot share a WAL flush: one NOTIFY per publish capped
// 8 concurrent publishers at one fsync each (bench/publish.bench.ts). Publishes that commit on
// their own therefore share NOTIFYs sent after their commit instead.
const NOTIFY_PUBLISHED = `SELECT pg_notify('${PUBLISHED_CHANNEL}', '')`;

// jsonb equality ignores key order and white space, so the same body in another spelling matches.
const FIND_BY_IDEMPOTENCY_KEY = `
  SELECT id, topic, created_at, (topic = $3 AND payload = $4::jsonb) AS same_body
  FROM ${HERALD.events} WHERE tenant_id = $1 AND idempotency_key = $2`;

const TENANT_EXISTS = `SELECT EXISTS (SELECT FROM ${HERALD.tenants} WHERE id = $1) AS exists`;

// Only target_subscription_id still has a foreign key: the subscription was deleted meanwhile.
const FOREIGN_KEY_VIOLATION = '23503';

/**
 * Writes events into the outbox. Inject it anywhere in the host and call {@link publish} inside
 * the host's own transaction.
 */
@Injectable()
export class NotificationPublisher implements BeforeApplicationShutdown {
  private readonly logger = new Logger('HeraldPublisher');
  /** The NOTIFY loop while one runs; see {@link wakeSequencer}. */
  private notifying?: Promise<void>;
  /** An event committed after the last NOTIFY was sent. */
  private wakePending = false;

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    @Inject(RESOLVED_OPTIONS) private readonly options: ResolvedNotificationsOptions,
    @Inject(HeraldMetrics) private readonly metrics: HeraldMetrics,
    @Inject(EventTypeCatalog) private readonly catalog: EventTypeCatalog,
    @Inject(HeraldTracing) private readonly tracing: HeraldTracing,
  ) {}

  /** Lets a NOTIFY in flight finish while the connection pool is still open. */
  async beforeApplicationShutdown(): Promise<void> {
    await this.notifying;
  }

  /**
   * Publishes one event. With `options.manager` the event commits or rolls back with the caller's
   * transaction (READ COMMITTED, Postgres's default, is assumed for idempotency under concurrency).
   * With `@opentelemetry/api` installed it runs in a `herald publish` span, child of the active
   * context (or of `options.traceContext`), whose context is stored with the event and sent as
   * `traceparent` with each of its webhooks.
   *
   * @throws NotificationsError `validation_failed`, `payload_too_large`, `tenant_not_found`,
   *   `payload_invalid` or `unknown_event_type` (see the module's `eventTypes`), or
   *   `idempotency_key_reused` when the key was first used with another topic or payload.
   */
  publish(input: PublishInput, options?: PublishOptions): Promise<PublishedEvent>;
  /**
   * Publishes one event of a declared event type, its payload checked by the compiler: `type` is
   * a class decorated with `@EventType` that extends `EventPayload`, or a `defineEventType` token,
   * listed in the module's `eventTypes` (else `unknown_event_type`).
   */
  publish<T extends EventPayload>(
    type: EventTypeClass<T>,
    payload: EventData<T>,
    options: TypedPublishOptions,
  ): Promise<PublishedEvent>;
  publish<T extends object>(
    type: EventTypeToken<T>,
    payload: T,
    options: TypedPublishOptions,
  ): Promise<PublishedEvent>;
  async publish(...args: PublishArguments): Promise<PublishedEvent> {
    const [input, options = {}] = publishArguments(args, this.catalog);
    // In the caller's context, or the one it names; stored with the event for its deliveries.
    const span = this.tracing.start('herald publish', 'producer', 'active', options.traceContext);
    if (span.recording) {
      span.set({
        'messaging.system': 'herald',
        'messaging.operation.type': 'send',
        'messaging.operation.name': 'publish',
        'messaging.destination.name': input.topic,
        'herald.tenant.id': input.tenantId,
      });
    }
    try {
      const event = await this.tracing.run(span, () =>
        this.write(input, options, this.tracing.contextOf(span)),
      );
      if (span.recording)
        span.set({ 'messaging.message.id': event.id, 'herald.event.replayed': event.replayed });
      return event;
    } catch (error) {
      span.fail(error);
      throw error;
    } finally {
      span.end();
    }
  }

  private async write(
    input: PublishInput,
    options: PublishOptions,
    trace: TraceContext | undefined,
  ): Promise<PublishedEvent> {
    const payload = this.validate(input, options.idempotencyKey);
    const manager = options.manager ?? this.dataSource.manager;
    // Without a query runner every query takes a pooled connection and commits on its own.
    const autocommit = manager.queryRunner === undefined;
    const key = options.idempotencyKey ?? null;
    const params = [
      uuidv7(),
      input.tenantId,
      input.topic,
      payload,
      key,
      options.targetSubscriptionId ?? null,
      trace?.traceparent ?? null,
      trace?.tracestate ?? null,
    ];
    const statements = autocommit ? INSERT_STATEMENTS.autocommit : INSERT_STATEMENTS.inTransaction;
    const inserted = await this.insert(
      manager,
      key === null ? statements.unkeyed : statements.keyed,
      params,
    );
    if (inserted) {
      this.metrics.eventsPublished.inc();
      if (autocommit) this.wakeSequencer();
      return {
        id: inserted.id,
        tenantId: input.tenantId,
        topic: input.topic,
        createdAt: inserted.created_at,
        replayed: false,
      };
    }
    if (key === null) throw tenantNotFound(input.tenantId);
    // The key was taken: by a committed event (visible now), or by one whose transaction was
    // still open, in which case the insert above waited for it to commit. Or the tenant is unknown.
    const [existing] = await manager.query<ExistingRow[]>(FIND_BY_IDEMPOTENCY_KEY, [
      input.tenantId,
      key,
      input.topic,
      payload,
    ]);
    if (!existing) {
      const [tenant] = await manager.query<{ exists: boolean }[]>(TENANT_EXISTS, [input.tenantId]);
      if (!tenant?.exists) throw tenantNotFound(input.tenantId);
      throw new Error('idempotency conflict without a visible event');
    }
    if (!existing.same_body) {
      throw new NotificationsError(
        NotificationsErrorCode.IdempotencyKeyReused,
        `Idempotency-Key ${key} was already used with a different topic or payload`,
      );
    }
    return {
      id: existing.id,
      tenantId: input.tenantId,
      topic: existing.topic,
      createdAt: existing.created_at,
      replayed: true,
    };
  }

  /**
   * NOTIFYs the sequencer after an event committed on its own. At most one NOTIFY is in flight,
   * and the next follows at least `sequencerBatchInterval` later; events that commit meanwhile
   * share it, so every event is followed by a NOTIFY sent after its commit. If Postgres refuses,
   * the sequencer's fallback poll still finds the event, only later, so the failure is logged
   * rather than failing a publish that has committed.
   */
  private wakeSequencer(): void {
    this.wakePending = true;
    this.notifying ??= this.sendNotifications();
  }

  private async sendNotifications(): Promise<void> {
    try {
      while (this.wakePending) {
        this.wakePending = false;
        await this.dataSource.query(NOTIFY_PUBLISHED);
        // A NOTIFY is a transaction of its own with a commit flush, under the lock described at
        // NOTIFY_PUBLISHED: one per round trip cost 8 publishers about a quarter of their
        // throughput. The sequencer, once woken, gathers for this long before its next batch
        // anyway, so an earlier NOTIFY would not stamp anything sooner.
        await sleep(this.options.sequencerBatchInterval);
      }
    } catch (error) {
      this.logger.warn(`Could not wake the sequencer; its poll will: ${String(error)}`);
    } finally {
      // In the same tick as the last check of wakePending, so no wake-up falls in between.
      this.notifying = undefined;
    }
  }

  private async insert(
    manager: EntityManager,
    statement: PreparedStatement,
    params: unknown[],
  ): Promise<InsertedRow | undefined> {
    // TypeORM's query() cannot name a statement, so the insert goes to pg itself: the caller's
    // transaction's connection, or the pool TypeORM draws its own connections from.
    const connection: Pool | PoolClient = manager.queryRunner
      ? ((await manager.queryRunner.connect()) as PoolClient)
      : pgPoolOf(this.dataSource);
    try {
      const [row] = await runPrepared<InsertedRow>(connection, statement, params);
      return row;
    } catch (error) {
      if (sqlStateOf(error) === FOREIGN_KEY_VIOLATION) {
        throw new NotificationsError(
          NotificationsErrorCode.SubscriptionNotFound,
          `Subscription ${String(params[5])} not found`,
        );
      }
      throw error;
    }
  }

  /** Checks the input and returns the serialized payload. */
  private validate(input: PublishInput, idempotencyKey: string | undefined): string {
    const problems: string[] = [];
    if (!isUUID(input.tenantId)) problems.push('tenantId must be a UUID');
    if (typeof input.topic !== 'string' || !isTopic(input.topic)) {
      problems.push(
        `topic must be dot-separated words of lowercase letters, digits, _ and - (at most ${TOPIC_MAX_LENGTH} characters)`,
      );
    }
    if (
      typeof input.payload !== 'object' ||
      input.payload === null ||
      Array.isArray(input.payload)
    ) {
      problems.push(PAYLOAD_NOT_OBJECT);
    } else {
      const problem = findUnstorable(input.payload, { name: 'payload' });
      if (problem) problems.push(problem);
    }
    if (idempotencyKey !== undefined && !/^[\x21-\x7e]{1,255}$/.test(idempotencyKey)) {
      problems.push('Idempotency-Key must be 1 to 255 printable ASCII characters');
    }
    if (problems.length > 0) {
      throw new NotificationsError(NotificationsErrorCode.ValidationFailed, problems.join('; '));
    }
    this.catalog.check(input.topic, input.payload);
    const payload = JSON.stringify(input.payload);
    const size = Buffer.byteLength(payload);
    if (size > this.options.maxPayloadBytes) {
      throw new NotificationsError(
        NotificationsErrorCode.PayloadTooLarge,
        `payload is ${size} bytes; the limit is ${this.options.maxPayloadBytes}`,
      );
    }
    return payload;
  }
}

function tenantNotFound(tenantId: string): NotificationsError {
  return new NotificationsError(
    NotificationsErrorCode.TenantNotFound,
    `Tenant ${tenantId} not found`,
  );
}
