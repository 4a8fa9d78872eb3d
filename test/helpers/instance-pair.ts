import { createScratchDatabase, type DatabaseKind, databaseKinds, type ScratchDatabase } from './databases';
import { startRedisCluster, type TestRedisCluster } from './redis-cluster';
import { startRedisServer, type TestRedisServer } from './redis-server';
import { startTestApp, type TestApp } from './test-app';
import { eventually, readyBackend } from './wait';

export type Backend = 'memory' | 'redis' | 'redis-cluster';

/**
 * The legs of a suite about what instances share: memory on SQLite (one instance), Redis on every
 * database kind configured (PostgreSQL too whenever one answers: always in CI), two instances sharing it,
 * and a 6-node Redis Cluster shared by two instances, on SQLite only (the database is not what it tests).
 */
export const instancePairLegs: [Backend, DatabaseKind][] = [
  ['memory', 'sqlite'],
  ...databaseKinds.map((kind): [Backend, DatabaseKind] => ['redis', kind]),
  ['redis-cluster', 'sqlite'],
];

/** What {@link useInstancePair} gives a suite once its `beforeAll` ran. */
export interface InstancePair {
  /** The first instance. */
  a: TestApp;
  /** A second instance on the same database and Redis; on memory, `a` itself (an instance is alone there). */
  b: TestApp;
}

/**
 * Starts, in the calling `describe`'s `beforeAll`, a scratch database of `kind`, a private redis-server
 * (or Redis Cluster) when `backend` is Redis, and the instances; stops them all in its `afterAll`.
 */
export function useInstancePair(
  backend: Backend,
  kind: DatabaseKind,
  extraEnv: Record<string, string> = {},
): InstancePair {
  let redis: TestRedisServer | undefined;
  let cluster: TestRedisCluster | undefined;
  let db: ScratchDatabase | undefined;
  const pair = {} as InstancePair;
  beforeAll(async () => {
    db = await createScratchDatabase(kind);
    const env: Record<string, string> = { ...extraEnv };
    if (backend === 'redis') {
      redis = await startRedisServer();
      Object.assign(env, { REDIS_ENABLED: 'true', REDIS_URL: redis.url, REDIS_TIMEOUT_MS: '500' });
    }
    if (backend === 'redis-cluster') {
      cluster = await startRedisCluster();
      Object.assign(env, { REDIS_ENABLED: 'true', REDIS_CLUSTER_NODES: cluster.nodes, REDIS_TIMEOUT_MS: '500' });
    }
    pair.a = await startTestApp({ databaseUrl: db.url, env });
    pair.b =
      backend !== 'memory'
        ? await startTestApp({ databaseUrl: db.url, env: { ...env, SEED_ADMIN_API_KEY: pair.a.adminKey } })
        : pair.a;
    // Both on the shared store before the suite starts (a suite on the fallback would prove nothing).
    if (backend !== 'memory') {
      await eventually(
        async () => (await readyBackend(pair.a)) === 'redis' && (await readyBackend(pair.b)) === 'redis',
        5000,
      );
    }
  });
  afterAll(async () => {
    await pair.a?.close();
    if (pair.b !== pair.a) await pair.b?.close();
    await db?.drop();
    await redis?.stop();
    await cluster?.stop();
  });
  return pair;
}

/** What {@link useClusterPair} gives a suite once its `beforeAll` ran. */
export interface ClusterPair {
  cluster: TestRedisCluster;
  a: TestApp;
  b: TestApp;
}

/**
 * Starts, in the calling `describe`'s `beforeAll`, a 6-node Redis Cluster, a scratch SQLite database and
 * two instances on both (the admin key `adminKey` on each), and waits until both read from the cluster;
 * stops them all in its `afterAll`. `REDIS_TIMEOUT_MS` is 200: the default 50 ms flaps on a busy 2-core machine.
 */
export function useClusterPair(adminKey: string): ClusterPair {
  let db: ScratchDatabase | undefined;
  const pair = {} as ClusterPair;
  beforeAll(async () => {
    pair.cluster = await startRedisCluster();
    db = await createScratchDatabase('sqlite');
    const env = {
      REDIS_ENABLED: 'true',
      REDIS_CLUSTER_NODES: pair.cluster.nodes,
      REDIS_TIMEOUT_MS: '200',
      SEED_ADMIN_API_KEY: adminKey,
    };
    pair.a = await startTestApp({ databaseUrl: db.url, env });
    pair.b = await startTestApp({ databaseUrl: db.url, env });
    await eventually(
      async () => (await readyBackend(pair.a)) === 'redis' && (await readyBackend(pair.b)) === 'redis',
      10_000,
    );
  }, 30_000);
  afterAll(async () => {
    await pair.a?.close();
    await pair.b?.close();
    await pair.cluster?.stop();
    await db?.drop();
  });
  return pair;
}
