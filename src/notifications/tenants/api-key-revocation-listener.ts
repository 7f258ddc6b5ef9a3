import {
  Inject,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
} from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import { createPgClient } from '../common/pg-client';
import { Signal } from '../common/signal';
import { API_KEY_REVOKED_CHANNEL, HTTP_MOUNTED } from '../notifications.constants';
import { ApiKeysService } from './api-keys.service';

/** How long to wait before connecting again after the connection was lost. */
const RECONNECT_DELAY_MS = 1000;

/**
 * Hears revocations made on any instance (LISTEN on a connection of its own, in processes that
 * serve HTTP) and drops the key here at once: from the cache, and whatever it holds open. Each
 * (re)connection starts by forgetting every cached key and ending what revoked keys hold, since
 * revocations made while disconnected were not heard.
 */
@Injectable()
export class ApiKeyRevocationListener implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('HeraldKeyListener');
  private readonly backoff = new Signal();
  private stopping = false;
  private resolveStopped!: () => void;
  private readonly stopped = new Promise<void>((resolve) => (this.resolveStopped = resolve));
  private loop?: Promise<void>;

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    @Inject(ApiKeysService) private readonly apiKeys: ApiKeysService,
    @Inject(HTTP_MOUNTED) private readonly httpMounted: boolean,
  ) {}

  onApplicationBootstrap(): void {
    if (this.httpMounted) this.loop = this.run();
  }

  async onApplicationShutdown(): Promise<void> {
    this.stopping = true;
    this.resolveStopped();
    this.backoff.notify();
    await this.loop;
  }

  private async run(): Promise<void> {
    while (!this.stopping) {
      const client = createPgClient(this.dataSource, 'herald-key-listener');
      const lost = new Promise<never>((_, reject) => {
        client.on('error', reject);
        client.on('end', () => reject(new Error('listener connection ended')));
      });
      lost.catch(() => undefined);
      try {
        await Promise.race([client.connect(), lost]);
        client.on('notification', (message) => {
          if (message.payload) this.apiKeys.forget(message.payload);
        });
        await Promise.race([client.query(`LISTEN ${API_KEY_REVOKED_CHANNEL}`), lost]);
        await Promise.race([this.apiKeys.forgetMissedRevocations(), lost]);
        await Promise.race([lost, this.stopped]);
      } catch (error) {
        if (!this.stopping) this.logger.warn(`Listener connection lost: ${String(error)}`);
      } finally {
        await client.end().catch(() => undefined);
      }
      if (!this.stopping) await this.backoff.wait(RECONNECT_DELAY_MS);
    }
  }
}
