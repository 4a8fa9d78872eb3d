import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MikroORM } from '@mikro-orm/core';
import { parseDatabaseUrl } from '../../src/config';
import { createOrmOptions } from '../../src/db/mikro-orm.config';

export type DatabaseKind = 'sqlite' | 'postgresql';

/** SQLite always; PostgreSQL too when TEST_DATABASE_URL names one (test/global-setup.ts sets it when the local default answers). */
export const databaseKinds: DatabaseKind[] = process.env.TEST_DATABASE_URL ? ['sqlite', 'postgresql'] : ['sqlite'];

export interface ScratchDatabase {
  url: string;
  drop(): Promise<void>;
}

/** A new, empty database: a SQLite file in a temp folder, or a new PostgreSQL database beside TEST_DATABASE_URL's. */
export async function createScratchDatabase(kind: DatabaseKind): Promise<ScratchDatabase> {
  if (kind === 'sqlite') {
    const dir = mkdtempSync(join(tmpdir(), 'gql-cache-test-'));
    return { url: `sqlite:${join(dir, 'app.db')}`, drop: async () => rmSync(dir, { recursive: true, force: true }) };
  }
  const base = process.env.TEST_DATABASE_URL;
  if (!base) throw new Error('TEST_DATABASE_URL is not set');
  const name = `t_${Date.now().toString(36)}_${randomBytes(4).toString('hex')}`;
  const admin = await MikroORM.init({
    ...createOrmOptions({ database: parseDatabaseUrl(base) }),
    entities: [],
    discovery: { warnWhenNoEntities: false },
  });
  await admin.em.getConnection().execute(`create database ${name}`);
  await admin.close(true);
  const url = new URL(base);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    drop: async () => {
      const orm = await MikroORM.init({
        ...createOrmOptions({ database: parseDatabaseUrl(base) }),
        entities: [],
        discovery: { warnWhenNoEntities: false },
      });
      await orm.em.getConnection().execute(`drop database if exists ${name} with (force)`);
      await orm.close(true);
    },
  };
}
