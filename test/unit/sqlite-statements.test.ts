import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'libsql';
import { cacheStatements, MAX_CACHED_STATEMENTS } from '../../src/db/sqlite-statements';

describe('cacheStatements (a real libsql connection)', () => {
  let dir: string;
  let db: InstanceType<typeof Database>;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'stmts-'));
    db = new Database(join(dir, 'db.sqlite'));
    db.exec('create table t (id integer primary key, name text unique)');
    cacheStatements(db as never);
  });
  afterEach(() => {
    db.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('prepares a text once, and each run of the kept statement answers for its own parameters', () => {
    const insert = db.prepare('insert into t (id, name) values (?, ?)');
    expect(db.prepare('insert into t (id, name) values (?, ?)')).toBe(insert);
    for (let i = 1; i <= 5; i++) db.prepare('insert into t (id, name) values (?, ?)').run([i, `n${i}`]);
    for (let i = 1; i <= 5; i++)
      expect(db.prepare('select name from t where id = ?').all([i])).toEqual([{ name: `n${i}` }]);
    expect(db.prepare('select id from t where id in (?, ?) order by id').all([2, 4])).toEqual([{ id: 2 }, { id: 4 }]);
  });

  it('a run that failed (a constraint) leaves the statement usable; a text that does not compile is not kept', () => {
    db.prepare('insert into t (id, name) values (?, ?)').run([1, 'a']);
    expect(() => db.prepare('insert into t (id, name) values (?, ?)').run([2, 'a'])).toThrow(/UNIQUE/);
    expect(db.prepare('insert into t (id, name) values (?, ?)').run([2, 'b']).changes).toBe(1);
    expect(() => db.prepare('select nope from')).toThrow();
    expect(() => db.prepare('select nope from')).toThrow();
  });

  it('transactions through kept statements commit and roll back as usual', () => {
    const run = (sql: string, params: unknown[] = []) => db.prepare(sql).run(params);
    run('begin');
    run('insert into t (id, name) values (?, ?)', [1, 'kept']);
    run('commit');
    run('begin');
    run('insert into t (id, name) values (?, ?)', [2, 'dropped']);
    run('rollback');
    expect(db.prepare('select name from t order by id').all([])).toEqual([{ name: 'kept' }]);
  });

  it('keeps at most MAX_CACHED_STATEMENTS texts', () => {
    const first = db.prepare('select 0');
    for (let i = 1; i <= MAX_CACHED_STATEMENTS; i++) db.prepare(`select ${i}`);
    expect(db.prepare('select 0')).not.toBe(first); // emptied when full: prepared again
  });
});
