import 'reflect-metadata';
import { DataSource } from 'typeorm';
import { dataSourceOptions } from './data-source-options';

/**
 * The data source for the TypeORM CLI (`npx typeorm -d dist/libs/platform/src/database/data-source.js
 * migration:show`). It needs DATABASE_URL; `npm run cli -- migrate` does the same against the
 * embedded database without it.
 */
const url = process.env.DATABASE_URL;
if (!url) throw new Error('DATABASE_URL must be set for the TypeORM CLI');

export default new DataSource(dataSourceOptions({ url, applicationName: 'mayak-typeorm-cli' }));
