import { toThrottlerOptions } from './throttler-options';

describe('toThrottlerOptions', () => {
  it('makes one named throttler per bucket, blocking for a whole window, without headers', () => {
    expect(
      toThrottlerOptions({
        publishRateLimit: { limit: 1000, window: 1000 },
        managementRateLimit: { limit: 100, window: 60_000 },
      }),
    ).toEqual({
      throttlers: [
        { name: 'publish', limit: 1000, ttl: 1000, blockDuration: 1000 },
        { name: 'management', limit: 100, ttl: 60_000, blockDuration: 60_000 },
      ],
      setHeaders: false,
    });
  });

  it('leaves out a bucket whose limit is off', () => {
    const options = toThrottlerOptions({
      publishRateLimit: false,
      managementRateLimit: { limit: 5, window: 1000 },
    });

    expect(Array.isArray(options) ? options : options.throttlers).toEqual([
      { name: 'management', limit: 5, ttl: 1000, blockDuration: 1000 },
    ]);
  });
});
