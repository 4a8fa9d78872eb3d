import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import fc from 'fast-check';
import type { CacheStore } from '../../src/cache/store';

/** Makes a fresh store whose keys live under `namespace`. */
export type MakeCacheStore = (namespace: string) => CacheStore | Promise<CacheStore>;

/** A namespace no other test (or earlier run against a shared Redis) uses. */
function uniqueNamespace(): string {
  return `contract-${randomBytes(6).toString('hex')}`;
}

/** Nested JSON that a cached resolver result may contain, including what naive serializers get wrong. */
const awkwardJson = {
  id: 7,
  name: 'Zoë 🦊 \u2028 "quoted" \\ back',
  createdAt: '2026-11-28T05:29:34.123Z',
  colonString: ':base64:aGVsbG8=',
  leadingColon: '::x',
  empty: { object: {}, array: [], string: '' },
  numbers: [0, -1, 1.5, 1e21, Number.MAX_SAFE_INTEGER, -0.000001],
  flags: [true, false, null],
  nested: { list: [{ a: [1, [2, [3, { b: null }]]] }], '10': 'numeric key', 'ключ': 'unicode key' },
};

/**
 * The contract every {@link CacheStore} keeps. Run it against each adapter:
 * `describeCacheStore('memory', (namespace) => createMemoryStore({ namespace }))`.
 */
export function describeCacheStore(name: string, makeStore: MakeCacheStore): void {
  describe(`CacheStore contract: ${name}`, () => {
    const opened: CacheStore[] = [];
    const open = async (namespace = uniqueNamespace()) => {
      const store = await makeStore(namespace);
      opened.push(store);
      return store;
    };
    let store: CacheStore;

    beforeEach(async () => {
      store = await open();
    });
    afterEach(async () => {
      await Promise.all(opened.splice(0).map(async (s) => (await s.clear(), await s.close())));
    });

    it('returns undefined for a key never set', async () => {
      expect(await store.get('absent')).toBeUndefined();
    });

    it('returns what was set', async () => {
      await store.set('k', { a: 1 }, 60);
      expect(await store.get('k')).toEqual({ a: 1 });
    });

    it('keeps a stored null distinct from a miss', async () => {
      await store.set('null', null, 60);
      expect(await store.get('null')).toBeNull();
      expect(await store.get('absent')).toBeUndefined();
    });

    it('getMany answers hits, misses and nulls in key order', async () => {
      await store.set('hit', 'value', 60);
      await store.set('null', null, 60);
      expect(await store.getMany(['hit', 'miss', 'null', 'hit'])).toEqual(['value', undefined, null, 'value']);
      expect(await store.getMany([])).toEqual([]);
    });

    it('setMany stores every entry with its own TTL', async () => {
      if (!store.setMany) return;
      await store.setMany([
        { key: 'a', value: 1, ttlSeconds: 60 },
        { key: 'b', value: null, ttlSeconds: 60 },
      ]);
      expect(await store.getMany(['a', 'b', 'c'])).toEqual([1, null, undefined]);
    });

    it('expires entries after their TTL (seconds), for get and getMany', async () => {
      await store.set('short', 'soon gone', 1);
      await store.set('long', 'stays', 60);
      expect(await store.get('short')).toBe('soon gone');
      await sleep(1100);
      expect(await store.get('short')).toBeUndefined();
      expect(await store.getMany(['short', 'long'])).toEqual([undefined, 'stays']);
    });

    it('rejects a TTL that is not a positive number of seconds', async () => {
      await expect(store.set('k', 1, 0)).rejects.toThrow('`ttlSeconds` must be a finite number of seconds greater than 0, got: 0');
      await expect(store.set('k', 1, Number.NaN)).rejects.toThrow('got: NaN');
    });

    it('delete removes one key only', async () => {
      await store.set('gone', 1, 60);
      await store.set('kept', 2, 60);
      await store.delete('gone');
      await store.delete('never-set');
      expect(await store.getMany(['gone', 'kept'])).toEqual([undefined, 2]);
    });

    it('clear removes every key of the store', async () => {
      await store.set('a', 1, 60);
      await store.set('b', 2, 60);
      await store.clear();
      expect(await store.getMany(['a', 'b'])).toEqual([undefined, undefined]);
    });

    it('round-trips nested JSON byte for byte', async () => {
      await store.set('awkward', awkwardJson, 60);
      expect(JSON.stringify(await store.get('awkward'))).toBe(JSON.stringify(awkwardJson));
      const [viaMany] = await store.getMany(['awkward']);
      expect(JSON.stringify(viaMany)).toBe(JSON.stringify(awkwardJson));
    });

    it('round-trips any JSON value (property)', async () => {
      await fc.assert(
        fc.asyncProperty(fc.jsonValue(), async (value) => {
          await store.set('any', value, 60);
          expect(JSON.stringify(await store.get('any'))).toBe(JSON.stringify(value));
        }),
        { numRuns: 40 },
      );
    });

    it('isolates two stores with different namespaces', async () => {
      const other = await open();
      await store.set('shared-key', 'mine', 60);
      await other.set('shared-key', 'theirs', 60);
      await other.set('only-theirs', 1, 60);
      expect(await store.get('shared-key')).toBe('mine');
      expect(await store.get('only-theirs')).toBeUndefined();
      await other.clear();
      expect(await store.get('shared-key')).toBe('mine');
      expect(await other.get('shared-key')).toBeUndefined();
    });

    it('does not share stored values by reference with the caller', async () => {
      const value = { list: [1, 2], inner: { n: 1 } };
      await store.set('v', value, 60);
      value.list.push(3);
      value.inner.n = 2;
      const read = await store.get<typeof value>('v');
      expect(read).toEqual({ list: [1, 2], inner: { n: 1 } });
      read!.list.push(4);
      const [again] = await store.getMany<typeof value>(['v']);
      again!.inner.n = 3;
      expect(await store.get('v')).toEqual({ list: [1, 2], inner: { n: 1 } });
    });

    it('close is idempotent', async () => {
      const extra = await makeStore(uniqueNamespace());
      await extra.close();
      await extra.close();
    });
  });
}
