import {
  CreateApiKeyDocument,
  CreateUserDocument,
  DeleteUserDocument,
  MeDocument,
  RevokeApiKeyDocument,
  UpdateUserDocument,
  UserDocument,
} from '../../client/generated/graphql';
import { hashApiKeySecret } from '../../src/auth/api-key-secret';
import type { CacheEvent } from '../../src/cache';
import { Evictions, Namespaces } from '../../src/caching/namespaces';
import type { GraphQLClient } from '../helpers/graphql-client';
import { startTestApp, type TestApp } from '../helpers/test-app';

/**
 * Each mutation evicts each namespace it makes stale exactly once, and nothing else: the `evict` events
 * of that one request, counted per namespace, equal one per namespace of what `Evictions` declares.
 */
describe('every mutation evicts what it makes stale, exactly once (sqlite, memory cache)', () => {
  const events: CacheEvent[] = [];
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ onCacheEvent: (event) => events.push(event) });
    await warmUp(t.admin);
  });
  afterAll(async () => t?.close());

  /** How many times each namespace was evicted while `request` ran. */
  async function evictionsOf(request: () => Promise<unknown>): Promise<Record<string, number>> {
    events.length = 0;
    await request();
    const counts: Record<string, number> = {};
    for (const event of events)
      if (event.type === 'evict') counts[event.namespace] = (counts[event.namespace] ?? 0) + 1;
    return counts;
  }

  const once = (...namespaces: (readonly string[])[]) =>
    Object.fromEntries(namespaces.flat().map((namespace) => [namespace, 1]));

  /**
   * Authentication records a key's lastUsedAt at most once a minute, evicting its owner's key lists
   * (Evictions.apiKeyUsed): a first request with the key does that now, so that it cannot land in a
   * counted request. A second request then evicts nothing.
   */
  async function warmUp(client: GraphQLClient): Promise<void> {
    await client.ok(MeDocument);
    expect(await evictionsOf(() => client.ok(MeDocument))).toEqual({});
  }

  /** A USER with `keys` API keys, each already used once; their secrets, in order. */
  async function userWithKeys(keys = 1) {
    const u = await t.createUser();
    const secrets = [u.key];
    for (let i = 1; i < keys; i++) {
      secrets.push((await t.admin.ok(CreateApiKeyDocument, { name: `key ${i}`, userId: u.id })).createApiKey.secret);
    }
    for (const secret of secrets) await warmUp(t.client(secret));
    return { ...u, secrets, hashes: secrets.map(hashApiKeySecret) };
  }

  const newUser = (label: string) => ({
    input: { email: `${label}-${Date.now()}-${Math.random().toString(36).slice(2)}@example.com`, fullName: label },
  });

  it('createUser: users:list exactly once, and no namespace evicted twice', async () => {
    const counts = await evictionsOf(() => t.admin.ok(CreateUserDocument, newUser('once')));
    expect(counts[Namespaces.usersList]).toBe(1);
    expect(Object.values(counts).every((n) => n === 1)).toBe(true);
  });

  it('createUser: Evictions.userCreated(id)', async () => {
    let id = '';
    const counts = await evictionsOf(async () => {
      id = (await t.admin.ok(CreateUserDocument, newUser('created'))).createUser.id;
    });
    expect(counts).toEqual(once(Evictions.userCreated(id)));
  });

  it('user(id) asked before the user existed is not answered null once the user is created', async () => {
    const last = Number((await t.admin.ok(CreateUserDocument, newUser('before'))).createUser.id);
    const next = String(last + 1);
    expect((await t.admin.ok(UserDocument, { id: next })).user).toBeNull(); // cached: null
    const created = (await t.admin.ok(CreateUserDocument, newUser('after'))).createUser;
    expect(created.id).toBe(next);
    expect((await t.admin.ok(UserDocument, { id: next })).user).toMatchObject({ id: next });
  });

  it('updateUser (by the user, no role change): Evictions.userUpdated(id)', async () => {
    const u = await userWithKeys();
    const counts = await evictionsOf(() =>
      u.client.ok(UpdateUserDocument, { id: u.id, input: { fullName: 'Renamed' } }),
    );
    expect(counts).toEqual(once(Evictions.userUpdated(u.id)));
  });

  it('updateUser (by an ADMIN, email and name): Evictions.userUpdated(id)', async () => {
    const u = await userWithKeys();
    const counts = await evictionsOf(() =>
      t.admin.ok(UpdateUserDocument, {
        id: u.id,
        input: { fullName: 'Renamed by admin', email: `renamed-${Date.now()}@example.com` },
      }),
    );
    expect(counts).toEqual(once(Evictions.userUpdated(u.id)));
  });

  it("updateUser changing the role: userUpdated(id) and the auth namespace of each of the user's keys", async () => {
    const u = await userWithKeys(2);
    const counts = await evictionsOf(() => t.admin.ok(UpdateUserDocument, { id: u.id, input: { role: 'ADMIN' } }));
    expect(counts).toEqual(once(Evictions.userUpdated(u.id), Evictions.roleChanged(u.hashes)));
  });

  it('deleteUser: userDeleted(id), and apiKeyChanged for each of their keys', async () => {
    const u = await userWithKeys(2);
    const counts = await evictionsOf(() => t.admin.ok(DeleteUserDocument, { id: u.id }));
    expect(counts).toEqual(
      once(Evictions.userDeleted(u.id), ...u.hashes.map((hash) => Evictions.apiKeyChanged(u.id, hash))),
    );
  });

  it('createApiKey (by the user): Evictions.apiKeyChanged(ownerId, hash of the new secret)', async () => {
    const u = await userWithKeys();
    let secret = '';
    const counts = await evictionsOf(async () => {
      secret = (await u.client.ok(CreateApiKeyDocument, { name: 'mine' })).createApiKey.secret;
    });
    expect(counts).toEqual(once(Evictions.apiKeyChanged(u.id, hashApiKeySecret(secret))));
  });

  it('createApiKey (by an ADMIN, for another user): apiKeyChanged of the owner, not of the ADMIN', async () => {
    const u = await userWithKeys();
    let secret = '';
    const counts = await evictionsOf(async () => {
      secret = (await t.admin.ok(CreateApiKeyDocument, { name: 'for them', userId: u.id })).createApiKey.secret;
    });
    expect(counts).toEqual(once(Evictions.apiKeyChanged(u.id, hashApiKeySecret(secret))));
  });

  it('revokeApiKey (by the owner, another of their keys): Evictions.apiKeyChanged(ownerId, hash)', async () => {
    const u = await userWithKeys(2);
    const keys = (await u.client.ok<{ apiKeys: { id: string; prefix: string }[] }>('{ apiKeys { id prefix } }'))
      .apiKeys;
    const second = keys.find((k) => u.secrets[1]!.startsWith(k.prefix))!;
    const counts = await evictionsOf(() => u.client.ok(RevokeApiKeyDocument, { id: second.id }));
    expect(counts).toEqual(once(Evictions.apiKeyChanged(u.id, u.hashes[1]!)));
  });

  it('revokeApiKey (by an ADMIN): Evictions.apiKeyChanged(ownerId, hash)', async () => {
    const u = await userWithKeys();
    const { apiKeys } = await t.admin.ok<{ apiKeys: { id: string }[] }>(
      'query($u: ID) { apiKeys(userId: $u) { id } }',
      {
        u: u.id,
      },
    );
    const counts = await evictionsOf(() => t.admin.ok(RevokeApiKeyDocument, { id: apiKeys[0]!.id }));
    expect(counts).toEqual(once(Evictions.apiKeyChanged(u.id, u.hashes[0]!)));
  });
});
