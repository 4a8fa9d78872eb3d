import { createClient } from '@keyv/redis';
import { createFailoverStore } from '../../src/cache/stores/failover';
import { createMemoryStore } from '../../src/cache/stores/memory';
import { createRedisStore, type RedisStore } from '../../src/cache/stores/redis';
import { sharedRedisUrl, startRedisServer, type TestRedisServer } from '../helpers/redis-server';
import { describeCacheStore } from './cache-store.contract';

const timeoutMs = 1000;
let own: TestRedisServer;

beforeAll(async () => {
  own = await startRedisServer();
});
afterAll(async () => {
  await own?.stop();
});

/** REDIS_URL when CI provides one, else this file's own server. */
const contractUrl = () => sharedRedisUrl() ?? own.url;

async function connected(store: RedisStore): Promise<RedisStore> {
  await store.ping();
  return store;
}

describeCacheStore('redis', () => connected(createRedisStore({ url: contractUrl(), timeoutMs })));

// The failover store as production builds it, on a healthy Redis: it must keep the same contract.
// (Its deadline is raised from the 50 ms default so that a loaded machine does not fail it over.)
describeCacheStore('failover (redis + memory)', async () => {
  const store = createFailoverStore({
    primary: createRedisStore({ url: contractUrl(), timeoutMs }),
    timeoutMs,
    fallback: createMemoryStore(),
    logger: { info: () => undefined, warn: () => undefined },
  });
  for (let i = 0; i < 200 && store.backend !== 'redis'; i++) await new Promise((r) => setTimeout(r, 10));
  return store;
});

describe('redis store', () => {
  const opened: RedisStore[] = [];
  const open = async (url: string) => {
    const store = createRedisStore({ url, timeoutMs });
    opened.push(store);
    return store;
  };
  let client: ReturnType<typeof createClient>;
  beforeAll(async () => {
    client = createClient({ url: own.url });
    await client.connect();
  });
  afterAll(async () => {
    await client?.quit();
  });
  afterEach(async () => {
    await Promise.all(opened.splice(0).map((store) => store.close()));
  });

  /** Calls of `command` Redis has served so far (INFO commandstats). */
  async function commandCalls(command: string): Promise<number> {
    const info = await client.info('commandstats');
    return Number(new RegExp(`cmdstat_${command}:calls=(\\d+)`).exec(info)?.[1] ?? 0);
  }

  it('tryLock: one holder at a time, released only by its own token, expiring after ttlMs', async () => {
    const [one, two] = [await connected(await open(own.url)), await connected(await open(own.url))];
    const key = `lock:${Math.random()}`;
    const token = await one.tryLock(key, 60_000);
    expect(token).toEqual(expect.any(String));
    expect(await two.tryLock(key, 60_000)).toBeUndefined();
    await two.unlock(key, 'not-the-token');
    expect(await two.tryLock(key, 60_000)).toBeUndefined();
    await one.unlock(key, token!);
    const second = await two.tryLock(key, 100);
    expect(second).toEqual(expect.any(String));
    expect(second).not.toBe(token);
    expect(Number(await client.pTTL(key))).toBeLessThanOrEqual(100);
    await new Promise((r) => setTimeout(r, 150));
    expect(await one.tryLock(key, 60_000)).toEqual(expect.any(String));
  });

  it('reads many keys with one MGET', async () => {
    const store = await connected(await open(own.url));
    await store.set('a', 1, 60);
    await store.set('b', 2, 60);
    const [mgetBefore, getBefore] = [await commandCalls('mget'), await commandCalls('get')];
    expect(await store.getMany(['a', 'missing', 'b'])).toEqual([1, undefined, 2]);
    expect(await commandCalls('mget')).toBe(mgetBefore + 1);
    expect(await commandCalls('get')).toBe(getBefore);
  });

  it('splits a large read into MGETs of at most 200 keys, sent together', async () => {
    const store = await connected(await open(own.url));
    const keys = Array.from({ length: 1000 }, (_, i) => `many:${i}`);
    await store.setMany(keys.map((key, i) => ({ key, value: i, ttlSeconds: 60 })));
    const before = await commandCalls('mget');
    const values = await store.getMany(keys);
    expect(values).toEqual(keys.map((_, i) => i));
    expect((await commandCalls('mget')) - before).toBe(5);
  });

  it('stores keys as given (no prefix of its own) with the TTL in Redis', async () => {
    const store = await connected(await open(own.url));
    await store.set('gqlc:ttl-check', { v: 1 }, 30);
    // Keyv's envelope as plain JSON, under the very key the cache chose.
    expect(JSON.parse((await client.get('gqlc:ttl-check')) ?? 'null')).toEqual({
      value: { v: 1 },
      expires: expect.any(Number),
    });
    const pttl = await client.pTTL('gqlc:ttl-check');
    expect(pttl).toBeGreaterThan(28_000);
    expect(pttl).toBeLessThanOrEqual(30_000);
  });

  describe('with a password of special characters', () => {
    const password = 'p@ss:w/rd#1';
    let secured: TestRedisServer;
    beforeAll(async () => {
      secured = await startRedisServer({ password });
    });
    afterAll(async () => {
      await secured?.stop();
    });

    it('connects when the password is percent-encoded in the URL', async () => {
      expect(secured.url).toBe(`redis://:${encodeURIComponent(password)}@127.0.0.1:${secured.port}`);
      const store = await connected(await open(secured.url));
      await store.set('k', 'secret', 60);
      expect(await store.get('k')).toBe('secret');
    });

    it('with a wrong password: creation does not throw, ping rejects, calls reject fast', async () => {
      const store = await open(`redis://:wrong@127.0.0.1:${secured.port}`);
      await expect(store.ping()).rejects.toThrow();
      const started = Date.now();
      await expect(store.get('k')).rejects.toThrow();
      expect(Date.now() - started).toBeLessThan(5000);
    });
  });

  it('never throws at creation when Redis is down; ping rejects within its timeout and calls reject', async () => {
    const down = await startRedisServer();
    await down.stop();
    const store = await open(down.url);
    const started = Date.now();
    await expect(store.ping()).rejects.toThrow();
    await expect(store.get('k')).rejects.toThrow();
    await expect(store.set('k', 1, 60)).rejects.toThrow();
    await expect(store.getMany(['k'])).rejects.toThrow();
    await expect(store.addMany([{ key: 'k', value: 1, ttlSeconds: 60 }])).rejects.toThrow();
    expect(Date.now() - started).toBeLessThan(timeoutMs + 5000);
  });

  it('rejects options with messages that say how to fix them', () => {
    expect(() => createRedisStore({ url: 'http://:secret@localhost:6379', timeoutMs })).toThrow(
      '`url` must be a redis:// or rediss:// URL (percent-encode special characters of the password), got: http://:***@localhost:6379',
    );
    expect(() => createRedisStore({ url: 'not a url', timeoutMs })).toThrow('got: a string that is not a URL');
    expect(() => createRedisStore({ url: own.url, timeoutMs: 0 })).toThrow(
      '`timeoutMs` must be a finite number of milliseconds greater than 0, got: 0',
    );
  });
});
