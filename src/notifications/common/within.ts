import { setTimeout as delay } from 'node:timers/promises';

/**
 * Settles as `work` does, or rejects with `new Error(message)` once `ms` have passed, whichever is
 * first. The timer is cleared either way, so a settled race keeps nothing alive. `work` itself is
 * not cancelled: callers that share it (a read in flight) may still use its result.
 */
export async function within<T>(work: Promise<T>, ms: number, message: string): Promise<T> {
  const abort = new AbortController();
  try {
    return await Promise.race([
      work,
      delay(ms, undefined, { signal: abort.signal }).then((): never => {
        throw new Error(message);
      }),
    ]);
  } finally {
    abort.abort();
  }
}
