import { randomBytes } from 'node:crypto';
import { type AppOnRedis, startAppOnPrivateRedis } from '../helpers/app-on-redis';
import type { GraphQLClient } from '../helpers/graphql-client';
import { startTestApp, type TestApp } from '../helpers/test-app';
import { readyBackend } from '../helpers/wait';

// Audit: requests with made-up API keys must write nothing into the cache (no entry, no generation
// token), on memory and on Redis: a flood of random keys must not fill the store.

const REQUESTS = 50;
const QUERIES = ['{ me { id } }', '{ user(id: "1") { id } }', '{ apiKeys { id } }', '{ users { total } }'];

function randomKey(): string {
  return `gqk_${randomBytes(32).toString('base64url')}`;
}

/** REQUESTS requests, ten at a time, each with its own made-up key (half of them in X-API-Key): all refused. */
async function flood(t: TestApp): Promise<void> {
  for (let i = 0; i < REQUESTS; i += 10) {
    const batch = Array.from({ length: 10 }, (_, j) => {
      const client: GraphQLClient = (i + j) % 2 ? t.client(randomKey()).withApiKeyHeader() : t.client(randomKey());
      return client.request(QUERIES[(i + j) % QUERIES.length]!);
    });
    for (const res of await Promise.all(batch)) {
      expect(res.body.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    }
  }
}

/** Each query once as the admin, so that what a valid caller stores is there before counting. */
async function warmUp(t: TestApp): Promise<void> {
  for (const query of QUERIES) await t.admin.ok(query);
}

describe('audit: made-up API keys write nothing into the cache', () => {
  it(`on memory: ${REQUESTS} requests with random keys leave the store's entry count unchanged`, async () => {
    const t = await startTestApp();
    try {
      await warmUp(t);
      const before = t.app.cache!.entryCount();
      expect(before).toBeGreaterThan(0);
      await flood(t);
      expect(t.app.cache!.entryCount()).toBe(before);
    } finally {
      await t.close();
    }
  });

  describe('on Redis', () => {
    let app: AppOnRedis;
    beforeAll(async () => {
      app = await startAppOnPrivateRedis();
    });
    afterAll(async () => app?.close());

    it(`${REQUESTS} requests with random keys leave DBSIZE and the in-process tiers unchanged`, async () => {
      const { t } = app;
      expect(await readyBackend(t)).toBe('redis');
      await warmUp(t);
      const keysBefore = await app.dbSize();
      const localBefore = t.app.cache!.entryCount();
      expect(keysBefore).toBeGreaterThan(0);
      await flood(t);
      expect(await app.dbSize()).toBe(keysBefore);
      expect(t.app.cache!.entryCount()).toBe(localBefore);
      expect(await readyBackend(t)).toBe('redis'); // the flood did not push the instance off Redis either
    });
  });
});
