/**
 * One target, one workload, for profiling: what `npm run bench` measures, one cell at a time, with node
 * options of your choice on the server (the table and the report are `npm run bench`'s).
 *
 *   npm run bench:one -- --target memory --workload miss --seconds 10 --node-arg=--cpu-prof
 *   npm run bench:one -- --target off,memory --workload mix --rounds 3
 *   npm run bench:one -- --target memory@/tmp/other-checkout,memory --workload mix   # two builds
 *   npm run bench:one -- --target memory,memory:traced --env 'traced:OTEL_EXPORTER_OTLP_ENDPOINT={otlp-sink}'
 *
 * --target    comma-separated ids: off, memory, resolver-tier, redis, apollo, yoga, mercurius (default memory)
 * --workload  comma-separated ids of bench/workloads.ts, or `mix` (default miss)
 * --seconds   measured seconds per workload (default 5), after a 1 s warm-up
 * --rounds    targets interleaved this many times (default 1)
 * --node-arg  a node option for our servers and the peers (repeatable); profiles land in --out
 * --out       folder for --cpu-prof/--heap-prof output (default bench/profiles, not committed)
 * --no-build  use dist/ as it is
 * --env       `label:NAME=VALUE` (repeatable): set NAME for the targets written `id:label` (a variant of a
 *             target, side by side with it); `{otlp-sink}` in VALUE is the URL of an OTLP/HTTP sink the
 *             bench runs (it answers every POST /v1/traces and counts the spans' bytes received)
 *
 * The seeded dataset is kept in bench/profiles/seeded-*.json + .db between runs (delete it to re-seed).
 * Each run prints req/s (ops/s for the mix), p50/p99, errors and the peak RSS of the target.
 */

import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { startRedisServer } from '../test/helpers/redis-server';
import { runLoad, warmUp } from './load';
import { runMix } from './mix';
import { type Dataset, issueBenchKeys, runSeedScript } from './seed-db';
import { chooseOurServerArgs, OUR_SERVER, ROOT, startTarget, TARGETS, type TargetId } from './targets';
import { WORKLOADS } from './workloads';

const ADMIN_KEY = 'gqk_bench-admin-key-not-secret-000000000000000';

const { values } = parseArgs({
  options: {
    target: { type: 'string', default: 'memory' },
    workload: { type: 'string', default: 'miss' },
    seconds: { type: 'string', default: '5' },
    rounds: { type: 'string', default: '1' },
    'node-arg': { type: 'string', multiple: true, default: [] },
    out: { type: 'string', default: join(ROOT, 'bench', 'profiles') },
    'no-build': { type: 'boolean', default: false },
    env: { type: 'string', multiple: true, default: [] },
  },
});

/** Environment variables per variant label, from `--env label:NAME=VALUE`. */
function variantEnv(sinkUrl: string | undefined): Map<string, Record<string, string>> {
  const byLabel = new Map<string, Record<string, string>>();
  for (const item of values.env!) {
    const match = /^([^:]+):([A-Z0-9_]+)=(.*)$/.exec(item);
    if (!match) throw new Error(`--env: expected label:NAME=VALUE, got: ${item}`);
    const [, label, name, raw] = match as unknown as [string, string, string, string];
    if (raw.includes('{otlp-sink}') && !sinkUrl) throw new Error('--env: {otlp-sink} without a sink');
    const env = byLabel.get(label) ?? {};
    env[name] = raw.replaceAll('{otlp-sink}', sinkUrl ?? '');
    byLabel.set(label, env);
  }
  return byLabel;
}

/** A local OTLP/HTTP endpoint that accepts every export (200) and counts what it received. */
async function startOtlpSink(): Promise<{ url: string; bytes: () => number; posts: () => number; close(): void }> {
  let bytes = 0;
  let posts = 0;
  const server = createServer((req, res) => {
    req.on('data', (chunk: Buffer) => {
      bytes += chunk.length;
    });
    req.on('end', () => {
      posts++;
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, bytes: () => bytes, posts: () => posts, close: () => server.close() };
}

async function dataset(ourArgs: string[], out: string): Promise<Dataset> {
  const meta = join(out, 'seeded.json');
  if (existsSync(meta)) return JSON.parse(readFileSync(meta, 'utf8')) as Dataset;
  const file = join(out, 'seeded.db');
  await runSeedScript(file);
  const ds = await issueBenchKeys(file, ADMIN_KEY, ourArgs);
  writeFileSync(meta, JSON.stringify(ds));
  return ds;
}

async function main(): Promise<void> {
  const out = resolve(values.out!);
  mkdirSync(out, { recursive: true });
  const ourArgs = values['no-build'] ? OUR_SERVER.compiled : (await chooseOurServerArgs()).args;
  const ds = await dataset(ourArgs, out);
  // `memory@/path/to/other/checkout`: that checkout's build (`npm run build` there first), side by side.
  const sink = values.env!.some((e) => e.includes('{otlp-sink}')) ? await startOtlpSink() : undefined;
  const envs = variantEnv(sink?.url);
  const targets = values.target!.split(',').map((id) => {
    const [withLabel, otherRoot] = id.split('@') as [string, string | undefined];
    const [targetId, label] = withLabel.split(':') as [string, string | undefined];
    const spec = TARGETS.find((t) => t.id === (targetId as TargetId));
    if (!spec || spec.kind === 'ceiling') throw new Error(`--target: unknown target ${id}`);
    if (label !== undefined && !envs.has(label)) throw new Error(`--target ${id}: no --env ${label}:NAME=VALUE`);
    const env = label === undefined ? undefined : envs.get(label);
    return { spec, name: id, env, args: otherRoot ? [join(otherRoot, OUR_SERVER.compiled[0]!)] : ourArgs };
  });
  const workloads = values.workload!.split(',');
  const seconds = Number(values.seconds);
  const dir = mkdtempSync(join(tmpdir(), 'gql-bench-one-'));
  const redis = await startRedisServer();
  const nodeArgs = [...values['node-arg']!];
  if (nodeArgs.includes('--cpu-prof')) nodeArgs.push(`--cpu-prof-dir=${out}`);
  if (nodeArgs.includes('--heap-prof')) nodeArgs.push(`--heap-prof-dir=${out}`);
  try {
    for (let round = 1; round <= Number(values.rounds); round++) {
      for (const { spec, name, args, env } of targets) {
        if (spec.id === 'redis') await redis.restart();
        const dbFile = join(dir, `${spec.id}-${round}.db`);
        copyFileSync(ds.file, dbFile);
        const target = await startTarget(spec, {
          ourArgs: args,
          dbFile,
          adminKey: ds.adminKey,
          redisUrl: redis.url,
          nodeArgs,
          env,
        });
        const lines: string[] = [];
        try {
          for (const id of workloads) {
            if (id === 'mix') {
              const m = await runMix(target.url, ds, 1, seconds);
              lines.push(
                `mix ${m.opsPerSec.toFixed(0)} ops/s p50 ${m.p50.toFixed(1)} p99 ${m.p99.toFixed(1)} stale ${m.stale}/${m.reads} errors ${m.errors}`,
              );
              continue;
            }
            const w = WORKLOADS.find((x) => x.id === id);
            if (!w) throw new Error(`--workload: unknown workload ${id}`);
            const variants = w.variants(ds);
            await warmUp(target.url, variants, 1);
            const r = await runLoad(target.url, variants, seconds);
            lines.push(`${id} ${r.rps.toFixed(0)} req/s p50 ${r.p50} p99 ${r.p99} errors ${r.errors}`);
          }
          if (spec.kind === 'ours') {
            const metrics = await (await fetch(target.url.replace(/\/graphql$/, '/metrics'))).text();
            for (const line of metrics.split('\n'))
              if (/^graphql_cache_(lookups|evictions)_total\{/.test(line)) lines.push(`  ${line}`);
          }
        } finally {
          const rss = await target.stop();
          for (const line of lines) console.log(`round ${round} ${name.padEnd(13)} ${line}`);
          console.log(`round ${round} ${name.padEnd(13)} peak RSS ${rss.toFixed(0)} MiB`);
        }
      }
    }
    if (sink) console.log(`OTLP sink: ${sink.posts()} exports, ${(sink.bytes() / 1024).toFixed(0)} KiB received`);
  } finally {
    sink?.close();
    await redis.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
