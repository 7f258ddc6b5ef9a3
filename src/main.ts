import { Logger } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { Logger as NestPinoLogger, PinoLogger } from 'nestjs-pino';
import { AppModule } from './app.module';
import { ConfigError } from './config/config-error';
import type { HeraldConfig } from './config/herald-config';
import { loadConfig } from './config/load-config';
import { readEnvironment } from './config/read-environment';
import { prepareDatabase } from './database/prepare-database';
import { configureHttp } from './http/configure-http';
import { buildLoggerParams } from './logging/logger-params';

function readConfig(): HeraldConfig {
  try {
    return loadConfig(readEnvironment());
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
  app: NestExpressApplication,
  signals: NodeJS.Signals[],
  logger: Logger,
): void {
  const close = (signal: NodeJS.Signals) => {
    logger.log(`${signal}: shutting down`);
    app.close().then(
      () => process.exit(0),
      (error: unknown) => {
        logger.error(`Shutdown failed: ${String(error)}`);
        process.exit(1);
      },
    );
  };
  for (const signal of signals) process.once(signal, close);
}

async function bootstrap(): Promise<void> {
  const config = readConfig();
  // The database is prepared before the app (and its LoggerModule) exists: the same pino settings
  // make those lines JSON too, and the app's logger takes over below.
  const loggerParams = buildLoggerParams(config.logLevel);
  Logger.overrideLogger(new NestPinoLogger(new PinoLogger(loggerParams), loggerParams));
  const logger = new Logger('Herald');
  await prepareDatabase(config.databaseUrl);
  const app = await NestFactory.create<NestExpressApplication>(AppModule.forRoot({ config }), {
    bodyParser: false,
    // Held until pino takes over, so even the start-up lines come out as JSON.
    bufferLogs: true,
  });
  app.useLogger(app.get(NestPinoLogger));
  // Nest flushes the buffer when the app listens; a process without the api role never does.
  app.flushLogs();
  configureHttp(app);
  if (config.roles.has('api')) {
    await app.listen(config.port);
    logger.log(`Listening on port ${config.port}; API docs at /docs`);
  } else {
    await app.init();
  }
  logger.log(`Roles: ${[...config.roles].join(', ')}`);
  exitCleanlyOn(app, ['SIGTERM', 'SIGINT'], logger);
  if (config.encryptionKeyGenerated) {
    logger.warn(
      'HERALD_ENCRYPTION_KEY is not set; webhook secrets stored in this run cannot be opened after ' +
        'a restart. Set it (32 bytes, base64 or hex) for anything but a trial.',
    );
  }
  if (config.adminTokenGenerated) {
    logger.warn(`HERALD_ADMIN_TOKEN is not set; generated for this run: ${config.adminToken}`);
  }
}

bootstrap().catch((error: unknown) => {
  new Logger('Herald').fatal(error);
  process.exit(1);
});
