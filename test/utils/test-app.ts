import { getQueueToken } from '@nestjs/bull';
import { NestFactory } from '@nestjs/core';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { Queue } from 'bull';
import { randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { DataSource } from 'typeorm';
import { AppModule } from '../../src/app.module';
import { keepGeneratedSecrets } from '../../src/config/keep-generated-secrets';
import { loadConfig } from '../../src/config/load-config';
import { configureHttp } from '../../src/http/configure-http';
import { createHttpAdapter } from '../../src/http/create-http-adapter';
import { createServiceLogger } from '../../src/logging/service-logger';
import { DELIVERY_QUEUE, type NotificationsModuleOptions } from '../../src/notifications';
import { deleteQueueKeys } from './delete-queue-keys';
import { TEST_REDIS_URL } from './test-env';

/** A running Herald app on a random loopback port. */
export interface TestApp {
  app: NestFastifyApplication;
  /** `http://127.0.0.1:<port>` */
  baseUrl: string;
  adminToken: string;
  dataSource: DataSource;
  close(): Promise<void>;
}

/** Where a Herald answers, in-process or in a child process. */
export type HeraldEndpoint = Pick<TestApp, 'baseUrl' | 'adminToken'>;

/** How to start a test app. */
export interface TestAppOptions {
  databaseUrl: string;
  /** Extra environment, as the real service would read it. */
  env?: Record<string, string>;
  notifications?: Partial<NotificationsModuleOptions>;
  queuePrefix?: string;
}

/** The admin token every test app uses. */
export const TEST_ADMIN_TOKEN = 'test-admin-token-0123456789';

/** The encryption key every test app and spawned process uses unless a spec sets its own. */
export const TEST_ENCRYPTION_KEY = '7e57'.repeat(16);

/**
 * Starts the real service (same module, same HTTP setup as `main.ts`) against `databaseUrl`, with
 * short sequencer intervals so a standby takes over quickly.
 */
export async function startTestApp(options: TestAppOptions): Promise<TestApp> {
  const { config } = keepGeneratedSecrets(
    loadConfig({
      DATABASE_URL: options.databaseUrl,
      REDIS_URL: TEST_REDIS_URL,
      HERALD_ADMIN_TOKEN: TEST_ADMIN_TOKEN,
      HERALD_ENCRYPTION_KEY: TEST_ENCRYPTION_KEY,
      HERALD_ALLOWED_DESTINATIONS: '127.0.0.0/8',
      // Request lines would bury Jest's output; Nest's own warnings and errors still show.
      LOG_LEVEL: 'silent',
      // Specs set up tenants and subscriptions far faster than anyone would by hand; the limits
      // themselves are tested in limits.e2e-spec.ts, which sets its own.
      HERALD_RATE_LIMIT_MANAGEMENT: '100000/1s',
      ...options.env,
    }),
  );
  const queuePrefix = options.queuePrefix ?? `herald-test-${randomBytes(4).toString('hex')}`;
  const logger = createServiceLogger(config.logLevel);
  const app = await NestFactory.create<NestFastifyApplication>(
    AppModule.forRoot({
      config,
      queuePrefix,
      notifications: {
        sequencerPollInterval: 500,
        sequencerStandbyInterval: 100,
        ...options.notifications,
      },
    }),
    createHttpAdapter(logger),
    { bodyParser: false, logger: ['error', 'warn'] },
  );
  configureHttp(app);
  await app.listen(0, '127.0.0.1');
  const { port } = app.getHttpServer().address() as AddressInfo;
  return {
    app,
    baseUrl: `http://127.0.0.1:${port}`,
    adminToken: TEST_ADMIN_TOKEN,
    dataSource: app.get(DataSource),
    close: async () => {
      // Only a Redis the app could reach is cleaned (some specs point it at none).
      const reachable = app.get<Queue>(getQueueToken(DELIVERY_QUEUE)).client.status === 'ready';
      await app.close();
      // A prefix of its own leaves nothing behind in the shared Redis (delayed retries, job ids);
      // a prefix the spec chose may be another app's too, so that spec cleans up.
      if (reachable && options.queuePrefix === undefined)
        await deleteQueueKeys(config.redisUrl, queuePrefix);
    },
  };
}
