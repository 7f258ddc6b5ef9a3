import { Inject, Injectable, Logger, type OnModuleDestroy } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { Readable } from 'node:stream';
import { StringDecoder } from 'node:string_decoder';
import type { DataSource } from 'typeorm';
import { request, type Dispatcher } from 'undici';
import { Signal } from '../../common/signal';
import { toStorableText } from '../../common/storable-json';
import { RESOLVED_OPTIONS } from '../../notifications.constants';
import type { ResolvedNotificationsOptions } from '../../notifications.options';
import { openSecrets, type OpenSecrets } from '../secrets/open-secrets';
import { HeraldMetrics } from '../../metrics/herald-metrics';
import { SecretBox, SigningSecretError } from '../secrets/secret-box';
import { claimDeliveries, msUntilNextDue, type ClaimedDelivery } from './delivery-claim';
import { AttemptNotRecordedError, DeliveryRecorder, type AttemptResult } from './delivery-recorder';
import { DeliveryTelemetry } from './delivery-telemetry';
import { DestinationGuard } from '../destinations/destination-guard';
import { InFlightLimiter, type SlotOwner } from './in-flight-limiter';
import { signWebhook } from './webhook-signer';

const SNIPPET_BYTES = 4096;
/**
 * Slots' worth of claimed deliveries a drain keeps ready behind its busy slots. A claim is a round
 * trip to Postgres through an event loop that is busy sending, so one slot's worth left freed slots
 * waiting for the next claim (bench:webhooks: on average under one delivery ready); five keep them
 * fed (about 30 % more deliveries a second from one subscription).
 */
const READY_ROUNDS = 5;
/** How long past its last possible end a claim is held before the sweeper presumes the worker
 * dead (recording the outcome takes a statement or two; a worker that is gone this long is dead). */
const LEASE_MARGIN_MS = 5_000;
/** A drain with nothing due and nothing in flight looks again after this long before it ends,
 * so a steady trickle of events does not start and stop it for each one. */
const IDLE_MS = 50;
/** A retry due within this long is waited for by the drain itself, to the millisecond; one due
 * later is left to its queue job or the sweeper. */
const NAP_MS = 2_000;

/** A subscription whose signing secret cannot be opened is logged at `error` at most this often. */
const SECRET_ERROR_LOG_MS = 60_000;

/** What every delivery of one claim is sent with: they all belong to the same subscription. */
interface Destination {
  /** The subscription's URL as checked, or why it is refused (the attempt fails with it). */
  url: URL | Error;
  /** The secrets signing now, or why they cannot be opened (the attempt fails unsent with it). */
  secrets: string[] | SigningSecretError;
}

/** A claimed delivery waiting for a slot, with where and how it is sent. */
interface Ready {
  delivery: ClaimedDelivery;
  destination: Destination;
}

/** One subscription's deliveries being sent by this process. */
interface Drain {
  /** Nudged by a hint, a freed slot or shutdown. */
  readonly wake: Signal;
  /** A hint arrived since the last claim: look again before ending. */
  hinted: boolean;
  /** The subscription's tenant, known from its first claim on. */
  tenantId?: string;
  /**
   * Claimed, waiting for a slot: up to `READY_ROUNDS` per slot, so a freed slot starts the next
   * attempt at once instead of after a claim's round trip to Postgres.
   */
  readonly ready: Ready[];
}

/**
 * Sends webhooks. A queue job only says "subscription S may have deliveries due"; this process
 * then drains S: it claims due deliveries in batches (enough to fill S's free slots and
 * `READY_ROUNDS` times as many ready behind them), POSTs each signed event, and hands the result to the
 * {@link DeliveryRecorder}. One drain per subscription
 * per process; several processes drain the same subscription side by side, each claiming rows the
 * others skipped.
 */
@Injectable()
export class WebhookDispatcher implements OnModuleDestroy {
  private readonly logger = new Logger('HeraldDispatcher');
  private readonly http: Dispatcher;
  private readonly limiter: InFlightLimiter;
  private readonly drains = new Map<string, Drain>();
  /** Drain loops running, until they have handed back what they claimed and did not send. */
  private readonly draining = new Set<Promise<void>>();
  /** Attempts under way in this process, until their outcome is recorded. */
  private readonly attempts = new Set<Promise<void>>();
  /** The HTTP calls under way, each aborted by its timeout or by {@link interruptCalls}. */
  private readonly calls = new Set<AbortController>();
  /** The shutdown grace period ended: calls still running were aborted and count as interrupted. */
  private interrupted = false;
  private closing = false;
  private closed?: Promise<void>;
  /** When each subscription's unopenable secret was last logged at `error`. */
  private readonly secretErrorLogged = new Map<string, number>();

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    @Inject(DeliveryRecorder) private readonly recorder: DeliveryRecorder,
    @Inject(DeliveryTelemetry) private readonly telemetry: DeliveryTelemetry,
    @Inject(DestinationGuard) private readonly guard: DestinationGuard,
    @Inject(SecretBox) private readonly box: SecretBox,
    @Inject(HeraldMetrics) private readonly metrics: HeraldMetrics,
    @Inject(RESOLVED_OPTIONS) private readonly options: ResolvedNotificationsOptions,
  ) {
    this.http = guard.createDispatcher({
      connectTimeoutMs: Math.min(options.deliveryTimeout, 10_000),
    });
    this.limiter = new InFlightLimiter({
      perSubscription: options.maxInFlightPerSubscription,
      perTenant: options.maxInFlightPerTenant,
      overall: options.maxInFlightPerWorker,
    });
    metrics.readSlotUsageFrom(() => ({
      inFlight: this.limiter.inFlight,
      tenantsAtCap: this.limiter.tenantsAtCap,
    }));
  }

  /**
   * A claim's lease. Its last delivery starts once the free slots are taken and the whole buffer
   * ahead of it has gone through the slots, `READY_ROUNDS` rounds of attempts of at most the
   * timeout each, and then takes at most the timeout itself.
   */
  private get leaseMs(): number {
    return (READY_ROUNDS + 1) * this.options.deliveryTimeout + LEASE_MARGIN_MS;
  }

  /** Attempts under way in this process. */
  get inFlight(): number {
    return this.attempts.size;
  }

  /** Starts draining `subscriptionId`'s due deliveries here, or nudges the drain already running. */
  kick(subscriptionId: string): void {
    if (this.closing) return;
    const running = this.drains.get(subscriptionId);
    if (running) {
      running.hinted = true;
      running.wake.notify();
      return;
    }
    const drain: Drain = { wake: new Signal(), hinted: false, ready: [] };
    this.drains.set(subscriptionId, drain);
    const loop: Promise<void> = this.drain(subscriptionId, drain)
      .catch((error: unknown) =>
        this.logger.warn(`Draining subscription ${subscriptionId} failed: ${describe(error)}`),
      )
      .finally(() => {
        this.drains.delete(subscriptionId);
        this.limiter.leave(ownerOf(subscriptionId, drain));
        // Claimed but never started (shutdown, or a failed claim after earlier ones): handed back.
        return this.unclaim(drain.ready.splice(0).map((ready) => ready.delivery));
      });
    this.draining.add(loop);
    void loop.finally(() => this.draining.delete(loop));
  }

  /**
   * Stops claiming, lets attempts in flight finish for the grace period, then aborts the rest,
   * which are recorded as interrupted and due again at once. Runs beside the answering of held
   * polls (the same hook), before the database and Redis connections close.
   */
  async onModuleDestroy(): Promise<void> {
    this.closing = true;
    for (const drain of this.drains.values()) drain.wake.notify();
    const grace = setTimeout(() => this.interruptCalls(), this.options.shutdownGrace);
    while (this.attempts.size > 0 || this.draining.size > 0)
      await Promise.allSettled([...this.attempts, ...this.draining]);
    clearTimeout(grace);
    // An app closed twice must not fail on an agent that is already closed.
    this.closed ??= this.http.close();
    await this.closed;
  }

  private async drain(subscriptionId: string, drain: Drain): Promise<void> {
    const cap = this.options.maxInFlightPerSubscription;
    let idle = false;
    while (!this.closing) {
      this.startReady(subscriptionId, drain);
      const free = this.limiter.free(ownerOf(subscriptionId, drain));
      // While every slot of the process or of the tenant is taken, a subscription's deliveries
      // wait for the others' too, which no lease bounds: then only one round is claimed ahead, as
      // before the buffer. So too before the first claim, which tells the tenant.
      const contended =
        drain.tenantId === undefined ||
        this.limiter.full ||
        this.limiter.tenantFull(drain.tenantId);
      const buffer = contended ? cap : cap * READY_ROUNDS;
      const room = free + buffer - drain.ready.length;
      // Claim to fill free slots, or when the deliveries ready behind busy ones run low.
      if (room <= 0 || (free === 0 && drain.ready.length >= buffer / 2)) {
        await drain.wake.wait(this.options.deliveryTimeout);
        continue;
      }
      drain.hinted = false;
      const claimed = await claimDeliveries(
        this.dataSource,
        subscriptionId,
        room,
        this.leaseMs,
        this.options.retrySchedule.length,
      );
      if (claimed.length > 0) {
        drain.tenantId ??= claimed[0].tenant_id;
        const destination = this.destination(claimed[0]);
        drain.ready.push(...claimed.map((delivery) => ({ delivery, destination })));
        idle = false;
        continue;
      }
      if (drain.hinted) continue;
      // Nothing due. With attempts in flight or ready, wait for a slot (a finished attempt may
      // schedule a retry) or a hint; with none, wait for a retry due soon, or look once more after
      // a pause and end.
      if (this.limiter.free({ subscriptionId }) < cap || drain.ready.length > 0) {
        await drain.wake.wait(this.options.deliveryTimeout);
        continue;
      }
      const nextDue = await msUntilNextDue(this.dataSource, subscriptionId);
      if (nextDue !== undefined && nextDue <= NAP_MS) {
        idle = false;
        await drain.wake.wait(Math.max(1, Math.ceil(nextDue)));
        continue;
      }
      if (idle) return;
      idle = true;
      await drain.wake.wait(IDLE_MS);
    }
  }

  /**
   * Starts ready deliveries of the subscription while it has free slots, at most `turn` of them.
   * Deliveries left ready that wait for the process's or the tenant's slots (or for another turn)
   * put the subscription in line for them.
   */
  private startReady(subscriptionId: string, drain: Drain, turn = Infinity): void {
    let started = 0;
    while (
      drain.ready.length > 0 &&
      started < turn &&
      this.limiter.free(ownerOf(subscriptionId, drain)) > 0 &&
      !this.closing
    ) {
      const next = drain.ready.shift();
      if (next) this.start(next);
      started += 1;
    }
    if (drain.ready.length === 0 || this.closing) return;
    // Ready deliveries carry the tenant even before the drain has noted it from a claim.
    const tenantId = drain.tenantId ?? drain.ready[0].delivery.tenant_id;
    const tenantFull = this.limiter.tenantFull(tenantId);
    if (started < turn && !tenantFull && !this.limiter.full) return;
    const joined = this.limiter.wait({ subscriptionId, tenantId });
    if (joined && tenantFull) this.metrics.tenantCapWaits.inc();
  }

  /**
   * Hands the process's free slots to the subscriptions in line for one, a slot a turn: tenants
   * take turns, then each tenant's subscriptions (see {@link InFlightLimiter.next}).
   */
  private serveWaiting(): void {
    while (!this.closing) {
      const next = this.limiter.next();
      if (next === undefined) return;
      const drain = this.drains.get(next.subscriptionId);
      // Still ready after its turn: startReady puts it back in line, behind the others.
      if (drain) this.startReady(next.subscriptionId, drain, 1);
    }
  }

  /** Gives claimed deliveries that were never sent back, due as they were, for anyone to claim. */
  private async unclaim(deliveries: ClaimedDelivery[]): Promise<void> {
    if (deliveries.length === 0) return;
    await this.dataSource
      .query(
        `UPDATE herald.deliveries d SET attempts = d.attempts - 1, lease_until = NULL
         FROM unnest($1::uuid[], $2::int[]) AS c(id, attempts)
         WHERE d.id = c.id AND d.attempts = c.attempts AND d.status = 'pending'`,
        [deliveries.map((d) => d.id), deliveries.map((d) => d.attempts)],
      )
      .catch((error: unknown) =>
        // Their leases run out instead, and the sweeper hands them out again.
        this.logger.warn(`Could not hand back ${deliveries.length} deliveries: ${describe(error)}`),
      );
  }

  private start({ delivery, destination }: Ready): void {
    const release = this.limiter.acquire({
      subscriptionId: delivery.subscription_id,
      tenantId: delivery.tenant_id,
    });
    const attempt = this.send(delivery, destination, release).catch((error: unknown) => {
      // The lease runs out and the delivery is handed out again: at least once, never lost.
      if (error instanceof AttemptNotRecordedError) this.logger.error(error.message);
      else this.logger.warn(`Delivery ${delivery.id}: ${describe(error)}`);
    });
    this.attempts.add(attempt);
    void attempt.finally(() => this.attempts.delete(attempt));
  }

  private async send(
    delivery: ClaimedDelivery,
    destination: Destination,
    release: () => void,
  ): Promise<void> {
    const wasContended = this.limiter.full || this.limiter.tenantFull(delivery.tenant_id);
    let result: AttemptResult;
    try {
      result = await this.call(delivery, destination);
    } finally {
      // The slot is the HTTP call's: recording happens beside the next calls.
      release();
      this.serveWaiting();
      const drain = this.drains.get(delivery.subscription_id);
      if (drain) {
        this.startReady(delivery.subscription_id, drain);
        drain.wake.notify();
      }
      // Drains that could not claim while the slots were taken may now.
      if (wasContended) for (const other of this.drains.values()) other.wake.notify();
    }
    const outcome = await this.recorder.record(delivery, result);
    this.telemetry.attemptFinished({
      deliveryId: delivery.id,
      subscriptionId: delivery.subscription_id,
      tenantId: delivery.tenant_id,
      eventId: delivery.event_id,
      topic: delivery.topic,
      attempt: delivery.attempts,
      outcome,
      statusCode: result.statusCode,
      error: result.error,
      durationMs: result.durationMs,
    });
  }

  private async call(
    delivery: ClaimedDelivery,
    { url, secrets }: Destination,
  ): Promise<AttemptResult> {
    const startedAt = this.options.clock.now();
    const started = performance.now();
    const elapsed = () => Math.round(performance.now() - started);
    if (secrets instanceof SigningSecretError) {
      // Never sent unsigned: the attempt fails with the reason and follows the retry schedule, so
      // restoring the key lets a later attempt succeed.
      this.metrics.signingSecretFailures.inc();
      return { startedAt, error: secrets.message, durationMs: elapsed() };
    }
    // The body is built from the stored JSON text, so `data` is byte for byte what was published.
    const body = `{"type":${JSON.stringify(delivery.topic)},"timestamp":${JSON.stringify(
      delivery.created_at.toISOString(),
    )},"data":${delivery.payload}}`;
    const headers = {
      'content-type': 'application/json',
      'user-agent': 'Herald-Webhooks/1',
      ...signWebhook({
        id: delivery.event_id,
        timestamp: new Date(),
        body,
        secrets,
      }),
    };
    // One controller per attempt, aborted by its own timer or by the shutdown's interrupt
    // (AbortSignal.timeout and AbortSignal.any took about 2 % of the thread at full load).
    const abort = new AbortController();
    const timer = setTimeout(
      () =>
        abort.abort(new DOMException('The operation was aborted due to timeout', 'TimeoutError')),
      this.options.deliveryTimeout,
    );
    this.calls.add(abort);
    try {
      if (url instanceof Error) throw url;
      const response = await request(url, {
        method: 'POST',
        headers,
        body,
        dispatcher: this.http,
        signal: abort.signal,
      });
      const snippet = await readSnippet(response.body);
      const retryAfter = response.headers['retry-after'];
      return {
        startedAt,
        statusCode: response.statusCode,
        retryAfter: Array.isArray(retryAfter) ? retryAfter[0] : retryAfter,
        snippet,
        durationMs: elapsed(),
      };
    } catch (error) {
      if (this.interrupted) {
        return { startedAt, interrupted: true, durationMs: elapsed() };
      }
      return { startedAt, error: describe(error), durationMs: elapsed() };
    } finally {
      clearTimeout(timer);
      this.calls.delete(abort);
    }
  }

  /** Aborts every call still running; each is recorded as interrupted, due again at once. */
  private interruptCalls(): void {
    this.interrupted = true;
    for (const call of this.calls)
      call.abort(new DOMException('The worker shut down', 'AbortError'));
  }

  /** The checked URL and open secrets of a claim's subscription, worked out once per claim. */
  private destination(delivery: ClaimedDelivery): Destination {
    let url: URL | Error;
    try {
      url = this.guard.checkUrl(delivery.url);
    } catch (error) {
      url = error instanceof Error ? error : new Error(String(error));
    }
    return { url, secrets: this.secrets(delivery) };
  }

  private secrets(delivery: ClaimedDelivery): string[] | SigningSecretError {
    let opened: OpenSecrets;
    try {
      opened = openSecrets(
        this.box,
        {
          subscriptionId: delivery.subscription_id,
          secret: delivery.secret,
          previousSecret: delivery.previous_secret,
          previousSecretExpiresAt: delivery.previous_secret_expires_at,
        },
        this.options.clock.now(),
      );
    } catch (error) {
      if (!(error instanceof SigningSecretError)) throw error;
      this.logSecretError(delivery.subscription_id, error);
      return error;
    }
    return opened.previousSecret ? [opened.secret, opened.previousSecret] : [opened.secret];
  }

  /** Logs at `error`, at most once a minute per subscription: an operator has a key to restore. */
  private logSecretError(subscriptionId: string, error: SigningSecretError): void {
    const now = Date.now();
    const last = this.secretErrorLogged.get(subscriptionId);
    if (last !== undefined && now - last < SECRET_ERROR_LOG_MS) return;
    for (const [id, at] of this.secretErrorLogged)
      if (now - at >= SECRET_ERROR_LOG_MS) this.secretErrorLogged.delete(id);
    this.secretErrorLogged.set(subscriptionId, now);
    this.logger.error(
      `Subscription ${subscriptionId}: ${error.message}; its deliveries fail and retry on schedule`,
    );
  }
}

/**
 * Reads at most `SNIPPET_BYTES` of a response body and lets go of the rest. Stream events rather
 * than an async iterator: most answers are empty, and the iterator's machinery cost more than the
 * reading (about 1 % of the thread at full load).
 */
function readSnippet(body: Readable): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let done = false;
    const finish = () => {
      if (done) return;
      done = true;
      body.off('data', take);
      body.destroy();
      resolve(cutToSnippet(toStorableText(cutToSnippet(Buffer.concat(chunks)))));
    };
    const take = (chunk: Buffer) => {
      chunks.push(chunk);
      size += chunk.length;
      if (size >= SNIPPET_BYTES) finish();
    };
    body.on('data', take).once('end', finish).on('error', reject);
  });
}

/**
 * The first `SNIPPET_BYTES` of `body` as text. A cut through a multi-byte character would decode to
 * U+FFFD, 3 bytes where 1 or 2 were kept, and overrun the limit; the decoder holds an incomplete
 * character back instead. Text made storable (U+0000 and invalid UTF-8 become U+FFFD) can grow
 * past the limit, so it is cut again, which is a no-op for most answers.
 */
function cutToSnippet(body: Buffer | string): string {
  if (typeof body === 'string' && Buffer.byteLength(body) <= SNIPPET_BYTES) return body;
  const bytes = typeof body === 'string' ? Buffer.from(body) : body;
  return new StringDecoder('utf8').write(bytes.subarray(0, SNIPPET_BYTES));
}

/** The subscription's place in the slot count; its tenant once a claim has told it. */
function ownerOf(subscriptionId: string, drain: Drain): SlotOwner {
  return { subscriptionId, tenantId: drain.tenantId };
}

function describe(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const cause = error.cause instanceof Error ? `: ${error.cause.message}` : '';
  return `${error.name}: ${error.message}${cause}`;
}
