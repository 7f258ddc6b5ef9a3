import type { HeraldProcess } from './spawn-herald';

/**
 * Sends `signal` to a spawned service unless it has exited already, and resolves with its exit
 * code once it has (null when a signal ended it, as SIGKILL does).
 */
export async function stopHerald(
  herald: HeraldProcess,
  signal: NodeJS.Signals = 'SIGTERM',
): Promise<number | null> {
  if (herald.child.exitCode === null && herald.child.signalCode === null) herald.child.kill(signal);
  return herald.exited;
}
