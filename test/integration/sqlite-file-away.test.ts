import { copyFileSync, existsSync, mkdtempSync, renameSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { SQLITE_FILE_RECHECK_MS } from '../../src/db/sqlite-file';
import { startTestApp, type TestApp } from '../helpers/test-app';

/**
 * The SQLite file taken from under a running server (renamed away, replaced): no database is ever created
 * at run time, /ready says 503 while nothing is at the path, and service resumes as soon as a file is
 * back, on that file. The real app on a temp file, no cache (every request reads the database).
 */
describe('the SQLite file away from its path at run time', () => {
  let dir: string;
  let file: string;
  let t: TestApp;

  const USERS = '{ users { total } }';
  const ready = async () => {
    const res = await fetch(`${t.baseUrl}/ready`);
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  };

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'gql-sqlite-away-'));
    file = join(dir, 'app.db');
    t = await startTestApp({ databaseUrl: `sqlite:${file}`, env: { CACHE_ENABLED: 'false' } });
    await t.admin.ok(USERS); // a pooled connection is open on the file
  });
  afterEach(async () => {
    await t?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('renamed away: clean INTERNAL_SERVER_ERRORs, no empty database in its place, /ready 503; renamed back: served at once', async () => {
    const away = `${file}.away`;
    renameSync(file, away);
    // No probe: the pooled connection re-checks its file by itself (at most SQLITE_FILE_RECHECK_MS later),
    // then the pool opens a new connection, which must fail rather than create a file.
    await sleep(SQLITE_FILE_RECHECK_MS + 100);
    const during = await t.admin.request(USERS);
    expect(during.body.data ?? null).toBeNull();
    expect(during.body.errors).toEqual([
      expect.objectContaining({ message: 'Internal server error', extensions: { code: 'INTERNAL_SERVER_ERROR' } }),
    ]);
    expect(existsSync(file)).toBe(false);
    expect(await ready()).toEqual({
      status: 503,
      body: expect.objectContaining({ status: 'not ready', database: 'sqlite' }),
    });
    expect(existsSync(file)).toBe(false);

    renameSync(away, file);
    const back = await t.admin.request(USERS); // at once: no wait, no probe first
    expect(back.body).toEqual({ data: { users: { total: 1 } } });
    expect((await ready()).status).toBe(200);
  });

  it('replaced by another file (a copy: a new inode): /ready 200, then writes go to the file at the path', async () => {
    const me = await t.admin.ok<{ me: { id: string } }>('{ me { id } }');
    const away = `${file}.away`;
    renameSync(file, away);
    copyFileSync(away, file);
    expect(statSync(file).ino).not.toBe(statSync(away).ino);
    // /ready finds a file at the path and has the pool retire the connection still on the old inode (which
    // would refuse writes as "readonly database"): the probe and what follows run on the new file.
    expect((await ready()).status).toBe(200);
    const renamed = await t.admin.request(
      'mutation($id: ID!) { updateUser(id: $id, input: { fullName: "on the copy" }) { fullName } }',
      {
        id: me.me.id,
      },
    );
    expect(renamed.body).toEqual({ data: { updateUser: { fullName: 'on the copy' } } });
    expect(await t.admin.ok('{ me { fullName } }')).toEqual({ me: { fullName: 'on the copy' } });
  });
});
