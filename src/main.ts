import { Logger } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { Logger as NestPinoLogger, PinoLogger } from 'nestjs-pino';
import { AppModule } from './app.module';
import { ConfigError } from './config/config-error';
import type { SettledConfig } from './config/herald-config';
import { keepGeneratedSecrets, type KeptSecret } from './config/keep-generated-secrets';
import { readConfig } from './config/herald-config.module';
import { prepareDatabase } from './database/prepare-database';
import { configureHttp } from './http/configure-http';
import { createHttpAdapter } from './http/create-http-adapter';
import { createServiceLogger } from './logging/service-logger';
import { startTraceExport, type TraceExport } from './tracing/start-trace-export';

/**
 * The validated configuration (see readConfig), with the secrets the environment left unset kept
 * in HERALD_DATA_DIR. An invalid environment prints every problem and exits 1.
 */
async function settleConfig(): Promise<{ config: SettledConfig; kept: KeptSecret[] }> {
  try {
    return keepGeneratedSecrets(await readConfig());
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    console.error(error.message);
    process.exit(1);
  }
}

/**
 * Closes the app on a signal (held polls are answered, work is finished) and exits 0. Nest's own
 * shutdown hooks re-raise the signal after closing, which ends the process with no exit code.
 */
function exitCleanlyOn(
  app: NestFastifyApplication,
  signals: NodeJS.Signals[],
  logger: Logger,
  traces: TraceExport | undefined,
): void {
  const close = (signal: NodeJS.Signals) => {
    logger.log(`${signal}: shutting down`);
    // Spans end as the app closes; the export sends them before the process exits.
    app
      .close()
      .then(() =>
        traces
          ?.shutdown()
          .catch((error: unknown) =>
            logger.warn(`Could not export the last spans: ${String(error)}`),
          ),
      )
      .then(
        () => process.exit(0),
        (error: unknown) => {
          logger.error(`Shutdown failed: ${String(error)}`);
          process.exit(1);
        },
      );
  };
  for (const signal of signals) process.once(signal, close);
}

/**
 * Says where the secrets the environment left unset are kept. The admin token is printed once,
 * when it is made; the encryption key never is.
 */
function announceKept(kept: KeptSecret[], adminToken: string, logger: Logger): void {
  for (const { name, path, generated } of kept) {
    if (name === 'admin token' && generated) {
      logger.warn(`HERALD_ADMIN_TOKEN is not set; generated one, kept in ${path}: ${adminToken}`);
    } else if (generated) {
      logger.warn(
        `HERALD_ENCRYPTION_KEY is not set; generated one, kept in ${path}. Back it up: webhook ` +
          'secrets cannot be opened without it. Production requires HERALD_ENCRYPTION_KEY.',
      );
    } else {
      const variable = name === 'admin token' ? 'HERALD_ADMIN_TOKEN' : 'HERALD_ENCRYPTION_KEY';
      logger.log(`${variable} is not set; using the ${name} kept in ${path}`);
    }
  }
}

async function bootstrap(): Promise<void> {
  const { config, kept } = await settleConfig();
  // One pino logger for Nest, Fastify and Herald, set before the database is prepared so that
  // even the start-up and migration lines go through it.
  const pinoLogger = createServiceLogger(config.logLevel);
  const nestLogger = new NestPinoLogger(new PinoLogger({ pinoHttp: { logger: pinoLogger } }), {});
  Logger.overrideLogger(nestLogger);
  const logger = new Logger('Herald');
  announceKept(kept, config.adminToken, logger);
  // Before the app is built, so that its spans, start-up included, are exported.
  const traces = await startTraceExport(config);
  if (traces) logger.log('Exporting traces over OTLP/HTTP');
  await prepareDatabase(config.databaseUrl);
  const app = await NestFactory.create<NestFastifyApplication>(
    AppModule.forRoot({ config }),
    createHttpAdapter(pinoLogger),
    { bodyParser: false, logger: nestLogger },
  );
  configureHttp(app);
  if (config.roles.has('api')) {
    await app.listen(config.port, '0.0.0.0');
    logger.log(`Listening on port ${config.port}; API docs at /docs`);
  } else {
    await app.init();
  }
  logger.log(`Roles: ${[...config.roles].join(', ')}`);
  exitCleanlyOn(app, ['SIGTERM', 'SIGINT'], logger, traces);
}

bootstrap().catch((error: unknown) => {
  new Logger('Herald').fatal(error);
  process.exit(1);
});
