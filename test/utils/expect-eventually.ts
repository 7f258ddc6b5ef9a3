import { setTimeout as delay } from 'node:timers/promises';

/**
 * Retries `check` (which throws or rejects while its condition does not hold yet) until it passes
 * or `timeoutMs` runs out, then rethrows its last error. For awaiting an outcome, not for timing.
 */
export async function expectEventually<T>(
  check: () => T | Promise<T>,
  { timeoutMs = 10_000, intervalMs = 25 } = {},
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await check();
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await delay(intervalMs);
    }
  }
}
