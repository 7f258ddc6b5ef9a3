import { DataSource } from 'typeorm';
import { readConfig } from './src/config/herald-config.module';
import { buildDataSourceOptions } from './src/database/data-source-options';

/** The DataSource the TypeORM CLI uses (`npm run migration:run`), configured as the service is. */
export default readConfig().then(
  (config) => new DataSource(buildDataSourceOptions(config.databaseUrl)),
);
