import 'reflect-metadata';
import pino from 'pino';
import { createApp } from '../src/app';
import { loadConfig } from '../src/config';
import { bearer, createClient } from './http';

/**
 * What one request costs our server besides time: SQL statements (counted in-process with the
 * ORM's query hook, since no outside view shows them) and Redis commands (read from the Redis
 * target's INFO commandstats, from outside).
 */

/** SQL statements of one request after two warm ones, with the cache off or on (memory). */
export async function sqlPerRequest(
  dbFile: string,
  adminKey: string,
  query: string,
  cacheEnabled: boolean,
): Promise<number> {
  const sql: string[] = [];
  const config = loadConfig({
    NODE_ENV: 'production',
    HOST: '127.0.0.1',
    DATABASE_URL: `sqlite:${dbFile}`,
    SEED_ADMIN_API_KEY: adminKey,
    CACHE_ENABLED: String(cacheEnabled),
  });
  const app = await createApp(config, { logger: pino({ level: 'silent' }), onQuery: (q) => sql.push(q) });
  const client = createClient((await app.listen(0)).url, 1);
  try {
    await client.graphql({ query }, bearer(adminKey));
    await client.graphql({ query }, bearer(adminKey));
    sql.splice(0);
    await client.graphql({ query }, bearer(adminKey));
    return sql.length;
  } finally {
    client.close();
    await app.close();
  }
}

/** Redis commands per request of `query` on a hit: INFO commandstats around 20 sequential requests. */
export async function redisCommandsPerHit(redisUrl: string, url: string, key: string, query: string): Promise<string> {
  const { createClient: createRedisClient } = await import('@keyv/redis');
  const redis = createRedisClient({ url: redisUrl });
  await redis.connect();
  const stats = async () => {
    const calls = new Map<string, number>();
    for (const m of (await redis.info('commandstats')).matchAll(/cmdstat_(\w+):calls=(\d+)/g))
      calls.set(m[1]!, Number(m[2]));
    return calls;
  };
  const client = createClient(url, 1);
  try {
    await client.graphql({ query }, bearer(key));
    await client.graphql({ query }, bearer(key));
    const before = await stats();
    const n = 20;
    for (let i = 0; i < n; i++) await client.graphql({ query }, bearer(key));
    const after = await stats();
    const perCommand = [...after]
      .map(([cmd, calls]) => [cmd, (calls - (before.get(cmd) ?? 0)) / n] as const)
      .filter(([cmd, calls]) => calls > 0 && cmd !== 'info' && cmd !== 'ping'); // ours: the client's keep-alive PINGs
    const total = perCommand.reduce((sum, [, calls]) => sum + calls, 0);
    return `${total} (${perCommand.map(([cmd, calls]) => `${calls} ${cmd.toUpperCase()}`).join(' + ') || 'none'})`;
  } finally {
    client.close();
    redis.destroy();
  }
}
