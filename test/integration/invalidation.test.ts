import {
  ApiKeysDocument,
  CreateApiKeyDocument,
  MeDocument,
  RevokeApiKeyDocument,
  UpdateUserDocument,
  UserDocument,
  UsersDocument,
} from '../../client/generated/graphql';
import { ApiKey } from '../../src/modules/api-key/api-key.entity';
import { User } from '../../src/modules/user/user.entity';
import { cacheReport } from '../helpers/cache-report';
import { databaseKinds } from '../helpers/databases';
import type { Doc } from '../helpers/graphql-client';
import { startTestApp, type TestApp } from '../helpers/test-app';

// Typed documents from client/generated: a schema change breaks these tests at compile time.
const ME = MeDocument;
const USER = UserDocument;
const API_KEYS = ApiKeysDocument;
const UPDATE = UpdateUserDocument;
const USERS = UsersDocument;
const ALL = { size: 100 };

describe.each(databaseKinds)('invalidation (%s)', (database) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ database });
  });
  afterAll(async () => t?.close());

  const warm = async <T, V>(client: TestApp['admin'], query: Doc<T, V>, variables?: V) => {
    await client.request(query, variables);
    expect(cacheReport(await client.request(query, variables))?.status).toBe('HIT');
  };

  it('updateUser evicts me, user(id) and users: the caller reads its write at once', async () => {
    const u = await t.createUser();
    await warm(u.client, ME);
    await warm(u.client, USER, { id: u.id });
    await warm(t.admin, USERS, ALL);
    await u.client.ok(UPDATE, { id: u.id, input: { fullName: 'After update' } });

    const me = await u.client.request(ME);
    expect(cacheReport(me)?.status).toBe('MISS');
    expect(me.body.data!.me.fullName).toBe('After update');
    expect((await u.client.ok(USER, { id: u.id })).user?.fullName).toBe('After update');
    const list = await t.admin.ok(USERS, ALL);
    expect(list.users.items.find((i) => i.id === u.id)?.fullName).toBe('After update');
  });

  it('createUser evicts users:list; deleteUser evicts the user everywhere', async () => {
    await warm(t.admin, USERS, ALL);
    const u = await t.createUser();
    const list = await t.admin.ok(USERS, ALL);
    expect(list.users.items.map((i) => i.id)).toContain(u.id);

    await warm(t.admin, USER, { id: u.id });
    await t.admin.ok('mutation($id: ID!) { deleteUser(id: $id) }', { id: u.id });
    expect((await t.admin.ok(USER, { id: u.id })).user).toBeNull();
    expect((await t.admin.ok(USERS, ALL)).users.items.map((i) => i.id)).not.toContain(u.id);
  });

  it('createApiKey and revokeApiKey evict the key lists', async () => {
    const u = await t.createUser();
    await warm(u.client, API_KEYS);
    await warm(t.admin, 'query($id: ID!) { user(id: $id) { apiKeys { id } } }', { id: u.id });
    const made = await u.client.ok(CreateApiKeyDocument, { name: 'second' });
    expect((await u.client.ok(API_KEYS)).apiKeys).toHaveLength(2);
    expect(
      (
        await t.admin.ok<{ user: { apiKeys: unknown[] } }>('query($id: ID!) { user(id: $id) { apiKeys { id } } }', {
          id: u.id,
        })
      ).user.apiKeys,
    ).toHaveLength(2);
    await warm(u.client, API_KEYS);
    await u.client.ok(RevokeApiKeyDocument, { id: made.createApiKey.apiKey.id });
    expect((await u.client.ok(API_KEYS)).apiKeys).toHaveLength(1);
  });

  it('a role change reaches the cached authentication at once', async () => {
    const u = await t.createUser();
    await warm(u.client, ME);
    expect(await u.client.errorCode(USERS)).toBe('FORBIDDEN');
    await t.admin.ok(UPDATE, { id: u.id, input: { role: 'ADMIN' } });
    expect(await u.client.errorCode(USERS)).toBeUndefined();
    await t.admin.ok(UPDATE, { id: u.id, input: { role: 'USER' } });
    expect(await u.client.errorCode(USERS)).toBe('FORBIDDEN');
  });

  it('a failed mutation evicts nothing', async () => {
    const u = await t.createUser();
    await warm(u.client, ME);
    expect(await u.client.errorCode(UPDATE, { id: u.id, input: { email: 'not an email' } })).toBe('BAD_USER_INPUT');
    expect(await u.client.errorCode(UPDATE, { id: u.id, input: { role: 'ADMIN' } })).toBe('FORBIDDEN');
    expect(cacheReport(await u.client.request(ME))?.status).toBe('HIT');
  });

  it('a write through the EntityManager alone (no resolver) is seen by the next cached read', async () => {
    const u = await t.createUser();
    await warm(u.client, ME);
    await warm(t.admin, USERS, ALL);
    await warm(u.client, API_KEYS);

    const em = t.app.orm.em.fork();
    const user = await em.findOneOrFail(User, Number(u.id));
    user.fullName = 'Written by a script';
    await em.flush();
    expect((await u.client.ok(ME)).me.fullName).toBe('Written by a script');
    expect((await t.admin.ok(USERS, ALL)).users.items.find((i) => i.id === u.id)?.fullName).toBe('Written by a script');

    em.create(ApiKey, { name: 'from a script', prefix: 'gqk_script', secretHash: `script-${u.id}`, owner: user });
    await em.flush();
    expect((await u.client.ok(API_KEYS)).apiKeys).toHaveLength(2);

    const created = em.create(User, { email: `script-${u.id}@example.com`, fullName: 'Scripted' });
    await em.flush();
    expect((await t.admin.ok(USERS, ALL)).users.items.map((i) => i.id)).toContain(String(created.id));
  });

  it('the invalidation helpers evict after writes the ORM cannot see (raw SQL)', async () => {
    const u = await t.createUser();
    await warm(u.client, ME);
    await warm(t.admin, USER, { id: u.id });
    await warm(t.admin, USERS, ALL);
    await warm(u.client, API_KEYS);
    const conn = t.app.orm.em.getConnection();
    await conn.execute('update users set full_name = ? where id = ?', ['Raw SQL', Number(u.id)]);
    expect((await u.client.ok(ME)).me.fullName).toBe('Test User'); // stale until told
    await t.app.evictions.evictUser(u.id);
    expect((await u.client.ok(ME)).me.fullName).toBe('Raw SQL');
    expect((await t.admin.ok(USER, { id: u.id })).user?.fullName).toBe('Raw SQL');
    expect((await t.admin.ok(USERS, ALL)).users.items.find((i) => i.id === u.id)?.fullName).toBe('Raw SQL');

    await conn.execute('update api_keys set name = ? where owner_id = ?', ['renamed by SQL', Number(u.id)]);
    await t.app.evictions.evictApiKeys(u.id);
    expect((await u.client.ok(API_KEYS)).apiKeys[0]!.name).toBe('renamed by SQL');

    await conn.execute('update users set full_name = ? where id = ?', ['Listed', Number(u.id)]);
    await t.app.evictions.evictUsersList();
    expect((await t.admin.ok(USERS, ALL)).users.items.find((i) => i.id === u.id)?.fullName).toBe('Listed');
    await t.app.evictions.evict([`user:${u.id}`]);
    expect((await u.client.ok(ME)).me.fullName).toBe('Listed');
  });

  it('a rolled-back transaction evicts nothing', async () => {
    const u = await t.createUser();
    await warm(u.client, ME);
    await expect(
      t.app.orm.em.fork().transactional(async (tx) => {
        const user = await tx.findOneOrFail(User, Number(u.id));
        user.fullName = 'never committed';
        await tx.flush();
        throw new Error('roll back');
      }),
    ).rejects.toThrow('roll back');
    const me = await u.client.request(ME);
    expect(cacheReport(me)?.status).toBe('HIT');
    expect(me.body.data!.me.fullName).toBe('Test User');
  });

  it('randomised: reads racing updateUser never leave a stale read behind', async () => {
    const u = await t.createUser();
    let stale = 0;
    for (let round = 0; round < 25; round++) {
      const value = `round ${round}`;
      const readers = Array.from({ length: 6 + Math.floor(Math.random() * 6) }, async (_, i) => {
        await new Promise((r) => setTimeout(r, Math.random() * 8));
        return i % 2 ? u.client.request(ME) : t.admin.request(USER, { id: u.id });
      });
      const write = (async () => {
        await new Promise((r) => setTimeout(r, Math.random() * 8));
        await u.client.ok(UPDATE, { id: u.id, input: { fullName: value } });
      })();
      await Promise.all([write, ...readers]);
      // after the write returned, every read sees it
      const [me, user] = await Promise.all([u.client.ok(ME), t.admin.ok(USER, { id: u.id })]);
      if (me.me.fullName !== value) stale++;
      if (user.user?.fullName !== value) stale++;
    }
    expect(stale).toBe(0);
  });
});
