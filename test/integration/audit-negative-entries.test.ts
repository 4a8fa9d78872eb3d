import { cacheReport } from '../helpers/cache-report';
import { createScratchDatabase, type ScratchDatabase } from '../helpers/databases';
import type { GraphQLClient } from '../helpers/graphql-client';
import { startRedisServer, type TestRedisServer } from '../helpers/redis-server';
import { startTestApp, type TestApp } from '../helpers/test-app';

// Audit: a cached negative or empty answer (`user(id)` null, `apiKeys(userId)` [], `User.apiKeys` [], a
// page of `users` past the end) must end with the write that makes it wrong, on every backend and
// across instances: the reader is `reader`, the writer `writer` (the same instance or another one).

const USER = 'query($id: ID!) { user(id: $id) { id email } }';
const USER_KEYS = 'query($id: ID!) { user(id: $id) { id apiKeys { id } } }';
const API_KEYS = 'query($userId: ID) { apiKeys(userId: $userId) { id } }';
const USERS_PAGE = 'query($page: Int!) { users(page: $page, size: 1) { total items { id } } }';
const CREATE_USER = 'mutation($input: CreateUserInput!) { createUser(input: $input) { id } }';
const CREATE_KEY = 'mutation($userId: ID) { createApiKey(name: "audit", userId: $userId) { apiKey { id } } }';

const ADMIN_KEY = 'gqk_audit-negative-entries-admin-key-0000000000';
let emails = 0;

async function createUser(admin: GraphQLClient): Promise<string> {
  const input = { email: `neg-${process.pid}-${++emails}@example.com`, fullName: 'Negative' };
  return (await admin.ok<{ createUser: { id: string } }>(CREATE_USER, { input })).createUser.id;
}

/** The id the next user will get: one more than the last (nothing else creates users meanwhile). */
async function nextUserId(admin: GraphQLClient): Promise<string> {
  return String(Number(await createUser(admin)) + 1);
}

/** Asserts `query` answers `expected` twice, the second time from the cache: a negative entry is stored. */
async function cachedTwice(client: GraphQLClient, query: string, variables: object, expected: unknown) {
  for (const status of ['MISS', 'HIT']) {
    const res = await client.request(query, variables);
    expect(res.body.errors).toBeUndefined();
    expect(res.body.data).toEqual(expected);
    expect(cacheReport(res)?.status).toBe(status);
  }
}

function negativeEntryTests(setup: () => { reader: TestApp; writer: TestApp }) {
  it('user(id) answered null before the user existed answers the user once createUser made it', async () => {
    const { reader, writer } = setup();
    const id = await nextUserId(writer.client(ADMIN_KEY));
    await cachedTwice(reader.client(ADMIN_KEY), USER, { id }, { user: null });
    expect(await createUser(writer.client(ADMIN_KEY))).toBe(id);
    const after = await reader.client(ADMIN_KEY).ok<{ user: { id: string } | null }>(USER, { id });
    expect(after.user?.id).toBe(id);
  });

  it('apiKeys(userId) and User.apiKeys answered [] before the user had keys list the key createApiKey made', async () => {
    const { reader, writer } = setup();
    const id = await createUser(writer.client(ADMIN_KEY));
    await cachedTwice(reader.client(ADMIN_KEY), API_KEYS, { userId: id }, { apiKeys: [] });
    await cachedTwice(reader.client(ADMIN_KEY), USER_KEYS, { id }, { user: { id, apiKeys: [] } });
    const created = await writer
      .client(ADMIN_KEY)
      .ok<{ createApiKey: { apiKey: { id: string } } }>(CREATE_KEY, { userId: id });
    const keyId = created.createApiKey.apiKey.id;
    const listed = await reader.client(ADMIN_KEY).ok<{ apiKeys: { id: string }[] }>(API_KEYS, { userId: id });
    expect(listed.apiKeys.map((k) => k.id)).toEqual([keyId]);
    const nested = await reader.client(ADMIN_KEY).ok<{ user: { apiKeys: { id: string }[] } }>(USER_KEYS, { id });
    expect(nested.user.apiKeys.map((k) => k.id)).toEqual([keyId]);
  });

  it('apiKeys(userId) answered [] before the user existed lists the key once the user and the key are made', async () => {
    const { reader, writer } = setup();
    const id = await nextUserId(writer.client(ADMIN_KEY));
    await cachedTwice(reader.client(ADMIN_KEY), API_KEYS, { userId: id }, { apiKeys: [] });
    expect(await createUser(writer.client(ADMIN_KEY))).toBe(id);
    await writer.client(ADMIN_KEY).ok(CREATE_KEY, { userId: id });
    const listed = await reader.client(ADMIN_KEY).ok<{ apiKeys: { id: string }[] }>(API_KEYS, { userId: id });
    expect(listed.apiKeys).toHaveLength(1);
  });

  it('a page of users past the end, answered empty, shows the user createUser added', async () => {
    const { reader, writer } = setup();
    const { users } = await reader.client(ADMIN_KEY).ok<{ users: { total: number } }>(USERS_PAGE, { page: 1 });
    const page = users.total + 1;
    const before = await reader.client(ADMIN_KEY).request(USERS_PAGE, { page });
    expect((before.body.data as { users: { items: unknown[] } }).users.items).toEqual([]);
    expect(cacheReport(await reader.client(ADMIN_KEY).request(USERS_PAGE, { page }))?.status).toBe('HIT');
    const id = await createUser(writer.client(ADMIN_KEY));
    const after = await reader.client(ADMIN_KEY).ok<{ users: { items: { id: string }[] } }>(USERS_PAGE, { page });
    expect(after.users.items.map((u) => u.id)).toEqual([id]);
  });
}

describe('audit: negative entries end with the create, on memory', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ env: { SEED_ADMIN_API_KEY: ADMIN_KEY } });
  });
  afterAll(async () => t?.close());
  negativeEntryTests(() => ({ reader: t, writer: t }));
});

describe('audit: negative entries end with the create, on Redis', () => {
  let redis: TestRedisServer;
  let t: TestApp;
  beforeAll(async () => {
    redis = await startRedisServer();
    t = await startTestApp({
      env: { REDIS_ENABLED: 'true', REDIS_URL: redis.url, REDIS_TIMEOUT_MS: '200', SEED_ADMIN_API_KEY: ADMIN_KEY },
    });
  });
  afterAll(async () => {
    await t?.close();
    await redis?.stop();
  });
  negativeEntryTests(() => ({ reader: t, writer: t }));
});

describe('audit: negative entries end with the create, across two instances sharing Redis', () => {
  let redis: TestRedisServer;
  let db: ScratchDatabase;
  let a: TestApp;
  let b: TestApp;
  beforeAll(async () => {
    redis = await startRedisServer();
    db = await createScratchDatabase('sqlite');
    const env = { REDIS_ENABLED: 'true', REDIS_URL: redis.url, REDIS_TIMEOUT_MS: '200', SEED_ADMIN_API_KEY: ADMIN_KEY };
    a = await startTestApp({ databaseUrl: db.url, env });
    b = await startTestApp({ databaseUrl: db.url, env });
  });
  afterAll(async () => {
    await a?.close();
    await b?.close();
    await redis?.stop();
    await db?.drop();
  });
  // B caches the negative answer (in Redis and in its local tier); A writes.
  negativeEntryTests(() => ({ reader: b, writer: a }));
});
