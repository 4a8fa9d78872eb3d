/**
 * SQLite runs in write-ahead-log mode, and a clean shutdown leaves every commit in the file itself:
 * a copy of the file alone (a backup, the benchmark's copies) holds all that was written.
 */
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'libsql';
import { startTestApp } from '../helpers/test-app';

describe('SQLite in WAL mode', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'gql-sqlite-wal-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('commits through the log, and a clean shutdown copies them into the file', async () => {
    const file = join(dir, 'app.db');
    const t = await startTestApp({ databaseUrl: `sqlite:${file}`, env: { CACHE_ENABLED: 'false' } });
    let closed = false;
    try {
      const [mode] = await t.app.orm.em.getConnection().execute<{ journal_mode: string }[]>('pragma journal_mode');
      expect(mode?.journal_mode).toBe('wal');
      const u = await t.createUser();
      await t.admin.ok('mutation($id: ID!) { updateUser(id: $id, input: { fullName: "kept" }) { id } }', {
        id: u.id,
      });
      await t.close();
      closed = true;
      const copy = join(dir, 'copy.db');
      copyFileSync(file, copy); // the file alone, without app.db-wal
      const db = new Database(copy);
      try {
        expect(db.prepare('select full_name from users where id = ?').all([Number(u.id)])).toEqual([
          { full_name: 'kept' },
        ]);
      } finally {
        db.close();
      }
    } finally {
      if (!closed) await t.close();
    }
  });
});
