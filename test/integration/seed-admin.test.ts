import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { createScratchDatabase } from '../helpers/databases';
import { startTestApp } from '../helpers/test-app';

const run = promisify(execFile);
const ROOT = join(__dirname, '..', '..');

const seed = (env: Record<string, string>, ...args: string[]) =>
  run(process.execPath, ['-r', '@swc-node/register', 'scripts/seed.ts', ...args], {
    cwd: ROOT,
    env: { PATH: process.env.PATH!, HOME: process.env.HOME ?? '/tmp', ...env },
  });

describe('npm run seed and the admin', () => {
  it('seeds an admin after the users and prints a key that has ADMIN rights (the README steps use one)', async () => {
    const db = await createScratchDatabase('sqlite');
    try {
      const { stdout } = await seed({ DATABASE_URL: db.url }, '--users', '3', '--keys', '1');
      expect(stdout).toContain('seeded 3 users with 1 keys each, and the admin admin@example.com');
      const [, adminKey] = /admin@example\.com \(ADMIN\) authenticates with: Authorization: Bearer (gqk_\S+)/.exec(
        stdout,
      )!;
      const again = await seed({ DATABASE_URL: db.url }, '--users', '3', '--keys', '1');
      expect(again.stdout).toContain(adminKey!); // idempotent: the same key

      const t = await startTestApp({ databaseUrl: db.url });
      try {
        const admin = t.client(adminKey);
        const me = await admin.ok<{ me: { id: string; email: string; role: string } }>('{ me { id email role } }');
        expect(me.me).toEqual({ id: '4', email: 'admin@example.com', role: 'ADMIN' }); // the users keep ids 1-3
        const users = await admin.ok<{ users: { total: number } }>('{ users { total } }');
        expect(users.users.total).toBe(4);
      } finally {
        await t.close();
      }
    } finally {
      await db.drop();
    }
  });

  it('gives the admin SEED_ADMIN_API_KEY when it is set, without printing it', async () => {
    const db = await createScratchDatabase('sqlite');
    try {
      const secret = 'gqk_my_own_admin_key_for_the_seed_test';
      const { stdout } = await seed({ DATABASE_URL: db.url, SEED_ADMIN_API_KEY: secret }, '--users', '1');
      expect(stdout).toContain('Authorization: Bearer <the value of SEED_ADMIN_API_KEY>');
      expect(stdout).not.toContain(secret);
      const t = await startTestApp({ databaseUrl: db.url });
      try {
        const me = await t.client(secret).ok<{ me: { role: string } }>('{ me { role } }');
        expect(me.me.role).toBe('ADMIN');
      } finally {
        await t.close();
      }
    } finally {
      await db.drop();
    }
  });

  it('refuses NODE_ENV=production (anyone can compute its keys), exit code 2, nothing written', async () => {
    const db = await createScratchDatabase('sqlite');
    try {
      await expect(seed({ DATABASE_URL: db.url, NODE_ENV: 'production' })).rejects.toMatchObject({
        code: 2,
        stderr: expect.stringContaining('NODE_ENV is production: npm run seed refuses it'),
      });
      expect(existsSync(db.url.slice('sqlite:'.length))).toBe(false);
    } finally {
      await db.drop();
    }
  });
});
