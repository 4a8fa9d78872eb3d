import { createMemoryStore } from '../../src/cache/stores/memory';
import { describeCacheStore } from './cache-store.contract';

describeCacheStore('memory', () => createMemoryStore());

describe('memory store', () => {
  it('keeps at most maxItems entries, dropping the least recently used', async () => {
    const store = createMemoryStore({ maxItems: 3 });
    for (const n of [1, 2, 3, 4, 5]) await store.set(`k${n}`, n, 60);
    expect(await store.getMany(['k1', 'k2', 'k3', 'k4', 'k5'])).toEqual([undefined, undefined, 3, 4, 5]);
    await store.close();
  });

  it('counts a read as a use', async () => {
    const store = createMemoryStore({ maxItems: 2 });
    await store.set('old', 1, 60);
    await store.set('new', 2, 60);
    await store.get('old');
    await store.set('newest', 3, 60);
    expect(await store.getMany(['old', 'new', 'newest'])).toEqual([1, undefined, 3]);
    await store.close();
  });

  it('keeps at most maxBytes (keys and values as JSON text), dropping the least recently used', async () => {
    const store = createMemoryStore({ maxItems: 1000, maxBytes: 1000, maxEntryBytes: 500 });
    const value = 'x'.repeat(290); // 292 bytes as JSON, plus a 2-byte key
    for (const n of [1, 2, 3, 4]) await store.set(`k${n}`, value, 60);
    expect(store.bytes).toBeLessThanOrEqual(1000);
    expect(store.size).toBe(3);
    expect(await store.get('k1')).toBeUndefined();
    expect(await store.get('k4')).toBe(value);
  });

  it('does not store an entry larger than maxEntryBytes, and reports it', async () => {
    const oversized: number[] = [];
    const store = createMemoryStore({ maxEntryBytes: 100, onOversized: (bytes) => oversized.push(bytes) });
    await store.set('small', 'fits', 60);
    await store.set('big', 'y'.repeat(200), 60);
    expect(await store.getMany(['small', 'big'])).toEqual(['fits', undefined]);
    expect(oversized).toEqual([3 + 202]);
    // A newer value that does not fit must not leave the older one readable.
    await store.set('small', 'z'.repeat(200), 60);
    expect(await store.get('small')).toBeUndefined();
  });

  it('hands out the stored value itself, frozen: no copy per read, and nobody can change it', async () => {
    const store = createMemoryStore();
    await store.set('v', { list: [1, { n: 2 }] }, 60);
    const a = store.peek<{ list: [number, { n: number }] }>('v')!;
    expect(await store.get('v')).toBe(a);
    expect(Object.isFrozen(a) && Object.isFrozen(a.list) && Object.isFrozen(a.list[1])).toBe(true);
    expect(() => {
      a.list[1].n = 3;
    }).toThrow(TypeError);
  });

  it.each([
    [{ maxItems: 0 }, '`maxItems` must be a whole number of entries of at least 1, got: 0'],
    [{ maxItems: 1.5 }, '`maxItems` must be a whole number of entries of at least 1, got: 1.5'],
    [{ maxBytes: -1 }, '`maxBytes` must be a whole number of bytes of at least 1, got: -1'],
    [{ maxBytes: 100, maxEntryBytes: 200 }, '`maxEntryBytes` must be at most `maxBytes` (100), got: 200'],
  ])('rejects %j with a message that says how to fix it', (options, message) => {
    expect(() => createMemoryStore(options)).toThrow(message);
  });
});
