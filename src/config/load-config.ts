import { plainToInstance } from 'class-transformer';
import { validateSync } from 'class-validator';
import { ConfigError } from './config-error';
import type { Environment } from './env.decorator';
import { HeraldConfig } from './herald-config';

/**
 * Validates the environment against HeraldConfig's schema and returns the typed configuration;
 * `ConfigModule` calls it with `.env` overlaid by `process.env` (see heraldConfigModule). Empty
 * values count as unset and take the default. An unset `HERALD_ADMIN_TOKEN` or
 * `HERALD_ENCRYPTION_KEY` is left for `keepGeneratedSecrets` to fill from `HERALD_DATA_DIR`, except
 * that production (`NODE_ENV=production`) requires the key.
 *
 * @throws ConfigError listing every invalid variable, not just the first
 */
export function loadConfig(env: Environment): HeraldConfig {
  const config = plainToInstance(HeraldConfig, env, { excludeExtraneousValues: true });
  const problems = validateSync(config).flatMap((error) => Object.values(error.constraints ?? {}));
  if (problems.length > 0) {
    throw new ConfigError(problems);
  }
  return config;
}
