import { BullModule } from '@nestjs/bull';
import { type INestApplication, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import { TypeOrmModule } from '@nestjs/typeorm';
import { randomBytes } from 'node:crypto';
import { Registry } from 'prom-client';
import { NotificationsModule } from 'nestjs-herald';
import { deleteQueueKeys } from './delete-queue-keys';
import { TEST_ADMIN_TOKEN, TEST_ENCRYPTION_KEY, type HeraldEndpoint } from './test-app';
import { TEST_REDIS_URL } from './test-env';

/** The Nest HTTP platforms a host may run Herald on. */
export type HttpPlatform = 'express' | 'fastify';

/** A stranger's app with Herald's module in it, listening on a random loopback port. */
export interface HostApp extends HeraldEndpoint {
  app: INestApplication;
  /** `http://127.0.0.1:<port>`; `baseUrl` adds the global prefix, so helpers call `/v1/...`. */
  origin: string;
  /** The registry the host gave the module for its metrics. */
  metrics: Registry;
  close(): Promise<void>;
}

/** How to start a host app. */
export interface HostAppOptions {
  platform: HttpPlatform;
  databaseUrl: string;
  /** The host's `app.setGlobalPrefix`, if any. */
  globalPrefix?: string;
}

/**
 * A host as a user writes one: its own TypeORM and Bull connections, Herald's module with options,
 * Nest's default body parser, and nothing else registered (no filter, no middleware, no pipes).
 */
export async function startHostApp(options: HostAppOptions): Promise<HostApp> {
  const metrics = new Registry();
  const queuePrefix = `herald-host-${randomBytes(4).toString('hex')}`;

  @Module({
    imports: [
      TypeOrmModule.forRoot({ type: 'postgres', url: options.databaseUrl, autoLoadEntities: true }),
      BullModule.forRoot({ url: TEST_REDIS_URL, prefix: queuePrefix }),
      NotificationsModule.forRoot({
        adminToken: TEST_ADMIN_TOKEN,
        encryptionKey: TEST_ENCRYPTION_KEY,
        metricsRegistry: metrics,
        allowedDestinations: ['127.0.0.0/8'],
        sequencerPollInterval: 500,
        sequencerStandbyInterval: 100,
      }),
    ],
  })
  class StrangersAppModule {}

  const logger: ['error', 'warn'] = ['error', 'warn'];
  const app =
    options.platform === 'fastify'
      ? await NestFactory.create(StrangersAppModule, new FastifyAdapter(), { logger })
      : await NestFactory.create(StrangersAppModule, { logger });
  if (options.globalPrefix) app.setGlobalPrefix(options.globalPrefix);
  await app.listen(0, '127.0.0.1');
  const origin = `http://127.0.0.1:${new URL(await app.getUrl()).port}`;
  return {
    app,
    metrics,
    origin,
    baseUrl: options.globalPrefix ? `${origin}/${options.globalPrefix}` : origin,
    adminToken: TEST_ADMIN_TOKEN,
    close: async () => {
      await app.close();
      await deleteQueueKeys(TEST_REDIS_URL, queuePrefix);
    },
  };
}
