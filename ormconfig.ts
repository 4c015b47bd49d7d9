import 'reflect-metadata';
import { DataSource } from 'typeorm';
import { readEnvConfig } from './src/config/app.config';
import { buildDataSourceOptions } from './src/database/data-source-options';

/** The DataSource the TypeORM CLI uses (`npm run migration:run`), from the same DATABASE_URL as the app. */
export default new DataSource(buildDataSourceOptions(readEnvConfig().database));
