import {
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
} from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import { ListenLoop } from './listen-loop';

/**
 * What a control channel's subscriber does. (No `pg` type here: this file's declarations reach
 * the package's public types, and hosts need not have `@types/pg`.)
 */
export interface ControlHandlers {
  /** One NOTIFY on the channel. */
  notification(payload: string | undefined): void;
  /** Runs on every (re)connection, once LISTEN is in place: catch up on what was missed. */
  connected(): Promise<unknown>;
}

/**
 * One LISTEN connection per process (`herald-control-listener`) for Herald's quiet control
 * channels: revoked API keys, changed event types. Each subscriber hears its own channel, and
 * every (re)connection runs each subscriber's `connected` to catch up on what was missed; one that
 * throws makes the connection start again, so a subscriber that can wait for a later read (the
 * event types' periodic reload) should catch its own errors.
 */
@Injectable()
export class ControlListener implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('HeraldControlListener');
  private readonly subscribers = new Map<string, ControlHandlers>();
  private loop?: ListenLoop;

  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  /** Listens on `channel` once the application has started; call it before (in a constructor). */
  subscribe(channel: string, handlers: ControlHandlers): void {
    if (this.loop) throw new Error(`${channel} was subscribed to after listening started`);
    if (this.subscribers.has(channel)) throw new Error(`${channel} has a subscriber already`);
    this.subscribers.set(channel, handlers);
  }

  /** Connects, when anything subscribed (nothing does in a process without the routes or a catalog). */
  onApplicationBootstrap(): void {
    if (this.subscribers.size === 0) return;
    this.loop = new ListenLoop(
      this.dataSource,
      'herald-control-listener',
      [...this.subscribers.keys()],
      this.logger,
      {
        notification: (payload, channel) => this.subscribers.get(channel)?.notification(payload),
        connected: () => this.connectAll(),
      },
    );
    this.loop.start();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.loop?.stop();
  }

  /** Every subscriber's `connected`; the first failure makes the connection start again. */
  private async connectAll(): Promise<void> {
    const settled = await Promise.allSettled(
      [...this.subscribers.values()].map((handlers) => handlers.connected()),
    );
    const failed = settled.find((result) => result.status === 'rejected');
    if (failed) throw failed.reason;
  }
}
