/**
 * Runs `cleanUp` (stop the children, drop the database) and exits when the benchmark is
 * interrupted (SIGINT, SIGTERM) or still runs `watchdogMs` after this call, so neither leaves
 * anything behind. `what` says what the clean-up does, for the log line. Returns what disarms
 * both once the benchmark cleans up by itself.
 */
export function cleanUpOnExit(
  cleanUp: () => Promise<void>,
  options: { watchdogMs: number; what: string; log: (message: string) => void },
): () => void {
  const { watchdogMs, what, log } = options;
  const interrupted = () => {
    log(`interrupted: ${what}`);
    void cleanUp().finally(() => process.exit(130));
  };
  process.once('SIGINT', interrupted);
  process.once('SIGTERM', interrupted);
  const watchdog = setTimeout(() => {
    log(`still running after ${watchdogMs / 1000} s: giving up`);
    void cleanUp().finally(() => process.exit(1));
  }, watchdogMs);
  watchdog.unref();
  return () => {
    clearTimeout(watchdog);
    process.removeListener('SIGINT', interrupted);
    process.removeListener('SIGTERM', interrupted);
  };
}
