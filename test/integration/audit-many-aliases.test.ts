import { cacheReport } from '../helpers/cache-report';
import { startRedisServer, type TestRedisServer } from '../helpers/redis-server';
import { startTestApp, type TestApp } from '../helpers/test-app';
import { eventually, readyBackend } from '../helpers/wait';

// Audit: one query of 1,000 aliased `user(id)` fields with distinct ids (2,000 generation keys and 1,000
// entries to read, 1,000 entries to write) must not knock an instance off Redis: reads are chunked and
// the failover deadline scales with the number of keys. That scaling is shown at the default 50 ms,
// deterministically, in test/unit/failover-deadline.test.ts; here, on a real Redis, the deadline is one
// that only a hang would cross (at 50 ms a loaded 2-core CI machine delayed a small call past it: the
// instance then fails over as designed, which says nothing about the query's size).

const FIELDS = 1000;
const QUERY = `{ ${Array.from({ length: FIELDS }, (_, i) => `u${i}: user(id: "${500_000 + i}") { id }`).join(' ')} }`;
// Limits on aliases, complexity or tokens, where the server has them, must let this query through.
const LIMITS = { QUERY_MAX_ALIASES: '2000', QUERY_MAX_COMPLEXITY: '1000000', QUERY_MAX_TOKENS: '100000' };
const REDIS_TIMEOUT_MS = '1000';

describe('audit: 1,000 aliased user(id) fields on Redis', () => {
  let redis: TestRedisServer;
  let t: TestApp;
  const logLines: string[] = [];
  beforeAll(async () => {
    redis = await startRedisServer();
    t = await startTestApp({
      logLines,
      env: { REDIS_ENABLED: 'true', REDIS_URL: redis.url, REDIS_TIMEOUT_MS, ...LIMITS },
    });
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
