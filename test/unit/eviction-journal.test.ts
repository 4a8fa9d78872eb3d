import { createMemoryStore, EPOCH_NAMESPACE, EvictionJournal, NamespaceGenerations, type CacheStore } from '../../src/cache';

/** A store whose writes never reach the shared store: what a FailoverStore reports during an outage. */
function outageStore(inner: CacheStore): CacheStore & { setManyDurably(e: { key: string; value: unknown; ttlSeconds: number }[]): Promise<boolean> } {
  return Object.assign(Object.create(inner) as CacheStore, {
    async setManyDurably(entries: { key: string; value: unknown; ttlSeconds: number }[]) {
      await inner.setMany!(entries);
      return false;
    },
  });
}

describe('EvictionJournal', () => {
  it('keeps evictions the shared store did not acknowledge, and replays them onto it', async () => {
    const local = createMemoryStore();
    const shared = createMemoryStore();
    const generations = new NamespaceGenerations({ store: outageStore(local), prefix: 't' });
    const journal = new EvictionJournal({ generations, replayTimeoutMs: 1000 });

    const sharedGens = new NamespaceGenerations({ store: shared, prefix: 't' });
    const before = await sharedGens.read(['user:1', 'user:2']);
    await journal.evict(['user:1']);
    expect(journal.size).toBe(1);
    expect(await sharedGens.read(['user:1', 'user:2'])).toEqual(before); // not there yet

    await journal.replay(shared);
    expect(journal.size).toBe(0);
    const after = await sharedGens.read(['user:1', 'user:2']);
    expect(after[0]).toBe(before[0]); // the epoch is untouched
    expect(after[1]).not.toBe(before[1]); // user:1 evicted
    expect(after[2]).toBe(before[2]); // user:2 untouched
  });

  it('on overflow, replaces the journal by one epoch bump that makes every entry unreachable', async () => {
    const shared = createMemoryStore();
    const generations = new NamespaceGenerations({ store: outageStore(createMemoryStore()), prefix: 't' });
    const journal = new EvictionJournal({ generations, replayTimeoutMs: 1000, maxPending: 3 });
    const sharedGens = new NamespaceGenerations({ store: shared, prefix: 't' });
    const [epochBefore] = await sharedGens.read([]);
    for (let i = 0; i < 5; i++) await journal.evict([`user:${i}`]);
    expect(journal.size).toBe(1);
    await journal.replay(shared);
    const [epochAfter] = await sharedGens.read([]);
    expect(epochAfter).not.toBe(epochBefore);
    expect(await shared.get(generations.keyOf(EPOCH_NAMESPACE))).toBe(epochAfter);
    expect(journal.size).toBe(0);
  });

  it('keeps the journal when the replay fails', async () => {
    const generations = new NamespaceGenerations({ store: outageStore(createMemoryStore()), prefix: 't' });
    const journal = new EvictionJournal({ generations, replayTimeoutMs: 50 });
    await journal.evict(['a', 'b']);
    const broken = Object.assign(Object.create(createMemoryStore()) as CacheStore, { setMany: () => new Promise<void>(() => undefined) });
    await expect(journal.replay(broken)).rejects.toThrow();
    expect(journal.size).toBe(2);
  });

  it('forgets nothing acknowledged: a durable eviction is not journaled', async () => {
    const generations = new NamespaceGenerations({ store: createMemoryStore(), prefix: 't' });
    const journal = new EvictionJournal({ generations, replayTimeoutMs: 1000 });
    await journal.evict(['x']);
    expect(journal.size).toBe(0);
  });
});

describe('NamespaceGenerations', () => {
  it('a lost token (expired or evicted) becomes a fresh one, never an old value', async () => {
    const store = createMemoryStore({ maxItems: 2 });
    const generations = new NamespaceGenerations({ store, prefix: 't' });
    const [, first] = await generations.read(['ns']);
    await store.delete(generations.keyOf('ns'));
    const [, second] = await generations.read(['ns']);
    expect(second).not.toBe(first);
    expect((await generations.read(['ns']))[1]).toBe(second);
  });
});
