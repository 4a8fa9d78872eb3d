import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { freePort } from '../test/helpers/free-port';

export const ROOT = join(__dirname, '..');
const PEERS = join(__dirname, 'peers');

/**
 * How our server is started, in one place: the start command is about to change (a compiled
 * `npm start`). Whatever it becomes, spawn node itself rather than npm, so that the pid we sample for
 * peak RSS is the server's and SIGTERM reaches it directly.
 */
export const OUR_SERVER = {
  build: { command: 'npm', args: ['run', 'build'] },
  compiled: ['dist/src/main.js'],
  fromSource: ['-r', '@swc-node/register', 'src/main.ts'],
};

export type TargetId = 'off' | 'memory' | 'resolver-tier' | 'redis' | 'apollo' | 'yoga' | 'mercurius' | 'ceiling';

export interface TargetSpec {
  id: TargetId;
  label: string;
  kind: 'ours' | 'peer' | 'ceiling';
}

/** The order of a round: `off` first (it gives the reference data), `memory` before `ceiling` (it gives the bytes to replay). */
export const TARGETS: TargetSpec[] = [
  { id: 'off', label: 'ours, cache off', kind: 'ours' },
  { id: 'memory', label: 'ours, memory', kind: 'ours' },
  // The operation tier off: what the resolver tier alone gives (a new operation made of cached fields).
  { id: 'resolver-tier', label: 'ours, memory, resolver tier only', kind: 'ours' },
  { id: 'redis', label: 'ours, Redis', kind: 'ours' },
  { id: 'apollo', label: 'Apollo + response-cache', kind: 'peer' },
  { id: 'yoga', label: 'Yoga + envelop response-cache', kind: 'peer' },
  { id: 'mercurius', label: 'Mercurius + mercurius-cache', kind: 'peer' },
  { id: 'ceiling', label: 'ceiling (bare node:http replay)', kind: 'ceiling' },
];

export interface RunningTarget {
  spec: TargetSpec;
  url: string;
  pid: number;
  /** SIGTERM, waits for the exit; returns the peak resident set (VmHWM) of the process, in MiB. */
  stop(): Promise<number>;
}

/** Runs a command in ROOT to its end, without blocking the event loop (so other set-up can overlap). */
export function runCommand(
  command: string,
  args: string[],
  env: NodeJS.ProcessEnv = process.env,
): Promise<{ ok: boolean; output: string }> {
  return new Promise((resolve) => {
    const child = spawn(command, args, { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout!.on('data', (c: Buffer) => (output += c.toString()));
    child.stderr!.on('data', (c: Buffer) => (output += c.toString()));
    child.on('error', (err) => resolve({ ok: false, output: `${output}${err.message}` }));
    child.on('close', (code) => resolve({ ok: code === 0, output }));
  });
}

/** Builds once; the compiled entry when the build succeeds, else the sources through swc-node. */
export async function chooseOurServerArgs(): Promise<{ args: string[]; description: string }> {
  const build = await runCommand(OUR_SERVER.build.command, OUR_SERVER.build.args);
  if (build.ok)
    return {
      args: OUR_SERVER.compiled,
      description: `\`${[OUR_SERVER.build.command, ...OUR_SERVER.build.args].join(' ')}\`, then \`node ${OUR_SERVER.compiled.join(' ')}\``,
    };
  const firstError = build.output.split('\n').find((l) => /error/i.test(l)) ?? 'it failed';
  console.warn(`npm run build failed (${firstError.trim()}): running our server from source`);
  return {
    args: OUR_SERVER.fromSource,
    description: `\`node ${OUR_SERVER.fromSource.join(' ')}\` (\`npm run build\` failed on this tree)`,
  };
}

export interface StartOptions {
  /** node arguments of our server (see {@link chooseOurServerArgs}). */
  ourArgs: string[];
  /** This target's own copy of the seeded SQLite file. */
  dbFile: string;
  adminKey: string;
  redisUrl: string;
  /** The ceiling's recorded responses (JSON file). */
  replayFile?: string;
  /** node options put before the entry (`--cpu-prof`, `--heap-prof`): `npm run bench:one` uses them. */
  nodeArgs?: string[];
  /** More environment for our server, over the target's own (e.g. `CACHE_DEFAULT_TTL`): `npm run bench:stampede` uses it. */
  env?: Record<string, string>;
}

function ourEnv(id: TargetId, port: number, o: StartOptions): Record<string, string> {
  return {
    NODE_ENV: 'production',
    LOG_LEVEL: 'warn',
    HOST: '127.0.0.1',
    PORT: String(port),
    DATABASE_URL: `sqlite:${o.dbFile}`,
    SEED_ADMIN_API_KEY: o.adminKey,
    CACHE_ENABLED: id === 'off' ? 'false' : 'true',
    REDIS_ENABLED: id === 'redis' ? 'true' : 'false',
    CACHE_OPERATION_TIER: id === 'resolver-tier' ? 'false' : 'true',
    REDIS_URL: o.redisUrl,
    // On by default in production; the load comes from one client, and the peers have no limiter either.
    RATE_LIMIT_ENABLED: 'false',
  };
}

export async function startTarget(spec: TargetSpec, options: StartOptions): Promise<RunningTarget> {
  const port = await freePort();
  const [args, env] =
    spec.kind === 'ours'
      ? [options.ourArgs, { ...ourEnv(spec.id, port, options), ...options.env }]
      : [
          [join(PEERS, `${spec.id}.js`)],
          {
            NODE_ENV: 'production',
            PORT: String(port),
            DB_FILE: options.dbFile,
            REPLAY_FILE: options.replayFile ?? '',
          },
        ];
  // Only PATH from our environment: a developer's .env-style variables must not leak into a target.
  const child = spawn(process.execPath, [...(options.nodeArgs ?? []), ...args], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', ...env },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr!.on('data', (c: Buffer) => (stderr = (stderr + c.toString()).slice(-4000)));
  const base = `http://127.0.0.1:${port}`;
  try {
    await waitReady(spec, base, child);
  } catch (err) {
    child.kill('SIGKILL');
    throw new Error(`${spec.label} did not start: ${(err as Error).message}\n${stderr}`);
  }
  return { spec, url: `${base}/graphql`, pid: child.pid!, stop: () => stopChild(child) };
}

/** Ours: /ready (and on Redis once it reports it); the others: any HTTP answer at all. */
async function waitReady(spec: TargetSpec, base: string, child: ChildProcess): Promise<void> {
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`exited with code ${child.exitCode}`);
    try {
      const res = await fetch(spec.kind === 'ours' ? `${base}/ready` : `${base}/graphql`);
      const body = await res.text();
      if (spec.kind !== 'ours') return;
      if (res.ok && (spec.id !== 'redis' || (JSON.parse(body) as { cache?: string }).cache === 'redis')) return;
    } catch {
      // not listening yet
    }
    await sleep(100);
  }
  throw new Error('not ready within 60 s');
}

/** VmHWM is the kernel's own high-water mark of the resident set: no sampling loop can miss a peak. */
export function peakRssMiB(pid: number): number {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kib = Number(/VmHWM:\s+(\d+)/.exec(status)?.[1] ?? /VmRSS:\s+(\d+)/.exec(status)?.[1] ?? NaN);
    return kib / 1024;
  } catch {
    return NaN; // not Linux, or already gone
  }
}

async function stopChild(child: ChildProcess): Promise<number> {
  const peak = peakRssMiB(child.pid!);
  if (child.exitCode !== null || child.signalCode !== null) return peak;
  const exited = once(child, 'exit');
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
  await exited;
  clearTimeout(timer);
  return peak;
}
