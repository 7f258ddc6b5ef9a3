import {
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
} from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import { ListenLoop, type ListenHandlers } from './listen-loop';

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
  private readonly subscribers = new Map<string, ListenHandlers>();
  private loop?: ListenLoop;

  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  /** Listens on `channel` once the application has started; call it before (in a constructor). */
  subscribe(channel: string, handlers: ListenHandlers): void {
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
        notification: (payload, channel) =>
          this.subscribers.get(channel)?.notification(payload, channel),
        connected: (client) => this.connectAll(client),
      },
    );
    this.loop.start();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.loop?.stop();
  }

  /** Every subscriber's `connected`; their clean-ups run together, even when one of them threw. */
  private async connectAll(
    client: Parameters<ListenHandlers['connected']>[0],
  ): Promise<() => void> {
    const settled = await Promise.allSettled(
      [...this.subscribers.values()].map((handlers) => handlers.connected(client)),
    );
    const cleanUps = settled.flatMap((result) =>
      result.status === 'fulfilled' && result.value ? [result.value] : [],
    );
    const cleanUp = () => cleanUps.forEach((run) => run());
    const failed = settled.find((result) => result.status === 'rejected');
    if (failed) {
      cleanUp();
      throw failed.reason;
    }
    return cleanUp;
  }
}
