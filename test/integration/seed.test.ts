import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { MikroORM } from '@mikro-orm/core';
import { parseDatabaseUrl } from '../../src/config';
import { createOrmOptions } from '../../src/db/mikro-orm.config';
import { seededEmail, seededSecret } from '../../src/db/seeders/DatabaseSeeder';
import { createScratchDatabase } from '../helpers/databases';
import { startTestApp } from '../helpers/test-app';

const run = promisify(execFile);
const ROOT = join(__dirname, '..', '..');

async function snapshot(url: string): Promise<unknown[]> {
  const orm = await MikroORM.init(createOrmOptions({ database: parseDatabaseUrl(url) }));
  try {
    return await orm.em
      .getConnection()
      .execute(
        'select u.email, u.full_name, u.role, u.created_at, k.name, k.prefix, k.secret_hash from users u left join api_keys k on k.owner_id = u.id order by u.email, k.name',
      );
  } finally {
    await orm.close(true);
  }
}

describe('npm run seed', () => {
  it('loads the same dataset every time, idempotently, with working keys', async () => {
    const a = await createScratchDatabase('sqlite');
    const b = await createScratchDatabase('sqlite');
    try {
      const seed = (url: string) =>
        run(process.execPath, ['-r', '@swc-node/register', 'scripts/seed.ts', '--users', '12', '--keys', '3'], {
          cwd: ROOT,
          env: { ...process.env, DATABASE_URL: url },
        });
      await seed(a.url);
      await seed(a.url); // idempotent
      await seed(b.url);
      const rowsA = await snapshot(a.url);
      expect(rowsA).toHaveLength(12 * 3 + 1); // and the admin's key
      expect(await snapshot(b.url)).toEqual(rowsA);

      const t = await startTestApp({ databaseUrl: a.url });
      try {
        const me = await t.client(seededSecret(seededEmail(5), 2)).ok<{ me: { email: string } }>('{ me { email } }');
        expect(me.me.email).toBe('user005@example.com');
      } finally {
        await t.close();
      }
    } finally {
      await a.drop();
      await b.drop();
    }
  });

  it('refuses a bad count with a clear message', async () => {
    const db = await createScratchDatabase('sqlite');
    try {
      await expect(
        run(process.execPath, ['-r', '@swc-node/register', 'scripts/seed.ts', '--users', 'many'], {
          cwd: ROOT,
          env: { ...process.env, DATABASE_URL: db.url },
        }),
      ).rejects.toMatchObject({
        stderr: expect.stringContaining('--users must be an integer from 0 to 100000, got: "many"'),
      });
    } finally {
      await db.drop();
    }
  });
});
