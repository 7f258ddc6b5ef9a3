import type { DataSourceOptions } from 'typeorm';
import { NOTIFICATIONS_ENTITIES, NOTIFICATIONS_MIGRATIONS } from '../notifications';

/** The one set of TypeORM options: used by the app, the migration CLI (`ormconfig.ts`) and tests. */
export function buildDataSourceOptions(databaseUrl: string): DataSourceOptions {
  return {
    type: 'postgres',
    url: databaseUrl,
    entities: NOTIFICATIONS_ENTITIES,
    migrations: NOTIFICATIONS_MIGRATIONS,
    migrationsTableName: 'herald_migrations',
    synchronize: false,
    migrationsRun: false,
    applicationName: 'herald',
    extra: { max: 20 },
  };
}
