/** Loops started by {@link startLoops}. */
export interface RunningLoops {
  /** Operations completed since the start. */
  completed(): number;
  /** Lets each loop finish its current operation, then rethrows the first failure if any. */
  stop(): Promise<void>;
}

/**
 * Runs `concurrency` loops, each awaiting `operation` back to back, until stopped. Unlike
 * `measureLoops` it leaves the timing to the caller, who counts what arrives elsewhere (at the
 * webhook receiver) over a window of its own. The first failure stops every loop.
 */
export function startLoops(
  concurrency: number,
  operation: (loop: number) => Promise<void>,
): RunningLoops {
  let stopped = false;
  let completed = 0;
  let failure: Error | undefined;
  const loops = Array.from({ length: concurrency }, async (_, loop) => {
    try {
      while (!stopped) {
        await operation(loop);
        completed += 1;
      }
    } catch (error) {
      failure ??= error instanceof Error ? error : new Error(String(error));
      stopped = true;
    }
  });
  return {
    completed: () => completed,
    stop: async () => {
      stopped = true;
      await Promise.all(loops);
      if (failure !== undefined) throw failure;
    },
  };
}
