import { createFailoverStore, type PingableCacheStore } from '../../src/cache/stores/failover';
import { createMemoryStore } from '../../src/cache/stores/memory';

// The failover store's deadline grows with the size of a call (one REDIS_TIMEOUT_MS per 200 keys), so
// a large but healthy read never looks like an outage, while a small call that misses the deadline
// does. Shown with fake timers: a primary that answers every getMany after a set delay.

describe('the failover deadline scales with the keys of a call', () => {
  const TIMEOUT_MS = 50;
  let delayMs = 0;

  async function setUp() {
    const data = createMemoryStore();
    const primary: PingableCacheStore = {
      name: 'slow-primary',
      get: (key) => data.get(key),
      getMany: (keys) => new Promise((resolve) => setTimeout(() => resolve(data.getMany(keys) as never), delayMs)),
      set: (key, value, ttl) => data.set(key, value, ttl),
      setMany: (entries) => data.setMany(entries),
      addMany: (entries) => data.addMany(entries),
      delete: (key) => data.delete(key),
      close: () => data.close(),
      ping: async () => undefined,
    };
    const logger = { warn: jest.fn(), info: jest.fn(), debug: jest.fn() };
    const store = createFailoverStore({ primary, fallback: createMemoryStore(), timeoutMs: TIMEOUT_MS, logger });
    await jest.advanceTimersByTimeAsync(10); // the first probe: the primary answers, the store uses it
    expect(store.backend).toBe('redis');
    const keys = Array.from({ length: 1000 }, (_, i) => `k${i}`);
    await data.setMany(keys.map((key) => ({ key, value: key, ttlSeconds: 60 })));
    return { store, keys, logger };
  }

  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  it('1,000 keys get 5 deadlines (250 ms): an answer after 150 ms is served, and the primary stays in use', async () => {
    const { store, keys, logger } = await setUp();
    delayMs = 150;
    const read = store.getMany(keys);
    await jest.advanceTimersByTimeAsync(200);
    expect(await read).toEqual(keys);
    expect(store.backend).toBe('redis');
    expect(logger.warn).not.toHaveBeenCalled();
    await store.close();
  });

  it('100 keys get one deadline (50 ms): the same 150 ms answer is a miss, and the primary is judged unhealthy', async () => {
    const { store, keys, logger } = await setUp();
    delayMs = 150;
    const read = store.getMany(keys.slice(0, 100));
    await jest.advanceTimersByTimeAsync(60); // past the one deadline, before any probe can bring it back
    expect(await read).toEqual(Array(100).fill(undefined));
    expect(store.backend).toBe('memory');
    expect(logger.warn).toHaveBeenCalledWith(
      expect.anything(),
      expect.stringMatching(/Redis failed or timed out; using the memory store/),
    );
    await store.close();
  });

  it('a large read past even its scaled deadline is a miss, but not an outage', async () => {
    const { store, keys } = await setUp();
    delayMs = 400;
    const read = store.getMany(keys);
    await jest.advanceTimersByTimeAsync(300);
    expect(await read).toEqual(Array(1000).fill(undefined));
    expect(store.backend).toBe('redis');
    await store.close();
  });
});
