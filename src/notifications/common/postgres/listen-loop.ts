import type { Logger } from '@nestjs/common';
import type { Client } from 'pg';
import type { DataSource } from 'typeorm';
import { aborted, ReconnectingSession, untilAborted } from './reconnecting-session';

/** What a {@link ListenLoop} does on each connection it makes. */
export interface ListenHandlers {
  /** One NOTIFY on one of the loop's channels. */
  notification(payload: string | undefined, channel: string): void;
  /**
   * Runs once LISTEN is in place, on every (re)connection: catch up on what was missed while
   * disconnected. May return a clean-up, run when this connection ends.
   */
  connected(client: Client): Promise<(() => void) | void>;
}

/**
 * One LISTEN connection of its own, on one channel or several, made again `reconnectDelayMs` after it is lost, until
 * {@link stop}. A lost connection is logged at `warn`; what was missed meanwhile is the
 * `connected` handler's to catch up on.
 */
export class ListenLoop {
  private readonly session: ReconnectingSession;
  private readonly listenCommand: string;

  constructor(
    dataSource: DataSource,
    applicationName: string,
    channel: string | readonly string[],
    logger: Logger,
    private readonly handlers: ListenHandlers,
    reconnectDelayMs = 1000,
  ) {
    const channels: readonly string[] = typeof channel === 'string' ? [channel] : channel;
    this.listenCommand = channels.map((name) => `LISTEN ${name}`).join('; ');
    this.session = new ReconnectingSession(
      dataSource,
      applicationName,
      'Listener',
      logger,
      reconnectDelayMs,
      (client, ended) => this.listen(client, ended),
    );
  }

  /** Connects, and keeps connecting, in the background. */
  start(): void {
    this.session.start();
  }

  /** Ends the connection and the loop; resolves once both are done. */
  stop(): Promise<void> {
    return this.session.stop();
  }

  private async listen(client: Client, ended: AbortSignal): Promise<void> {
    client.on('notification', (message) =>
      this.handlers.notification(message.payload, message.channel),
    );
    await untilAborted(client.query(this.listenCommand), ended);
    // Not raced with `ended`: a handler left running would set up what nothing cleans up.
    const cleanUp = await this.handlers.connected(client);
    try {
      await aborted(ended);
    } finally {
      cleanUp?.();
    }
  }
}
