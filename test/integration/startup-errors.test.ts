import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MikroORM } from '@mikro-orm/core';
import { parseDatabaseUrl } from '../../src/config';
import { createOrmOptions } from '../../src/db/mikro-orm.config';
import { runMainToExit, startMain } from '../helpers/main-process';

/**
 * Bad settings stop the real process (`node -r @swc-node/register src/main.ts`) the way `PORT=abc`
 * does: one message naming the variable and what to do, no stack trace, exit code 2.
 */
function expectCleanConfigError(run: { code: number | null; output: string }, ...expected: string[]): void {
  expect(run.code).toBe(2);
  expect(run.output.startsWith('Invalid configuration:\n  ')).toBe(true);
  for (const text of expected) expect(run.output).toContain(text);
  expect(run.output).not.toMatch(/^\s+at /m); // no stack frame
  expect(run.output).not.toMatch(/EEXIST|ConnectionFailed|ConfigError|node:internal/);
  expect(run.output.trim().split('\n')).toHaveLength(2); // the heading and one message
}

describe('start-up errors of the real process', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'gql-startup-'));
  });
  afterAll(() => {
    try {
      chmodSync(join(dir, 'read-only'), 0o755);
    } catch {}
    rmSync(dir, { recursive: true, force: true });
  });

  it('PORT=abc: the reference form', async () => {
    expectCleanConfigError(
      await runMainToExit({ PORT: 'abc', DATABASE_URL: `sqlite:${join(dir, 'a.db')}` }),
      'PORT must be a port number (0-65535), got: "abc"',
    );
  });

  it('DATABASE_URL=mysql://…: no ConfigError thrown from the ORM config at import', async () => {
    expectCleanConfigError(
      await runMainToExit({ DATABASE_URL: 'mysql://u:hunter2@localhost/app', PORT: '0' }),
      'DATABASE_URL must start with "sqlite:" or "postgres://", got: "mysql://u:***@localhost/app"',
    );
  });

  it('a SQLite path through a file: no raw EEXIST from mkdir', async () => {
    const file = join(dir, 'a-file');
    writeFileSync(file, 'not a folder');
    expectCleanConfigError(
      await runMainToExit({ DATABASE_URL: `sqlite:${file}/app.db`, PORT: '0' }),
      `DATABASE_URL: cannot create the folder "${file}" for the SQLite file: ${file} is a file, not a folder.`,
      'e.g. sqlite:data/app.db',
    );
  });

  it('a SQLite path that cannot be opened: no ConnectionFailed(… : 14)', async () => {
    const folder = join(dir, 'a-folder.db'); // a folder where the file should be
    mkdirSync(folder);
    expectCleanConfigError(
      await runMainToExit({ DATABASE_URL: `sqlite:${folder}`, PORT: '0' }),
      `DATABASE_URL: cannot open the SQLite file "${folder}" (SQLite error 14, SQLITE_CANTOPEN: unable to open the database file)`,
      'in a folder this user can write',
    );
  });

  // Root writes anywhere: permissions can only be shown to fail for another user.
  (process.getuid?.() === 0 ? it.skip : it)('a SQLite file in a read-only folder', async () => {
    const folder = join(dir, 'read-only');
    mkdirSync(folder);
    chmodSync(folder, 0o555);
    expectCleanConfigError(
      await runMainToExit({ DATABASE_URL: `sqlite:${join(folder, 'app.db')}`, PORT: '0' }),
      `DATABASE_URL: the SQLite file "${join(folder, 'app.db')}" is not writable`,
    );
  });

  it('a PORT already in use: no EADDRINUSE stack trace, and nothing written to the database', async () => {
    const busy: Server = createServer();
    await new Promise<void>((resolve) => busy.listen(0, '127.0.0.1', resolve));
    const port = (busy.address() as { port: number }).port;
    try {
      const run = await runMainToExit({
        HOST: '127.0.0.1',
        PORT: String(port),
        DATABASE_URL: `sqlite:${join(dir, 'busy', 'app.db')}`,
      });
      expectCleanConfigError(
        run,
        `PORT ${port} is already in use (another process listens on 127.0.0.1:${port}): stop that process, or set PORT to a free port (PORT=0 picks one).`,
      );
      expect(run.output).not.toContain('EADDRINUSE');
      // checked before the database: no first admin created whose key would never be shown
      expect(existsSync(join(dir, 'busy', 'app.db'))).toBe(false);
    } finally {
      busy.close();
    }
  });
});

const base = process.env.TEST_DATABASE_URL;

(base ? describe : describe.skip)('a PostgreSQL database that does not exist', () => {
  const name = `t_missing_${Date.now().toString(36)}_${randomBytes(3).toString('hex')}`;
  const url = (() => {
    if (!base) return '';
    const u = new URL(base);
    u.pathname = `/${name}`;
    return u.toString();
  })();
  let admin: MikroORM;
  const exists = async () =>
    (await admin.em.getConnection().execute('select 1 from pg_database where datname = ?', [name])).length > 0;

  beforeAll(async () => {
    admin = await MikroORM.init({
      ...createOrmOptions({ database: parseDatabaseUrl(base!) }),
      entities: [],
      discovery: { warnWhenNoEntities: false },
    });
  });
  afterAll(async () => {
    await admin.em.getConnection().execute(`drop database if exists ${name} with (force)`); // ours only
    await admin.close(true);
  });

  it('in production: refused at start with how to create it, exit code 2, and not created', async () => {
    const target = new URL(base!);
    const run = await runMainToExit({ NODE_ENV: 'production', DATABASE_URL: url, PORT: '0' });
    expectCleanConfigError(
      run,
      `DATABASE_URL names the database "${name}", which does not exist on ${target.hostname}:${target.port || '5432'}.`,
      `createdb -h ${target.hostname} -p ${target.port || '5432'} -U ${target.username || 'postgres'} ${name}`,
      `CREATE DATABASE "${name}";`,
    );
    expect(await exists()).toBe(false);
  });

  it('in development: created, with one info line saying so', async () => {
    const main = startMain({ NODE_ENV: 'development', DATABASE_URL: url, PORT: '0' });
    try {
      await main.waitFor(/GraphQL API ready at/);
      const said = main
        .output()
        .split('\n')
        .filter((line) => line.includes(`database "${name}" did not exist`));
      expect(said).toHaveLength(1);
      expect(said[0]).toMatch(/INFO.*created it/);
      expect(await exists()).toBe(true);
    } finally {
      main.child.kill('SIGTERM');
      await main.exited();
    }
  });
});
