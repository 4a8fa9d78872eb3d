/**
 * The cache CLI (`npm run cache`, src/cli.ts), run as a child process with only the environment it is
 * given, against a real server (createApp on a free port) caching on a private redis-server.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { createClient } from '@keyv/redis';
import { cacheReport } from '../helpers/cache-report';
import { freePort } from '../helpers/free-port';
import type { GraphQLResponse } from '../helpers/graphql-client';
import { startRedisCluster, type TestRedisCluster } from '../helpers/redis-cluster';
import { startRedisServer, type TestRedisServer } from '../helpers/redis-server';
import { startTestApp, type TestApp } from '../helpers/test-app';
import { eventually, readyBackend } from '../helpers/wait';

const ROOT = join(__dirname, '..', '..');

interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
  ms: number;
}

/** `node -r @swc-node/register src/cli.ts <args>` with only `env` (and PATH, HOME); killed after 20 s. */
function cli(args: string[], env: Record<string, string>): Promise<CliRun> {
  const started = Date.now();
  const child = spawn(process.execPath, ['-r', '@swc-node/register', 'src/cli.ts', ...args], {
    cwd: ROOT,
    env: { PATH: process.env.PATH!, HOME: process.env.HOME ?? '/tmp', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => (stdout += d));
  child.stderr.on('data', (d) => (stderr += d));
  const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
  return new Promise((resolve) =>
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr, ms: Date.now() - started });
    }),
  );
}

const USERS = '{ users(size: 50) { total items { id email fullName } } }';
const ME = '{ me { id email fullName } }';
const status = (res: GraphQLResponse<unknown>) => cacheReport(res)?.status;

describe('npm run cache (the CLI), against a server on Redis', () => {
  const token = randomBytes(24).toString('base64url');
  let redis: TestRedisServer;
  let t: TestApp;
  let direct: ReturnType<typeof createClient>;
  let env: Record<string, string>;

  beforeAll(async () => {
    redis = await startRedisServer();
    direct = createClient({ url: redis.url });
    await direct.connect();
    t = await startTestApp({
      env: { REDIS_ENABLED: 'true', REDIS_URL: redis.url, REDIS_TIMEOUT_MS: '200', METRICS_TOKEN: token },
    });
    env = {
      HOST: '127.0.0.1',
      PORT: new URL(t.baseUrl).port,
      REDIS_ENABLED: 'true',
      REDIS_URL: redis.url,
      METRICS_TOKEN: token,
    };
  });
  afterAll(async () => {
    await t?.close();
    direct?.destroy();
    await redis?.stop();
  });

  it('--help, and each command’s --help, exit 0', async () => {
    const all = await cli(['--help'], {});
    expect(all.code).toBe(0);
    expect(all.stdout).toMatch(/Usage: npm run cache -- <command>/);
    for (const command of ['stats', 'evict', 'inspect']) {
      const one = await cli([command, '--help'], {});
      expect({ command, code: one.code }).toEqual({ command, code: 0 });
      expect(one.stdout).toContain(`npm run cache -- ${command}`);
    }
    expect((await cli(['inspect', '--help'], {})).stdout).toMatch(/SCAN/);
  });

  it('an unknown command or option exits 2 with one line saying so', async () => {
    const unknown = await cli(['frobnicate'], env);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toBe('cache: unknown command "frobnicate" (see --help)\n');
    const option = await cli(['stats', '--all'], env);
    expect(option.code).toBe(2);
    expect(option.stderr).toMatch(/stats takes no --all/);
    const bad = await cli(['stats'], { ...env, REDIS_PORT: 'abc' });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/^cache: invalid configuration: REDIS_PORT must be a port number/);
    expect(bad.stderr).not.toMatch(/\n\s+at /); // no stack trace
  });

  it('stats: the backend and the hits per coordinate, from /metrics with METRICS_TOKEN', async () => {
    await t.admin.request(USERS);
    await t.admin.request(USERS);
    await t.admin.request(USERS);
    const json = await cli(['stats', '--json'], env);
    expect(json.stderr).toBe('');
    expect(json.code).toBe(0);
    const stats = JSON.parse(json.stdout);
    expect(stats.backend).toBe('redis');
    expect(stats.url).toBe(`${t.baseUrl}/metrics`);
    expect(stats.memory).toEqual({ entries: expect.any(Number), bytes: expect.any(Number) });
    const users = stats.coordinates.find((c: { coordinate: string }) => c.coordinate === 'Query.users');
    expect(users.MISS).toBeGreaterThanOrEqual(1);
    const operation = stats.coordinates.find((c: { coordinate: string }) => c.coordinate === '(operation)');
    expect(users.HIT + (operation?.HIT ?? 0)).toBeGreaterThanOrEqual(1);
    expect(stats.total.hitRatio).toBeGreaterThan(0);

    const text = await cli(['stats'], env);
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/^Backend: +redis$/m);
    expect(text.stdout).toMatch(/^Query\.users +\d+ +\d+ +\d+ +\d+ +\d+\.\d%$/m);
  });

  it('stats: a missing or wrong METRICS_TOKEN, or no server, is a clear error (exit 1)', async () => {
    const missing = await cli(['stats'], { ...env, METRICS_TOKEN: '' });
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/answered 401: the server requires a token: set METRICS_TOKEN\n$/);
    const wrong = await cli(['stats'], { ...env, METRICS_TOKEN: randomBytes(24).toString('base64url') });
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toMatch(/answered 401: METRICS_TOKEN is not the server’s\n$/);
    expect(wrong.stdout).toBe('');
    const down = await cli(['stats', '--url', `http://127.0.0.1:${await freePort()}`], env);
    expect(down.code).toBe(1);
    expect(down.stderr).toMatch(/cannot read http:\/\/127\.0\.0\.1:\d+\/metrics: .*ECONNREFUSED/);
  });

  it('evict users:list: the next users read is a MISS on the server, and only it', async () => {
    const u = await t.createUser();
    await t.admin.request(USERS);
    expect(status(await t.admin.request(USERS))).toBe('HIT');
    await u.client.request(ME);
    expect(status(await u.client.request(ME))).toBe('HIT');

    const run = await cli(['evict', 'users:list'], env);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('users:list  (new generation at gqlc:gen:users:list)');

    expect(status(await t.admin.request(USERS))).toBe('MISS');
    expect(status(await t.admin.request(USERS))).toBe('HIT');
    expect(status(await u.client.request(ME))).toBe('HIT'); // another namespace: untouched
  });

  it('evict --all: everything MISSes, and nothing else in Redis is touched (no FLUSHDB)', async () => {
    await direct.set('not-the-cache', 'still here');
    const u = await t.createUser();
    await t.admin.request(USERS);
    expect(status(await t.admin.request(USERS))).toBe('HIT');
    await u.client.request(ME);
    expect(status(await u.client.request(ME))).toBe('HIT');
    const keysBefore = await direct.dbSize();

    const run = await cli(['evict', '--all', '--json'], env);
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout)).toMatchObject({ all: true, namespaces: ['*'], keys: ['gqlc:gen:*'] });

    expect(status(await t.admin.request(USERS))).toBe('MISS');
    expect(status(await u.client.request(ME))).toBe('MISS');
    expect(await direct.get('not-the-cache')).toBe('still here');
    expect(await direct.dbSize()).toBeGreaterThanOrEqual(keysBefore); // old entries expire by their TTL
  });

  it('evict: no namespace, "*", or namespaces with --all are usage errors (exit 2)', async () => {
    for (const args of [['evict'], ['evict', '*'], ['evict', 'users:list', '--all']]) {
      const run = await cli(args, env);
      expect({ args, code: run.code }).toEqual({ args, code: 2 });
      expect(run.stderr).toMatch(/^cache: evict: /);
    }
  });

  it('inspect Query.users: the entries with their TTLs and sizes, never a value', async () => {
    const u = await t.createUser({ email: `listed-${Date.now()}@example.com` });
    await t.admin.request(USERS);
    const json = await cli(['inspect', 'Query.users', '--json'], env);
    expect(json.stderr).toBe('');
    expect(json.code).toBe(0);
    const result = JSON.parse(json.stdout);
    expect(result.match).toBe('gqlc:Query.users:*');
    expect(result.entries).toBeGreaterThanOrEqual(1);
    expect(result.public).toBe(result.entries);
    for (const key of result.keys) {
      expect(Object.keys(key).sort()).toEqual(['bytes', 'key', 'kind', 'scope', 'ttlMs']);
      expect(key.key).toMatch(/^gqlc:Query\.users:public:[\w-]+:[\w-]+/);
      if (key.kind === 'entry') expect(key.ttlMs).toBeGreaterThan(0);
      expect(key.bytes).toBeGreaterThan(0);
    }
    const text = await cli(['inspect', 'Query.users'], env);
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/^Entries: +\d+ \(PUBLIC \d+, PRIVATE 0\)/m);
    expect(text.stdout).toMatch(/^gqlc:Query\.users:public:\S+ +entry +PUBLIC +(\d+\.\ds|\d+m \d+s) +\d/m);
    for (const out of [json.stdout, text.stdout]) {
      expect(out).not.toContain(u.email);
      expect(out).not.toContain('Test User');
    }
  });

  it('inspect Query.me: PRIVATE entries are counted, their values never printed', async () => {
    const u = await t.createUser({ email: `private-${randomBytes(6).toString('hex')}@example.com` });
    await u.client.request(ME);
    const text = await cli(['inspect', 'Query.me'], env);
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/PRIVATE [1-9]/);
    expect(text.stdout).toMatch(/^gqlc:Query\.me:u-\S+ +entry +PRIVATE /m);
    const json = await cli(['inspect', 'Query.me', '--json', '--limit', '1000'], env);
    for (const out of [text.stdout, json.stdout, text.stderr, json.stderr]) {
      expect(out).not.toContain(u.email);
      expect(out).not.toContain('Test User');
    }
    expect(JSON.parse(json.stdout).private).toBeGreaterThanOrEqual(1);
    const bad = await cli(['inspect', 'gqlc:*'], env);
    expect(bad.code).toBe(2);
  });

  it('Redis unreachable (nothing listening, or paused): exit 1 with a clear message, within the timeout', async () => {
    const nothing = `redis://127.0.0.1:${await freePort()}`;
    for (const command of [
      ['evict', 'users:list'],
      ['inspect', 'Query.users'],
    ]) {
      const run = await cli(command, { ...env, REDIS_URL: nothing });
      expect({ command, code: run.code }).toEqual({ command, code: 1 });
      expect(run.stderr).toMatch(/^cache: Redis redis:\/\/127\.0\.0\.1:\d+ is unreachable: .*ECONNREFUSED/);
      expect(run.ms).toBeLessThan(8000);
    }
    const paused = await startRedisServer();
    paused.pause();
    try {
      for (const command of [
        ['evict', 'users:list'],
        ['inspect', 'Query.users'],
      ]) {
        const run = await cli([...command, '--timeout', '1000'], { ...env, REDIS_URL: paused.url });
        expect({ command, code: run.code }).toEqual({ command, code: 1 });
        expect(run.stderr).toMatch(/is unreachable: .*1000 ms/);
        expect(run.ms).toBeLessThan(8000);
      }
    } finally {
      await paused.stop();
    }
  });

  it('with the memory backend, evict and inspect exit 2 saying the cache lives in the server', async () => {
    const memory = { HOST: '127.0.0.1', PORT: env.PORT! };
    const evict = await cli(['evict', 'users:list'], memory);
    expect(evict.code).toBe(2);
    expect(evict.stderr).toMatch(/evict needs Redis .* the cache lives inside the server process/);
    const inspect = await cli(['inspect', 'Query.users'], memory);
    expect(inspect.code).toBe(2);
  });
});

describe('npm run cache (the CLI), against a server on a Redis Cluster', () => {
  let cluster: TestRedisCluster;
  let t: TestApp;
  let env: Record<string, string>;

  beforeAll(async () => {
    cluster = await startRedisCluster();
    env = { REDIS_ENABLED: 'true', REDIS_CLUSTER_NODES: cluster.nodes };
    t = await startTestApp({ env: { ...env, REDIS_TIMEOUT_MS: '200' } });
    await eventually(async () => (await readyBackend(t)) === 'redis', 5000);
  }, 60_000);
  afterAll(async () => {
    await t?.close();
    await cluster?.stop();
  });

  it('inspect scans every master; evict and evict --all make the next reads MISS', async () => {
    // PRIVATE keys of several users land in several slots, on several masters
    const users = await Promise.all([1, 2, 3, 4, 5, 6].map(() => t.createUser()));
    for (const u of users) await u.client.request(ME);
    const inspected = await cli(['inspect', 'Query.me', '--json'], env);
    expect(inspected.stderr).toBe('');
    expect(inspected.code).toBe(0);
    const result = JSON.parse(inspected.stdout);
    expect(result.private).toBe(users.length);
    expect(result.redis).toBe(`Redis Cluster ${cluster.nodes}`);
    const masters = await Promise.all(result.keys.map((k: { key: string }) => cluster.masterOf(k.key)));
    expect(new Set(masters).size).toBeGreaterThan(1);
    for (const u of users) expect(inspected.stdout).not.toContain(u.email);

    await t.admin.request(USERS);
    expect(status(await t.admin.request(USERS))).toBe('HIT');
    expect((await cli(['evict', 'users:list'], env)).code).toBe(0);
    expect(status(await t.admin.request(USERS))).toBe('MISS');

    expect(status(await users[0]!.client.request(ME))).toBe('HIT');
    expect((await cli(['evict', '--all'], env)).code).toBe(0);
    expect(status(await users[0]!.client.request(ME))).toBe('MISS');
  });
});
