import { cacheReport } from '../helpers/cache-report';
import { startRedisServer, type TestRedisServer } from '../helpers/redis-server';
import { startTestApp, type TestApp } from '../helpers/test-app';
import { eventually, readyBackend } from '../helpers/wait';

// Audit: one query of 1,000 aliased `user(id)` fields with distinct ids (2,000 generation keys and 1,000
// entries to read, 1,000 entries to write) must not knock an instance off Redis at the default
// REDIS_TIMEOUT_MS (50): reads are chunked and the failover deadline scales with the number of keys.

const FIELDS = 1000;
const QUERY = `{ ${Array.from({ length: FIELDS }, (_, i) => `u${i}: user(id: "${500_000 + i}") { id }`).join(' ')} }`;
// Limits on aliases, complexity or tokens, where the server has them, must let this query through.
const LIMITS = { QUERY_MAX_ALIASES: '2000', QUERY_MAX_COMPLEXITY: '1000000', QUERY_MAX_TOKENS: '100000' };

describe('audit: 1,000 aliased user(id) fields on Redis at REDIS_TIMEOUT_MS=50', () => {
  let redis: TestRedisServer;
  let t: TestApp;
  const logLines: string[] = [];
  beforeAll(async () => {
    redis = await startRedisServer();
    t = await startTestApp({ logLines, env: { REDIS_ENABLED: 'true', REDIS_URL: redis.url, ...LIMITS } });
    expect(t.app.config.cache.redis?.timeoutMs).toBe(50);
  });
  /** The cache's warnings so far (a failover, a store call treated as a miss), with what failed. */
  const warnings = () =>
    logLines
      .map((line) => JSON.parse(line) as { level: number; msg: string; err?: { message?: string } })
      .filter((entry) => entry.level >= 40)
      .map((entry) => `${entry.msg}: ${entry.err?.message ?? ''}`);
  afterAll(async () => {
    await t?.close();
    await redis?.stop();
  });

  it('answers (a miss, then hits) and the instance stays on Redis with no failover warning', async () => {
    await eventually(async () => (await readyBackend(t)) === 'redis', 5000);
    await t.admin.ok('{ me { id } }');
    logLines.splice(0);
    for (const expected of ['MISS', 'HIT']) {
      const res = await t.admin.request<Record<string, null>>(QUERY);
      expect(res.body.errors).toBeUndefined();
      expect(Object.keys(res.body.data ?? {})).toHaveLength(FIELDS);
      expect(Object.values(res.body.data ?? {}).every((v) => v === null)).toBe(true);
      expect({ status: cacheReport(res)?.status, backend: await readyBackend(t), warnings: warnings() }).toEqual({
        status: expected,
        backend: 'redis',
        warnings: [],
      });
    }
  });
});
