import { createFailoverStore, type PingableCacheStore } from '../../src/cache/stores/failover';
import { createMemoryStore } from '../../src/cache/stores/memory';

// What a Redis Cluster failover looks like to the failover store: the health check fails (a master is
// down, the cluster is not `ok`), yet most keys are still writable. Shown with a primary whose ping the
// test turns off while its data answers.

const quiet = { info: () => undefined, warn: () => undefined };

function partialPrimary() {
  const data = createMemoryStore();
  let pingFails = false;
  const primary: PingableCacheStore = {
    name: 'partial',
    get: (key) => data.get(key),
    getMany: (keys) => data.getMany(keys),
    set: (key, value, ttl) => data.set(key, value, ttl),
    setMany: (entries) => data.setMany(entries),
    addMany: (entries) => data.addMany(entries),
    delete: (key) => data.delete(key),
    close: () => data.close(),
    ping: async () => {
      if (pingFails) throw new Error('cluster_state:fail');
    },
  };
  const failPings = (fails: boolean) => {
    pingFails = fails;
  };
  return { data, primary, failPings };
}

async function until(condition: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 500; i++) {
    if (condition()) return;
    await new Promise((r) => setTimeout(r, 5));
  }
  throw new Error(`never happened: ${what}`);
}

describe('the failover store in a partial outage', () => {
  it('evictions (setManyDurably) still reach a primary judged unhealthy, and count as durable when it took them', async () => {
    const { data, primary, failPings } = partialPrimary();
    const store = createFailoverStore({
      primary,
      fallback: createMemoryStore(),
      logger: quiet,
      healthCheckIntervalMs: 10,
      minBackoffMs: 10_000, // once unhealthy, it stays so for the test
      maxBackoffMs: 10_000,
    });
    try {
      await until(() => store.backend === 'redis', 'on the primary');
      failPings(true);
      await until(() => store.backend === 'memory', 'judged unhealthy');
      // An ordinary write goes to the fallback only; an eviction tries the primary too.
      await store.setMany([{ key: 'entry', value: 1, ttlSeconds: 60 }]);
      expect(await data.get('entry')).toBeUndefined();
      const durable = await store.setManyDurably([{ key: 'gen:user:{id}', value: 'token-2', ttlSeconds: 60 }]);
      expect(durable).toBe(true);
      expect(await data.get('gen:user:{id}')).toBe('token-2');
    } finally {
      await store.close();
    }
  });

  it('fallbackMaxTtlSeconds 0: while the primary is away the fallback keeps nothing (every read a miss)', async () => {
    const { primary, failPings } = partialPrimary();
    failPings(true);
    const fallback = createMemoryStore();
    const store = createFailoverStore({ primary, fallback, logger: quiet, fallbackMaxTtlSeconds: 0 });
    try {
      expect(store.backend).toBe('memory');
      await store.set('a', 1, 60);
      await store.setMany([{ key: 'b', value: 2, ttlSeconds: 60 }]);
      await store.addMany([{ key: 'c', value: 3, ttlSeconds: 60 }]);
      expect(await store.getMany(['a', 'b', 'c'])).toEqual([undefined, undefined, undefined]);
      expect(fallback.size).toBe(0);
    } finally {
      await store.close();
    }
    // The default keeps them (10 s at most): the option is what changed it.
    const other = partialPrimary();
    other.failPings(true);
    const keeping = createFailoverStore({ primary: other.primary, fallback: createMemoryStore(), logger: quiet });
    try {
      await keeping.set('a', 1, 60);
      expect(await keeping.get('a')).toBe(1);
    } finally {
      await keeping.close();
    }
  });
});
