import { NotificationsError, NotificationsErrorCode } from '../notifications.errors';
import { HeldPollLimiter } from './held-poll-limiter';

function refusalOf(action: () => unknown): NotificationsError {
  try {
    action();
  } catch (error) {
    if (error instanceof NotificationsError) return error;
    throw error;
  }
  throw new Error('expected a NotificationsError');
}

describe('HeldPollLimiter', () => {
  it('admits up to the cap per tenant, then refuses with too_many_polls and a Retry-After', () => {
    const limiter = new HeldPollLimiter({ maxHeldPollsPerTenant: 2 });
    limiter.acquire('a');
    limiter.acquire('a');

    const refusal = refusalOf(() => limiter.acquire('a'));

    expect(refusal.code).toBe(NotificationsErrorCode.TooManyPolls);
    expect(refusal.details).toEqual({ retryAfter: 1 });
    expect(limiter.heldBy('a')).toBe(2);
  });

  it('counts each tenant apart', () => {
    const limiter = new HeldPollLimiter({ maxHeldPollsPerTenant: 1 });
    limiter.acquire('a');

    expect(() => limiter.acquire('b')).not.toThrow();
    expect(limiter.heldBy('a')).toBe(1);
    expect(limiter.heldBy('b')).toBe(1);
  });

  it('admits again once a place is released, and a second release gives back nothing more', () => {
    const limiter = new HeldPollLimiter({ maxHeldPollsPerTenant: 2 });
    const release = limiter.acquire('a');
    limiter.acquire('a');

    release();
    release();

    expect(limiter.heldBy('a')).toBe(1);
    limiter.acquire('a');
    expect(() => limiter.acquire('a')).toThrow(NotificationsError);
  });

  it('forgets a tenant that holds nothing', () => {
    const limiter = new HeldPollLimiter({ maxHeldPollsPerTenant: 5 });
    limiter.acquire('a')();

    expect(limiter.heldBy('a')).toBe(0);
  });
});
