import { mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Options } from '@mikro-orm/core';
import { Migrator } from '@mikro-orm/migrations';
import { SeedManager } from '@mikro-orm/seeder';
import { type DatabaseConfig, parseDatabaseUrl } from '../config';
import { ApiKey } from '../modules/api-key/api-key.entity';
import { User } from '../modules/user/user.entity';

export const entities = [User, ApiKey];

export interface OrmOptions {
  database: DatabaseConfig;
  debug?: boolean;
}

/**
 * ORM options for the chosen database. The driver is loaded lazily so a SQLite deployment never loads
 * pg, and the options stay `Options` (a union of drivers' defineConfig() breaks MikroORM.init's types).
 * Migrations live in one folder per driver: their SQL differs.
 */
export function createOrmOptions({ database, debug = false }: OrmOptions): Options {
  const migrationsDir = join(__dirname, 'migrations', database.driver);
  const common: Options = {
    entities,
    debug,
    allowGlobalContext: false,
    forceUtcTimezone: true,
    extensions: [Migrator, SeedManager],
    migrations: {
      path: migrationsDir,
      pathTs: migrationsDir,
      transactional: true,
      allOrNothing: true,
      snapshot: false,
      emit: 'ts',
      silent: true,
    },
    seeder: { path: join(__dirname, 'seeders'), pathTs: join(__dirname, 'seeders'), defaultSeeder: 'DatabaseSeeder' },
    preferTs: __filename.endsWith('.ts'),
    discovery: { disableDynamicFileAccess: true },
  };
  if (database.driver === 'sqlite') {
    if (database.dbName !== ':memory:') mkdirSync(dirname(database.dbName), { recursive: true });
    const { LibSqlDriver } = require('@mikro-orm/libsql') as typeof import('@mikro-orm/libsql');
    return { ...common, driver: LibSqlDriver, dbName: database.dbName };
  }
  const { PostgreSqlDriver } = require('@mikro-orm/postgresql') as typeof import('@mikro-orm/postgresql');
  return { ...common, driver: PostgreSqlDriver, clientUrl: database.clientUrl, pool: { min: 0, max: 10 } };
}

/** For the MikroORM CLI only (it needs a default export). */
export default createOrmOptions({ database: parseDatabaseUrl(process.env.DATABASE_URL || 'sqlite:data/app.db') });
