import { mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Options } from '@mikro-orm/core';
import { Migrator } from '@mikro-orm/migrations';
import { SeedManager } from '@mikro-orm/seeder';
import { ConfigError, type DatabaseConfig, parseDatabaseUrl } from '../config';
import { ApiKey } from '../modules/api-key/api-key.entity';
import { User } from '../modules/user/user.entity';
import { createSqliteFileIfMissing, SqliteFileWatch, sqliteOpenUri } from './sqlite-file';

export const entities = [User, ApiKey];

export interface OrmOptions {
  database: DatabaseConfig;
  debug?: boolean;
  /**
   * For a SQLite file: the pool hooks that keep connections on the file at the path. Pass one to read
   * it afterwards (createApp asks it for /ready); one is made when absent. Ignored otherwise.
   */
  sqliteFileWatch?: SqliteFileWatch;
}

/**
 * ORM options for the chosen database. The driver is loaded lazily so a SQLite deployment never loads
 * pg, and the options stay `Options` (a union of drivers' defineConfig() breaks MikroORM.init's types).
 * Migrations live in one folder per driver: their SQL differs.
 *
 * A SQLite file is created here, at start-up, with its folder, when missing; the pool then opens it
 * read-write without create (see ./sqlite-file.ts): nothing creates a database at run time.
 */
export function createOrmOptions({ database, debug = false, sqliteFileWatch }: OrmOptions): Options {
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
    const { LibSqlDriver } = require('@mikro-orm/libsql') as typeof import('@mikro-orm/libsql');
    const { dbName } = database;
    if (dbName === ':memory:') return { ...common, driver: LibSqlDriver, dbName };
    makeFolderOf(dbName);
    createSqliteFileIfMissing(dbName);
    const watch = sqliteFileWatch ?? new SqliteFileWatch(dbName);
    return {
      ...common,
      driver: LibSqlDriver,
      dbName, // MikroORM's own use: the folder it ensures, names in messages
      // knex's settings: the connections open a URI that never creates the file, and are kept on the file
      // at the path (knex's pool takes `validate` too; MikroORM's PoolConfig type does not list it).
      driverOptions: {
        connection: { filename: sqliteOpenUri(dbName) },
        pool: { afterCreate: watch.afterCreate, validate: watch.validate },
      },
    };
  }
  const { PostgreSqlDriver } = require('@mikro-orm/postgresql') as typeof import('@mikro-orm/postgresql');
  return { ...common, driver: PostgreSqlDriver, clientUrl: database.clientUrl, pool: { min: 0, max: 10 } };
}

/**
 * Creates the folder of a SQLite file. A path it cannot create (a file in the way, no permission) is a
 * {@link ConfigError} naming DATABASE_URL, not a raw `EEXIST`/`EACCES` with a stack trace.
 */
function makeFolderOf(file: string): void {
  const folder = dirname(file);
  try {
    mkdirSync(folder, { recursive: true });
  } catch (err) {
    const { code, path } = err as NodeJS.ErrnoException;
    const why =
      code === 'EEXIST' || code === 'ENOTDIR'
        ? `${path ?? folder} is a file, not a folder`
        : code === 'EACCES' || code === 'EPERM' || code === 'EROFS'
          ? `this user may not create ${path ?? folder} (${code})`
          : `${(err as Error).message}`;
    throw new ConfigError(
      `DATABASE_URL: cannot create the folder ${JSON.stringify(folder)} for the SQLite file: ${why}. Set DATABASE_URL=sqlite:<a path in a folder this user can write>, e.g. sqlite:data/app.db`,
    );
  }
}

/**
 * For the MikroORM CLI only (it needs a default export). A function, which the CLI calls: importing this
 * module (the app does) must not read the environment, create folders or throw.
 */
export default function cliConfig(): Options {
  return createOrmOptions({ database: parseDatabaseUrl(process.env.DATABASE_URL || 'sqlite:data/app.db') });
}
