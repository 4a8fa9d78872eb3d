/**
 * Creates the next migration for both drivers from the entity metadata:
 *   npm run migration:create -- [name]
 * SQLite is diffed against a scratch file; PostgreSQL against a scratch database beside MIGRATION_DATABASE_URL
 * (default postgres://postgres@127.0.0.1:5432/test). Each folder under src/migrations/ gets its own file.
 */
import 'reflect-metadata';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MikroORM } from '@mikro-orm/core';
import { parseDatabaseUrl } from '../src/config';
import { createOrmOptions } from '../src/db/mikro-orm.config';

async function createFor(url: string, name?: string): Promise<void> {
  const orm = await MikroORM.init(createOrmOptions({ database: parseDatabaseUrl(url) }));
  try {
    const migrator = orm.getMigrator();
    await migrator.up();
    const result = await migrator.createMigration(undefined, false, false, name);
    console.log(result.fileName ? `created ${result.fileName}` : `${url.split(':')[0]}: no changes`);
  } finally {
    await orm.close(true);
  }
}

async function main(): Promise<void> {
  const name = process.argv[2];
  const dir = mkdtempSync(join(tmpdir(), 'migration-'));
  try {
    await createFor(`sqlite:${join(dir, 'scratch.db')}`, name);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  const pg = process.env.MIGRATION_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
  const db = `migration_scratch_${Date.now()}`;
  const admin = await MikroORM.init({
    ...createOrmOptions({ database: parseDatabaseUrl(pg) }),
    entities: [],
    discovery: { warnWhenNoEntities: false },
  });
  await admin.em.getConnection().execute(`create database ${db}`);
  try {
    const url = new URL(pg);
    url.pathname = `/${db}`;
    await createFor(url.toString(), name);
  } finally {
    await admin.em.getConnection().execute(`drop database ${db} with (force)`);
    await admin.close(true);
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
