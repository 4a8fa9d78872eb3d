/**
 * multi-instance.test.ts on a Redis Cluster: two instances sharing a 6-node cluster (SQLite: the database
 * is not what this tests). A master dies during a write instead of Redis pausing.
 */
import { cacheReport } from '../helpers/cache-report';
import { useClusterPair } from '../helpers/instance-pair';
import type { TestRedisCluster } from '../helpers/redis-cluster';
import type { TestApp } from '../helpers/test-app';
import { eventually, readyBackend } from '../helpers/wait';

const USER = 'query($id: ID!) { user(id: $id) { id fullName } }';
const UPDATE = 'mutation($id: ID!, $input: UpdateUserInput!) { updateUser(id: $id, input: $input) { id fullName } }';
const ADMIN_KEY = 'gqk_two-instances-cluster-admin-key-0000000000';

describe('two instances sharing one Redis Cluster and one database (sqlite)', () => {
  const pair = useClusterPair(ADMIN_KEY);
  let cluster: TestRedisCluster;
  let a: TestApp;
  let b: TestApp;
  beforeAll(() => {
    ({ cluster, a, b } = pair);
  });

  const admin = (t: TestApp) => t.client(ADMIN_KEY);

  it('entries and generation tokens land on every master (keys as they are, no hash tags)', async () => {
    for (let i = 0; i < 6; i++) {
      const u = await a.createUser();
      await admin(b).request(USER, { id: u.id });
    }
    const counts = await Promise.all(
      (await cluster.masters()).map(async (port) => Number(await cluster.cli(port, 'DBSIZE'))),
    );
    expect(counts.every((n) => n > 0)).toBe(true);
  });

  it('a write on one instance is read on the other at once', async () => {
    const u = await a.createUser();
    await admin(b).request(USER, { id: u.id });
    expect(cacheReport(await admin(b).request(USER, { id: u.id }))?.status).toBe('HIT');
    await admin(a).ok(UPDATE, { id: u.id, input: { fullName: 'Written on A' } });
    const read = await admin(b).request(USER, { id: u.id });
    expect((read.body.data as { user: { fullName: string } }).user.fullName).toBe('Written on A');
  });

  // Last: it kills a master.
  it("with the master of the user's token killed before the write, no stale read on either instance, during or after the promotion", async () => {
    const u = await a.createUser();
    await admin(b).request(USER, { id: u.id });
    expect(cacheReport(await admin(b).request(USER, { id: u.id }))?.status).toBe('HIT'); // the old value, in Redis
    for (const port of await cluster.masters()) await cluster.cli(port, 'WAIT', '1', '2000'); // replicated

    const tokenKey = a.app.cache!.resolverCache.evictor.generations.keyOf(`user:${u.id}`);
    const killed = await cluster.killMaster(tokenKey);
    const started = Date.now();
    await admin(a).ok(UPDATE, { id: u.id, input: { fullName: 'Written while a master was down' } });
    expect(Date.now() - started).toBeLessThan(5000);
    for (const t of [b, a]) {
      const during = await admin(t).ok<{ user: { fullName: string } }>(USER, { id: u.id });
      expect(during.user.fullName).toBe('Written while a master was down');
    }
    await cluster.waitForState('ok');
    const promoted = await cluster.masterOf(tokenKey);
    const backMs = await eventually(
      async () => (await readyBackend(a)) === 'redis' && (await readyBackend(b)) === 'redis',
      10_000,
    );
    console.log(
      `killed master :${killed}, replica :${promoted} promoted; both instances back on redis ${backMs} ms later`,
    );
    expect(promoted).not.toBe(killed);
    expect(a.app.cache!.resolverCache.evictor.pendingCount).toBe(0); // replayed before Redis served reads
    for (const t of [b, a, b]) {
      const after = await admin(t).ok<{ user: { fullName: string } }>(USER, { id: u.id });
      expect(after.user.fullName).toBe('Written while a master was down');
    }
    // And the cluster serves the cache again: a second read is a hit.
    expect(cacheReport(await admin(b).request(USER, { id: u.id }))?.status).toBe('HIT');
  });
});
