import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { createConnection } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { freePort as getFreePort } from './free-port';

/** A redis-server child process owned by one test file. */
export interface TestRedisServer {
  /** `redis://[:password@]127.0.0.1:port` (password percent-encoded). */
  readonly url: string;
  readonly port: number;
  /** SIGKILL, like a crash; `restart()` brings it back on the same port. */
  kill(): Promise<void>;
  /** SIGSTOP: the port still accepts connections but nothing answers. */
  pause(): void;
  /** SIGCONT after `pause()`. */
  resume(): void;
  /** Starts it again on the same port (killing it first if it runs) and waits until it answers PING. */
  restart(): Promise<void>;
  /** Final cleanup; idempotent, resumes a paused server before killing it. */
  stop(): Promise<void>;
}

/** Options of {@link startRedisServer}. */
export interface StartRedisServerOptions {
  /** Sets `--requirepass`. */
  password?: string;
  /** A port to use instead of a free one (e.g. one a client is already trying to reach). */
  port?: number;
}

const redisServerBin = process.env.REDIS_SERVER_BIN ?? 'redis-server';
const startTimeoutMs = 5000;
const running = new Set<ChildProcess>();
/** Set when the binary was not found: later starts throw it at once. */
let notInstalled: Error | undefined;

// A crashed test file must not leave servers behind.
process.once('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});

/** The shared Redis of CI, when `REDIS_URL` is set; tests that need their own server ignore it. */
export function sharedRedisUrl(): string | undefined {
  return process.env.REDIS_URL || undefined;
}

/**
 * Spawns `redis-server --port <free port> --bind 127.0.0.1 --save "" --appendonly no` and waits until it
 * answers PING. Call `stop()` in `afterAll`.
 */
export async function startRedisServer(opts: StartRedisServerOptions = {}): Promise<TestRedisServer> {
  const port = opts.port ?? (await getFreePort());
  const auth = opts.password === undefined ? '' : `:${encodeURIComponent(opts.password)}@`;
  let child: ChildProcess | undefined = await spawnReady(port, opts.password);
  let paused = false;

  const kill = async (): Promise<void> => {
    const current = child;
    child = undefined;
    if (!current) return;
    if (paused) current.kill('SIGCONT');
    paused = false;
    await killAndWait(current);
  };
  return {
    url: `redis://${auth}127.0.0.1:${port}`,
    port,
    kill,
    pause: () => {
      if (!child || paused) return;
      child.kill('SIGSTOP');
      paused = true;
    },
    resume: () => {
      if (!child || !paused) return;
      child.kill('SIGCONT');
      paused = false;
    },
    restart: async () => {
      await kill();
      child = await spawnReady(port, opts.password);
    },
    stop: kill,
  };
}

async function spawnReady(port: number, password: string | undefined): Promise<ChildProcess> {
  const args = [
    '--port',
    String(port),
    '--bind',
    '127.0.0.1',
    '--save',
    '',
    '--appendonly',
    'no',
    '--loglevel',
    'warning',
  ];
  if (password !== undefined) args.push('--requirepass', password);
  if (notInstalled) throw notInstalled;
  const child = spawn(redisServerBin, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  running.add(child);
  let spawnError: NodeJS.ErrnoException | undefined;
  child.once('error', (err: NodeJS.ErrnoException) => {
    spawnError = err;
    running.delete(child);
  });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.once('exit', () => running.delete(child));
  const deadline = Date.now() + startTimeoutMs;
  const failedToSpawn = () => {
    if (spawnError?.code === 'ENOENT') {
      // Said once, clearly; every later start fails at once with the same error instead of waiting.
      notInstalled = new Error(
        `redis-server not found: install it (apt-get install redis-server) or set REDIS_URL${
          redisServerBin !== 'redis-server' ? ` (REDIS_SERVER_BIN=${redisServerBin} does not exist)` : ''
        }`,
      );
      throw notInstalled;
    }
    if (spawnError) throw spawnError;
  };
  while (Date.now() < deadline) {
    failedToSpawn();
    if (child.exitCode !== null || child.signalCode !== null) break;
    if (await answersPing(port, password)) return child;
    await sleep(20);
  }
  failedToSpawn();
  await killAndWait(child);
  throw new Error(`redis-server on port ${port} did not answer PING within ${startTimeoutMs} ms. Output:\n${output}`);
}

async function killAndWait(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, 'exit');
  child.kill('SIGKILL');
  await exited;
}

/** One RESP exchange: `AUTH` (when needed) then `PING`; true when the reply is `+PONG`. */
function answersPing(port: number, password: string | undefined): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ port, host: '127.0.0.1' });
    let reply = '';
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(500, () => done(false));
    socket.once('error', () => done(false));
    socket.once('connect', () => {
      const commands = password === undefined ? [['PING']] : [['AUTH', password], ['PING']];
      socket.write(commands.map(encodeCommand).join(''));
    });
    socket.on('data', (chunk: Buffer) => {
      reply += chunk.toString();
      if (reply.includes('+PONG')) done(true);
      else if (reply.includes('-')) done(false);
    });
  });
}

function encodeCommand(parts: string[]): string {
  return `*${parts.length}\r\n${parts.map((part) => `$${Buffer.byteLength(part)}\r\n${part}\r\n`).join('')}`;
}
