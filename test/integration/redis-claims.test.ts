import { createClient } from '@keyv/redis';
import { cacheReport, dataBytes } from '../helpers/cache-report';
import { startRedisServer, type TestRedisServer } from '../helpers/redis-server';
import { startTestApp, type TestApp } from '../helpers/test-app';

const USERS =
  '{ users(page: 1, size: 50) { total items { id email fullName role createdAt apiKeys { id name prefix } } } }';
const ME = '{ me { id email apiKeys { id name prefix } } }';

describe('claims about Redis, proven on Redis', () => {
  let redis: TestRedisServer;
  beforeAll(async () => {
    redis = await startRedisServer();
  });
  afterAll(async () => {
    await redis?.stop();
  });

  describe.each([
    ['the resolver tier', 'false'],
    ['the operation tier', 'true'],
  ])('%s', (_tier, operationTier) => {
    let t: TestApp;
    beforeAll(async () => {
      t = await startTestApp({
        env: {
          REDIS_ENABLED: 'true',
          REDIS_URL: redis.url,
          REDIS_TIMEOUT_MS: '500',
          CACHE_OPERATION_TIER: operationTier,
        },
      });
      for (let i = 0; i < 3; i++) await t.createUser();
    });
    afterAll(async () => {
      await t?.close();
    });

    it.each([
      ['users(size: 50) with apiKeys', USERS],
      ['me with apiKeys', ME],
    ])('%s: a HIT is byte for byte the MISS, and costs no SQL (authentication included)', async (_name, query) => {
      // `me` as a new user: the admin's own keys were cached by the page above.
      const client = query === ME ? (await t.createUser()).client : t.admin;
      const miss = await client.request(query);
      expect(cacheReport(miss)?.status).toBe('MISS');
      await client.request(query); // the operation tier stores from the second run on
      t.resetSql();
      const hit = await client.request(query);
      expect(cacheReport(hit)?.status).toBe('HIT');
      expect(cacheReport(hit)?.tier).toBe(operationTier === 'true' ? 'operation' : undefined);
      expect(dataBytes(hit)).toBe(dataBytes(miss));
      expect(t.sql).toEqual([]);
    });
  });

  it('CACHE_ENABLED=false with REDIS_ENABLED=true never connects to Redis', async () => {
    const watcher = createClient({ url: redis.url });
    await watcher.connect();
    const connectionsSoFar = async () =>
      Number(/total_connections_received:(\d+)/.exec(await watcher.info('stats'))?.[1]);
    try {
      const before = await connectionsSoFar();
      const t = await startTestApp({ env: { CACHE_ENABLED: 'false', REDIS_ENABLED: 'true', REDIS_URL: redis.url } });
      try {
        await t.admin.ok(ME);
        await t.admin.ok(ME);
        await new Promise((r) => setTimeout(r, 300));
        expect(await connectionsSoFar()).toBe(before);
        expect(t.app.cache).toBeNull();
      } finally {
        await t.close();
      }
    } finally {
      watcher.destroy();
    }
  });
});
