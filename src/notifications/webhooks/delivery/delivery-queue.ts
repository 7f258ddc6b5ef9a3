import { InjectQueue } from '@nestjs/bull';
import { Injectable, Logger } from '@nestjs/common';
import type { Job, Queue } from 'bull';
import { within } from '../../common/within';
import { DELIVERY_QUEUE } from '../../notifications.constants';
import type { RateTake } from './rate-window';

/** How long a rate-limit command may take before the caller does without Redis. */
const RATE_COMMAND_TIMEOUT_MS = 500;

// Milliseconds on Redis's own clock, which every worker shares.
const REDIS_NOW = `
local clock = redis.call('TIME')
local now = tonumber(clock[1]) * 1000 + math.floor(tonumber(clock[2]) / 1000)`;

// A subscription's sliding window (see RateWindow): a sorted set of grants, each a member
// "<grant id>:<count>" scored with the time it was made. Grants that left the window are dropped,
// the rest summed, and what is left of the limit granted. Returns { granted, ms until the oldest
// grant leaves the window (when short) }.
// KEYS: the window. ARGV: limit, wanted, window ms, grant id.
const TAKE_RATE_TOKENS = `${REDIS_NOW}
local limit, want, window = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
local held = redis.call('ZRANGE', KEYS[1], 0, -1)
local used = 0
for i = 1, #held do used = used + tonumber(string.match(held[i], ':(%d+)$')) end
local granted = math.max(0, math.min(want, limit - used))
if granted > 0 then
  redis.call('ZADD', KEYS[1], now, ARGV[4] .. ':' .. granted)
  redis.call('PEXPIRE', KEYS[1], window)
end
local wait = 0
if granted < want then
  local oldest = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
  wait = window
  if #oldest > 0 then wait = math.max(1, tonumber(oldest[2]) + window - now) end
end
return { granted, wait }`;

// Notes a worker as alive and counts the workers seen within the last \`ttl\` ms.
// KEYS: the workers. ARGV: worker id, ttl ms.
const WORKER_BEAT = `${REDIS_NOW}
redis.call('ZADD', KEYS[1], now, ARGV[1])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - tonumber(ARGV[2]))
redis.call('PEXPIRE', KEYS[1], ARGV[2])
return redis.call('ZCARD', KEYS[1])`;

/**
 * What a job carries: a delivery that may be due, and its subscription, whose due deliveries the
 * worker then claims in batches. The rows hold everything else.
 */
export interface DeliveryJob {
  deliveryId: string;
  subscriptionId: string;
}

/** A delivery to hint about: `attempts` is the number already made (it names the next attempt). */
export interface DeliveryHint {
  id: string;
  subscription_id: string;
  attempts: number;
}

/**
 * The one place that touches the Bull queue. Jobs are hints: the Postgres row is the truth, so a
 * hint that is lost (Redis down or flushed) only waits for the sweeper. A job id names one attempt
 * of one delivery (`<delivery>:<attempts made>`): two hints for the same attempt collapse into one,
 * and a job id left in Redis can never swallow a later attempt.
 */
@Injectable()
export class DeliveryQueue {
  private readonly logger = new Logger('HeraldDeliveryQueue');

  constructor(@InjectQueue(DELIVERY_QUEUE) private readonly queue: Queue<DeliveryJob>) {}

  /** Enqueues hints without waiting for Redis; never throws. */
  hint(deliveries: DeliveryHint[], delayMs = 0, suffix = ''): void {
    if (deliveries.length === 0) return;
    // While Redis is away the client would buffer every command in memory; the sweeper covers it.
    if (this.queue.client.status !== 'ready') return;
    const jobs = deliveries.map((delivery) => ({
      data: { deliveryId: delivery.id, subscriptionId: delivery.subscription_id },
      opts: {
        jobId: `${delivery.id}:${delivery.attempts}${suffix}`,
        delay: delayMs,
        removeOnComplete: true,
        removeOnFail: true,
      },
    }));
    this.queue.addBulk(jobs).catch((error: unknown) => {
      this.logger.warn(
        `Could not enqueue ${jobs.length} hint(s); the sweeper will: ${String(error)}`,
      );
    });
  }

  /**
   * Takes up to `want` deliveries from the subscription's rate limit, shared by every worker
   * (one script, so atomic; on Redis's clock). Rejects when Redis is not connected or slow, so the
   * caller can use a limit of its own instead.
   */
  async takeRateTokens(
    subscriptionId: string,
    limit: number,
    want: number,
    windowMs: number,
    grantId: string,
  ): Promise<RateTake> {
    const reply = await this.rateCommand(
      TAKE_RATE_TOKENS,
      this.rateKey(subscriptionId),
      limit,
      want,
      windowMs,
      grantId,
    );
    if (!Array.isArray(reply) || typeof reply[0] !== 'number' || typeof reply[1] !== 'number')
      throw new Error(`Unexpected rate limit reply: ${JSON.stringify(reply)}`);
    return { granted: reply[0], waitMs: reply[1] };
  }

  /** Notes the worker `workerId` as alive; resolves to how many were seen within `ttlMs`. */
  async workerBeat(workerId: string, ttlMs: number): Promise<number> {
    const reply = await this.rateCommand(WORKER_BEAT, this.queue.toKey('workers'), workerId, ttlMs);
    if (typeof reply !== 'number') throw new Error(`Unexpected reply: ${JSON.stringify(reply)}`);
    return reply;
  }

  private rateKey(subscriptionId: string): string {
    return this.queue.toKey(`rate:${subscriptionId}`);
  }

  private async rateCommand(script: string, key: string, ...args: (string | number)[]) {
    // While Redis is away the client would hold the command until it is back.
    if (this.queue.client.status !== 'ready') throw new Error('Redis is not connected');
    return within(
      this.queue.client.eval(script, 1, key, ...args),
      RATE_COMMAND_TIMEOUT_MS,
      `Redis did not answer within ${RATE_COMMAND_TIMEOUT_MS} ms`,
    );
  }

  /** Runs `handler` for each job, `concurrency` at a time, in this process. */
  process(concurrency: number, handler: (job: DeliveryJob) => Promise<void>): void {
    void this.queue.process(concurrency, (job: Job<DeliveryJob>) => handler(job.data));
  }

  /** Jobs waiting, delayed and active: for metrics. */
  async depths(): Promise<{ waiting: number; delayed: number; active: number }> {
    const counts = await this.queue.getJobCounts();
    return { waiting: counts.waiting, delayed: counts.delayed, active: counts.active };
  }

  /**
   * Round trip to Redis. Rejects when Redis does not answer within `timeoutMs`: the client queues
   * commands while disconnected, so without a limit a ping would wait for Redis to come back.
   */
  async ping(timeoutMs = 1000): Promise<void> {
    await within(
      this.queue.client.ping(),
      timeoutMs,
      `Redis did not answer within ${timeoutMs} ms`,
    );
  }
}
