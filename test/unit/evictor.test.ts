import { Evictor } from '../../src/cache/evictions';
import { EPOCH_NAMESPACE, NamespaceGenerations } from '../../src/cache/namespaces';
import { createMemoryStore } from '../../src/cache/stores/memory';
import type { CacheStore, StoreEntry } from '../../src/cache/stores/store';

/** A store whose writes never reach the shared store: what a failover store reports during an outage. */
function outageStore(inner: CacheStore): CacheStore {
  return Object.assign(Object.create(inner) as CacheStore, {
    async setManyDurably(entries: readonly StoreEntry[]) {
      await inner.setMany(entries);
      return false;
    },
  });
}

const generations = new NamespaceGenerations('t');

/** The tokens of the epoch and `namespaces` in `store`, creating (as a stored entry would) what is absent. */
async function tokens(store: CacheStore, namespaces: string[]): Promise<string[]> {
  const keys = generations.keysOf(namespaces);
  const read = generations.fromValues(keys, await store.getMany(keys));
  await store.addMany(read.created);
  return read.tokens;
}

describe('Evictor', () => {
  it('keeps evictions the shared store did not acknowledge, and replays them onto it', async () => {
    const shared = createMemoryStore();
    const evictor = new Evictor({ generations });
    const before = await tokens(shared, ['user:1', 'user:2']);
    await evictor.evict(outageStore(createMemoryStore()), ['user:1']);
    expect(evictor.pendingCount).toBe(1);
    expect(await tokens(shared, ['user:1', 'user:2'])).toEqual(before); // not there yet

    await evictor.replay(shared);
    expect(evictor.pendingCount).toBe(0);
    const after = await tokens(shared, ['user:1', 'user:2']);
    expect(after[0]).toBe(before[0]); // the epoch is untouched
    expect(after[1]).not.toBe(before[1]); // user:1 evicted
    expect(after[2]).toBe(before[2]); // user:2 untouched
  });

  it('on overflow, replaces the journal by one epoch eviction that makes every entry unreachable', async () => {
    const shared = createMemoryStore();
    const evictor = new Evictor({ generations, maxPending: 3 });
    const [epochBefore] = await tokens(shared, []);
    for (let i = 0; i < 5; i++) await evictor.evict(outageStore(createMemoryStore()), [`user:${i}`]);
    expect(evictor.pendingCount).toBe(1);
    await evictor.replay(shared);
    const [epochAfter] = await tokens(shared, []);
    expect(epochAfter).not.toBe(epochBefore);
    expect(await shared.get(generations.keyOf(EPOCH_NAMESPACE))).toBe(epochAfter);
    expect(evictor.pendingCount).toBe(0);
  });

  it('keeps the journal when the replay fails', async () => {
    const evictor = new Evictor({ generations, replayTimeoutMs: 50 });
    await evictor.evict(outageStore(createMemoryStore()), ['a', 'b']);
    const broken = Object.assign(Object.create(createMemoryStore()) as CacheStore, {
      setMany: () => new Promise<void>(() => undefined),
    });
    await expect(evictor.replay(broken)).rejects.toThrow();
    expect(evictor.pendingCount).toBe(2);
  });

  it('forgets nothing acknowledged: a durable eviction is not journaled', async () => {
    const evictor = new Evictor({ generations });
    await evictor.evict(createMemoryStore(), ['x']);
    expect(evictor.pendingCount).toBe(0);
  });
});

describe('NamespaceGenerations', () => {
  it('a lost token (expired or evicted) becomes a fresh one, never an old value', async () => {
    const store = createMemoryStore({ maxItems: 2 });
    const [, first] = await tokens(store, ['ns']);
    await store.delete(generations.keyOf('ns'));
    const [, second] = await tokens(store, ['ns']);
    expect(second).not.toBe(first);
    expect((await tokens(store, ['ns']))[1]).toBe(second);
  });

  it('a token read but not stored leaves no trace', async () => {
    const store = createMemoryStore();
    const keys = generations.keysOf(['auth:abc']);
    const read = generations.fromValues(keys, await store.getMany(keys));
    expect(read.created.map((e) => e.key)).toEqual(keys);
    expect(store.size).toBe(0);
  });

  it('hashes a long or unusual namespace into its key, so a client argument cannot make a large key', () => {
    expect(generations.keyOf('users:7:single')).toBe('t:gen:users:7:single');
    const huge = generations.keyOf(`users:${'9'.repeat(900_000)}:single`);
    const odd = generations.keyOf('users:a b\u0000:single');
    expect(huge.length).toBeLessThan(60);
    expect(odd).toMatch(/^t:gen:#[\w-]{43}$/);
    expect(generations.keyOf('users:a b\u0001:single')).not.toBe(odd);
  });
});
