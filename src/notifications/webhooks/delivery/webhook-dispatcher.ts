import { Inject, Injectable, Logger, type OnModuleDestroy } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import { errorMessage } from '../../common/error-message';
import { Signal } from '../../common/signal';
import { HeraldMetrics } from '../../metrics/herald-metrics';
import { RESOLVED_OPTIONS } from '../../notifications.constants';
import type { ResolvedNotificationsOptions } from '../../notifications.options';
import type { AttemptResult } from './attempt-result';
import { AttemptNotRecordedError, DeliveryRecorder } from './delivery-recorder';
import { claimDeliveries, type ClaimedDelivery } from './delivery-states/claimed';
import { handBack } from './delivery-states/handed-back';
import { msUntilNextDue } from './delivery-states/next-due';
import { readRateLimit } from './delivery-states/subscription-rate-limit';
import { DeliveryTelemetry, type AttemptOutcome } from './delivery-telemetry';
import { InFlightLimiter, type SlotOwner } from './in-flight-limiter';
import { SubscriptionRateLimiter } from './subscription-rate-limiter';
import { WebhookSender, type Destination } from './webhook-sender';
import type { HeraldSpan } from '../../tracing/herald-span';
import { HeraldTracing } from '../../tracing/herald-tracing';
import type { TraceContext } from '../../tracing/trace-context';

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
  /**
   * The subscription's deliveries a second (null: no limit), read before the first claim and
   * brought again by each claim; undefined until read.
   */
  rateLimit?: number | null;
  /** When the rate limit, short of deliveries at the last look, has some again (performance.now). */
  rateDueAt: number;
  /** Slots the line kept for a rate-limited drain, which claims only into slots it holds. */
  readonly reserved: (() => void)[];
}

/** {@link WebhookDispatcher.startLimited} waited (for its limit or a slot), and nothing was claimed. */
const WAITED = -1;

/**
 * Schedules webhooks. A queue job only says "subscription S may have deliveries due"; this process
 * then drains S: it claims due deliveries in batches (enough to fill S's free slots and
 * `READY_ROUNDS` times as many ready behind them), starts each in a slot when one is free (per
 * subscription, per tenant, per process, taken in turns: {@link InFlightLimiter}), has the
 * {@link WebhookSender} make the call, and hands the result to the {@link DeliveryRecorder}. One
 * drain per subscription per process; several processes drain the same subscription side by side,
 * each claiming rows the others skipped.
 */
@Injectable()
export class WebhookDispatcher implements OnModuleDestroy {
  private readonly logger = new Logger('HeraldDispatcher');
  private readonly limiter: InFlightLimiter;
  private readonly drains = new Map<string, Drain>();
  /** Drain loops running, until they have handed back what they claimed and did not send. */
  private readonly draining = new Set<Promise<void>>();
  /** Attempts under way in this process, until their outcome is recorded. */
  private readonly attempts = new Set<Promise<void>>();
  private closing = false;

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    @Inject(DeliveryRecorder) private readonly recorder: DeliveryRecorder,
    @Inject(DeliveryTelemetry) private readonly telemetry: DeliveryTelemetry,
    @Inject(WebhookSender) private readonly sender: WebhookSender,
    @Inject(SubscriptionRateLimiter) private readonly rateLimiter: SubscriptionRateLimiter,
    @Inject(HeraldMetrics) private readonly metrics: HeraldMetrics,
    @Inject(RESOLVED_OPTIONS) private readonly options: ResolvedNotificationsOptions,
    @Inject(HeraldTracing) private readonly tracing: HeraldTracing,
  ) {
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

  /** Starts draining `subscriptionId`'s due deliveries here, or nudges the drain already running. */
  kick(subscriptionId: string): void {
    if (this.closing) return;
    const running = this.drains.get(subscriptionId);
    if (running) {
      running.hinted = true;
      running.wake.notify();
      return;
    }
    const drain: Drain = {
      wake: new Signal(),
      hinted: false,
      ready: [],
      rateDueAt: 0,
      reserved: [],
    };
    this.drains.set(subscriptionId, drain);
    const loop: Promise<void> = this.drain(subscriptionId, drain)
      .catch((error: unknown) =>
        this.logger.warn(`Draining subscription ${subscriptionId} failed: ${errorMessage(error)}`),
      )
      .finally(() => {
        this.drains.delete(subscriptionId);
        this.limiter.leave(ownerOf(subscriptionId, drain));
        this.releaseReserved(drain);
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
    const grace = setTimeout(() => this.sender.interrupt(), this.options.shutdownGrace);
    while (this.attempts.size > 0 || this.draining.size > 0)
      await Promise.allSettled([...this.attempts, ...this.draining]);
    clearTimeout(grace);
    // An app closed twice must not fail on an agent that is already closed.
    await this.sender.close();
  }

  private async drain(subscriptionId: string, drain: Drain): Promise<void> {
    const cap = this.options.maxInFlightPerSubscription;
    let idle = false;
    while (!this.closing) {
      if (drain.rateLimit === undefined) {
        const subscription = await readRateLimit(this.dataSource, subscriptionId);
        drain.rateLimit = subscription?.rateLimit ?? null;
        drain.tenantId ??= subscription?.tenantId;
      }
      if (drain.rateLimit !== null) {
        const started = await this.startLimited(subscriptionId, drain, drain.rateLimit);
        if (started === WAITED) continue;
        if (started > 0) {
          idle = false;
          continue;
        }
      } else {
        // Slots kept for it while it had a limit (one just removed) are not needed.
        this.releaseReserved(drain);
        this.startReady(subscriptionId, drain);
        const free = this.limiter.free(ownerOf(subscriptionId, drain));
        // While every slot of the process or of the tenant is taken, a subscription's deliveries
        // wait for the others' too, which no lease bounds: then only one round is claimed ahead,
        // as before the buffer. So too while the tenant is not known.
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
          drain.rateLimit = claimed[0].rate_limit;
          drain.tenantId ??= claimed[0].tenant_id;
          const destination = this.sender.destination(claimed[0]);
          drain.ready.push(...claimed.map((delivery) => ({ delivery, destination })));
          idle = false;
          continue;
        }
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
   * One round of a rate-limited subscription's drain: takes the slots it may, claims as many due
   * deliveries, takes that many from its rate limit and starts those at once in those slots; any
   * the limit refused are handed back unattempted. A delivery thus starts right after the limit
   * allowed it, never later in a queue for a slot. Over the limit the drain waits holding no slot
   * and claiming nothing; with no slot free it waits for one of its own to end or, when the
   * tenant's or the process's are all taken, in line for its turn (a slot kept for it in
   * `reserved`). Returns how many deliveries it started (0: none was due), or {@link WAITED}.
   */
  private async startLimited(subscriptionId: string, drain: Drain, limit: number): Promise<number> {
    const tenantId = drain.tenantId;
    if (tenantId === undefined) return 0; // the subscription is gone
    // Claimed ahead before the limit was set: handed back, to go out within it.
    if (drain.ready.length > 0) await this.unclaim(drain.ready.splice(0).map((r) => r.delivery));
    const owner = { subscriptionId, tenantId };
    // Over the limit at the last look: a hint meanwhile changes nothing, so no need to ask again.
    const waitMs = drain.rateDueAt - performance.now();
    if (waitMs > 0) {
      this.releaseReserved(drain);
      await drain.wake.wait(Math.ceil(waitMs));
      return WAITED;
    }
    const slots = drain.reserved.splice(0);
    while (slots.length < this.options.maxInFlightPerSubscription && this.limiter.free(owner) > 0)
      slots.push(this.limiter.acquire(owner));
    if (slots.length === 0) {
      if (this.limiter.full || this.limiter.tenantFull(tenantId)) this.limiter.wait(owner);
      await drain.wake.wait(this.options.deliveryTimeout);
      return WAITED;
    }
    drain.hinted = false;
    let claimed: ClaimedDelivery[];
    try {
      claimed = await claimDeliveries(
        this.dataSource,
        subscriptionId,
        slots.length,
        this.leaseMs,
        this.options.retrySchedule.length,
      );
    } catch (error) {
      for (const release of slots) release();
      this.serveWaiting();
      throw error;
    }
    // Asked for with the deliveries in hand, so that each starts right after its grant: what
    // reaches the receiver keeps the spacing the limit gave the grants.
    const grant =
      claimed.length > 0 && !this.closing
        ? await this.rateLimiter.take(subscriptionId, limit, claimed.length)
        : { granted: 0, waitMs: 0 };
    const sending = claimed.slice(0, grant.granted);
    const over = claimed.slice(grant.granted);
    for (const release of slots.splice(sending.length)) release();
    if (sending.length > 0) {
      drain.rateLimit = sending[0].rate_limit;
      const destination = this.sender.destination(sending[0]);
      sending.forEach((delivery, n) => this.start({ delivery, destination }, slots[n]));
    }
    this.serveWaiting();
    if (claimed.length === 0) return 0;
    if (over.length === 0) return sending.length;
    // Over the limit (another worker took it first, or shutdown): handed back as they were, the
    // attempt not counted; the drain comes back for them when the limit has room.
    drain.rateDueAt = performance.now() + grant.waitMs;
    await this.unclaim(over);
    return sending.length > 0 ? sending.length : WAITED;
  }

  /** Gives back the slots kept for a rate-limited drain, for others to take. */
  private releaseReserved(drain: Drain): void {
    if (drain.reserved.length === 0) return;
    for (const release of drain.reserved.splice(0)) release();
    this.serveWaiting();
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
      if (!drain) continue;
      if (drain.rateLimit === undefined || drain.rateLimit === null)
        // Still ready after its turn: startReady puts it back in line, behind the others.
        this.startReady(next.subscriptionId, drain, 1);
      else {
        // A rate-limited drain claims only into slots it holds: its turn is a slot kept for it.
        drain.reserved.push(this.limiter.acquire(next));
        drain.wake.notify();
      }
    }
  }

  /** Gives claimed deliveries that were never sent back, due as they were, for anyone to claim. */
  private async unclaim(deliveries: ClaimedDelivery[]): Promise<void> {
    if (deliveries.length === 0) return;
    await handBack(this.dataSource, deliveries).catch((error: unknown) =>
      // Their leases run out instead, and the sweeper hands them out again.
      this.logger.warn(
        `Could not hand back ${deliveries.length} deliveries: ${errorMessage(error)}`,
      ),
    );
  }

  /** Starts the attempt in `slot` (a release of a slot already taken), or in a slot it takes. */
  private start({ delivery, destination }: Ready, slot?: () => void): void {
    const release =
      slot ??
      this.limiter.acquire({
        subscriptionId: delivery.subscription_id,
        tenantId: delivery.tenant_id,
      });
    const attempt = this.send(delivery, destination, release).catch((error: unknown) => {
      // The lease runs out and the delivery is handed out again: at least once, never lost.
      if (error instanceof AttemptNotRecordedError) this.logger.error(error.message);
      else this.logger.warn(`Delivery ${delivery.id}: ${errorMessage(error)}`);
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
    const span = this.startAttemptSpan(delivery);
    let result: AttemptResult;
    try {
      // The attempt span's own context when an SDK records it, else the stored one as it is.
      result = await this.sender.send(
        delivery,
        destination,
        this.tracing.contextOf(span) ?? storedTraceContext(delivery),
      );
    } catch (error) {
      span.fail(error);
      span.end();
      throw error;
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
    const outcome = await this.recorder.record(delivery, result).catch((error: unknown) => {
      span.fail(error);
      span.end();
      throw error;
    });
    if (span.recording) endAttemptSpan(span, result, outcome);
    span.end();
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

  /**
   * The `herald deliver` span of one attempt: a child of the publish span whose context the event
   * stored, however long after the publish (docs/embedding.md says why), or a new trace's root.
   */
  private startAttemptSpan(delivery: ClaimedDelivery): HeraldSpan {
    const span = this.tracing.start('herald deliver', 'client', 'root', delivery);
    if (span.recording) {
      span.set({
        'messaging.system': 'herald',
        'messaging.operation.type': 'send',
        'messaging.operation.name': 'deliver',
        'messaging.destination.name': delivery.topic,
        'messaging.message.id': delivery.event_id,
        'herald.tenant.id': delivery.tenant_id,
        'herald.subscription.id': delivery.subscription_id,
        'herald.delivery.id': delivery.id,
        'herald.delivery.attempt': delivery.attempts,
        'http.request.method': 'POST',
      });
    }
    return span;
  }
}

/** The status code and outcome of an attempt on its span; error status unless it succeeded. */
function endAttemptSpan(span: HeraldSpan, result: AttemptResult, outcome: AttemptOutcome): void {
  span.set({
    'http.response.status_code': result.statusCode,
    'herald.delivery.outcome': outcome,
    'herald.delivery.duration_ms': result.durationMs,
  });
  if (outcome === 'succeeded') return;
  const reason =
    result.statusCode !== undefined
      ? `HTTP ${result.statusCode}`
      : (result.error ?? (result.interrupted ? 'interrupted by shutdown' : outcome));
  span.fail(reason, result.statusCode !== undefined ? String(result.statusCode) : outcome);
}

/** The trace context the event stored, sent as it is when no SDK records an attempt span. */
function storedTraceContext(delivery: ClaimedDelivery): TraceContext | undefined {
  if (delivery.traceparent === null) return undefined;
  return delivery.tracestate === null
    ? { traceparent: delivery.traceparent }
    : { traceparent: delivery.traceparent, tracestate: delivery.tracestate };
}

/** The subscription's place in the slot count; its tenant once a claim has told it. */
function ownerOf(subscriptionId: string, drain: Drain): SlotOwner {
  return { subscriptionId, tenantId: drain.tenantId };
}
