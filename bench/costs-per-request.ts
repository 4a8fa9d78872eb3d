/**
 * CPU milliseconds per request of our server, one request kind at a time, on one connection (requests
 * back to back): the server's utime + stime (/proc/<pid>/stat) over the measured window, divided by the
 * requests. What a profile's shares cannot give: the absolute cost of each kind of request of the mix.
 *
 *   npm run bench:costs -- [--target memory,off,memory@/tmp/other-checkout] [--rounds 3] [--seconds 5] [--only updateUser] [--node-arg=--cpu-prof]
 */
import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { startRedisServer } from '../test/helpers/redis-server';
import { bearer, createClient } from './http';
import type { Dataset } from './seed-db';
import { OUR_SERVER, ROOT, startTarget, TARGETS, type TargetId } from './targets';
import { MIX_READ, MIX_WRITE, WORKLOADS } from './workloads';

const { values } = parseArgs({
  options: {
    target: { type: 'string', default: 'memory' },
    seconds: { type: 'string', default: '5' },
    data: { type: 'string', default: join(ROOT, 'bench', 'profiles', 'seeded.json') },
    only: { type: 'string' },
    rounds: { type: 'string', default: '1' },
    'node-arg': { type: 'string', multiple: true, default: [] },
  },
});

const cpuMs = (pid: number) => {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100; // utime + stime, in clock ticks of 10 ms
};

async function main() {
  if (!existsSync(values.data!)) throw new Error(`no dataset at ${values.data}: run npm run bench:one first`);
  const ds = JSON.parse(readFileSync(values.data!, 'utf8')) as Dataset;
  const dir = mkdtempSync(join(tmpdir(), 'gql-costs-'));
  const redis = await startRedisServer();
  try {
    const results = new Map<string, number[]>();
    for (let round = 0; round < Number(values.rounds); round++)
      for (const id of values.target!.split(',')) {
        // `memory@/path/to/other/checkout`: that checkout's build (built there), to compare two builds side by side.
        const [targetId, otherRoot] = id.split('@') as [string, string | undefined];
        const spec = TARGETS.find((t) => t.id === (targetId as TargetId))!;
        const dbFile = join(dir, `${targetId}.db`);
        copyFileSync(ds.file, dbFile);
        const target = await startTarget(spec, {
          ourArgs: otherRoot ? [join(otherRoot, OUR_SERVER.compiled[0]!)] : OUR_SERVER.compiled,
          dbFile,
          adminKey: ds.adminKey,
          redisUrl: redis.url,
          nodeArgs: values['node-arg']!.flatMap((a) =>
            a === '--cpu-prof' ? [a, `--cpu-prof-dir=${join(ROOT, 'bench', 'profiles')}`] : [a],
          ),
        });
        const client = createClient(target.url, 1);
        let n = 0;
        const heavy = WORKLOADS.find((w) => w.id === 'miss')!.variants(ds)[0]!;
        const kinds: [string, () => Promise<unknown>][] = [
          ['miss: users(size:50) with apiKeys, no-cache', () => client.post(heavy.body, heavy.headers)],
          [
            'read, operation-tier hit',
            () =>
              client.graphql(
                { query: MIX_READ, operationName: 'MixRead', variables: { id: ds.userIds[0] } },
                bearer(ds.userKeys[n++ % 10]!),
              ),
          ],
          [
            'read, no-cache (executed)',
            () =>
              client.graphql(
                { query: MIX_READ, operationName: 'MixRead', variables: { id: ds.userIds[0] } },
                { ...bearer(ds.userKeys[n++ % 10]!), 'cache-control': 'no-cache' },
              ),
          ],
          [
            'read after a write (update, then read)',
            async () => {
              await client.graphql(
                { query: MIX_WRITE, operationName: 'MixWrite', variables: { id: ds.userIds[1], fullName: `x${n++}` } },
                bearer(ds.adminKey),
              );
              await client.graphql(
                { query: MIX_READ, operationName: 'MixRead', variables: { id: ds.userIds[1] } },
                bearer(ds.userKeys[n % 10]!),
              );
            },
          ],
          [
            'updateUser',
            () =>
              client.graphql(
                { query: MIX_WRITE, operationName: 'MixWrite', variables: { id: ds.userIds[2], fullName: `y${n++}` } },
                bearer(ds.adminKey),
              ),
          ],
        ];
        for (const [name, run] of kinds) {
          if (values.only && !name.includes(values.only)) continue;
          const warmUntil = Date.now() + 1000;
          while (Date.now() < warmUntil) await run();
          const c0 = cpuMs(target.pid);
          const t0 = performance.now();
          let count = 0;
          const until = Date.now() + Number(values.seconds) * 1000;
          while (Date.now() < until) {
            await run();
            count++;
          }
          const wall = performance.now() - t0;
          const cpu = cpuMs(target.pid) - c0;
          console.log(
            `${id.padEnd(8)} ${name.padEnd(40)} ${(count / (wall / 1000)).toFixed(0).padStart(6)} /s  ${(cpu / count).toFixed(3)} ms CPU each`,
          );
          const row = `${id.padEnd(8)} ${name}`;
          results.set(row, [...(results.get(row) ?? []), cpu / count]);
        }
        client.close();
        await target.stop();
      }
    if (Number(values.rounds) > 1) {
      console.log('medians:');
      for (const [row, cpus] of results) {
        const sorted = [...cpus].sort((a, b) => a - b);
        console.log(
          `${row.padEnd(60)} ${sorted[Math.floor(sorted.length / 2)]!.toFixed(3)} ms CPU (${cpus.map((c) => c.toFixed(2)).join(', ')})`,
        );
      }
    }
  } finally {
    await redis.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
