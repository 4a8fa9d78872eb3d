import { createScratchDatabase, type ScratchDatabase } from '../helpers/databases';
import { startRedisServer, type TestRedisServer } from '../helpers/redis-server';
import { startTestApp, type TestApp } from '../helpers/test-app';
import { eventually, readyBackend } from '../helpers/wait';

// Audit: a key revoked on instance A while Redis is paused must stop working on instance B at once,
// although B authenticated it from the shared cache before the outage (and keeps that entry in its
// local tier): while B is not on its shared store, it authenticates from the database.

const ME = '{ me { id } }';
const KEYS = 'query($userId: ID) { apiKeys(userId: $userId) { id } }';
const REVOKE = 'mutation($id: ID!) { revokeApiKey(id: $id) }';
const ADMIN_KEY = 'gqk_audit-revoked-key-outage-admin-key-00000000';

describe('audit: a key revoked during a Redis outage', () => {
  let redis: TestRedisServer;
  let db: ScratchDatabase;
  let a: TestApp;
  let b: TestApp;
  const env = () => ({
    REDIS_ENABLED: 'true',
    REDIS_URL: redis.url,
    REDIS_TIMEOUT_MS: '200',
    SEED_ADMIN_API_KEY: ADMIN_KEY,
  });
  beforeAll(async () => {
    redis = await startRedisServer();
    db = await createScratchDatabase('sqlite');
    a = await startTestApp({ databaseUrl: db.url, env: env() });
    b = await startTestApp({ databaseUrl: db.url, env: env() });
  });
  afterAll(async () => {
    redis?.resume();
    await a?.close();
    await b?.close();
    await redis?.stop();
    await db?.drop();
  });

  it('is refused by the other instance on its next request, and still after Redis returns', async () => {
    const u = await a.createUser();
    const [key] = (await a.client(ADMIN_KEY).ok<{ apiKeys: { id: string }[] }>(KEYS, { userId: u.id })).apiKeys;
    await b.client(u.key).ok(ME);
    b.resetSql();
    expect((await b.client(u.key).ok<{ me: { id: string } }>(ME)).me.id).toBe(u.id);
    expect(b.sql.filter((q) => /api_keys/.test(q))).toEqual([]); // B authenticated the key from the cache

    redis.pause();
    try {
      await eventually(async () => (await readyBackend(b)) === 'memory', 5000);
      const revoked = await a.client(ADMIN_KEY).ok<{ revokeApiKey: boolean }>(REVOKE, { id: key!.id });
      expect(revoked.revokeApiKey).toBe(true);
      expect(await b.client(u.key).errorCode(ME)).toBe('UNAUTHENTICATED');
      expect(await a.client(u.key).errorCode(ME)).toBe('UNAUTHENTICATED');
    } finally {
      redis.resume();
    }
    await eventually(async () => (await readyBackend(a)) === 'redis' && (await readyBackend(b)) === 'redis', 8000);
    for (const t of [b, a]) expect(await t.client(u.key).errorCode(ME)).toBe('UNAUTHENTICATED');
  });

  // The eviction of the revoked key's `auth:{hash}` lived only in A's journal; A dies before Redis
  // returns, so nobody replays it. B saw the outage too: on its recovery it evicts the global epoch, so it
  // reads no entry older than the outage, and the revoked key is refused.
  it('is refused after Redis returns even when the instance that revoked it died during the outage', async () => {
    const c = await startTestApp({ databaseUrl: db.url, env: env() });
    const u = await c.createUser();
    const [key] = (await c.client(ADMIN_KEY).ok<{ apiKeys: { id: string }[] }>(KEYS, { userId: u.id })).apiKeys;
    await b.client(u.key).ok(ME);
    await b.client(u.key).ok(ME);
    redis.pause();
    try {
      await eventually(async () => (await readyBackend(b)) === 'memory', 5000);
      expect((await c.client(ADMIN_KEY).ok<{ revokeApiKey: boolean }>(REVOKE, { id: key!.id })).revokeApiKey).toBe(
        true,
      );
      expect(await b.client(u.key).errorCode(ME)).toBe('UNAUTHENTICATED');
    } finally {
      await c.close(); // with its journal
      redis.resume();
    }
    await eventually(async () => (await readyBackend(b)) === 'redis', 8000);
    expect(await b.client(u.key).errorCode(ME)).toBe('UNAUTHENTICATED');
  });
});
