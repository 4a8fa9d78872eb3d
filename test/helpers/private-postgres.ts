import { spawn, spawnSync } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { freePort } from './free-port';

/**
 * A PostgreSQL cluster owned by one test file: its own data directory, its own port, stopped and
 * started at will. Never the machine's shared server (5432 is never touched).
 */
export interface PrivatePostgres {
  /** `postgres://postgres@127.0.0.1:<port>/app`: a database created for the test. */
  readonly url: string;
  readonly port: number;
  /** `pg_ctl stop -m fast`: open connections are terminated, new ones refused. */
  stop(): Promise<void>;
  /** `pg_ctl start -w`: back on the same port with the same data. */
  start(): Promise<void>;
  /** Stops the server (when running) and deletes its data directory; idempotent. */
  destroy(): Promise<void>;
}

/** Directories where Debian and upstream packages put initdb/pg_ctl, besides PATH. */
function findBinDir(): string | null {
  const onPath = spawnSync('sh', ['-c', 'command -v initdb'], { encoding: 'utf8' });
  if (onPath.status === 0 && onPath.stdout.trim()) return null; // use PATH
  const base = '/usr/lib/postgresql';
  if (!existsSync(base)) throw new Error('no initdb');
  const versions = readdirSync(base).sort((a, b) => Number(b) - Number(a));
  for (const v of versions) if (existsSync(join(base, v, 'bin', 'initdb'))) return join(base, v, 'bin');
  throw new Error('no initdb');
}

/** Why a private cluster cannot be started here, or null when it can. */
export function privatePostgresUnavailable(): string | null {
  try {
    findBinDir();
  } catch {
    return 'initdb/pg_ctl not found (PATH, /usr/lib/postgresql/*/bin)';
  }
  if (userInfo().uid === 0 && postgresAccount() === null)
    return 'running as root and there is no "postgres" account to run PostgreSQL as';
  return null;
}

/** uid/gid of the `postgres` account (PostgreSQL refuses to run as root). */
function postgresAccount(): { uid: number; gid: number } | null {
  const r = spawnSync('id', ['-u', 'postgres'], { encoding: 'utf8' });
  const g = spawnSync('id', ['-g', 'postgres'], { encoding: 'utf8' });
  if (r.status !== 0 || g.status !== 0) return null;
  return { uid: Number(r.stdout.trim()), gid: Number(g.stdout.trim()) };
}

/**
 * initdb (as the `postgres` account when running as root), start on a free port listening on
 * 127.0.0.1 only with its socket in its own directory, then `create database app`. About 2 s.
 */
export async function startPrivatePostgres(): Promise<PrivatePostgres> {
  const binDir = findBinDir();
  const bin = (name: string) => (binDir ? join(binDir, name) : name);
  const dir = mkdtempSync(join(tmpdir(), 'gql-private-pg-'));
  const account = userInfo().uid === 0 ? postgresAccount() : null;
  if (account) chownSync(dir, account.uid, account.gid);
  const data = join(dir, 'data');
  const port = await freePort();
  // Asynchronous on purpose: the servers under test share this process and must keep answering meanwhile.
  const run = (cmd: string, args: string[]) =>
    new Promise<void>((resolve, reject) => {
      const child = spawn(bin(cmd), args, { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'], ...(account ?? {}) });
      let output = '';
      child.stdout.on('data', (c: Buffer) => (output += c.toString()));
      child.stderr.on('data', (c: Buffer) => (output += c.toString()));
      child.once('error', reject);
      child.once('exit', (code) =>
        code === 0 ? resolve() : reject(new Error(`${cmd} ${args.join(' ')} failed (${code}): ${output}`)),
      );
    });
  let running = false;
  const start = async () => {
    await run('pg_ctl', [
      '-D',
      data,
      '-l',
      join(dir, 'server.log'),
      '-w',
      '-t',
      '30',
      '-o',
      `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off -c full_page_writes=off`,
      'start',
    ]);
    running = true;
  };
  const stop = async () => {
    if (!running) return;
    await run('pg_ctl', ['-D', data, '-m', 'fast', '-w', '-t', '30', 'stop']);
    running = false;
  };
  try {
    await run('initdb', ['-D', data, '--auth=trust', '-U', 'postgres', '-N', '-E', 'UTF8', '--locale=C']);
    await start();
    await run('psql', [
      '-h',
      '127.0.0.1',
      '-p',
      String(port),
      '-U',
      'postgres',
      '-d',
      'postgres',
      '-q',
      '-c',
      'create database app',
    ]);
  } catch (err) {
    await stop().catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
  let destroyed = false;
  const destroy = async () => {
    if (destroyed) return;
    destroyed = true;
    try {
      await stop();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  };
  // A crashed test file must not leave a server behind.
  process.once('exit', () => {
    if (!destroyed && running)
      spawnSync(bin('pg_ctl'), ['-D', data, '-m', 'immediate', 'stop'], { ...(account ?? {}) });
  });
  return { url: `postgres://postgres@127.0.0.1:${port}/app`, port, stop, start, destroy };
}
