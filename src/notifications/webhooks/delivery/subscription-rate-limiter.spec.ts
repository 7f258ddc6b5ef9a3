import type { DeliveryQueue } from './delivery-queue';
import type { ResolvedNotificationsOptions } from '../../notifications.options';
import type { RateTake } from './rate-window';
import { SubscriptionRateLimiter } from './subscription-rate-limiter';

/** A queue whose Redis answers as `redis` says, or is away when it is undefined. */
function fakeQueue(workers: number): {
  queue: Pick<DeliveryQueue, 'takeRateTokens' | 'workerBeat'>;
  redis: { take?: (want: number) => RateTake };
} {
  const redis: { take?: (want: number) => RateTake } = {};
  const queue = {
    takeRateTokens: (_id: string, _limit: number, want: number) =>
      redis.take ? Promise.resolve(redis.take(want)) : Promise.reject(new Error('Redis is away')),
    workerBeat: () =>
      redis.take ? Promise.resolve(workers) : Promise.reject(new Error('Redis is away')),
  };
  return { queue, redis };
}

const options = { runWorker: true } as ResolvedNotificationsOptions;

describe('SubscriptionRateLimiter', () => {
  let limiter: SubscriptionRateLimiter | undefined;
  afterEach(() => limiter?.onModuleDestroy());

  it('takes what Redis grants while Redis answers', async () => {
    const { queue, redis } = fakeQueue(1);
    redis.take = (want) => ({ granted: Math.min(want, 2), waitMs: want > 2 ? 300 : 0 });
    limiter = new SubscriptionRateLimiter(queue, options);
    expect(await limiter.take('s', 5, 4)).toEqual({ granted: 2, waitMs: 300 });
  });

  it('without Redis, holds each worker to its share of the limit among the workers last seen', async () => {
    const { queue, redis } = fakeQueue(4);
    redis.take = (want) => ({ granted: want, waitMs: 0 });
    limiter = new SubscriptionRateLimiter(queue, options);
    limiter.onModuleInit();
    // The heartbeat has counted four workers; then Redis goes.
    await expectCount(limiter, 4);
    delete redis.take;
    const take = await limiter.take('s', 10, 10);
    // 10 a second over 4 workers: 2 each (2.5, rounded down so that together they stay within).
    expect(take.granted).toBe(2);
    expect(take.waitMs).toBeGreaterThan(1_000);
    expect((await limiter.take('s', 10, 1)).granted).toBe(0);
    // Another subscription has a window of its own.
    expect((await limiter.take('t', 10, 10)).granted).toBe(2);
  });

  it('without Redis, starts from what it sent through Redis within the second', async () => {
    const { queue, redis } = fakeQueue(1);
    redis.take = (want) => ({ granted: want, waitMs: 0 });
    limiter = new SubscriptionRateLimiter(queue, options);
    expect((await limiter.take('s', 5, 4)).granted).toBe(4);
    delete redis.take;
    expect((await limiter.take('s', 5, 5)).granted).toBe(1);
  });

  it('without Redis, gives a share under one a second one delivery per longer window', async () => {
    const { queue, redis } = fakeQueue(3);
    redis.take = (want) => ({ granted: want, waitMs: 0 });
    limiter = new SubscriptionRateLimiter(queue, options);
    limiter.onModuleInit();
    await expectCount(limiter, 3);
    delete redis.take;
    const take = await limiter.take('s', 1, 5);
    expect(take.granted).toBe(1);
    // One a second over three workers: each one per 3 × 1.1 s (rounded up to a whole ms).
    expect(take.waitMs).toBeGreaterThanOrEqual(3_300);
    expect(take.waitMs).toBeLessThanOrEqual(3_301);
  });
});

/** Waits for the limiter's first heartbeat to have counted `workers` (it runs at init). */
async function expectCount(limiter: SubscriptionRateLimiter, workers: number): Promise<void> {
  for (let tries = 0; tries < 100; tries++) {
    await new Promise((resolve) => setImmediate(resolve));
    if (limiter.workerCount === workers) return;
  }
  throw new Error(`the heartbeat did not count ${workers} workers`);
}
