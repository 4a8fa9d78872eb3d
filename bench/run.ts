/**
 * Load benchmark: `users(size: 50)` as an ADMIN with the cache off, on memory and on Redis, side by side
 * in one run on one machine, plus the SQL statements a cache hit costs. Writes BENCHMARKS.md.
 *
 *   npm run bench:quick     # 5 s per mode, one round
 *   npm run bench           # 10 s per mode, modes interleaved over 3 rounds, median reported
 *
 * Each server is the real entry point (src/main.ts) in its own process, NODE_ENV=production, over a
 * copy of one seeded SQLite database; Redis is a redis-server this script starts on a free port.
 * Load comes from autocannon in this process, on loopback only.
 */
import 'reflect-metadata';
import { spawn, type ChildProcess } from 'node:child_process';
import { copyFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import autocannon from 'autocannon';
import pino from 'pino';
import { createApp } from '../src/app';
import { loadConfig } from '../src/config';
import { freePort as getFreePort } from '../test/helpers/free-port';
import { startRedisServer, type TestRedisServer } from '../test/helpers/redis-server';
import { seedBenchDatabase } from './seed-db';

const ROOT = join(__dirname, '..');
const QUICK = process.argv.includes('--quick');
const DURATION_S = QUICK ? 5 : 10;
const ROUNDS = QUICK ? 1 : 3;
const CONNECTIONS = 10;
const ADMIN_KEY = 'gqk_bench-admin-key-not-secret-000000000000000';
const QUERY = '{ users(size: 50) { total items { id email fullName role createdAt apiKeys { id name prefix } } } }';

type Mode = 'off' | 'memory' | 'redis';
const MODES: Mode[] = ['off', 'memory', 'redis'];

interface Server {
  url: string;
  child: ChildProcess;
}

async function startServer(mode: Mode, dbFile: string, redis: TestRedisServer): Promise<Server> {
  const port = await getFreePort();
  const env: Record<string, string> = {
    PATH: process.env.PATH!,
    NODE_ENV: 'production',
    LOG_LEVEL: 'warn',
    HOST: '127.0.0.1',
    PORT: String(port),
    DATABASE_URL: `sqlite:${dbFile}`,
    SEED_ADMIN_API_KEY: ADMIN_KEY,
    CACHE_ENABLED: mode === 'off' ? 'false' : 'true',
    REDIS_ENABLED: mode === 'redis' ? 'true' : 'false',
    REDIS_URL: redis.url,
  };
  const child = spawn(process.execPath, ['-r', '@swc-node/register', 'src/main.ts'], { cwd: ROOT, env, stdio: ['ignore', 'ignore', 'inherit'] });
  const url = `http://127.0.0.1:${port}/graphql`;
  for (let i = 0; i < 300; i++) {
    try {
      const res = await fetch(`http://127.0.0.1:${port}/ready`);
      if (res.ok && (mode !== 'redis' || (await res.json()).cache === 'redis')) return { url, child };
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  child.kill('SIGKILL');
  throw new Error(`the ${mode} server did not become ready`);
}

async function stopServer(server: Server): Promise<void> {
  const exited = new Promise((r) => server.child.once('exit', r));
  server.child.kill('SIGTERM');
  await exited;
}

async function load(url: string, seconds: number): Promise<{ rps: number; p50: number; p99: number; errors: number }> {
  const result = await autocannon({
    url,
    method: 'POST',
    connections: CONNECTIONS,
    duration: seconds,
    headers: { 'content-type': 'application/json', authorization: `Bearer ${ADMIN_KEY}` },
    body: JSON.stringify({ query: QUERY }),
  });
  return { rps: result.requests.average, p50: result.latency.p50, p99: result.latency.p99, errors: result.errors + result.non2xx };
}

/** SQL statements of one request, in-process, with the ORM's query hook: a warm request, then a measured one. */
async function sqlPerRequest(dbFile: string, cacheEnabled: boolean): Promise<number> {
  const sql: string[] = [];
  const config = loadConfig({ NODE_ENV: 'production', HOST: '127.0.0.1', DATABASE_URL: `sqlite:${dbFile}`, SEED_ADMIN_API_KEY: ADMIN_KEY, CACHE_ENABLED: String(cacheEnabled) });
  const app = await createApp(config, { logger: pino({ level: 'silent' }), onQuery: (q) => sql.push(q) });
  try {
    const { url } = await app.listen(0);
    const run = () => fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${ADMIN_KEY}` }, body: JSON.stringify({ query: QUERY }) }).then((r) => r.json());
    await run();
    await run();
    sql.splice(0);
    await run();
    return sql.length;
  } finally {
    await app.close();
  }
}

/** Redis commands per request on a hit, for `query`, read from INFO commandstats around 20 sequential requests. */
async function redisCallsPerHit(dbFile: string, redis: TestRedisServer, query: string): Promise<{ commands: number; detail: string }> {
  const { createClient } = await import('@keyv/redis');
  const client = createClient({ url: redis.url });
  await client.connect();
  const stats = async () => {
    const info = await client.info('commandstats');
    const calls = new Map<string, number>();
    for (const m of info.matchAll(/cmdstat_(\w+):calls=(\d+)/g)) calls.set(m[1]!, Number(m[2]));
    return calls;
  };
  const config = loadConfig({ NODE_ENV: 'production', HOST: '127.0.0.1', DATABASE_URL: `sqlite:${dbFile}`, SEED_ADMIN_API_KEY: ADMIN_KEY, REDIS_ENABLED: 'true', REDIS_URL: redis.url, REDIS_TIMEOUT_MS: '500' });
  const app = await createApp(config, { logger: pino({ level: 'silent' }) });
  try {
    const { url } = await app.listen(0);
    const run = () => fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${ADMIN_KEY}` }, body: JSON.stringify({ query }) }).then((r) => r.json());
    await run();
    await run();
    const before = await stats();
    const N = 20;
    for (let i = 0; i < N; i++) await run();
    const after = await stats();
    const perCommand = [...after]
      .map(([cmd, n]) => [cmd, (n - (before.get(cmd) ?? 0)) / N] as const)
      .filter(([cmd, n]) => n > 0 && cmd !== 'info' && cmd !== 'ping');
    const commands = perCommand.reduce((sum, [, n]) => sum + n, 0);
    return { commands, detail: perCommand.map(([cmd, n]) => `${n} ${cmd.toUpperCase()}`).join(' + ') };
  } finally {
    await app.close();
    client.destroy();
  }
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'gql-bench-'));
  const seeded = join(dir, 'seeded.db');
  const redis = await startRedisServer();
  try {
    await seedBenchDatabase(seeded, ADMIN_KEY);
    const results: Record<Mode, { rps: number[]; p50: number[]; p99: number[]; errors: number }> = {
      off: { rps: [], p50: [], p99: [], errors: 0 },
      memory: { rps: [], p50: [], p99: [], errors: 0 },
      redis: { rps: [], p50: [], p99: [], errors: 0 },
    };
    for (let round = 1; round <= ROUNDS; round++) {
      for (const mode of MODES) {
        const db = join(dir, `${mode}-${round}.db`);
        copyFileSync(seeded, db);
        const server = await startServer(mode, db, redis);
        try {
          await load(server.url, 2); // warm-up: JIT, the first miss
          const r = await load(server.url, DURATION_S);
          results[mode].rps.push(r.rps);
          results[mode].p50.push(r.p50);
          results[mode].p99.push(r.p99);
          results[mode].errors += r.errors;
          console.log(`round ${round} ${mode.padEnd(6)} ${r.rps.toFixed(0).padStart(6)} req/s  p50 ${r.p50} ms  p99 ${r.p99} ms  errors ${r.errors}`);
        } finally {
          await stopServer(server);
        }
      }
    }
    const sqlOff = await sqlPerRequest(seeded, false);
    const sqlHit = await sqlPerRequest(seeded, true);
    const tripsPage = await redisCallsPerHit(seeded, redis, QUERY);
    const tripsMe = await redisCallsPerHit(seeded, redis, '{ me { id email role } }');
    const off = median(results.off.rps);
    const rows = MODES.map((m) => {
      const rps = median(results[m].rps);
      return `| ${m === 'off' ? 'cache off' : `cache on ${m}`} | ${rps.toFixed(0)} | ${(rps / off).toFixed(1)}x | ${median(results[m].p50)} | ${median(results[m].p99)} | ${results[m].errors} |`;
    });
    const report = [
      '# Benchmarks',
      '',
      `Run with \`npm run ${QUICK ? 'bench:quick' : 'bench'}\` on ${new Date().toISOString().slice(0, 10)}: ${cpus().length} cores (${cpus()[0]?.model.trim()}), ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}.`,
      `The three modes ran side by side in one run (${ROUNDS} round${ROUNDS > 1 ? 's' : ''}, modes interleaved, median shown), each server in its own process`,
      `(NODE_ENV=production, SQLite, 200 users with 5 keys each), loaded by autocannon with ${CONNECTIONS} connections for ${DURATION_S} s after a 2 s warm-up.`,
      'The machine is shared and noisy: compare the ratios within one run, not absolute numbers across runs.',
      '',
      `Query, as ADMIN: \`${QUERY}\``,
      '',
      '| mode | requests/s | vs off | p50 ms | p99 ms | errors |',
      '| --- | ---: | ---: | ---: | ---: | ---: |',
      ...rows,
      '',
      `SQL statements per request: cache off ${sqlOff}; cache hit ${sqlHit} (counted with the ORM's query hook, authentication included).`,
      '',
      'Redis commands per request on a hit (INFO commandstats over 20 sequential requests; each command is one round trip,',
      'lookups of the same tick are batched into one MGET by the cache):',
      '',
      `- the query above (51 cached resolvers + authentication): ${tripsPage.commands} (${tripsPage.detail})`,
      `- \`{ me { id email role } }\` (1 cached resolver + authentication): ${tripsMe.commands} (${tripsMe.detail})`,
      '',
    ].join('\n');
    writeFileSync(join(ROOT, 'BENCHMARKS.md'), report);
    console.log(`\n${report}`);
    if (sqlHit !== 0) throw new Error(`a cache hit cost ${sqlHit} SQL statements; expected 0`);
  } finally {
    await redis.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
