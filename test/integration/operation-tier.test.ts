import { ApiKey } from '../../src/modules/api-key/api-key.entity';
import { cacheReport, dataBytes } from '../helpers/cache-report';
import { instancePairLegs, useInstancePair } from '../helpers/instance-pair';
import type { TestApp } from '../helpers/test-app';

const ME = '{ me { id email fullName apiKeys { id name prefix } } }';
const USER = 'query One($id: ID!) { user(id: $id) { id fullName } }';
const USERS = '{ users(page: 1, size: 50) { total items { id email fullName role apiKeys { id name } } } }';
const UPDATE =
  'mutation($id: ID!, $input: UpdateUserInput!) { updateUser(id: $id, input: $input) { id fullName role } }';
const REVOKE = 'mutation($id: ID!) { revokeApiKey(id: $id) }';
const KEYS_WITH_OWNER = '{ apiKeys { id owner { id } } }';

/**
 * Runs `query` twice and answers the first response. An entry is stored from the second run on: the
 * first run of a new caller finds no token yet for its authentication namespace (it is created when
 * that lookup is stored), and a response is stored only with every dependency's token known before it ran.
 */
async function warm(client: TestApp['admin'], query: string, variables?: Record<string, unknown>) {
  const first = await client.request(query, variables);
  await client.request(query, variables);
  return first;
}

describe.each(instancePairLegs)('the operation tier (%s, %s)', (backend, kind) => {
  const pair = useInstancePair(backend, kind);
  let a: TestApp;
  let b: TestApp;
  beforeAll(() => {
    ({ a, b } = pair);
  });

  it('answers a repeat without executing: HIT of the operation tier, data byte for byte, same headers, no SQL', async () => {
    const u = await a.createUser();
    const miss = await warm(u.client, ME);
    expect(cacheReport(miss)).toMatchObject({ status: 'MISS' });
    expect(cacheReport(miss)).not.toHaveProperty('tier');
    a.resetSql();
    const hit = await u.client.request(ME);
    expect(a.sql).toEqual([]);
    expect(cacheReport(hit)).toMatchObject({
      status: 'HIT',
      tier: 'operation',
      misses: 0,
      hits: cacheReport(miss)!.fields.length,
    });
    expect(cacheReport(hit)!.fields.map((f) => f.path)).toEqual(cacheReport(miss)!.fields.map((f) => f.path));
    expect(dataBytes(hit)).toBe(dataBytes(miss));
    expect(hit.headers.get('x-cache')).toBe('HIT');
    expect(hit.headers.get('cache-control')).toBe(miss.headers.get('cache-control'));
    expect(hit.headers.get('vary')).toBe(miss.headers.get('vary'));
  });

  it('keys by the credential presented, the variables and the operation name', async () => {
    const u = await a.createUser();
    await warm(u.client, USER, { id: u.id });
    expect(cacheReport(await u.client.request(USER, { id: u.id }))?.tier).toBe('operation');
    // Another caller asking the same PRIVATE thing is never given this caller's entry (PUBLIC ones are
    // shared within a role: operation-tier-sharing.test.ts).
    await warm(u.client, ME);
    const other = await a.createUser();
    await warm(other.client, ME);
    const otherMe = await other.client.request<{ me: { id: string } }>(ME);
    expect(cacheReport(otherMe)?.tier).toBe('operation');
    expect(otherMe.body.data?.me.id).toBe(other.id);
    // Other variables: another operation.
    expect(cacheReport(await u.client.request(USER, { id: other.id }))?.tier).toBeUndefined();
  });

  it('every mutation of the data makes the next identical request miss the tier and answer fresh, on either instance', async () => {
    const u = await a.createUser();
    await warm(a.admin, USERS);
    expect(cacheReport(await a.admin.request(USERS))?.tier).toBe('operation');
    await b.admin.ok(UPDATE, { id: u.id, input: { fullName: 'Renamed by B' } });
    const after = await a.admin.request(USERS);
    expect(cacheReport(after)?.tier).toBeUndefined();
    expect(JSON.stringify(after.body.data)).toContain('Renamed by B');

    await warm(u.client, ME);
    expect(cacheReport(await u.client.request(ME))?.tier).toBe('operation');
    await b.admin.ok('mutation($n: String!, $u: ID) { createApiKey(name: $n, userId: $u) { secret } }', {
      n: 'second',
      u: u.id,
    });
    const me = await u.client.request<{ me: { apiKeys: unknown[] } }>(ME);
    expect(cacheReport(me)?.tier).toBeUndefined();
    expect(me.body.data?.me.apiKeys).toHaveLength(2);
  });

  it('a revoked key, a deleted user and a role change take effect on the next request', async () => {
    const u = await a.createUser();
    await warm(u.client, ME);
    expect(cacheReport(await u.client.request(ME))?.tier).toBe('operation');
    const [key] = (await a.app.orm.em.fork().find(ApiKey, { owner: Number(u.id) })) as ApiKey[];
    await b.admin.ok(REVOKE, { id: String(key!.id) });
    expect((await u.client.request(ME)).body.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');

    const admin2 = await a.createUser({ role: 'ADMIN' });
    await warm(admin2.client, USERS);
    expect(cacheReport(await admin2.client.request(USERS))?.tier).toBe('operation');
    await b.admin.ok(UPDATE, { id: admin2.id, input: { role: 'USER' } });
    expect((await admin2.client.request(USERS)).body.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');

    const gone = await a.createUser();
    await warm(gone.client, ME);
    expect(cacheReport(await gone.client.request(ME))?.tier).toBe('operation');
    await b.admin.ok('mutation($id: ID!) { deleteUser(id: $id) }', { id: gone.id });
    expect((await gone.client.request(ME)).body.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
  });

  it('never stores what it may not: a resolver with logic and no cache, a no-cache request, an error, a mutation', async () => {
    const u = await a.createUser();
    for (let i = 0; i < 3; i++) expect(cacheReport(await u.client.request(KEYS_WITH_OWNER))?.tier).toBeUndefined();
    for (let i = 0; i < 3; i++) {
      const res = await u.client.request(ME, undefined, { 'cache-control': 'no-cache' });
      expect(cacheReport(res)?.status).toBe('BYPASS');
    }
    for (let i = 0; i < 3; i++)
      expect((await u.client.request(USERS)).body.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    for (let i = 0; i < 3; i++) {
      const res = await u.client.request(UPDATE, { id: u.id, input: { fullName: 'Same' } });
      expect(res.body.data).toBeTruthy();
      expect(cacheReport(res)?.tier).toBeUndefined();
    }
  });

  it('a request Apollo would refuse is never answered from the tier', async () => {
    const u = await a.createUser();
    await warm(u.client, ME);
    expect(cacheReport(await u.client.request(ME))?.tier).toBe('operation');
    const anonymous = await a.anonymous.request(ME);
    expect(anonymous.body.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    const wrongKey = await a.client(`${u.key}x`).request(ME);
    expect(wrongKey.body.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    const notJson = await fetch(a.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${u.key}` },
      body: '{"query":',
    });
    expect(notJson.status).toBe(400);
  });

  it('records a key use (lastUsedAt) for a caller served only by the tier, at most once a minute', async () => {
    const u = await a.createUser();
    await warm(u.client, ME);
    expect(cacheReport(await u.client.request(ME))?.tier).toBe('operation');
    const lastUsed = async () =>
      (await a.app.orm.em.fork().findOneOrFail(ApiKey, { owner: Number(u.id) })).lastUsedAt?.getTime() ?? 0;
    const before = await lastUsed();
    const realNow = Date.now;
    const later = realNow() + 61_000;
    const spy = jest.spyOn(Date, 'now').mockImplementation(() => later);
    try {
      a.resetSql();
      const res = await u.client.request(ME);
      expect(cacheReport(res)?.tier).toBe('operation');
      for (let i = 0; i < 50 && (await lastUsed()) === before; i++) await new Promise((r) => setTimeout(r, 20));
      expect(await lastUsed()).toBeGreaterThan(before);
      expect(a.sql.filter((q) => /^update/i.test(q))).toHaveLength(1);
    } finally {
      spy.mockRestore();
    }
  });
});
