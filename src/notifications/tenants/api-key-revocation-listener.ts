import {
  Inject,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
} from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import { ListenLoop } from '../common/postgres/listen-loop';
import { API_KEY_REVOKED_CHANNEL, HTTP_MOUNTED } from '../notifications.constants';
import { ApiKeysService } from './api-keys.service';

/**
 * Hears revocations made on any instance (LISTEN on a connection of its own, in processes that
 * serve HTTP) and drops the key here at once: from the cache, and whatever it holds open. Each
 * (re)connection starts by forgetting every cached key and ending what revoked keys hold, since
 * revocations made while disconnected were not heard.
 */
@Injectable()
export class ApiKeyRevocationListener implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('HeraldKeyListener');
  private readonly loop: ListenLoop;

  constructor(
    @InjectDataSource() dataSource: DataSource,
    @Inject(ApiKeysService) private readonly apiKeys: ApiKeysService,
    @Inject(HTTP_MOUNTED) private readonly httpMounted: boolean,
  ) {
    this.loop = new ListenLoop(
      dataSource,
      'herald-key-listener',
      API_KEY_REVOKED_CHANNEL,
      this.logger,
      {
        notification: (keyId) => {
          if (keyId) this.apiKeys.forget(keyId);
        },
        connected: () => this.apiKeys.forgetMissedRevocations(),
      },
    );
  }

  onApplicationBootstrap(): void {
    if (this.httpMounted) this.loop.start();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.loop.stop();
  }
}
