import { User } from '../../src/modules/user/user.entity';
import { cacheReport, dataBytes } from '../helpers/cache-report';
import { databaseKinds } from '../helpers/databases';
import { startTestApp, type TestApp } from '../helpers/test-app';

const ME = '{ me { id email fullName role createdAt updatedAt } }';
const USER = 'query($id: ID!) { user(id: $id) { id email fullName } }';
const USERS =
  'query($page: Int, $size: Int) { users(page: $page, size: $size) { total page size items { id email createdAt } } }';
const API_KEYS = 'query($userId: ID) { apiKeys(userId: $userId) { id name prefix createdAt lastUsedAt } }';
const USER_KEYS = 'query($id: ID!) { user(id: $id) { id apiKeys { id name lastUsedAt } } }';

const isSelect = (sql: string) => /^\s*select\b/i.test(sql);

describe.each(databaseKinds)('resolver cache over HTTP (%s)', (database) => {
  let t: TestApp;
  beforeAll(async () => {
    // The resolver tier, on its own: the operation tier (which would answer these repeats) has its own suite.
    t = await startTestApp({ database, env: { CACHE_OPERATION_TIER: 'false' } });
  });
  afterAll(async () => t?.close());

  it.each([
    ['me', ME, {}, 'me', 'PRIVATE'],
    ['user(id)', USER, { id: '1' }, 'user', 'PUBLIC'],
    ['users', USERS, { page: 1, size: 5 }, 'users', 'PUBLIC'],
    ['apiKeys', API_KEYS, {}, 'apiKeys', 'PRIVATE'],
  ])('%s: MISS, then HIT, in extensions.cache and X-Cache', async (_name, query, variables, path, scope) => {
    const u = await t.createUser({ role: 'ADMIN' });
    const first = await u.client.request(query, variables);
    expect(first.body.errors).toBeUndefined();
    expect(cacheReport(first)).toEqual({
      status: 'MISS',
      hits: 0,
      misses: 1,
      fields: [{ path, status: 'MISS', scope, maxAge: 300, age: 0 }],
    });
    expect(first.headers.get('x-cache')).toBe('MISS');
    const second = await u.client.request(query, variables);
    expect(cacheReport(second)).toEqual({
      status: 'HIT',
      hits: 1,
      misses: 0,
      fields: [{ path, status: 'HIT', scope, maxAge: 300, age: expect.any(Number) }],
    });
    expect(second.headers.get('x-cache')).toBe('HIT');
    expect(second.body.data).toEqual(first.body.data);
  });

  it('User.apiKeys is cached by its parent, and reported with its path', async () => {
    const u = await t.createUser();
    const first = await u.client.request(USER_KEYS, { id: u.id });
    expect(cacheReport(first)?.fields).toEqual([
      { path: 'user', status: 'MISS', scope: 'PUBLIC', maxAge: 300, age: 0 },
      { path: 'user.apiKeys', status: 'MISS', scope: 'PUBLIC', maxAge: 300, age: 0 },
    ]);
    // another query, same parent: the field entry is shared
    const other = await t.admin.request(`{ users(size: 100) { items { id apiKeys { id name lastUsedAt } } } }`);
    const index = (other.body.data as { users: { items: { id: string }[] } }).users.items.findIndex(
      (i) => i.id === u.id,
    );
    const field = cacheReport(other)!.fields.find((f) => f.path === `users.items.${index}.apiKeys`);
    expect(field).toMatchObject({ status: 'HIT', scope: 'PUBLIC' });
    expect(cacheReport(other)!.status).toBe('PARTIAL');
  });

  it('arguments are part of the key: another page is another entry', async () => {
    await t.admin.request(USERS, { page: 1, size: 2 });
    expect(cacheReport(await t.admin.request(USERS, { page: 1, size: 2 }))?.status).toBe('HIT');
    expect(cacheReport(await t.admin.request(USERS, { page: 2, size: 2 }))?.status).toBe('MISS');
    expect(cacheReport(await t.admin.request(USERS, { page: 1, size: 3 }))?.status).toBe('MISS');
    // an argument left out equals its default
    await t.admin.request(USERS, { page: 1, size: 20 });
    expect(
      cacheReport(await t.admin.request('{ users { total page size items { id email createdAt } } }'))?.status,
    ).toBe('HIT');
  });

  it('PRIVATE me never crosses users', async () => {
    const a = await t.createUser();
    const b = await t.createUser();
    const meA = await a.client.request(ME);
    expect(cacheReport(await a.client.request(ME))?.status).toBe('HIT');
    const meB = await b.client.request(ME);
    expect(cacheReport(meB)?.status).toBe('MISS');
    expect((meB.body.data as { me: { id: string } }).me.id).toBe(b.id);
    expect((meA.body.data as { me: { id: string } }).me.id).toBe(a.id);
  });

  it('authorization runs before the cache: a PUBLIC entry cached by an ADMIN is never served to a USER', async () => {
    const victim = await t.createUser();
    const intruder = await t.createUser();
    expect(cacheReport(await t.admin.request(USERS, { page: 1, size: 7 }))?.status).toBe('MISS');
    expect(cacheReport(await t.admin.request(USERS, { page: 1, size: 7 }))?.status).toBe('HIT');
    const refused = await intruder.client.request(USERS, { page: 1, size: 7 });
    expect(refused.body.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    expect(refused.body.data).toBeNull();
    expect(cacheReport(refused)).toBeUndefined();

    await t.admin.request(USER_KEYS, { id: victim.id }); // User.apiKeys of the victim now cached (PUBLIC)
    const keys = await intruder.client.request(USER_KEYS, { id: victim.id });
    expect(keys.body.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    expect(JSON.stringify(keys.body.data)).not.toContain('apiKeys":[');
  });

  it('a HIT serialises byte-for-byte like the MISS (dates, nulls, nested lists)', async () => {
    const u = await t.createUser();
    await u.client.ok('mutation { createApiKey(name: "second") { secret } }');
    const q = `query($id: ID!) { user(id: $id) { id email createdAt updatedAt apiKeys { id name prefix createdAt lastUsedAt } } me { id createdAt } apiKeys { id lastUsedAt createdAt } }`;
    const miss = await t.admin.request(q, { id: u.id });
    expect(cacheReport(miss)?.status).toBe('MISS');
    const hit = await t.admin.request(q, { id: u.id });
    expect(cacheReport(hit)?.status).toBe('HIT');
    expect(dataBytes(hit)).toBe(dataBytes(miss));
    expect(dataBytes(miss)).toMatch(/"lastUsedAt":null/);
    expect(dataBytes(miss)).toMatch(/"createdAt":"\d{4}-\d\d-\d\dT[\d:.]+Z"/);
  });

  it('Cache-Control: no-cache runs every cached resolver fresh, stores it, and reports BYPASS', async () => {
    const u = await t.createUser();
    await u.client.request(ME);
    // a write the ORM does not see (no eviction): the cache now holds a stale value
    await t.app.orm.em.fork().nativeUpdate(User, { id: Number(u.id) }, { fullName: 'Changed behind the cache' });
    const stale = await u.client.request(ME);
    expect(cacheReport(stale)?.status).toBe('HIT');
    expect((stale.body.data as { me: { fullName: string } }).me.fullName).toBe('Test User');

    const bypass = await u.client.request(ME, undefined, { 'cache-control': 'no-cache' });
    expect(cacheReport(bypass)).toMatchObject({ status: 'BYPASS', fields: [{ path: 'me', status: 'BYPASS' }] });
    expect(bypass.headers.get('x-cache')).toBe('BYPASS');
    expect((bypass.body.data as { me: { fullName: string } }).me.fullName).toBe('Changed behind the cache');

    const after = await u.client.request(ME);
    expect(cacheReport(after)?.status).toBe('HIT');
    expect((after.body.data as { me: { fullName: string } }).me.fullName).toBe('Changed behind the cache');
  });

  it('50 concurrent identical misses run the resolver once', async () => {
    await t.admin.ok('{ me { id } }'); // authentication cached
    t.resetSql();
    const responses = await Promise.all(
      Array.from({ length: 50 }, () => t.admin.request(USERS, { page: 1, size: 13 })),
    );
    for (const res of responses) expect(res.body.errors).toBeUndefined();
    const pageQueries = t.sql.filter((s) => isSelect(s) && /from [`"]users[`"]/.test(s) && /limit/i.test(s));
    const countQueries = t.sql.filter((s) => isSelect(s) && /count\(\*\)/i.test(s));
    expect(pageQueries).toHaveLength(1);
    expect(countQueries).toHaveLength(1);
  });

  it('a HIT costs zero SQL statements, authentication included', async () => {
    const u = await t.createUser();
    const q = '{ me { id email apiKeys { id name } } apiKeys { id } }';
    await u.client.ok(q);
    await u.client.ok(q); // the first request may write lastUsedAt
    t.resetSql();
    const res = await u.client.request(q);
    expect(cacheReport(res)?.status).toBe('HIT');
    expect(t.sql).toEqual([]);
  });

  it("sets Apollo's HTTP Cache-Control from the hints", async () => {
    const u = await t.createUser();
    const me = await u.client.request('{ me { id email } }');
    expect(me.headers.get('cache-control')).toBe('max-age=300, private');
    const user = await u.client.request(USER, { id: u.id });
    expect(user.headers.get('cache-control')).toBe('max-age=300, public');
    expect(user.headers.get('vary')).toMatch(/Authorization/);
  });
});

describe('CACHE_ENABLED=false', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ env: { CACHE_ENABLED: 'false' } });
  });
  afterAll(async () => t?.close());

  it('runs every resolver, with no report and no X-Cache header', async () => {
    for (let i = 0; i < 2; i++) {
      t.resetSql();
      const res = await t.admin.request(USERS, { page: 1, size: 5 });
      expect(res.body.errors).toBeUndefined();
      expect(res.body.extensions?.cache).toBeUndefined();
      expect(res.headers.get('x-cache')).toBeNull();
      expect(t.sql.filter(isSelect).length).toBeGreaterThanOrEqual(2);
    }
    expect(t.app.cache).toBeNull();
    const ready = await (await fetch(`${t.baseUrl}/ready`)).json();
    expect(ready.cache).toBe('disabled');
  });
});

describe('LOG_CATEGORIES=CACHE', () => {
  it('logs one line per hit and miss with the coordinate and milliseconds, never a user id or secret', async () => {
    const lines: string[] = [];
    const t = await startTestApp({ env: { LOG_CATEGORIES: 'CACHE', CACHE_OPERATION_TIER: 'false' }, logLines: lines });
    try {
      const u = await t.createUser();
      lines.splice(0);
      await u.client.request(ME);
      await u.client.request(ME);
      const messages = lines.map((l) => JSON.parse(l).msg as string);
      expect(messages).toEqual(
        expect.arrayContaining([
          expect.stringMatching(/^CACHE MISS: Query\.me \(\d+\.\d\dms\)$/),
          expect.stringMatching(/^CACHE HIT: Query\.me \(\d+\.\d\dms\)$/),
        ]),
      );
      const text = lines.join('\n');
      expect(text).not.toContain(u.key);
      expect(text).not.toContain(`"userId":${u.id}`);
      expect(text).not.toContain(u.email);
    } finally {
      await t.close();
    }
  });
});
