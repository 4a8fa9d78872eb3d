import { createMemoryStore } from '../../src/cache/store';
import { describeCacheStore } from './cache-store.contract';

describeCacheStore('memory', (namespace) => createMemoryStore({ namespace }));

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

  it.each([
    [{ maxItems: 0 }, '`maxItems` must be a whole number of entries greater than 0, got: 0'],
    [{ maxItems: 1.5 }, '`maxItems` must be a whole number of entries greater than 0, got: 1.5'],
    [{ namespace: 'a::b' }, '`namespace` must be letters, digits, \'_\', \'.\' or \'-\', in segments joined by single \':\', got: "a::b"'],
    [{ namespace: 'users*' }, 'got: "users*"'],
  ])('rejects %j with a message that says how to fix it', (options, message) => {
    expect(() => createMemoryStore(options)).toThrow(message);
  });
});
