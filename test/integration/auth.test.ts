import { databaseKinds } from '../helpers/databases';
import { startTestApp, type TestApp } from '../helpers/test-app';

const ME = '{ me { id email role } }';

describe.each(databaseKinds)('authentication (%s)', (database) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ database });
  });
  afterAll(async () => t?.close());

  it('accepts the key as Authorization: Bearer and as X-API-Key', async () => {
    const bearer = await t.admin.ok<{ me: { email: string; role: string } }>(ME);
    expect(bearer.me).toMatchObject({ email: 'admin@example.com', role: 'ADMIN' });
    const header = await t.admin.withApiKeyHeader().ok<{ me: { email: string } }>(ME);
    expect(header.me.email).toBe('admin@example.com');
  });

  it('refuses a request without a key, with UNAUTHENTICATED', async () => {
    expect(await t.anonymous.errorCode(ME)).toBe('UNAUTHENTICATED');
    expect(await t.anonymous.errorCode('{ users { total } }')).toBe('UNAUTHENTICATED');
  });

  it('refuses an unknown or malformed key, with UNAUTHENTICATED', async () => {
    expect(await t.client('gqk_not-a-real-key').errorCode(ME)).toBe('UNAUTHENTICATED');
    expect(await t.anonymous.errorCode(ME, undefined, { authorization: 'Basic abc' })).toBe('UNAUTHENTICATED');
    expect(await t.anonymous.errorCode(ME, undefined, { authorization: `Bearer ${t.adminKey}x` })).toBe(
      'UNAUTHENTICATED',
    );
  });

  it('stops authenticating a revoked key at once', async () => {
    const user = await t.createUser();
    const created = await user.client.ok<{ createApiKey: { apiKey: { id: string }; secret: string } }>(
      'mutation { createApiKey(name: "to revoke") { apiKey { id } secret } }',
    );
    const second = t.client(created.createApiKey.secret);
    expect((await second.ok<{ me: { id: string } }>(ME)).me.id).toBe(user.id);
    expect(
      (
        await user.client.ok<{ revokeApiKey: boolean }>('mutation($id: ID!) { revokeApiKey(id: $id) }', {
          id: created.createApiKey.apiKey.id,
        })
      ).revokeApiKey,
    ).toBe(true);
    expect(await second.errorCode(ME)).toBe('UNAUTHENTICATED');
    // the user's other key still works
    expect((await user.client.ok<{ me: { id: string } }>(ME)).me.id).toBe(user.id);
  });

  it("stops authenticating a deleted user's keys at once", async () => {
    const user = await t.createUser();
    expect((await user.client.ok<{ me: { id: string } }>(ME)).me.id).toBe(user.id);
    await t.admin.ok('mutation($id: ID!) { deleteUser(id: $id) }', { id: user.id });
    expect(await user.client.errorCode(ME)).toBe('UNAUTHENTICATED');
  });

  it('stores only a hash of the secret, and shows the secret once', async () => {
    const created = await t.admin.ok<{ createApiKey: { apiKey: { id: string; prefix: string }; secret: string } }>(
      'mutation { createApiKey(name: "hash check") { apiKey { id prefix } secret } }',
    );
    const { secret, apiKey } = created.createApiKey;
    expect(secret).toMatch(/^gqk_[A-Za-z0-9_-]{43}$/); // 32 random bytes
    expect(secret.startsWith(apiKey.prefix)).toBe(true);
    expect(apiKey.prefix.length).toBeLessThan(secret.length / 2);
    const rows = await t.app.orm.em.getConnection().execute('select * from api_keys where id = ?', [Number(apiKey.id)]);
    expect(JSON.stringify(rows)).not.toContain(secret);
    expect(JSON.stringify(rows)).not.toContain(secret.slice(apiKey.prefix.length));
  });

  it('writes lastUsedAt once, not on every request', async () => {
    const user = await t.createUser();
    t.resetSql();
    for (let i = 0; i < 5; i++) await user.client.ok(ME);
    const updates = t.sql.filter((q) => /^update\b.*api_keys/i.test(q) && /last_used_at/i.test(q));
    expect(updates).toHaveLength(1);
    const keys = await user.client.ok<{ apiKeys: Array<{ lastUsedAt: string | null }> }>('{ apiKeys { lastUsedAt } }');
    expect(keys.apiKeys[0]!.lastUsedAt).not.toBeNull();
  });
});
