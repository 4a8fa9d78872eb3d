import {
  type CachedCall,
  type CachedResult,
  createFailoverStore,
  createMemoryStore,
  createResolverCache,
  type ResolverCache,
} from '../../src/cache';
import { createRedisStore, type RedisStore } from '../../src/cache/redis';
import { startRedisServer, type TestRedisServer } from '../helpers/redis-server';

/**
 * The stampede lock across instances, on a real redis-server: each "instance" is a resolver cache with
 * its own Redis connection, as two processes would have.
 */
let redis: TestRedisServer;
const opened: RedisStore[] = [];

beforeAll(async () => {
  redis = await startRedisServer();
});
afterEach(async () => {
  await Promise.all(opened.splice(0).map((store) => store.close()));
});
afterAll(async () => {
  await redis?.stop();
});

async function instance(
  options: { stampedeLockMs?: number; now?: () => number; local?: boolean } = {},
): Promise<ResolverCache> {
  const store = createRedisStore({ url: redis.url, timeoutMs: 1000 });
  opened.push(store);
  await store.ping();
  const { local, ...rest } = options;
  // `local`: the in-process tier in front of Redis, as production has.
  return createResolverCache({
    store,
    getSubject: () => null,
    local: local ? createMemoryStore() : undefined,
    ...rest,
  });
}

let namespace = 0;
/** A call of its own namespace (so tests do not share entries), with its generations already made. */
async function freshCall(caches: ResolverCache[], overrides: Partial<CachedCall<unknown>> = {}) {
  const ns = `stampede-${++namespace}`;
  const call: CachedCall<unknown> = {
    coordinate: 'Query.hot',
    scope: 'PUBLIC',
    args: {},
    namespaces: [ns],
    maxAge: 60,
  };
  // A first entry makes the generation tokens: the lock is taken only when every instance reads the same key.
  await caches[0]!.cached({ ...call, args: { warmUp: true } }, () => 'warm');
  return { ...call, ...overrides };
}

function deferred<T>() {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function timed(run: Promise<CachedResult>): Promise<CachedResult & { ms: number }> {
  const started = performance.now();
  const result = await run;
  return { ...result, ms: performance.now() - started };
}

describe('stampede lock across instances (real Redis)', () => {
  it('two instances missing one key at once compute it once: the other waits and answers the stored value', async () => {
    const [a, b] = [await instance(), await instance()];
    const call = await freshCall([a, b]);
    const value = deferred<string>();
    let computations = 0;
    const compute = () => {
      computations++;
      return value.promise;
    };
    const first = a.cached(call, compute);
    await sleep(30); // a holds the lock
    const second = timed(b.cached(call, compute));
    await sleep(100);
    value.resolve('computed once');
    const [one, two] = await Promise.all([first, second]);
    expect(computations).toBe(1);
    expect(one).toMatchObject({ value: 'computed once', status: 'MISS' });
    expect(two).toMatchObject({ value: 'computed once', status: 'HIT' });
  });

  it('with the lock off (CACHE_STAMPEDE_LOCK_MS=0), each instance computes', async () => {
    const [a, b] = [await instance({ stampedeLockMs: 0 }), await instance({ stampedeLockMs: 0 })];
    const call = await freshCall([a, b]);
    const value = deferred<string>();
    let computations = 0;
    const compute = () => {
      computations++;
      return value.promise;
    };
    const both = Promise.all([a.cached(call, compute), b.cached(call, compute)]);
    await sleep(50);
    value.resolve('v');
    await both;
    expect(computations).toBe(2);
  });

  it("a waiter never waits longer than the lock's life: a holder stuck past it does not hold the other up", async () => {
    const [a, b] = [await instance({ stampedeLockMs: 300 }), await instance({ stampedeLockMs: 300 })];
    const call = await freshCall([a, b]);
    const stuck = deferred<string>();
    const holder = a.cached(call, () => stuck.promise);
    await sleep(30);
    const waiter = await timed(b.cached(call, () => 'computed by the waiter'));
    expect(waiter).toMatchObject({ value: 'computed by the waiter', status: 'MISS' });
    expect(waiter.ms).toBeGreaterThanOrEqual(200);
    expect(waiter.ms).toBeLessThan(1500);
    stuck.resolve('late');
    await holder;
  });

  it('a holder whose computation fails frees the lock: the waiter takes it and computes at once', async () => {
    const [a, b] = [await instance({ stampedeLockMs: 5000 }), await instance({ stampedeLockMs: 5000 })];
    const call = await freshCall([a, b]);
    const failing = deferred<string>();
    const holder = a.cached(call, () => failing.promise.then(() => Promise.reject(new Error('database down'))));
    await sleep(30);
    const waiting = timed(b.cached(call, () => 'recovered'));
    await sleep(50);
    failing.resolve('');
    await expect(holder).rejects.toThrow('database down');
    const waiter = await waiting;
    expect(waiter).toMatchObject({ value: 'recovered', status: 'MISS' });
    expect(waiter.ms).toBeLessThan(2000); // not the lock's 5 s
  });

  it('a stale entry is refreshed once across instances: both answer STALE at once, one computes', async () => {
    const clock = { ms: Date.now() };
    const now = () => clock.ms;
    const [a, b] = [await instance({ now }), await instance({ now })];
    const call = await freshCall([a, b], { maxAge: 10, staleWhileRevalidate: 30 });
    await a.cached(call, () => 'v1');
    clock.ms += 11_000;
    const refresh = deferred<string>();
    let computations = 0;
    const compute = () => {
      computations++;
      return refresh.promise;
    };
    const [one, two] = await Promise.all([a.cached(call, compute), b.cached(call, compute)]);
    expect([one.status, two.status]).toEqual(['STALE', 'STALE']);
    expect([one.value, two.value]).toEqual(['v1', 'v1']);
    await sleep(100);
    expect(computations).toBe(1);
    refresh.resolve('v2');
    let seen: CachedResult | undefined;
    for (let i = 0; i < 100 && seen?.status !== 'HIT'; i++) {
      await sleep(10);
      seen = await b.cached(call, () => 'unused');
    }
    expect(seen).toMatchObject({ value: 'v2', status: 'HIT' });
    expect(computations).toBe(1);
  });

  it('an expired local copy is checked against Redis: the value another instance recomputed is answered, not recomputed', async () => {
    const clock = { ms: Date.now() };
    const now = () => clock.ms;
    const [a, b] = [await instance({ now, local: true }), await instance({ now, local: true })];
    const call = await freshCall([a, b], { maxAge: 10 });
    await a.cached(call, () => 'v1');
    expect(await b.cached(call, () => 'unused')).toMatchObject({ value: 'v1', status: 'HIT' }); // b keeps a copy
    clock.ms += 11_000;
    expect(await a.cached(call, () => 'v2')).toMatchObject({ value: 'v2', status: 'MISS' });
    let computedByB = 0;
    const read = await b.cached(call, () => {
      computedByB++;
      return 'v3';
    });
    expect(read).toMatchObject({ value: 'v2', status: 'HIT' });
    expect(computedByB).toBe(0);
  });

  it('with Redis away (the failover store on memory), every instance computes for itself and nothing fails', async () => {
    const down = await startRedisServer();
    const stores: { close(): Promise<void> }[] = [];
    const make = () => {
      const store = createFailoverStore({
        primary: createRedisStore({ url: down.url, timeoutMs: 200 }),
        fallback: createMemoryStore(),
        timeoutMs: 200,
        logger: { info: () => undefined, warn: () => undefined },
      });
      stores.push(store);
      return createResolverCache({ store, getSubject: () => null });
    };
    await down.kill();
    const [a, b] = [make(), make()];
    try {
      const call = await freshCall([a, b]);
      let computations = 0;
      const results = await Promise.all(
        [a, b].map((cache) =>
          timed(
            cache.cached(call, async () => {
              computations++;
              await sleep(50);
              return 'v';
            }),
          ),
        ),
      );
      expect(results.map((r) => r.value)).toEqual(['v', 'v']);
      expect(computations).toBe(2);
      for (const r of results) expect(r.ms).toBeLessThan(1000);
    } finally {
      await Promise.all(stores.map((store) => store.close()));
      await down.stop();
    }
  });
});
