/**
 * A Redis Cluster master killed under load: two instances on one 6-node cluster and one SQLite file, a
 * steady mix of reads and updates (test/faults/load.ts) on both, SIGKILL of the master holding a tracked
 * user's generation token, its replica promoted by the cluster, the load going on throughout.
 *
 * Asserted: no failed request at all, no stale read at all (a read that started after an acknowledged
 * update, on either instance, never returns what that update replaced), and both instances back on the
 * `redis` backend (/ready) after the promotion, having replayed their eviction journals.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { type Caller, findStaleReads, type Instance, Load, percentile } from '../faults/load';
import { useClusterPair } from '../helpers/instance-pair';
import type { TestRedisCluster } from '../helpers/redis-cluster';
import type { TestApp } from '../helpers/test-app';
import { readyBackend } from '../helpers/wait';

const ADMIN_KEY = 'gqk_cluster-failover-admin-key-000000000000';
const UPDATE = 'mutation($id: ID!, $name: String!) { updateUser(id: $id, input: { fullName: $name }) { id fullName } }';
const BASELINE_MS = 2500;
const OBSERVE_MS = 3000;

/** The seed admin plus one more ADMIN and three USERs, each with a key; every fullName is `n0`. */
async function createCallers(t: TestApp): Promise<Caller[]> {
  const me = await t.admin.ok<{ me: { id: string } }>('{ me { id } }');
  await t.admin.ok(UPDATE, { id: me.me.id, name: 'n0' });
  const callers: Caller[] = [{ id: me.me.id, role: 'ADMIN', key: ADMIN_KEY }];
  for (const [i, role] of (['ADMIN', 'USER', 'USER', 'USER'] as const).entries()) {
    const created = await t.admin.ok<{ createUser: { id: string } }>(
      'mutation($input: CreateUserInput!) { createUser(input: $input) { id } }',
      { input: { email: `cluster-failover-${i}@example.com`, fullName: 'n0', role } },
    );
    const keyed = await t.admin.ok<{ createApiKey: { secret: string } }>(
      'mutation($userId: ID) { createApiKey(name: "load", userId: $userId) { secret } }',
      { userId: created.createUser.id },
    );
    callers.push({ id: created.createUser.id, role, key: keyed.createApiKey.secret });
  }
  return callers;
}

describe('a Redis Cluster master killed under load (two instances, SQLite)', () => {
  const pair = useClusterPair(ADMIN_KEY);
  let cluster: TestRedisCluster;
  let a: TestApp;
  let b: TestApp;
  let callers: Caller[];
  beforeAll(async () => {
    ({ cluster, a, b } = pair);
    callers = await createCallers(a);
  });

  it('0 failed requests, 0 stale reads, both instances back on redis after the promotion', async () => {
    const backends = async () => [await readyBackend(a), await readyBackend(b)];
    const seen: { t: number; backends: string[] }[] = [];
    let watching = true;
    const watch = (async () => {
      while (watching) {
        seen.push({ t: Date.now(), backends: await backends() });
        await sleep(50);
      }
    })();
    const instances: Instance[] = [
      { name: 'A', url: a.url },
      { name: 'B', url: b.url },
    ];
    const load = new Load({ instances, callers, concurrency: 6, mutationRate: 0.08 }, 11);
    const t0 = Date.now();
    let killed = 0;
    let promotedMs = 0;
    let backMs = 0;
    let promoted = 0;
    load.start();
    try {
      await sleep(BASELINE_MS);
      expect(await backends()).toEqual(['redis', 'redis']);
      // The master holding a tracked user's generation token: its reads and evictions go there.
      const tokenKey = a.app.cache!.resolverCache.evictor.generations.keyOf(`user:${callers[2]!.id}`);
      const killedAt = Date.now();
      killed = await cluster.killMaster(tokenKey);
      await cluster.waitForState('ok', 20_000);
      promotedMs = Date.now() - killedAt;
      promoted = await cluster.masterOf(tokenKey);
      while (Date.now() - killedAt < 20_000 && (await backends()).some((x) => x !== 'redis')) await sleep(25);
      backMs = Date.now() - killedAt;
      await sleep(OBSERVE_MS);
    } finally {
      await load.stop();
      watching = false;
      await watch;
    }

    const failed = load.samples.filter((s) => s.outcome !== 'ok');
    const stale = findStaleReads(load);
    const offRedis = seen.filter((s) => s.backends.some((x) => x !== 'redis'));
    const durations = load.samples.map((s) => s.end - s.start);
    console.log(
      [
        `killed master :${killed} (SIGKILL) ${BASELINE_MS} ms into the load; replica :${promoted} promoted ${promotedMs} ms after the kill`,
        `both instances back on redis ${backMs} ms after the kill (an instance was seen off redis in ${offRedis.length} of ${seen.length} /ready polls, first ${offRedis[0] ? offRedis[0].t - t0 : '-'} ms, last ${offRedis.length ? offRedis[offRedis.length - 1]!.t - t0 : '-'} ms into the load)`,
        `requests: ${load.samples.length} (${load.nameWrites.length} acknowledged renames, ${load.keysCreated.length} keys created, ${load.nameReads.length} name reads), failed: ${failed.length}, stale reads: ${stale.length}, p50 ${percentile(durations, 50)} ms, p99 ${percentile(durations, 99)} ms, max ${Math.max(...durations)} ms`,
        `stale reads at (ms into the load): ${stale.length ? `${stale[0]!.start - t0}..${stale[stale.length - 1]!.start - t0}` : '-'}; ${JSON.stringify(stale.slice(0, 3).map((x) => ({ ...x, start: x.start - t0 })))}`,
        `pending evictions after: A ${a.app.cache!.resolverCache.evictor.pendingCount}, B ${b.app.cache!.resolverCache.evictor.pendingCount}`,
      ].join('\n'),
    );
    expect(failed.map((s) => `${s.instance} ${s.op}: ${s.detail}`)).toEqual([]);
    expect(stale).toEqual([]);
    expect(promoted).not.toBe(killed);
    expect(offRedis.length).toBeGreaterThan(0); // the kill did take: some instance went to memory
    expect(await backends()).toEqual(['redis', 'redis']);
    expect(a.app.cache!.resolverCache.evictor.pendingCount).toBe(0);
    expect(b.app.cache!.resolverCache.evictor.pendingCount).toBe(0);
    expect(load.nameWrites.length).toBeGreaterThan(10);
  }, 60_000);
});
