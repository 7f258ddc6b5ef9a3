import type { Logger } from '@nestjs/common';
import type { Client } from 'pg';
import type { DataSource } from 'typeorm';
import { createPgClient } from './pg-client';
import { Signal } from '../signal';

/**
 * What a {@link ReconnectingSession} runs on each connection it makes. `ended` aborts when the
 * connection is lost or the session stops; the work returns or throws once it is done with the
 * connection, which is then closed.
 */
export type SessionWork = (client: Client, ended: AbortSignal) => Promise<void>;

/**
 * A dedicated Postgres connection (LISTEN, a session advisory lock), made again
 * `reconnectDelayMs` after it is lost, until {@link stop}. A lost connection is logged at `warn`
 * as `<name> connection lost`; catching up on what was missed meanwhile is the work's own job.
 */
export class ReconnectingSession {
  private readonly backoff = new Signal();
  private readonly stopping = new AbortController();
  private loop?: Promise<void>;

  constructor(
    private readonly dataSource: DataSource,
    private readonly applicationName: string,
    private readonly name: string,
    private readonly logger: Logger,
    private readonly reconnectDelayMs: number,
    private readonly work: SessionWork,
  ) {}

  /** Connects, and keeps connecting, in the background. */
  start(): void {
    this.loop = this.run();
  }

  /** Ends the connection and the loop; resolves once both are done. */
  async stop(): Promise<void> {
    this.stopping.abort();
    this.backoff.notify();
    await this.loop;
  }

  private async run(): Promise<void> {
    while (!this.stopping.signal.aborted) {
      const client = createPgClient(this.dataSource, this.applicationName);
      const connection = new AbortController();
      client.on('error', (error) => connection.abort(error));
      client.on('end', () => connection.abort(new Error(`${this.name} connection ended`)));
      try {
        await untilAborted(client.connect(), connection.signal);
        await this.work(client, AbortSignal.any([connection.signal, this.stopping.signal]));
      } catch (error) {
        if (!this.stopping.signal.aborted) {
          this.logger.warn(`${this.name} connection lost: ${String(error)}`);
        }
      } finally {
        await client.end().catch(() => undefined);
      }
      if (!this.stopping.signal.aborted) await this.backoff.wait(this.reconnectDelayMs);
    }
  }
}

/**
 * Settles as `work` does, or rejects with the signal's reason once it aborts: a query on a lost
 * connection may never settle on its own.
 */
export function untilAborted<T>(work: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) {
    work.catch(() => undefined);
    return Promise.reject(signal.reason as Error);
  }
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason as Error);
    signal.addEventListener('abort', onAbort, { once: true });
    // Removed once the work settles: a loop that waits on the same signal again and again (a
    // standby retrying the lock every second) would otherwise pile a listener up on it each time.
    void work.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}

/** Rejects with the signal's reason once it aborts (at once if it has). */
export function aborted(signal: AbortSignal): Promise<never> {
  return new Promise<never>((_, reject) => {
    if (signal.aborted) reject(signal.reason as Error);
    else signal.addEventListener('abort', () => reject(signal.reason as Error), { once: true });
  });
}
