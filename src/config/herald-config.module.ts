import type { DynamicModule } from '@nestjs/common';
import { ConfigModule, ConfigService } from '@nestjs/config';
import { NestFactory } from '@nestjs/core';
import type { HeraldConfig } from './herald-config';
import { loadConfig } from './load-config';

/** The key under which `ConfigService` serves the validated configuration. */
export const HERALD_CONFIG = 'herald';

/**
 * Nest's `ConfigModule` over `envFilePath` overlaid by `process.env` (a variable set in the real
 * environment wins), validated by `loadConfig`: an invalid environment throws a ConfigError naming
 * every bad variable. `ConfigService` then serves the typed configuration at `HERALD_CONFIG`.
 *
 * @param envFilePath the `.env` file, relative to the working folder; a missing one is skipped
 */
export function heraldConfigModule(envFilePath = '.env'): Promise<DynamicModule> {
  return ConfigModule.forRoot({
    envFilePath,
    // Under one key: ConfigModule copies the top-level strings validate returns into process.env,
    // which stays as the operator set it.
    validate: (variables) => ({ [HERALD_CONFIG]: loadConfig(variables) }),
  });
}

/**
 * Reads the configuration as the service does, from `ConfigService` in a Nest context holding
 * only `heraldConfigModule`. The service reads it before its app is built, since the roles decide
 * the app's modules and the log level its logger.
 *
 * @throws ConfigError naming every invalid variable
 */
export async function readConfig(envFilePath?: string): Promise<HeraldConfig> {
  const module = await heraldConfigModule(envFilePath);
  const context = await NestFactory.createApplicationContext(module, { logger: false });
  try {
    return context
      .get<ConfigService<{ [HERALD_CONFIG]: HeraldConfig }, true>>(ConfigService)
      .get(HERALD_CONFIG, { infer: true });
  } finally {
    await context.close();
  }
}
