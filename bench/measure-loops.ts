import { setTimeout as delay } from 'node:timers/promises';

/** How to drive an operation from concurrent loops. */
export interface LoopsOptions {
  concurrency: number;
  /** Run but not counted: fills pools, JIT and caches. */
  warmupMs: number;
  durationMs: number;
  /** One unit of work; `loop` is the index of the calling loop. */
  operation: (loop: number) => Promise<void>;
}

/** Completed operations in the measured window. */
export interface Throughput {
  operations: number;
  seconds: number;
  perSecond: number;
}

/**
 * Runs `concurrency` loops, each awaiting `operation` back to back, and counts what completes
 * after the warm-up. The first failure stops every loop and is rethrown.
 */
export async function measureLoops(options: LoopsOptions): Promise<Throughput> {
  let counting = false;
  let stopped = false;
  let completed = 0;
  let failure: Error | undefined;
  const loops = Array.from({ length: options.concurrency }, async (_, loop) => {
    try {
      while (!stopped) {
        await options.operation(loop);
        if (counting) completed += 1;
      }
    } catch (error) {
      failure ??= error instanceof Error ? error : new Error(String(error));
      stopped = true;
    }
  });
  await delay(options.warmupMs);
  counting = true;
  completed = 0;
  const start = performance.now();
  await delay(options.durationMs);
  const operations = completed;
  const seconds = (performance.now() - start) / 1000;
  stopped = true;
  await Promise.all(loops);
  if (failure !== undefined) throw failure;
  return { operations, seconds, perSecond: operations / seconds };
}
