import { DataSource } from 'typeorm';
import { loadConfig } from './src/config/load-config';
import { readEnvironment } from './src/config/read-environment';
import { buildDataSourceOptions } from './src/database/data-source-options';

/** The DataSource the TypeORM CLI uses (`npm run migration:run`). */
export default new DataSource(buildDataSourceOptions(loadConfig(readEnvironment()).databaseUrl));
