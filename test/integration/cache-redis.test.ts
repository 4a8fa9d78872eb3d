import { createClient } from '@keyv/redis';
import { cacheReport } from '../helpers/cache-report';
import { freePort } from '../helpers/free-port';
import { startRedisServer, type TestRedisServer } from '../helpers/redis-server';
import { startTestApp, type TestApp } from '../helpers/test-app';
import { eventually, readyBackend } from '../helpers/wait';

const ME = '{ me { id email } }';
const USERS = '{ users(size: 5) { total items { id email } } }';

/** Runs `query` and checks it answered, without error, within one second. */
async function answersQuickly(t: TestApp, query: string): Promise<void> {
  const started = Date.now();
  const res = await t.admin.request(query);
  expect(res.body.errors).toBeUndefined();
  expect(res.status).toBe(200);
  expect(Date.now() - started).toBeLessThan(5000);
}

describe('the cache on a real Redis', () => {
  let redis: TestRedisServer;
  let t: TestApp;
  beforeAll(async () => {
    redis = await startRedisServer();
    t = await startTestApp({
      env: { REDIS_ENABLED: 'true', REDIS_URL: redis.url, REDIS_TIMEOUT_MS: '200', CACHE_OPERATION_TIER: 'false' },
    });
  });
  afterAll(async () => {
    await t?.close();
    await redis?.stop();
  });

  it('stores entries in Redis and reports redis in /ready', async () => {
    expect(await readyBackend(t)).toBe('redis');
    expect(cacheReport(await t.admin.request(USERS))?.status).toBe('MISS');
    expect(cacheReport(await t.admin.request(USERS))?.status).toBe('HIT');
    const client = createClient({ url: redis.url });
    await client.connect();
    try {
      expect(await client.dbSize()).toBeGreaterThan(0);
      const keys: string[] = [];
      for await (const batch of client.scanIterator({ MATCH: '*Query.users*' })) keys.push(...batch);
      expect(keys.length).toBeGreaterThan(0); // (SCAN in the test only: the server never uses it)
    } finally {
      client.destroy();
    }
  });

  it('once an entry is local, a hit reads only the generations from Redis', async () => {
    const client = createClient({ url: redis.url });
    await client.connect();
    const mgets = async () => Number(/cmdstat_mget:calls=(\d+)/.exec(await client.info('commandstats'))?.[1] ?? 0);
    try {
      const u = await t.createUser();
      await u.client.request(ME);
      await u.client.request(ME); // read from Redis into the local tier
      const before = await mgets();
      const res = await u.client.request(ME);
      expect(cacheReport(res)?.status).toBe('HIT');
      // authentication's generations + me's generations; no entry reads
      expect((await mgets()) - before).toBe(2);
    } finally {
      client.destroy();
    }
  });

  it('a second instance sharing Redis hits what the first stored', async () => {
    const other = await startTestApp({
      databaseUrl: t.app.config.databaseUrl,
      env: { REDIS_ENABLED: 'true', REDIS_URL: redis.url, REDIS_TIMEOUT_MS: '200', SEED_ADMIN_API_KEY: t.adminKey },
    });
    try {
      await t.admin.request('{ users(size: 9) { total } }');
      const res = await other.client(t.adminKey).request('{ users(size: 9) { total } }');
      expect(cacheReport(res)?.status).toBe('HIT');
    } finally {
      await other.close();
    }
  });

  it('Redis killed: no request fails, each answers within 1 s, /ready says memory; back on Redis within seconds of its return', async () => {
    await redis.kill();
    for (let i = 0; i < 5; i++) {
      await answersQuickly(t, ME);
      await answersQuickly(t, USERS);
    }
    await eventually(async () => (await readyBackend(t)) === 'memory', 2000);
    await redis.restart();
    const took = await eventually(async () => (await readyBackend(t)) === 'redis', 5000);
    expect(took).toBeLessThan(5000);
    expect(cacheReport(await t.admin.request('{ users(size: 4) { total } }'))?.status).toBe('MISS');
    expect(cacheReport(await t.admin.request('{ users(size: 4) { total } }'))?.status).toBe('HIT');
  });

  it('Redis paused (SIGSTOP): each request answers within 1 s; back on Redis after SIGCONT', async () => {
    redis.pause();
    try {
      for (let i = 0; i < 5; i++) {
        await answersQuickly(t, ME);
        await answersQuickly(t, USERS);
      }
      expect(await readyBackend(t)).toBe('memory');
    } finally {
      redis.resume();
    }
    await eventually(async () => (await readyBackend(t)) === 'redis', 5000);
    await answersQuickly(t, USERS);
  });
});

describe('Redis down at start-up', () => {
  it('starts on memory, answers, and moves to Redis when it appears', async () => {
    const port = await freePort();
    const t = await startTestApp({
      env: { REDIS_ENABLED: 'true', REDIS_HOST: '127.0.0.1', REDIS_PORT: String(port), REDIS_TIMEOUT_MS: '200' },
    });
    let redis: TestRedisServer | undefined;
    try {
      expect(await readyBackend(t)).toBe('memory');
      await answersQuickly(t, ME);
      expect(cacheReport(await t.admin.request(ME))?.status).toBe('HIT'); // the memory store serves meanwhile
      redis = await startRedisServer({ port });
      await eventually(async () => (await readyBackend(t)) === 'redis', 5000);
      expect(cacheReport(await t.admin.request(ME))?.status).toBe('MISS'); // memory was dropped on the switch
      expect(cacheReport(await t.admin.request(ME))?.status).toBe('HIT');
    } finally {
      await t.close();
      await redis?.stop();
    }
  });
});

describe('REDIS_HOST / REDIS_PORT / REDIS_PASSWORD / REDIS_DB', () => {
  it('connects with a password of any characters', async () => {
    const password = 'p@ss:w/rd#1% ?&=';
    const redis = await startRedisServer({ password });
    const t = await startTestApp({
      env: {
        REDIS_ENABLED: 'true',
        REDIS_HOST: '127.0.0.1',
        REDIS_PORT: String(redis.port),
        REDIS_PASSWORD: password,
        REDIS_DB: '3',
        REDIS_TIMEOUT_MS: '200',
      },
    });
    try {
      expect(await readyBackend(t)).toBe('redis');
      await t.admin.request(ME);
      expect(cacheReport(await t.admin.request(ME))?.status).toBe('HIT');
      const client = createClient({ url: redis.url, database: 3 });
      await client.connect();
      try {
        expect(await client.dbSize()).toBeGreaterThan(0); // written to database 3
      } finally {
        client.destroy();
      }
    } finally {
      await t.close();
      await redis.stop();
    }
  });
});
