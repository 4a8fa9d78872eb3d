import {
  type CachedCall,
  type CacheEvent,
  type CacheStore,
  createMemoryStore,
  createResolverCache,
  type MemoryStore,
  type ResolverCache,
} from '../../src/cache';

/** A promise held open until the test settles it. */
function deferred<T>() {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

/** Lets every pending microtask and I/O callback run. */
const macrotask = () => new Promise<void>((resolve) => setImmediate(resolve));

/** Waits (by macrotasks, never by time) until `condition` holds. */
async function until(condition: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 10_000; i++) {
    if (condition()) return;
    await macrotask();
  }
  throw new Error(`never happened: ${what}`);
}

/**
 * `inner`, with every key read (by `get` or `getMany`) and every key written (by `set`) recorded. The
 * cache batches its reads into `getMany` calls, so a read of one entry shows up there.
 */
function spied(inner: MemoryStore) {
  const reads: string[] = [];
  const writes: string[] = [];
  const store = Object.assign(Object.create(inner) as MemoryStore, {
    get: async <T>(key: string) => {
      reads.push(key);
      return inner.get<T>(key);
    },
    getMany: async <T>(keys: readonly string[]) => {
      reads.push(...keys);
      return inner.getMany<T>(keys);
    },
    set: async (key: string, value: unknown, ttlSeconds: number) => {
      writes.push(key);
      return inner.set(key, value, ttlSeconds);
    },
  } satisfies Pick<CacheStore, 'get' | 'getMany' | 'set'>);
  return { store, reads, writes };
}

const isGeneration = (key: string) => key.includes(':gen:');
const entryKeys = (keys: readonly string[]) => keys.filter((key) => !isGeneration(key));

/** A cache on `store` with a clock the test moves, and every event it emits. */
function setUp(options: { store?: CacheStore; local?: MemoryStore; maxEntryBytes?: number } = {}) {
  const clock = { ms: 1_700_000_000_000 };
  const events: CacheEvent[] = [];
  const store = options.store ?? createMemoryStore();
  const cache = createResolverCache({
    store,
    local: options.local,
    maxEntryBytes: options.maxEntryBytes,
    getSubject: () => null,
    now: () => clock.ms,
    onEvent: (event) => events.push(event),
  });
  return { cache, store, clock, events };
}

const call = (overrides: Partial<CachedCall<unknown>> = {}): CachedCall<unknown> => ({
  coordinate: 'Query.items',
  scope: 'PUBLIC',
  args: { page: 1 },
  namespaces: ['items'],
  maxAge: 60,
  ...overrides,
});

/** Makes sure the namespaces of `call()` (and the epoch) have generation tokens, as after any stored entry. */
async function warmGenerations(cache: ResolverCache, namespaces: readonly string[] = ['items']): Promise<void> {
  const result = await cache.cached(call({ args: { warmUp: true }, namespaces }), () => 'warm-up');
  expect(result.status).toBe('MISS');
}

describe('ResolverCache', () => {
  describe('single flight', () => {
    it('50 callers that miss at the same time share ONE computation; the 51st hits', async () => {
      const spy = spied(createMemoryStore());
      const { cache: watched } = setUp({ store: spy.store });
      await warmGenerations(watched);
      const gate = deferred<{ items: string[] }>();
      let computations = 0;
      const compute = () => {
        computations++;
        return gate.promise;
      };
      const lookupsBefore = entryKeys(spy.reads).length;
      let settled = 0;
      const results = Array.from({ length: 50 }, () =>
        watched.cached(call(), compute).finally(() => {
          settled++;
        }),
      );

      // Every caller has looked its entry up (and missed); one macrotask later each has joined the flight.
      await until(() => entryKeys(spy.reads).length - lookupsBefore === 50, '50 entry lookups');
      await macrotask();
      expect(computations).toBe(1);
      expect(settled).toBe(0); // all 50 are still waiting on the one computation: they really overlap

      gate.resolve({ items: ['a', 'b'] });
      const answered = await Promise.all(results);
      expect(computations).toBe(1);
      expect(answered).toHaveLength(50);
      for (const result of answered)
        expect(result).toMatchObject({ value: { items: ['a', 'b'] }, status: 'MISS', age: 0 });

      const after = await watched.cached(call(), compute);
      expect(after).toMatchObject({ value: { items: ['a', 'b'] }, status: 'HIT', age: 0 });
      expect(computations).toBe(1);
    });

    it('single flight also holds on a cold namespace (no generation token yet)', async () => {
      const { cache } = setUp();
      const gate = deferred<string>();
      let computations = 0;
      const results = Array.from({ length: 50 }, () =>
        cache.cached(call(), () => {
          computations++;
          return gate.promise;
        }),
      );
      await until(() => computations > 0, 'a computation');
      for (let i = 0; i < 10; i++) await macrotask();
      gate.resolve('v');
      await Promise.all(results);
      expect(computations).toBe(1);
    });

    it('a failed computation fails every caller that joined it, and is not remembered', async () => {
      const { cache } = setUp();
      await warmGenerations(cache);
      const gate = deferred<string>();
      let computations = 0;
      const compute = () => {
        computations++;
        return gate.promise;
      };
      const results = Array.from({ length: 5 }, () => cache.cached(call(), compute));
      await until(() => computations === 1, 'the computation');
      for (let i = 0; i < 5; i++) await macrotask();
      gate.reject(new Error('database down'));
      for (const result of await Promise.allSettled(results)) {
        expect(result).toMatchObject({ status: 'rejected', reason: new Error('database down') });
      }
      expect(computations).toBe(1);
      expect(await cache.cached(call(), () => 'recovered')).toMatchObject({
        value: 'recovered',
        status: 'MISS',
        age: 0,
      });
    });
  });

  describe('bypass', () => {
    it('computes fresh, stores what it computed, and reports BYPASS', async () => {
      const { cache } = setUp();
      await cache.cached(call(), () => 'old');
      expect(await cache.cached(call(), () => 'unused')).toMatchObject({ value: 'old', status: 'HIT' });

      let computed = 0;
      const fresh = await cache.cached(call({ bypass: true }), () => {
        computed++;
        return 'fresh';
      });
      expect(fresh).toMatchObject({ value: 'fresh', status: 'BYPASS', age: 0 });
      expect(computed).toBe(1);
      expect(await cache.cached(call(), () => 'unused')).toMatchObject({ value: 'fresh', status: 'HIT', age: 0 });
    });

    it('is not answered by an in-flight computation that started before it', async () => {
      const { cache } = setUp();
      await warmGenerations(cache);
      const earlier = deferred<string>();
      let earlierStarted = false;
      const inFlight = cache.cached(call(), () => {
        earlierStarted = true;
        return earlier.promise;
      });
      await until(() => earlierStarted, 'the earlier computation');

      let bypassComputed = 0;
      const bypass = await cache.cached(call({ bypass: true }), () => {
        bypassComputed++;
        return 'fresh';
      });
      // Answered while the earlier computation is still held open: it did not wait for it, nor join it.
      expect(bypass).toMatchObject({ value: 'fresh', status: 'BYPASS', age: 0 });
      expect(bypassComputed).toBe(1);
      expect(await cache.cached(call(), () => 'unused')).toMatchObject({ value: 'fresh', status: 'HIT', age: 0 });

      earlier.resolve('earlier');
      expect(await inFlight).toMatchObject({ value: 'earlier', status: 'MISS', age: 0 });
    });

    it('an earlier computation that ends after a bypass does not overwrite the fresh entry', async () => {
      const { cache } = setUp();
      await warmGenerations(cache);
      const earlier = deferred<string>();
      let earlierStarted = false;
      const inFlight = cache.cached(call(), () => {
        earlierStarted = true;
        return earlier.promise;
      });
      await until(() => earlierStarted, 'the earlier computation');
      await cache.cached(call({ bypass: true }), () => 'fresh');
      earlier.resolve('stale');
      await inFlight;
      expect(await cache.cached(call(), () => 'unused')).toMatchObject({ value: 'fresh', status: 'HIT' });
    });
  });

  it('a failed generation read is a miss: the computed value, no throw, a store-error event', async () => {
    const inner = createMemoryStore();
    const failing = Object.assign(Object.create(inner) as MemoryStore, {
      getMany: async (): Promise<never> => {
        throw new Error('store unreachable');
      },
    });
    const { cache, events } = setUp({ store: failing });
    let computed = 0;
    const compute = () => {
      computed++;
      return { n: computed };
    };
    await expect(cache.cached(call(), compute)).resolves.toMatchObject({ value: { n: 1 }, status: 'MISS', age: 0 });
    expect(events).toContainEqual({ type: 'store-error', operation: 'getMany', error: new Error('store unreachable') });
    expect(events).toContainEqual(
      expect.objectContaining({ type: 'lookup', coordinate: 'Query.items', status: 'MISS' }),
    );
    // Generations cannot be read, so nothing can be found either: every call computes, none fails.
    await expect(cache.cached(call(), compute)).resolves.toMatchObject({ value: { n: 2 }, status: 'MISS', age: 0 });
  });

  it('a lookup that stores nothing (shouldStore false) leaves no entry and no generation token', async () => {
    const { cache, store } = setUp();
    const memory = store as MemoryStore;
    const result = await cache.cached(
      call({ namespaces: ['auth:abc'], shouldStore: (plain) => plain !== null }),
      () => null,
    );
    expect(result).toMatchObject({ value: null, status: 'MISS', age: 0 });
    expect(memory.size).toBe(0);

    // The same call storing its value writes the entry and the tokens of the epoch and its namespace.
    await cache.cached(call({ namespaces: ['auth:abc'], shouldStore: (plain) => plain !== null }), () => 'found');
    expect(memory.size).toBe(3);
  });

  it('evict([ns]): the next call under ns misses; entries of other namespaces still hit', async () => {
    const { cache, events } = setUp();
    const items = call();
    const others = call({ coordinate: 'Query.others', namespaces: ['others'] });
    const both = call({ coordinate: 'Query.both', namespaces: ['others', 'items'] });
    await cache.cached(items, () => 'items v1');
    await cache.cached(others, () => 'others v1');
    await cache.cached(both, () => 'both v1');
    expect((await cache.cached(items, () => 'unused')).status).toBe('HIT');

    await cache.evict(['items']);
    expect(events.filter((e) => e.type === 'evict')).toEqual([{ type: 'evict', namespace: 'items' }]);
    expect(await cache.cached(items, () => 'items v2')).toMatchObject({ value: 'items v2', status: 'MISS', age: 0 });
    expect(await cache.cached(both, () => 'both v2')).toMatchObject({ value: 'both v2', status: 'MISS', age: 0 });
    expect(await cache.cached(others, () => 'unused')).toMatchObject({ value: 'others v1', status: 'HIT', age: 0 });
    expect(await cache.cached(items, () => 'unused')).toMatchObject({ value: 'items v2', status: 'HIT', age: 0 });
  });

  describe('age and expiry (injected clock)', () => {
    it('a HIT reports its age in whole seconds', async () => {
      const { cache, clock } = setUp();
      await cache.cached(call({ maxAge: 60 }), () => 'v');
      clock.ms += 999;
      expect(await cache.cached(call({ maxAge: 60 }), () => 'unused')).toMatchObject({
        value: 'v',
        status: 'HIT',
        age: 0,
      });
      clock.ms += 1501; // 2.5 s after it was stored
      expect(await cache.cached(call({ maxAge: 60 }), () => 'unused')).toMatchObject({
        value: 'v',
        status: 'HIT',
        age: 2,
      });
      clock.ms += 56_499; // 58.999 s
      expect(await cache.cached(call({ maxAge: 60 }), () => 'unused')).toMatchObject({
        value: 'v',
        status: 'HIT',
        age: 58,
      });
    });

    it('an entry older than its maxAge is a miss, even while the store still holds it', async () => {
      const spy = spied(createMemoryStore());
      const { cache, clock } = setUp({ store: spy.store });
      await cache.cached(call({ maxAge: 10 }), () => 'v1');
      const [key] = entryKeys(spy.writes);
      expect(key).toBeDefined();

      clock.ms += 9_999;
      expect(await cache.cached(call({ maxAge: 10 }), () => 'unused')).toMatchObject({ value: 'v1', status: 'HIT' });
      clock.ms += 1; // exactly 10 s: expired
      expect(spy.store.peek(key!)).toMatchObject({ v: 'v1' }); // the store's own TTL runs on real time
      expect(await cache.cached(call({ maxAge: 10 }), () => 'v2')).toMatchObject({
        value: 'v2',
        status: 'MISS',
        age: 0,
      });
      expect(await cache.cached(call({ maxAge: 10 }), () => 'unused')).toMatchObject({
        value: 'v2',
        status: 'HIT',
        age: 0,
      });
    });
  });

  describe('stale-while-revalidate (injected clock)', () => {
    const swr = (overrides: Partial<CachedCall<unknown>> = {}) =>
      call({ maxAge: 10, staleWhileRevalidate: 30, ...overrides });

    it('past maxAge, within the window: the stale value at once (STALE), one background refresh, then the fresh value', async () => {
      const { cache, clock, events } = setUp();
      await cache.cached(swr(), () => 'v1');
      clock.ms += 10_000; // exactly maxAge: stale
      const refresh = deferred<string>();
      let computations = 0;
      const compute = () => {
        computations++;
        return refresh.promise;
      };
      // Three readers at once: none waits for the computation, and it runs once.
      const stale = await Promise.all([1, 2, 3].map(() => cache.cached(swr(), compute)));
      expect(stale.map((r) => [r.value, r.status, r.age])).toEqual([
        ['v1', 'STALE', 10],
        ['v1', 'STALE', 10],
        ['v1', 'STALE', 10],
      ]);
      await until(() => computations > 0, 'the refresh started');
      expect(computations).toBe(1);
      refresh.resolve('v2');
      let fresh: unknown;
      await until(() => {
        void cache
          .cached(swr(), () => 'unused')
          .then((r) => {
            fresh = r;
          });
        return (fresh as { status?: string } | undefined)?.status === 'HIT';
      }, 'the fresh value is served');
      expect(fresh).toMatchObject({ value: 'v2', status: 'HIT', age: 0 });
      expect(computations).toBe(1);
      expect(events.filter((e) => e.type === 'lookup' && e.status === 'STALE')).toHaveLength(3);
    });

    it('past maxAge + staleWhileRevalidate: a MISS, computed in line', async () => {
      const { cache, clock } = setUp();
      await cache.cached(swr(), () => 'v1');
      clock.ms += 39_999;
      expect(await cache.cached(swr(), () => 'unused')).toMatchObject({ value: 'v1', status: 'STALE' });
      const { cache: other, clock: otherClock } = setUp();
      await other.cached(swr(), () => 'v1');
      otherClock.ms += 40_000;
      expect(await other.cached(swr(), () => 'v2')).toMatchObject({ value: 'v2', status: 'MISS' });
    });

    it('never after eviction: an evicted entry is a MISS, stale window or not', async () => {
      const { cache, clock } = setUp();
      await cache.cached(swr(), () => 'v1');
      clock.ms += 15_000;
      await cache.evict(['items']);
      expect(await cache.cached(swr(), () => 'v2')).toMatchObject({ value: 'v2', status: 'MISS' });
      // And a fresh one evicted is a miss too (the window only extends expiry).
      await cache.evict(['items']);
      expect(await cache.cached(swr(), () => 'v3')).toMatchObject({ value: 'v3', status: 'MISS' });
    });

    it('without a window (the default), an expired entry is a MISS', async () => {
      const { cache, clock } = setUp();
      await cache.cached(call({ maxAge: 10 }), () => 'v1');
      clock.ms += 10_000;
      expect(await cache.cached(call({ maxAge: 10 }), () => 'v2')).toMatchObject({ value: 'v2', status: 'MISS' });
    });

    it('revalidate: a fresh entry is answered, a stale one computed and waited for', async () => {
      const { cache, clock } = setUp();
      await cache.cached(swr(), () => 'v1');
      expect(await cache.cached(swr({ revalidate: true }), () => 'unused')).toMatchObject({ status: 'HIT' });
      clock.ms += 12_000;
      expect(await cache.cached(swr({ revalidate: true }), () => 'v2')).toMatchObject({ value: 'v2', status: 'MISS' });
      expect(await cache.cached(swr(), () => 'unused')).toMatchObject({ value: 'v2', status: 'HIT' });
    });

    it('a failed background refresh keeps answering the stale value, logs a warning, and retries on a later read', async () => {
      const warnings: string[] = [];
      const clock = { ms: 1_700_000_000_000 };
      const cache = createResolverCache({
        store: createMemoryStore(),
        getSubject: () => null,
        now: () => clock.ms,
        logger: { info: () => undefined, warn: (_o, msg) => warnings.push(msg) },
      });
      await cache.cached(swr(), () => 'v1');
      clock.ms += 11_000;
      expect(
        await cache.cached(swr(), () => {
          throw new Error('database down');
        }),
      ).toMatchObject({ value: 'v1', status: 'STALE' });
      await until(() => warnings.length > 0, 'the warning');
      expect(warnings[0]).toMatch(/background refresh of a stale entry failed/);
      expect(await cache.cached(swr(), () => 'v2')).toMatchObject({ value: 'v1', status: 'STALE' });
      let fresh: { status?: string; value?: unknown } | undefined;
      await until(() => {
        void cache
          .cached(swr(), () => 'unused')
          .then((r) => {
            fresh = r;
          });
        return fresh?.status === 'HIT';
      }, 'the retried refresh stored v2');
      expect(fresh?.value).toBe('v2');
    });
  });

  describe('the local tier', () => {
    it('B reads what A stored from the shared store, keeps it locally, and misses at once after A evicts', async () => {
      const shared = createMemoryStore();
      const spyB = spied(shared);
      const localA = createMemoryStore();
      const localB = createMemoryStore();
      const a = setUp({ store: shared, local: localA });
      const b = setUp({ store: spyB.store, local: localB });
      b.clock.ms = a.clock.ms;

      expect(await a.cache.cached(call(), () => 'from A')).toMatchObject({ status: 'MISS' });
      expect(localA.size).toBe(1); // the entry only: generations never go to the local tier
      expect(shared.size).toBe(3); // the entry, the epoch's token and items' token

      let computedByB = 0;
      const computeB = () => {
        computedByB++;
        return 'from B';
      };
      expect(await b.cache.cached(call(), computeB)).toMatchObject({ value: 'from A', status: 'HIT', age: 0 });
      const [entryKey] = entryKeys(spyB.reads);
      expect(entryKey).toBeDefined(); // read from the shared store, once
      expect(localB.size).toBe(1);
      expect(localB.peek(entryKey!)).toMatchObject({ v: 'from A' });

      spyB.reads.length = 0;
      expect(await b.cache.cached(call(), computeB)).toMatchObject({ value: 'from A', status: 'HIT', age: 0 });
      expect(entryKeys(spyB.reads)).toEqual([]); // answered by B's local tier
      expect(spyB.reads.filter(isGeneration)).toHaveLength(2); // generations: always from the shared store

      await a.cache.evict(['items']);
      expect(await b.cache.cached(call(), computeB)).toMatchObject({ value: 'from B', status: 'MISS', age: 0 });
      expect(computedByB).toBe(1);
      expect(await a.cache.cached(call(), () => 'unused')).toMatchObject({ value: 'from B', status: 'HIT', age: 0 });
    });
  });

  it('a value larger than maxEntryBytes is not stored, and emits an oversized event', async () => {
    const { cache, store, events } = setUp({ maxEntryBytes: 100 });
    const big = 'x'.repeat(200);
    expect(await cache.cached(call(), () => big)).toMatchObject({ value: big, status: 'MISS', age: 0 });
    expect(events).toContainEqual({ type: 'oversized', bytes: 202 });
    expect((store as MemoryStore).size).toBe(0); // neither the entry nor its generation tokens
    expect(await cache.cached(call(), () => big)).toMatchObject({ status: 'MISS' });

    const small = 'x'.repeat(98); // 100 bytes as JSON: the bound itself is allowed
    await cache.cached(call({ args: { small: true } }), () => small);
    expect(await cache.cached(call({ args: { small: true } }), () => 'unused')).toMatchObject({ status: 'HIT' });
    expect(events.filter((e) => e.type === 'oversized')).toHaveLength(2);
  });

  it('the memory store counts an entry by the bytes of its JSON text, serialised once (by the cache)', async () => {
    const memory = createMemoryStore();
    const written: { key: string; value: unknown }[] = [];
    const store = Object.assign(Object.create(memory) as MemoryStore, {
      set: async (key: string, value: unknown, ttlSeconds: number) => {
        written.push({ key, value });
        return memory.set(key, value, ttlSeconds);
      },
    });
    const { cache } = setUp({ store });
    await warmGenerations(cache);
    const before = memory.bytes;
    written.length = 0;
    const value = { name: 'Zoë 名 "quoted"', list: [1, 'two', null], when: '2026-12-06T00:00:00.000Z' };
    const stringify = jest.spyOn(JSON, 'stringify');
    try {
      await cache.cached(call({ args: { sized: true }, toPlain: (v) => v }), () => value);
      // The value is serialised once, for the cap; the store reuses that measure instead of serialising the entry.
      const ofEntry = stringify.mock.calls.filter(([v]) => v === value || (v as { v?: unknown })?.v === value);
      expect(ofEntry).toHaveLength(1);
    } finally {
      stringify.mockRestore();
    }
    expect(written).toHaveLength(1);
    const [{ key, value: envelope }] = written as [{ key: string; value: unknown }];
    expect(memory.bytes - before).toBe(Buffer.byteLength(key) + Buffer.byteLength(JSON.stringify(envelope)));
  });
});
