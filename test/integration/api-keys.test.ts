import { databaseKinds } from '../helpers/databases';
import { startTestApp, type TestApp } from '../helpers/test-app';

const API_KEYS =
  'query($userId: ID) { apiKeys(userId: $userId) { id name prefix createdAt lastUsedAt owner { id email } } }';
const CREATE =
  'mutation($name: String!, $userId: ID) { createApiKey(name: $name, userId: $userId) { secret apiKey { id name prefix owner { id } } } }';
const REVOKE = 'mutation($id: ID!) { revokeApiKey(id: $id) }';

type Key = { id: string; name: string; owner: { id: string } };

describe.each(databaseKinds)('API keys (%s)', (database) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ database });
  });
  afterAll(async () => t?.close());

  it("apiKeys lists the caller's own keys, with their owner", async () => {
    const u = await t.createUser();
    const { apiKeys } = await u.client.ok<{ apiKeys: Key[] }>(API_KEYS);
    expect(apiKeys).toHaveLength(1);
    expect(apiKeys[0]!.owner.id).toBe(u.id);
    const named = await u.client.ok<{ apiKeys: Key[] }>(API_KEYS, { userId: u.id });
    expect(named.apiKeys).toEqual(apiKeys);
  });

  it("lets an ADMIN list another user's keys; FORBIDDEN to a USER", async () => {
    const a = await t.createUser();
    const b = await t.createUser();
    const asAdmin = await t.admin.ok<{ apiKeys: Key[] }>(API_KEYS, { userId: a.id });
    expect(asAdmin.apiKeys.map((k) => k.owner.id)).toEqual([a.id]);
    const res = await b.client.request(API_KEYS, { userId: a.id });
    expect(res.body.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    expect(res.body.data).toBeNull();
  });

  it('User.apiKeys: the user themself or an ADMIN, else FORBIDDEN', async () => {
    const a = await t.createUser();
    const b = await t.createUser();
    const q = 'query($id: ID!) { user(id: $id) { id apiKeys { id } } }';
    expect((await a.client.ok<{ user: { apiKeys: Key[] } }>(q, { id: a.id })).user.apiKeys).toHaveLength(1);
    expect((await t.admin.ok<{ user: { apiKeys: Key[] } }>(q, { id: a.id })).user.apiKeys).toHaveLength(1);
    const res = await b.client.request(q, { id: a.id });
    expect(res.body.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    expect(res.body.errors?.[0]?.path).toEqual(['user', 'apiKeys']);
  });

  it('createApiKey makes a working key for the caller', async () => {
    const u = await t.createUser();
    const { createApiKey } = await u.client.ok<{ createApiKey: { secret: string; apiKey: Key & { prefix: string } } }>(
      CREATE,
      { name: 'ci' },
    );
    expect(createApiKey.apiKey).toMatchObject({ name: 'ci', owner: { id: u.id } });
    const me = await t.client(createApiKey.secret).ok<{ me: { id: string } }>('{ me { id } }');
    expect(me.me.id).toBe(u.id);
    expect((await u.client.ok<{ apiKeys: Key[] }>(API_KEYS)).apiKeys).toHaveLength(2);
  });

  it('createApiKey for another user: ADMIN only', async () => {
    const a = await t.createUser();
    const b = await t.createUser();
    const made = await t.admin.ok<{ createApiKey: { apiKey: Key } }>(CREATE, { name: 'for a', userId: a.id });
    expect(made.createApiKey.apiKey.owner.id).toBe(a.id);
    expect(await b.client.errorCode(CREATE, { name: 'steal', userId: a.id })).toBe('FORBIDDEN');
    expect((await t.admin.ok<{ apiKeys: Key[] }>(API_KEYS, { userId: a.id })).apiKeys).toHaveLength(2);
    expect(await t.admin.errorCode(CREATE, { name: 'ghost', userId: '999999' })).toBe('NOT_FOUND');
  });

  it.each(['', '   ', 'x'.repeat(101)])('createApiKey refuses the name %p with BAD_USER_INPUT', async (name) => {
    const u = await t.createUser();
    const res = await u.client.request(CREATE, { name });
    expect(res.body.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    expect(res.body.errors?.[0]?.message).toMatch(/name/);
    expect((await u.client.ok<{ apiKeys: Key[] }>(API_KEYS)).apiKeys).toHaveLength(1);
  });

  it("revokeApiKey: the owner or an ADMIN; another's key answers false, like an absent one", async () => {
    const a = await t.createUser();
    const b = await t.createUser();
    const [aKey] = (await a.client.ok<{ apiKeys: Key[] }>(API_KEYS)).apiKeys;
    expect((await b.client.ok<{ revokeApiKey: boolean }>(REVOKE, { id: aKey!.id })).revokeApiKey).toBe(false);
    expect((await a.client.ok<{ me: { id: string } }>('{ me { id } }')).me.id).toBe(a.id);
    expect((await t.admin.ok<{ revokeApiKey: boolean }>(REVOKE, { id: aKey!.id })).revokeApiKey).toBe(true);
    expect(await a.client.errorCode('{ me { id } }')).toBe('UNAUTHENTICATED');
    expect((await t.admin.ok<{ revokeApiKey: boolean }>(REVOKE, { id: aKey!.id })).revokeApiKey).toBe(false);
  });
});
