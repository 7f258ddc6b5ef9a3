import { randomBytes } from 'node:crypto';
import { NestFactory } from '@nestjs/core';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { AddressInfo } from 'node:net';
import { AppModule } from '../src/app.module';
import { keepGeneratedSecrets } from '../src/config/keep-generated-secrets';
import { loadConfig } from '../src/config/load-config';
import { configureHttp } from '../src/http/configure-http';
import { createHttpAdapter } from '../src/http/create-http-adapter';
import { createServiceLogger } from '../src/logging/service-logger';
import type { NotificationsModuleOptions } from '../src/notifications';

/** The admin token of the benchmark's app (fixed, like the tests'). */
export const BENCH_ADMIN_TOKEN = 'bench-admin-token-0123456789';

/** The real service, running in this process on a random loopback port. */
export interface BenchApp {
  app: NestFastifyApplication;
  /** `http://127.0.0.1:<port>` */
  baseUrl: string;
  close(): Promise<void>;
}

/**
 * Starts the service as `main.ts` and the e2e tests do (same module, same HTTP setup), with every
 * role on and the module's default intervals, so the sequencer works during the measurement as it
 * would in production. `notifications` overrides module options for experiments.
 */
export async function startBenchApp(
  databaseUrl: string,
  notifications: Partial<NotificationsModuleOptions> = {},
): Promise<BenchApp> {
  const { config } = keepGeneratedSecrets(
    loadConfig({
      DATABASE_URL: databaseUrl,
      HERALD_ENCRYPTION_KEY: randomBytes(32).toString('hex'),
      REDIS_URL: 'redis://127.0.0.1:6379',
      HERALD_ADMIN_TOKEN: BENCH_ADMIN_TOKEN,
      HERALD_ALLOWED_DESTINATIONS: '127.0.0.0/8',
      // One key publishes as fast as it can: the limit stays on (its cost is measured) but out of reach.
      HERALD_RATE_LIMIT_PUBLISH: '1000000/1s',
      HERALD_RATE_LIMIT_READ: '1000000/1s',
      // A line per request is an operator's choice, and its cost is not what the benchmarks measure.
      LOG_LEVEL: 'warn',
    }),
  );
  const logger = createServiceLogger(config.logLevel);
  const app = await NestFactory.create<NestFastifyApplication>(
    AppModule.forRoot({ config, notifications, queuePrefix: `herald-bench-${process.pid}` }),
    createHttpAdapter(logger),
    { bodyParser: false, logger: ['error', 'warn'] },
  );
  configureHttp(app);
  await app.listen(0, '127.0.0.1');
  const { port } = app.getHttpServer().address() as AddressInfo;
  return { app, baseUrl: `http://127.0.0.1:${port}`, close: () => app.close() };
}
