/**
 * Our server against its peers, on this machine, in one run: writes BENCHMARKS.md (between its
 * bench markers) and bench/results.svg.
 *
 *   npm run bench:quick     # 1 round, 2 s per workload: under 3 minutes
 *   npm run bench           # 3 rounds, 5 s per workload, targets interleaved, medians
 *   npm run bench -- --smoke  # checks the script itself (about 90 s); writes to a temp folder only
 *
 * Targets: our server with the cache off, on memory and on Redis (a private redis-server); Apollo
 * Server + response-cache, Yoga + envelop response-cache, Mercurius + mercurius-cache (bench/peers,
 * dependencies in bench/package.json, installed here on first use); a bare node:http ceiling that
 * replays our cached bytes. Each target is its own process over its own copy of one seeded SQLite
 * file, is checked for correct answers before it is measured, and runs alone; load comes from this
 * process, on loopback only.
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, release, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { startRedisServer, type TestRedisServer } from '../test/helpers/redis-server';
import { CONNECTIONS, runLoad, warmUp } from './load';
import { runMix } from './mix';
import { markdown, svgChart, type TargetResults, writeBenchmarks } from './report';
import {
  BENCH_KEYS_PER_USER,
  BENCH_USERS,
  type Dataset,
  issueBenchKeys,
  runSeedScript,
  USER_KEY_COUNT,
} from './seed-db';
import { chooseOurServerArgs, ROOT, type RunningTarget, startTarget, TARGETS, type TargetSpec } from './targets';
import { captureReference, captureReplay, type Reference, verifyTarget } from './verify';
import { HEADLINE, WORKLOADS } from './workloads';

const MODE = process.argv.includes('--smoke') ? 'smoke' : process.argv.includes('--quick') ? 'quick' : 'full';
const SETTINGS = {
  smoke: { rounds: 1, warmSeconds: 0.2, seconds: 1, mixSeconds: 0.5 },
  quick: { rounds: 1, warmSeconds: 0.3, seconds: 2, mixSeconds: 1.5 },
  full: { rounds: 3, warmSeconds: 1, seconds: 5, mixSeconds: 5 },
}[MODE];
const COMMAND = { smoke: 'npm run bench -- --smoke', quick: 'npm run bench:quick', full: 'npm run bench' }[MODE];
const ADMIN_KEY = 'gqk_bench-admin-key-not-secret-000000000000000';
/** Where the report goes, relative to the repository (a smoke run's numbers mean nothing: they stay out of it). */
const OUT_DIR = MODE === 'smoke' ? mkdtempSync(join(tmpdir(), 'gql-bench-smoke-')) : ROOT;
const SVG_FILE = 'bench/results.svg';

const STARTED = Date.now();
/** Progress on the console, with the time since the start: the quick run has a budget of 3 minutes. */
const log = (line: string) =>
  console.log(`[${String(Math.round((Date.now() - STARTED) / 1000)).padStart(3)} s] ${line}`);

/** Installs bench/package.json's pins when bench/node_modules lacks one of them (first use, or a changed pin). */
function ensureBenchDependencies(): void {
  const { dependencies } = JSON.parse(readFileSync(join(__dirname, 'package.json'), 'utf8')) as {
    dependencies: Record<string, string>;
  };
  const installed = (name: string, version: string) => {
    const manifest = join(__dirname, 'node_modules', name, 'package.json');
    return (
      existsSync(manifest) && (JSON.parse(readFileSync(manifest, 'utf8')) as { version: string }).version === version
    );
  };
  if (Object.entries(dependencies).every(([name, version]) => installed(name, version))) return;
  log('installing the peers (bench/package.json) ...');
  const npm = spawnSync('npm', ['install', '--prefix', 'bench', '--no-audit', '--no-fund'], {
    cwd: ROOT,
    stdio: 'inherit',
  });
  if (npm.status !== 0) throw new Error('npm install --prefix bench failed');
}

interface RunContext {
  dir: string;
  ds: Dataset;
  redis: TestRedisServer;
  ourArgs: string[];
  replayFile: string;
  reference?: Reference;
  costs: string[];
}

/** Round 1 only: the reference from ours with the cache off, checks of everyone else, the ceiling's recording. */
async function firstRoundDuties(target: RunningTarget, ctx: RunContext, result: TargetResults): Promise<void> {
  const { spec, url } = target;
  if (spec.id === 'off') ctx.reference = await captureReference(url, ctx.ds);
  if (spec.kind !== 'ceiling') {
    if (!ctx.reference) throw new Error('no reference data (ours with the cache off did not run)');
    result.verdict = await verifyTarget(url, ctx.ds, ctx.reference);
    if (result.verdict.problems.length > 0) throw new Error(`wrong answers: ${result.verdict.problems.join('; ')}`);
    log('  answers checked');
  }
  if (spec.id === 'memory') await captureReplay(url, ctx.ds, ctx.replayFile);
  if (spec.id === 'redis') ctx.costs.push(await redisCosts(url, ctx));
}

/**
 * Loaded when needed: costs.ts imports the server's own modules (compiled by swc on first use), and a
 * refactoring inside src/ should cost the report a line, not the whole run.
 */
const loadCosts = () => require('./costs') as typeof import('./costs');

async function redisCosts(url: string, ctx: RunContext): Promise<string> {
  try {
    const { redisCommandsPerHit } = loadCosts();
    const page = await redisCommandsPerHit(
      ctx.redis.url,
      url,
      ctx.ds.adminKey,
      WORKLOADS.find((w) => w.id === HEADLINE)!.query,
    );
    const me = await redisCommandsPerHit(ctx.redis.url, url, ctx.ds.userKeys[0]!, '{ me { id email role } }');
    return `Redis commands per request on a hit (INFO commandstats over 20 sequential requests): the headline query ${page}; \`{ me { id email role } }\` ${me}.`;
  } catch (err) {
    return `Redis commands per request: not counted (${(err as Error).message.split('\n')[0]}).`;
  }
}

async function measure(target: RunningTarget, ctx: RunContext, result: TargetResults): Promise<void> {
  for (const w of WORKLOADS) {
    const variants = w.variants(ctx.ds);
    await warmUp(target.url, variants, SETTINGS.warmSeconds);
    const r = await runLoad(target.url, variants, SETTINGS.seconds);
    result.loads[w.id] = [...(result.loads[w.id] ?? []), r];
    log(
      `  ${w.id.padEnd(11)} ${r.rps.toFixed(0).padStart(7)} req/s  p50 ${r.p50} ms  p99 ${r.p99} ms  errors ${r.errors}`,
    );
  }
  const mix = await runMix(target.url, ctx.ds, SETTINGS.warmSeconds, SETTINGS.mixSeconds);
  result.mixes.push(mix);
  log(
    `  ${'mix'.padEnd(11)} ${mix.opsPerSec.toFixed(0).padStart(7)} ops/s  stale ${mix.stale}/${mix.reads}  errors ${mix.errors}`,
  );
}

async function runTarget(spec: TargetSpec, round: number, ctx: RunContext, result: TargetResults): Promise<void> {
  if (spec.kind === 'ceiling' && !existsSync(ctx.replayFile))
    throw new Error('nothing to replay (ours on memory was not measured)');
  if (spec.id === 'redis') await ctx.redis.restart(); // empty: the previous round's entries describe another copy of the data
  const dbFile = join(ctx.dir, `${spec.id}-${round}.db`);
  copyFileSync(ctx.ds.file, dbFile);
  const target = await startTarget(spec, {
    ourArgs: ctx.ourArgs,
    dbFile,
    adminKey: ctx.ds.adminKey,
    redisUrl: ctx.redis.url,
    replayFile: ctx.replayFile,
  });
  log(`  started (pid ${target.pid})`);
  try {
    if (round === 1) await firstRoundDuties(target, ctx, result);
    await measure(target, ctx, result);
  } finally {
    result.rssMiB.push(await target.stop());
  }
}

async function ourCosts(ctx: RunContext): Promise<void> {
  const query = WORKLOADS.find((w) => w.id === HEADLINE)!.query;
  try {
    const { sqlPerRequest } = loadCosts();
    const counts = [];
    for (const cacheEnabled of [false, true]) {
      const file = join(ctx.dir, `sql-${cacheEnabled}.db`);
      copyFileSync(ctx.ds.file, file);
      counts.push(await sqlPerRequest(file, ctx.ds.adminKey, query, cacheEnabled));
    }
    ctx.costs.unshift(
      `SQL statements per request of the headline query (the ORM's query hook, authentication included): cache off ${counts[0]}; cache hit ${counts[1]}.`,
    );
  } catch (err) {
    ctx.costs.unshift(`SQL statements per request: not counted (${(err as Error).message.split('\n')[0]}).`);
  }
}

function machine(): string {
  const cpu = cpus();
  return `${cpu.length} CPUs (${cpu[0]?.model.trim() ?? 'unknown'}), ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}, Linux ${release()}`;
}

async function main(): Promise<void> {
  ensureBenchDependencies();
  const dir = mkdtempSync(join(tmpdir(), 'gql-bench-'));
  const seeded = join(dir, 'seeded.db');
  const redis = await startRedisServer();
  try {
    const [our] = await Promise.all([chooseOurServerArgs(), runSeedScript(seeded)]);
    log(`our server: ${our.description}`);
    const ds = await issueBenchKeys(seeded, ADMIN_KEY, our.args);
    log('seeded');
    const ctx: RunContext = { dir, ds, redis, ourArgs: our.args, replayFile: join(dir, 'replay.json'), costs: [] };
    const results: TargetResults[] = TARGETS.map((spec) => ({ spec, loads: {}, mixes: [], rssMiB: [] }));
    for (let round = 1; round <= SETTINGS.rounds; round++) {
      for (const result of results) {
        if (result.failure) continue;
        log(`round ${round}/${SETTINGS.rounds}: ${result.spec.label}`);
        await runTarget(result.spec, round, ctx, result).catch((err: Error) => {
          result.failure = err.message.split('\n')[0]!.slice(0, 600);
          console.error(`  ${result.spec.label} failed: ${err.message}`);
        });
      }
    }
    await ourCosts(ctx);
    log('counted SQL statements');
    const info = {
      command: COMMAND,
      date: new Date().toISOString().slice(0, 10),
      machine: machine(),
      ...SETTINGS,
      connections: CONNECTIONS,
      ourCommand: our.description,
      dataset: `${BENCH_USERS} users with ${BENCH_KEYS_PER_USER} keys each (\`npm run seed\`), the admin (SEED_ADMIN_API_KEY), and one more key for each of ${USER_KEY_COUNT} users (\`createApiKey\`), used as the USER keys`,
      costs: ctx.costs,
    };
    mkdirSync(join(OUT_DIR, 'bench'), { recursive: true });
    writeFileSync(join(OUT_DIR, SVG_FILE), svgChart(WORKLOADS, results));
    writeBenchmarks(join(OUT_DIR, 'BENCHMARKS.md'), markdown(info, WORKLOADS, results, SVG_FILE));
    log(`wrote ${join(OUT_DIR, 'BENCHMARKS.md')} and ${join(OUT_DIR, SVG_FILE)}`);
  } finally {
    await redis.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
