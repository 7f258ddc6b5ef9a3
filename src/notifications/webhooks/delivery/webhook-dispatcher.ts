import { Inject, Injectable, Logger, type OnModuleDestroy } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { StringDecoder } from 'node:string_decoder';
import type { DataSource, EntityManager } from 'typeorm';
import { request, type Dispatcher } from 'undici';
import { RESOLVED_OPTIONS } from '../../notifications.constants';
import type { ResolvedNotificationsOptions } from '../../notifications.options';
import { NotificationPublisher } from '../../publisher/notification-publisher';
import { openSecrets } from '../subscriptions/open-secrets';
import { SecretBox } from '../subscriptions/secret-box';
import { DeliveryQueue, type DeliveryJob } from './delivery-queue';
import { DestinationGuard } from './destination-guard';
import { InFlightLimiter } from './in-flight-limiter';
import { judgeAttempt, retryDelay } from './retry-policy';
import { signWebhook } from './webhook-signer';

const SNIPPET_BYTES = 4096;
/** How long past the attempt's own timeout a claim is held before the sweeper presumes it dead
 * (recording the outcome takes two short queries; a worker that is gone this long is dead). */
const LEASE_MARGIN_MS = 5_000;
/** When a subscription is at its in-flight cap, the hint comes back after this long. */
const CAP_RETRY_MS = 500;
/** Deliveries of one subscription that may wait in memory for a slot before hints bounce. */
const MAX_WAITING = 1000;

interface Claimed {
  attempts: number;
  retries: number;
  event_id: string;
  topic: string;
  payload: string;
  created_at: Date;
  url: string;
  enabled: boolean;
  secret: Buffer;
  previous_secret: Buffer | null;
  previous_secret_expires_at: Date | null;
  tenant_id: string;
}

/** What one HTTP call came to. */
interface CallResult {
  statusCode?: number;
  retryAfter?: string;
  snippet?: string;
  error?: string;
  durationMs: number;
}

// Claiming is a conditional update: a stalled or duplicated job finds nothing to claim, so an
// attempt is recorded once, by whoever claimed it.
const CLAIM = `
  WITH claimed AS (
    UPDATE herald.deliveries SET attempts = attempts + 1, updated_at = now(),
      lease_until = now() + make_interval(secs => $2::double precision / 1000)
    WHERE id = $1 AND status = 'pending' AND next_attempt_at <= now() + interval '1 second'
      AND (lease_until IS NULL OR lease_until < now())
    RETURNING attempts, retries, event_id, subscription_id
  )
  SELECT c.attempts, c.retries, c.event_id, e.topic, e.payload::text AS payload, e.created_at,
         e.tenant_id, s.url, s.enabled, s.secret, s.previous_secret, s.previous_secret_expires_at
  FROM claimed c
  JOIN herald.events e ON e.id = c.event_id
  JOIN herald.subscriptions s ON s.id = c.subscription_id`;

/**
 * Makes one attempt of one delivery: claims it, POSTs the signed event, records the attempt and
 * decides what comes next (done, retry from Bull, parked in Postgres, failed, subscription off).
 */
@Injectable()
export class WebhookDispatcher implements OnModuleDestroy {
  private readonly logger = new Logger('HeraldDispatcher');
  private readonly http: Dispatcher;
  private readonly limiter: InFlightLimiter;
  private closing?: Promise<void>;

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    @Inject(DeliveryQueue) private readonly queue: DeliveryQueue,
    @Inject(DestinationGuard) private readonly guard: DestinationGuard,
    @Inject(SecretBox) private readonly box: SecretBox,
    @Inject(NotificationPublisher) private readonly publisher: NotificationPublisher,
    @Inject(RESOLVED_OPTIONS) private readonly options: ResolvedNotificationsOptions,
  ) {
    this.http = guard.createDispatcher({
      connectTimeoutMs: Math.min(options.deliveryTimeout, 10_000),
    });
    this.limiter = new InFlightLimiter(options.maxInFlightPerSubscription);
  }

  async onModuleDestroy(): Promise<void> {
    // An app closed twice must not fail on an agent that is already closed.
    this.closing ??= this.http.close();
    await this.closing;
  }

  /** Deliveries hinted while their subscription was at its cap here, waiting for a slot. */
  private readonly waiting = new Map<string, Set<string>>();

  /** Handles one job; resolves when the attempt is recorded (or there was nothing to do). */
  async attempt({ deliveryId, subscriptionId, bounce }: DeliveryJob): Promise<void> {
    const release = this.limiter.tryAcquire(subscriptionId);
    if (!release) {
      // Wait here for a slot without holding a worker slot; repeated hints collapse in the set.
      const waiting = this.waiting.get(subscriptionId) ?? new Set<string>();
      if (waiting.size < MAX_WAITING || waiting.has(deliveryId)) {
        waiting.add(deliveryId);
        this.waiting.set(subscriptionId, waiting);
        return;
      }
      // Two fixed ids, alternating: a bounce never collides with the job sending it, and however
      // many hints arrive for one delivery, at most two bounces of it exist at once.
      const next = bounce === 1 ? 2 : 1;
      this.queue.hint(
        [{ id: deliveryId, subscription_id: subscriptionId, attempts: -1 }],
        CAP_RETRY_MS,
        `:cap${next}`,
        next,
      );
      return;
    }
    try {
      await this.run(deliveryId, subscriptionId);
    } finally {
      release();
      this.drain(subscriptionId);
    }
  }

  /** Starts waiting deliveries of `subscriptionId` while it has free slots. */
  private drain(subscriptionId: string): void {
    const waiting = this.waiting.get(subscriptionId);
    if (!waiting) return;
    for (const deliveryId of waiting) {
      const release = this.limiter.tryAcquire(subscriptionId);
      if (!release) return;
      waiting.delete(deliveryId);
      if (waiting.size === 0) this.waiting.delete(subscriptionId);
      void this.run(deliveryId, subscriptionId)
        .catch((error: unknown) => this.logger.warn(`Delivery ${deliveryId}: ${describe(error)}`))
        .finally(() => {
          release();
          this.drain(subscriptionId);
        });
    }
  }

  private async run(deliveryId: string, subscriptionId: string): Promise<void> {
    const [claimed] = await this.dataSource.query<Claimed[]>(CLAIM, [
      deliveryId,
      this.options.deliveryTimeout + LEASE_MARGIN_MS,
    ]);
    if (!claimed) return;
    if (!claimed.enabled) {
      await this.finish(deliveryId, claimed.attempts, 'failed', 'subscription disabled');
      return;
    }
    const result = await this.call(deliveryId, claimed);
    await this.record(deliveryId, subscriptionId, claimed, result);
  }

  private async call(deliveryId: string, claimed: Claimed): Promise<CallResult> {
    const started = performance.now();
    // The body is built from the stored JSON text, so `data` is byte for byte what was published.
    const body = `{"type":${JSON.stringify(claimed.topic)},"timestamp":${JSON.stringify(
      claimed.created_at.toISOString(),
    )},"data":${claimed.payload}}`;
    const headers = {
      'content-type': 'application/json',
      'user-agent': 'Herald-Webhooks/1',
      ...signWebhook({
        id: claimed.event_id,
        timestamp: new Date(),
        body,
        secrets: this.secrets(claimed),
      }),
    };
    try {
      const url = this.guard.checkUrl(claimed.url);
      const response = await request(url, {
        method: 'POST',
        headers,
        body,
        dispatcher: this.http,
        signal: AbortSignal.timeout(this.options.deliveryTimeout),
      });
      const snippet = await readSnippet(response.body);
      const retryAfter = response.headers['retry-after'];
      return {
        statusCode: response.statusCode,
        retryAfter: Array.isArray(retryAfter) ? retryAfter[0] : retryAfter,
        snippet,
        durationMs: Math.round(performance.now() - started),
      };
    } catch (error) {
      this.logger.debug(
        `Delivery ${deliveryId} attempt ${claimed.attempts} failed: ${describe(error)}`,
      );
      return { error: describe(error), durationMs: Math.round(performance.now() - started) };
    }
  }

  private secrets(claimed: Claimed): string[] {
    const { secret, previousSecret } = openSecrets(
      this.box,
      {
        secret: claimed.secret,
        previousSecret: claimed.previous_secret,
        previousSecretExpiresAt: claimed.previous_secret_expires_at,
      },
      this.options.clock.now(),
    );
    return previousSecret ? [secret, previousSecret] : [secret];
  }

  private async record(
    deliveryId: string,
    subscriptionId: string,
    claimed: Claimed,
    result: CallResult,
  ): Promise<void> {
    const now = this.options.clock.now();
    const verdict = judgeAttempt(result.statusCode, result.retryAfter, now);
    const error = result.error ?? (verdict.kind === 'success' ? null : `HTTP ${result.statusCode}`);
    await this.dataSource.transaction(async (manager) => {
      await manager.query(
        `INSERT INTO herald.delivery_attempts
           (delivery_id, attempt, started_at, duration_ms, status_code, response_snippet, error)
         VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (delivery_id, attempt) DO NOTHING`,
        [
          deliveryId,
          claimed.attempts,
          new Date(now.getTime() - result.durationMs),
          result.durationMs,
          result.statusCode ?? null,
          result.snippet ?? null,
          result.error ?? null,
        ],
      );
      if (verdict.kind === 'success') {
        await this.finish(deliveryId, claimed.attempts, 'succeeded', null, manager);
        await manager.query(
          `UPDATE herald.subscriptions SET failing_since = NULL WHERE id = $1 AND failing_since IS NOT NULL`,
          [subscriptionId],
        );
        return;
      }
      if (verdict.kind === 'gone') {
        await this.finish(
          deliveryId,
          claimed.attempts,
          'failed',
          'endpoint answered 410 Gone',
          manager,
        );
        await this.disable(manager, subscriptionId, claimed, 'endpoint answered 410 Gone');
        return;
      }
      // Only the first failure writes the row: every failed attempt locking it would serialize
      // a failing endpoint's attempts on one row lock, each held until its commit.
      // TypeORM answers an UPDATE with [rows, affected count], not with the rows alone.
      const [set] = await manager.query<[{ failing_since: Date }[], number]>(
        `UPDATE herald.subscriptions SET failing_since = $2
         WHERE id = $1 AND failing_since IS NULL RETURNING failing_since`,
        [subscriptionId, now],
      );
      const failing_since: Date =
        set[0]?.failing_since ??
        (
          await manager.query<{ failing_since: Date | null }[]>(
            `SELECT failing_since FROM herald.subscriptions WHERE id = $1`,
            [subscriptionId],
          )
        )[0]?.failing_since ??
        now;
      const retries = claimed.retries + 1;
      const delay = retryDelay(retries, this.options.retrySchedule, verdict.retryAfterMs);
      if (delay === undefined) {
        await this.finish(deliveryId, claimed.attempts, 'failed', error, manager);
        await this.publishExhausted(manager, deliveryId, subscriptionId, claimed, error);
      } else {
        await manager.query(
          `UPDATE herald.deliveries SET retries = $3, next_attempt_at = $4, lease_until = NULL,
             last_error = $5, updated_at = now()
           WHERE id = $1 AND attempts = $2 AND status = 'pending'`,
          [deliveryId, claimed.attempts, retries, new Date(now.getTime() + delay), error],
        );
        // The first retries wait in Bull; later ones are parked in Postgres for the sweeper.
        if (retries <= this.options.fastRetries) {
          this.queue.hint(
            [{ id: deliveryId, subscription_id: subscriptionId, attempts: claimed.attempts }],
            delay,
          );
        }
      }
      if (failing_since && now.getTime() - failing_since.getTime() >= this.options.disableAfter) {
        await this.disable(
          manager,
          subscriptionId,
          claimed,
          `no successful delivery since ${failing_since.toISOString()}`,
        );
      }
    });
  }

  private async finish(
    deliveryId: string,
    attempts: number,
    status: 'succeeded' | 'failed',
    error: string | null,
    manager: EntityManager = this.dataSource.manager,
  ): Promise<void> {
    await manager.query(
      `UPDATE herald.deliveries SET status = $3, lease_until = NULL, last_error = $4, updated_at = now()
       WHERE id = $1 AND attempts = $2 AND status = 'pending'`,
      [deliveryId, attempts, status, error],
    );
  }

  /** Turns the subscription off, fails its pending deliveries and tells the tenant. */
  private async disable(
    manager: EntityManager,
    subscriptionId: string,
    claimed: Claimed,
    reason: string,
  ): Promise<void> {
    // [rows, affected count]: no row means another attempt disabled it first and has told.
    const [disabled] = await manager.query<[{ id: string }[], number]>(
      `UPDATE herald.subscriptions SET enabled = false, disabled_reason = $2, updated_at = now()
       WHERE id = $1 AND enabled RETURNING id`,
      [subscriptionId, reason],
    );
    if (disabled.length === 0) return;
    await manager.query(
      `UPDATE herald.deliveries SET status = 'failed', last_error = 'subscription disabled', updated_at = now()
       WHERE subscription_id = $1 AND status = 'pending' AND (lease_until IS NULL OR lease_until < now())`,
      [subscriptionId],
    );
    this.logger.warn(`Subscription ${subscriptionId} disabled: ${reason}`);
    await this.publisher.publish(
      {
        tenantId: claimed.tenant_id,
        topic: 'webhook.subscription.disabled',
        payload: { subscriptionId, url: claimed.url, reason },
      },
      { manager },
    );
  }

  private async publishExhausted(
    manager: EntityManager,
    deliveryId: string,
    subscriptionId: string,
    claimed: Claimed,
    lastError: string | null,
  ): Promise<void> {
    // Failing to deliver an operational event raises none: failing endpoints cannot feed each other.
    if (claimed.topic.startsWith('webhook.')) return;
    await this.publisher.publish(
      {
        tenantId: claimed.tenant_id,
        topic: 'webhook.attempt.exhausted',
        payload: {
          subscriptionId,
          deliveryId,
          eventId: claimed.event_id,
          topic: claimed.topic,
          attempts: claimed.attempts,
          lastError,
        },
      },
      { manager, idempotencyKey: `exhausted-${deliveryId}-${claimed.attempts}` },
    );
  }
}

async function readSnippet(body: AsyncIterable<Buffer> & { destroy(): unknown }): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body) {
    chunks.push(chunk);
    size += chunk.length;
    if (size >= SNIPPET_BYTES) break;
  }
  body.destroy();
  // A cut through a multi-byte character would decode to U+FFFD, 3 bytes where 1 or 2 were kept,
  // and overrun the limit; the decoder holds an incomplete character back instead.
  return new StringDecoder('utf8').write(Buffer.concat(chunks).subarray(0, SNIPPET_BYTES));
}

function describe(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const cause = error.cause instanceof Error ? `: ${error.cause.message}` : '';
  return `${error.name}: ${error.message}${cause}`;
}
