import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { freePort } from './free-port';

const run = promisify(execFile);

/** A 6-node Redis Cluster (3 masters, 3 replicas) of child processes owned by one test file. */
export interface TestRedisCluster {
  /** `127.0.0.1:p1,127.0.0.1:p2,...`: the value of `REDIS_CLUSTER_NODES`. */
  readonly nodes: string;
  readonly ports: readonly number[];
  /** Ports of the nodes still running. */
  alive(): number[];
  /** The port of the master serving `slotOrKey` now (a slot number, or a key whose slot is computed by Redis). */
  masterOf(slotOrKey: number | string): Promise<number>;
  /** Ports of the masters serving slots now. */
  masters(): Promise<number[]>;
  /**
   * SIGKILLs the master serving `slotOrKey` (default: slot 0), like a crash; resolves with its port once it exited.
   * Its replica is promoted after `--cluster-node-timeout` (1 s) and an election: see {@link waitForState}.
   */
  killMaster(slotOrKey?: number | string): Promise<number>;
  /**
   * `ok`: every running node says `cluster_state:ok` and every slot is served by a running master (so after a
   * kill, it waits for the replica's promotion). `fail`: some running node says `cluster_state:fail`.
   */
  waitForState(state: 'ok' | 'fail', timeoutMs?: number): Promise<void>;
  /** Runs a command on one node (redis-cli, raw output). */
  cli(port: number, ...args: string[]): Promise<string>;
  /** Kills every node and removes the config files; idempotent. */
  stop(): Promise<void>;
}

export interface StartRedisClusterOptions {
  /** Sets `--requirepass` and `--masterauth` on every node. */
  password?: string;
}

const redisServerBin = process.env.REDIS_SERVER_BIN ?? 'redis-server';
const redisCliBin = process.env.REDIS_CLI_BIN ?? 'redis-cli';
const running = new Set<ChildProcess>();

// A crashed test file must not leave servers behind.
process.once('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});

/**
 * Starts 6 `redis-server --cluster-enabled yes` on free ports, joins them with
 * `redis-cli --cluster create ... --cluster-replicas 1 --cluster-yes` and waits for `cluster_state:ok`
 * on every node. Call `stop()` in `afterAll`.
 */
export async function startRedisCluster(opts: StartRedisClusterOptions = {}): Promise<TestRedisCluster> {
  const dir = mkdtempSync(join(tmpdir(), 'redis-cluster-'));
  const ports: number[] = [];
  while (ports.length < 6) {
    const port = await freePort();
    // The cluster bus listens on port + 10000: both must be free (and distinct across nodes).
    if (port > 55535 || ports.some((p) => Math.abs(p - port) === 10000 || p === port)) continue;
    ports.push(port);
  }
  const children = new Map<number, ChildProcess>();
  const auth = opts.password === undefined ? [] : ['-a', opts.password, '--no-auth-warning'];
  const cli = async (port: number, ...args: string[]) =>
    (await run(redisCliBin, ['-h', '127.0.0.1', '-p', String(port), ...auth, ...args], { timeout: 5000 })).stdout;

  const spawnNode = (port: number) => {
    const args = [
      '--port',
      String(port),
      '--bind',
      '127.0.0.1',
      '--cluster-enabled',
      'yes',
      '--cluster-config-file',
      join(dir, `nodes-${port}.conf`),
      '--cluster-node-timeout',
      '1000',
      '--save',
      '',
      '--appendonly',
      'no',
      '--dir',
      dir,
      // A replica that never synced refuses to take over: sync at once, not after the default 5 s wait.
      '--repl-diskless-sync-delay',
      '0',
      '--loglevel',
      'warning',
    ];
    if (opts.password !== undefined) args.push('--requirepass', opts.password, '--masterauth', opts.password);
    const child = spawn(redisServerBin, args, { stdio: 'ignore' });
    running.add(child);
    child.once('exit', () => running.delete(child));
    child.once('error', () => running.delete(child));
    children.set(port, child);
  };

  const stop = async () => {
    const all = [...children.values()];
    children.clear();
    await Promise.all(all.map(killAndWait));
    rmSync(dir, { recursive: true, force: true });
  };

  try {
    for (const port of ports) spawnNode(port);
    await Promise.all(ports.map((port) => until(async () => (await cli(port, 'PING')).trim() === 'PONG', 5000)));
    await run(
      redisCliBin,
      [
        ...auth,
        '--cluster',
        'create',
        ...ports.map((p) => `127.0.0.1:${p}`),
        '--cluster-replicas',
        '1',
        '--cluster-yes',
      ],
      { timeout: 30_000 },
    );
  } catch (error) {
    await stop();
    throw error;
  }

  const alive = () => [...children.entries()].filter(([, c]) => c.exitCode === null && !c.signalCode).map(([p]) => p);

  /** CLUSTER SLOTS of one running node: [from, to, masterPort] per range. */
  const slotRanges = async (): Promise<[number, number, number][]> => {
    let lastError: unknown;
    for (const port of alive()) {
      try {
        // redis-cli 7's --json (RESP3 by default): [[from, to, [host, port, id, ...], replicas...], ...]
        const parsed = JSON.parse(await cli(port, '--json', 'CLUSTER', 'SLOTS')) as unknown[][];
        return parsed.map((r) => [Number(r[0]), Number(r[1]), Number((r[2] as unknown[])[1])]);
      } catch (error) {
        lastError = error;
      }
    }
    throw lastError ?? new Error('no running node');
  };

  const slotOf = async (slotOrKey: number | string) =>
    typeof slotOrKey === 'number'
      ? slotOrKey
      : Number((await cli(alive()[0]!, 'CLUSTER', 'KEYSLOT', slotOrKey)).trim());

  const masterOf = async (slotOrKey: number | string) => {
    const slot = await slotOf(slotOrKey);
    const range = (await slotRanges()).find(([from, to]) => slot >= from && slot <= to);
    if (!range) throw new Error(`no master serves slot ${slot}`);
    return range[2];
  };

  const stateOk = async () => {
    const live = alive();
    for (const port of live) {
      const info = await cli(port, 'CLUSTER', 'INFO').catch(() => '');
      if (!/cluster_state:ok/.test(info)) return false;
    }
    const ranges = await slotRanges().catch(() => []);
    const served = ranges.reduce((n, [from, to]) => n + (to - from + 1), 0);
    return served === 16384 && ranges.every(([, , master]) => live.includes(master));
  };

  const waitForState = async (state: 'ok' | 'fail', timeoutMs = 15_000) => {
    await until(async () => {
      if (state === 'ok') return stateOk();
      for (const port of alive()) {
        if (/cluster_state:fail/.test(await cli(port, 'CLUSTER', 'INFO').catch(() => ''))) return true;
      }
      return false;
    }, timeoutMs);
  };

  try {
    await waitForState('ok', 15_000);
    // Replicas synced with their masters: a kill from now on is followed by a promotion.
    await until(async () => {
      for (const port of ports) {
        const info = await cli(port, 'INFO', 'replication');
        if (/role:slave/.test(info) && !/master_link_status:up/.test(info)) return false;
      }
      return true;
    }, 15_000);
  } catch (error) {
    await stop();
    throw error;
  }

  return {
    nodes: ports.map((p) => `127.0.0.1:${p}`).join(','),
    ports,
    alive,
    masterOf,
    masters: async () => [...new Set((await slotRanges()).map(([, , m]) => m))],
    killMaster: async (slotOrKey = 0) => {
      const port = await masterOf(slotOrKey);
      const child = children.get(port);
      if (!child) throw new Error(`the master of ${slotOrKey} (port ${port}) is not one of this cluster's processes`);
      await killAndWait(child);
      return port;
    },
    waitForState,
    cli,
    stop,
  };
}

async function until(check: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (true) {
    if (await check().catch(() => false)) return;
    if (Date.now() > deadline) throw new Error(`redis cluster: condition not met within ${timeoutMs} ms`);
    await sleep(50);
  }
}

async function killAndWait(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, 'exit');
  child.kill('SIGKILL');
  await exited;
}
