import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import fc from 'fast-check';
import type { CacheStore } from '../../src/cache/stores/store';

/** Makes a store to run the contract on. */
export type MakeCacheStore = () => CacheStore | Promise<CacheStore>;

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
  nested: { list: [{ a: [1, [2, [3, { b: null }]]] }], '10': 'numeric key', ключ: 'unicode key' },
};

/**
 * The contract every {@link CacheStore} keeps. Run it against each adapter:
 * `describeCacheStore('memory', () => createMemoryStore())`.
 */
export function describeCacheStore(name: string, makeStore: MakeCacheStore): void {
  describe(`CacheStore contract: ${name}`, () => {
    const opened: CacheStore[] = [];
    let store: CacheStore;
    /** A key no other test (or earlier run against a shared Redis) uses: stores have no prefix of their own. */
    let prefix = '';
    const k = (name: string) => `${prefix}${name}`;

    beforeEach(async () => {
      prefix = `contract-${randomBytes(6).toString('hex')}:`;
      store = await makeStore();
      opened.push(store);
    });
    afterEach(async () => {
      await Promise.all(opened.splice(0).map((s) => s.close()));
    });

    it('returns undefined for a key never set', async () => {
      expect(await store.get(k('absent'))).toBeUndefined();
    });

    it('returns what was set', async () => {
      await store.set(k('k'), { a: 1 }, 60);
      expect(await store.get(k('k'))).toEqual({ a: 1 });
    });

    it('keeps a stored null distinct from a miss', async () => {
      await store.set(k('null'), null, 60);
      expect(await store.get(k('null'))).toBeNull();
      expect(await store.get(k('absent'))).toBeUndefined();
    });

    it('getMany answers hits, misses and nulls in key order', async () => {
      await store.set(k('hit'), 'value', 60);
      await store.set(k('null'), null, 60);
      expect(await store.getMany([k('hit'), k('miss'), k('null'), k('hit')])).toEqual([
        'value',
        undefined,
        null,
        'value',
      ]);
      expect(await store.getMany([])).toEqual([]);
    });

    it('setMany stores every entry with its own TTL', async () => {
      await store.setMany([
        { key: k('a'), value: 1, ttlSeconds: 60 },
        { key: k('b'), value: null, ttlSeconds: 60 },
      ]);
      expect(await store.getMany([k('a'), k('b'), k('c')])).toEqual([1, null, undefined]);
    });

    it('expires entries after their TTL (seconds), for get and getMany', async () => {
      await store.set(k('short'), 'soon gone', 1);
      await store.set(k('long'), 'stays', 60);
      expect(await store.get(k('short'))).toBe('soon gone');
      await sleep(1100);
      expect(await store.get(k('short'))).toBeUndefined();
      expect(await store.getMany([k('short'), k('long')])).toEqual([undefined, 'stays']);
    });

    it('rejects a TTL that is not a positive number of seconds', async () => {
      await expect(store.set(k('k'), 1, 0)).rejects.toThrow(
        '`ttlSeconds` must be a finite number of seconds greater than 0, got: 0',
      );
      await expect(store.set(k('k'), 1, Number.NaN)).rejects.toThrow('got: NaN');
    });

    it('delete removes one key only', async () => {
      await store.set(k('gone'), 1, 60);
      await store.set(k('kept'), 2, 60);
      await store.delete(k('gone'));
      await store.delete(k('never-set'));
      expect(await store.getMany([k('gone'), k('kept')])).toEqual([undefined, 2]);
    });

    it('addMany writes only where nothing is stored yet (set if absent)', async () => {
      await store.set(k('taken'), 'first', 60);
      await store.addMany([
        { key: k('taken'), value: 'second', ttlSeconds: 60 },
        { key: k('free'), value: 'added', ttlSeconds: 60 },
      ]);
      expect(await store.getMany([k('taken'), k('free')])).toEqual(['first', 'added']);
      await store.addMany([{ key: k('free'), value: 'again', ttlSeconds: 60 }]);
      expect(await store.get(k('free'))).toBe('added');
    });

    it('addMany entries expire after their TTL like any other', async () => {
      await store.addMany([{ key: k('brief'), value: 1, ttlSeconds: 1 }]);
      expect(await store.get(k('brief'))).toBe(1);
      await sleep(1100);
      expect(await store.get(k('brief'))).toBeUndefined();
    });

    it('round-trips nested JSON byte for byte', async () => {
      await store.set(k('awkward'), awkwardJson, 60);
      expect(JSON.stringify(await store.get(k('awkward')))).toBe(JSON.stringify(awkwardJson));
      const [viaMany] = await store.getMany([k('awkward')]);
      expect(JSON.stringify(viaMany)).toBe(JSON.stringify(awkwardJson));
    });

    it('round-trips any JSON value (property)', async () => {
      await fc.assert(
        fc.asyncProperty(fc.jsonValue(), async (value) => {
          await store.set(k('any'), value, 60);
          expect(JSON.stringify(await store.get(k('any')))).toBe(JSON.stringify(value));
        }),
        { numRuns: 40 },
      );
    });

    it('keeps what was stored whatever the caller does with its objects afterwards', async () => {
      const value = { list: [1, 2], inner: { n: 1 } };
      await store.set(k('v'), value, 60);
      // A store may copy the value or freeze it: a mutation then either has no effect or throws.
      const attempt = (mutate: () => void) => {
        try {
          mutate();
        } catch {
          // frozen
        }
      };
      attempt(() => value.list.push(3));
      attempt(() => (value.inner.n = 2));
      const read = await store.get<typeof value>(k('v'));
      attempt(() => read!.list.push(4));
      const [again] = await store.getMany<typeof value>([k('v')]);
      attempt(() => (again!.inner.n = 3));
      expect(await store.get(k('v'))).toEqual({ list: [1, 2], inner: { n: 1 } });
    });

    it('close is idempotent', async () => {
      const extra = await makeStore();
      await extra.close();
      await extra.close();
    });
  });
}
