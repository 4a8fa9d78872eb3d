import { accessSync, constants, existsSync } from 'node:fs';
import { dirname } from 'node:path';
import { type EntityManager, MikroORM } from '@mikro-orm/core';
import { hashApiKeySecret } from '../auth/api-key-secret';
import { ConfigError, type DatabaseConfig, redactUrl } from '../config';
import { ApiKey } from '../modules/api-key/api-key.entity';
import { issueApiKey } from '../modules/api-key/api-key.service';
import { Role, User } from '../modules/user/user.entity';
import { createOrmOptions } from './mikro-orm.config';
import { sqliteNotWritable } from './sqlite-file';

export const SEED_ADMIN_EMAIL = 'admin@example.com';

async function findOrCreateAdmin(em: EntityManager): Promise<User> {
  const existing = await em.findOne(User, { email: SEED_ADMIN_EMAIL });
  if (existing) {
    if (existing.role !== Role.ADMIN) {
      existing.role = Role.ADMIN;
      await em.flush();
    }
    return existing;
  }
  const admin = em.create(User, { email: SEED_ADMIN_EMAIL, fullName: 'Admin', role: Role.ADMIN });
  await em.flush();
  return admin;
}

/**
 * SEED_ADMIN_API_KEY: makes sure admin@example.com exists, is an ADMIN, and owns a key whose secret is
 * exactly `secret`. Idempotent: running it again changes nothing.
 */
export async function ensureSeedAdmin(em: EntityManager, secret: string): Promise<User> {
  const admin = await findOrCreateAdmin(em);
  const key = await em.findOne(ApiKey, { secretHash: hashApiKeySecret(secret) });
  if (!key) await issueApiKey(em, admin, 'seed (SEED_ADMIN_API_KEY)', secret);
  else if (key.owner.id !== admin.id) {
    key.owner = em.getReference(User, admin.id) as never;
    await em.flush();
  }
  return admin;
}

/** Development only, on an empty database: the first admin and a random key, shown once. */
export async function createFirstAdmin(em: EntityManager): Promise<string | null> {
  if ((await em.count(User)) > 0) return null;
  const admin = await findOrCreateAdmin(em);
  const { secret } = await issueApiKey(em, admin, 'first admin key');
  return secret;
}

/**
 * Start-up work on the database: migrations, then SEED_ADMIN_API_KEY, then (development only) the
 * first admin. Returns the first admin's secret when one was created.
 */
export async function prepareDatabase(
  orm: MikroORM,
  options: { seedAdminApiKey?: string; development: boolean },
): Promise<string | null> {
  await orm.getMigrator().up();
  const em = orm.em.fork();
  if (options.seedAdminApiKey) await ensureSeedAdmin(em, options.seedAdminApiKey);
  return options.development && !options.seedAdminApiKey ? createFirstAdmin(em) : null;
}

/** The database could not be reached (PostgreSQL down, wrong host): maybe transient, not a bad setting. */
export class DatabaseUnreachableError extends Error {
  override name = 'DatabaseUnreachableError';
}

export interface CheckDatabaseOptions {
  /** In production a missing PostgreSQL database stops the start; elsewhere it is created. */
  production: boolean;
  /** Told, in one line, when a database was created. */
  log: (fields: Record<string, unknown>, message: string) => void;
}

/**
 * Before anything else touches the database (MikroORM and its migrator create a missing PostgreSQL
 * database silently): makes sure DATABASE_URL can be opened. A bad setting is a {@link ConfigError}
 * naming DATABASE_URL and what to do; a PostgreSQL server that does not answer is a
 * {@link DatabaseUnreachableError}. A missing PostgreSQL database is a ConfigError in production, and
 * is created (with one info line) elsewhere. Returns what it found.
 */
export async function checkDatabase(
  database: DatabaseConfig,
  { production, log }: CheckDatabaseOptions,
): Promise<'exists' | 'created'> {
  // Creates a SQLite file (and its folder) when missing, or says why it cannot. Building the options at
  // start-up is what creates a SQLite database; the pool's connections never do (see ./sqlite-file.ts).
  const options = createOrmOptions({ database });
  if (database.driver === 'sqlite') checkSqliteAccess(database.dbName);
  const orm = await MikroORM.init({
    ...options,
    entities: [],
    discovery: { warnWhenNoEntities: false },
    ensureDatabase: false,
    connect: false,
  });
  try {
    const check = await orm.checkConnection();
    if (check.ok) return 'exists';
    const error = check.error as (Error & { code?: string }) | undefined;
    const reason = check.reason ?? error?.message ?? 'unknown error';
    if (database.driver === 'sqlite') {
      throw new ConfigError(
        `DATABASE_URL: cannot open the SQLite file ${JSON.stringify(database.dbName)} (${sqliteReason(reason)}): it must be a file, or not exist yet, in a folder this user can write. Set DATABASE_URL=sqlite:<such a path>, e.g. sqlite:data/app.db`,
      );
    }
    const url = new URL(database.clientUrl);
    const dbName = String(orm.config.get('dbName') ?? '');
    const server = `${url.hostname || 'localhost'}:${url.port || '5432'}`;
    if (error?.code === '3D000') {
      if (production) {
        const user = decodeURIComponent(url.username || 'postgres');
        throw new ConfigError(
          `DATABASE_URL names the database ${JSON.stringify(dbName)}, which does not exist on ${server}. In production the server does not create databases: create it, e.g. \`createdb -h ${url.hostname || 'localhost'} -p ${url.port || '5432'} -U ${user} ${dbName}\` (or, in psql: CREATE DATABASE "${dbName.replace(/"/g, '""')}";), then start again (migrations run at start); or correct the name in DATABASE_URL.`,
        );
      }
      await orm.getSchemaGenerator().ensureDatabase();
      log(
        { database: dbName, server },
        `database "${dbName}" did not exist on ${server}: created it (outside production only; in production the server stops instead)`,
      );
      return 'created';
    }
    if (error?.code === '28P01' || error?.code === '28000') {
      throw new ConfigError(
        `DATABASE_URL: PostgreSQL on ${server} refused the login (${reason}): correct the user and password in ${JSON.stringify(redactUrl(database.clientUrl))}.`,
      );
    }
    throw new DatabaseUnreachableError(
      `DATABASE_URL: cannot reach PostgreSQL at ${server} (${reason}): start it, or correct the host and port in ${JSON.stringify(redactUrl(database.clientUrl))}.`,
    );
  } finally {
    await orm.close(true);
  }
}

/** Root may write anywhere, so this catches what permissions forbid to others; SQLite itself catches the rest. */
function checkSqliteAccess(file: string): void {
  if (file === ':memory:') return;
  const target = existsSync(file) ? file : dirname(file);
  try {
    accessSync(target, constants.R_OK | constants.W_OK);
  } catch (err) {
    throw sqliteNotWritable(file, target, (err as NodeJS.ErrnoException).code);
  }
}

/** libsql says `ConnectionFailed("… : 14")`: 14 is SQLITE_CANTOPEN. */
function sqliteReason(reason: string): string {
  return /:\s*14"?\)?$/.test(reason) ? `SQLite error 14, SQLITE_CANTOPEN: unable to open the database file` : reason;
}
