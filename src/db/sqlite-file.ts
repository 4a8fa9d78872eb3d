import { closeSync, openSync, type Stats, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { ConfigError } from '../config';
import { cacheStatements } from './sqlite-statements';

/**
 * A SQLite database file at run time.
 *
 * The file is created (empty) only when the ORM options are built at start-up, by
 * {@link createSqliteFileIfMissing}; the migrations run right after. From then on the pool opens its
 * connections with {@link sqliteOpenUri} (`mode=rw`: read-write, never create), so a file that goes
 * away (renamed, deleted) is an error that /ready reports, never a new empty database in its place.
 *
 * A connection opened before the file went away still holds the old inode: SQLite reads on from it and
 * refuses writes ("readonly database"). {@link SqliteFileWatch} retires such a connection on acquire, so
 * that once the file is back (or another one is put at the path) the next connection opens it.
 */

/** At most this often does an acquired connection stat its file (a stat costs a few µs; a query tens). */
export const SQLITE_FILE_RECHECK_MS = 1000;

/**
 * The SQLite URI the pool opens `file` with: read-write, never create (SQLITE_OPEN_URI, `mode=rw`; libsql
 * passes URIs through). Absolute and percent-encoded, so a path with `?`, `#`, `%` or spaces is still
 * one path. A missing file fails to open with SQLITE_CANTOPEN (14).
 */
export function sqliteOpenUri(file: string): string {
  return `${pathToFileURL(resolve(file)).href}?mode=rw`;
}

/**
 * Start-up only: creates `file` (empty: SQLite takes an empty file for an empty database) when nothing
 * is at its path; its folder must exist. Leaves anything that is there alone (a folder in the way is
 * reported when it fails to open). Returns whether it created the file. A folder this user may not
 * write to is a {@link ConfigError} naming DATABASE_URL.
 */
export function createSqliteFileIfMissing(file: string): boolean {
  if (statOf(file)) return false;
  try {
    closeSync(openSync(file, 'wx')); // exclusive: two instances starting at once create it once
    return true;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') return false;
    if (code === 'EACCES' || code === 'EPERM' || code === 'EROFS') throw sqliteNotWritable(file, dirname(file), code);
    throw err;
  }
}

/** The error of a SQLite file, or of its folder (`target`), that this user may not write. */
export function sqliteNotWritable(file: string, target: string, code: string | undefined): ConfigError {
  const what = target === file ? 'the file' : 'its folder';
  return new ConfigError(
    `DATABASE_URL: the SQLite file ${JSON.stringify(file)} is not writable (${what}, ${JSON.stringify(target)}: ${code}): give this user write access to it, or set DATABASE_URL=sqlite:<a writable path>, e.g. sqlite:data/app.db`,
  );
}

/** What a pooled connection remembers of the file it opened. */
interface OpenedFile {
  dev: number;
  ino: number;
  /** When the path was last seen to hold this file (Date.now()). */
  checkedAt: number;
  /** {@link SqliteFileWatch}'s generation at that check. */
  generation: number;
}

const OPENED = Symbol('sqliteOpenedFile');
type PooledConnection = {
  [OPENED]?: OpenedFile;
  exec?(sql: string): unknown;
  prepare?(sql: string): unknown;
  close?(): unknown;
};

/**
 * Write-ahead logging, with `synchronous = NORMAL`: a commit appends to the log without an fsync (the
 * rollback journal costs a file created, written, synced and deleted per transaction: 0.76 against
 * 0.02 ms a write, measured), and readers never wait for the writer. A crash of the process loses
 * nothing; a power cut may lose the last transactions, never the file's consistency. The mode is kept
 * in the file; a connection that cannot switch (another process holds the file in another mode) stays
 * as it is, which is still correct.
 *
 * Commits live in `<file>-wal` until SQLite copies them into the file (every 1,000 pages, by itself).
 * libsql's `close()` leaves them there, so a closing connection copies them first: after the pool
 * retires a connection, and after a clean shutdown, the file alone holds every commit (what a user
 * copying it for a backup expects). Not a connection whose file is no longer the one at the path
 * (`onFileAtPath()` false): `<file>-wal` is named by the path, and a connection on the file now there
 * may be reading it.
 */
function useWriteAheadLog(connection: PooledConnection, onFileAtPath: () => boolean): void {
  try {
    connection.exec?.('pragma journal_mode = wal');
    connection.exec?.('pragma synchronous = normal');
  } catch {
    // busy: the file keeps its mode
  }
  const close = connection.close?.bind(connection);
  if (!close) return;
  connection.close = () => {
    try {
      if (onFileAtPath()) connection.exec?.('pragma wal_checkpoint(truncate)');
    } catch {
      // busy, or the file is gone: SQLite checkpoints on a later open
    }
    return close();
  };
}

/**
 * Pool hooks (knex's `pool.afterCreate` and `pool.validate`) that keep every connection on the file that
 * is at the path now: a connection whose file was renamed away, deleted or replaced fails validation
 * on acquire and the pool opens a new one (which fails cleanly while nothing is at the path).
 *
 * Off the hot path: validation runs on every acquire (every query), but stats the path only when the
 * connection was last checked {@link SQLITE_FILE_RECHECK_MS} ago or more, or after {@link problem}
 * (the /ready probe) asked for a check; otherwise it compares two numbers.
 */
export class SqliteFileWatch {
  #generation = 0;

  constructor(
    readonly file: string,
    private readonly recheckMs = SQLITE_FILE_RECHECK_MS,
  ) {}

  /**
   * Remembers which file (device, inode) a new connection opened. Stat'ed just after the open: were the
   * file replaced in those microseconds, the connection would keep the old one until the driver's own
   * limit on a connection's age (10 s) retires it. Nothing at the path: marked for a check on acquire,
   * which retires it through the pool (closing it here would bypass the pool's bookkeeping).
   */
  readonly afterCreate = (connection: PooledConnection, done: (err: Error | null, connection: unknown) => void) => {
    useWriteAheadLog(connection, () => this.isAtPath(connection[OPENED]));
    cacheStatements(connection);
    const stats = statOf(this.file);
    connection[OPENED] = stats
      ? { dev: stats.dev, ino: stats.ino, checkedAt: Date.now(), generation: this.#generation }
      : { dev: -1, ino: -1, checkedAt: Number.NEGATIVE_INFINITY, generation: -1 };
    done(null, connection);
  };

  /** Whether an acquired connection may be used: false once its file is no longer the one at the path. */
  readonly validate = (connection: PooledConnection): boolean => {
    const opened = connection[OPENED];
    if (!opened) return true; // opened without afterCreate: not one of ours
    const now = Date.now();
    if (opened.generation === this.#generation && now - opened.checkedAt < this.recheckMs) return true;
    if (!this.isAtPath(opened)) return false;
    opened.checkedAt = now;
    opened.generation = this.#generation;
    return true;
  };

  /** Whether the file a connection opened is the one at the path now (stat'ed). */
  private isAtPath(opened: OpenedFile | undefined): boolean {
    const stats = statOf(this.file);
    return !!opened && !!stats && stats.dev === opened.dev && stats.ino === opened.ino;
  }

  /**
   * For /ready: why the database cannot be used now (nothing at the path, not a file), or null. Also has
   * every pooled connection check its file on its next acquire, so that a probe query right after this
   * runs on the file at the path, not on one that was renamed away or replaced.
   */
  problem(): string | null {
    this.#generation++;
    const stats = statOf(this.file);
    if (!stats) return `the SQLite file ${JSON.stringify(this.file)} is missing`;
    if (!stats.isFile()) return `${JSON.stringify(this.file)} is not a file`;
    return null;
  }
}

/** stat(2) of `file`, or undefined when it cannot be had (missing, a folder on the way gone or unreadable). */
function statOf(file: string): Stats | undefined {
  try {
    return statSync(file, { throwIfNoEntry: false });
  } catch {
    return undefined;
  }
}
