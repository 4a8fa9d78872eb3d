import { createClient } from '@keyv/redis';
import { startRedisServer, type TestRedisServer } from './redis-server';
import { startTestApp, type TestApp } from './test-app';

/** An app whose cache is on a private redis-server, with a direct view of that Redis. */
export interface AppOnRedis {
  t: TestApp;
  redis: TestRedisServer;
  /** Keys in the Redis database now (DBSIZE), read past the app. */
  dbSize(): Promise<number>;
  close(): Promise<void>;
}

/** Starts a private redis-server and an app caching on it (a 200 ms Redis deadline, for loaded machines). */
export async function startAppOnPrivateRedis(): Promise<AppOnRedis> {
  const redis = await startRedisServer();
  const client = createClient({ url: redis.url });
  await client.connect();
  const t = await startTestApp({ env: { REDIS_ENABLED: 'true', REDIS_URL: redis.url, REDIS_TIMEOUT_MS: '200' } });
  return {
    t,
    redis,
    dbSize: () => client.dbSize(),
    async close() {
      await t.close();
      client.destroy();
      await redis.stop();
    },
  };
}
