import type { Logger } from '@nestjs/common';
import type { Client } from 'pg';
import type { DataSource } from 'typeorm';
import { createPgClient } from './pg-client';
import { Signal } from './signal';

/** What a {@link ListenLoop} does on each connection it makes. */
export interface ListenHandlers {
  /** One NOTIFY on the channel. */
  notification(payload: string | undefined): void;
  /**
   * Runs once LISTEN is in place, on every (re)connection: catch up on what was missed while
   * disconnected. May return a clean-up, run when this connection ends.
   */
  connected(client: Client): Promise<(() => void) | void>;
}

/**
 * One LISTEN connection of its own, made again `reconnectDelayMs` after it is lost, until
 * {@link stop}. A lost connection is logged at `warn`; what was missed meanwhile is the
 * `connected` handler's to catch up on.
 */
export class ListenLoop {
  private readonly backoff = new Signal();
  private stopping = false;
  private resolveStopped!: () => void;
  private readonly stopped = new Promise<void>((resolve) => (this.resolveStopped = resolve));
  private loop?: Promise<void>;

  constructor(
    private readonly dataSource: DataSource,
    private readonly applicationName: string,
    private readonly channel: string,
    private readonly logger: Logger,
    private readonly handlers: ListenHandlers,
    private readonly reconnectDelayMs = 1000,
  ) {}

  /** Connects, and keeps connecting, in the background. */
  start(): void {
    this.loop = this.run();
  }

  /** Ends the connection and the loop; resolves once both are done. */
  async stop(): Promise<void> {
    this.stopping = true;
    this.resolveStopped();
    this.backoff.notify();
    await this.loop;
  }

  private async run(): Promise<void> {
    while (!this.stopping) {
      const client = createPgClient(this.dataSource, this.applicationName);
      const lost = new Promise<never>((_, reject) => {
        client.on('error', reject);
        client.on('end', () => reject(new Error('listener connection ended')));
      });
      lost.catch(() => undefined);
      let cleanUp: (() => void) | void = undefined;
      try {
        await Promise.race([client.connect(), lost]);
        client.on('notification', (message) => this.handlers.notification(message.payload));
        await Promise.race([client.query(`LISTEN ${this.channel}`), lost]);
        // Not raced with `lost`: a handler left running would set up what nothing cleans up.
        cleanUp = await this.handlers.connected(client);
        await Promise.race([lost, this.stopped]);
      } catch (error) {
        if (!this.stopping) this.logger.warn(`Listener connection lost: ${String(error)}`);
      } finally {
        cleanUp?.();
        await client.end().catch(() => undefined);
      }
      if (!this.stopping) await this.backoff.wait(this.reconnectDelayMs);
    }
  }
}
