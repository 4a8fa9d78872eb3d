/**
 * The typed client (client/index.ts + client/generated) against the real server: every operation of
 * client/operations, typed results, the cache report, and errors as typed exceptions.
 *
 * Type-level checks are part of the test: `npx tsc --noEmit -p .` fails when an `@ts-expect-error`
 * below stops being an error (e.g. a field that is not selected becomes accessible).
 */
import {
  ApiKeysDocument,
  BadUserInputError,
  type CacheStatus,
  type Client,
  ClientError,
  CreateApiKeyDocument,
  CreateUserDocument,
  createClient,
  DeleteUserDocument,
  ForbiddenError,
  GraphQLRequestError,
  HttpError,
  MeDocument,
  NetworkError,
  NotFoundError,
  RevokeApiKeyDocument,
  type Role,
  UnauthenticatedError,
  UpdateUserDocument,
  UserDocument,
  UsersDocument,
} from '../../client';
import { startTestApp, type TestApp } from '../helpers/test-app';

/** Compile-time equality of two types. */
type Equals<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
/** Fails to compile unless `T` is `true`. */
function assertType<_T extends true>(): void {}

const ISO = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/;
/** Asymmetric matcher: null or an ISO date (lastUsedAt). */
const nullOrIso = {
  asymmetricMatch: (v: unknown) => v === null || (typeof v === 'string' && ISO.test(v)),
  toAsymmetricMatcher: () => 'null or an ISO date',
};
let counter = 0;
const email = () => `client-${process.pid}-${Date.now()}-${++counter}@example.com`;

describe('typed client (client/index.ts) over HTTP', () => {
  let t: TestApp;
  let admin: Client;

  /** A USER (or ADMIN) made through the typed client, with a key and a client of their own. */
  async function makeUser(role: Role = 'USER') {
    const created = await admin.request(CreateUserDocument, {
      input: { email: email(), fullName: 'Client Test', role },
    });
    const user = created.data.createUser;
    const keyed = await admin.request(CreateApiKeyDocument, { name: 'client test', userId: user.id });
    return { user, key: keyed.data.createApiKey.secret, client: admin.withApiKey(keyed.data.createApiKey.secret) };
  }

  beforeAll(async () => {
    t = await startTestApp();
    admin = createClient({ url: t.url, apiKey: t.adminKey });
  });
  afterAll(async () => t?.close());

  it('Me: typed data, the cache report, and the response headers', async () => {
    const first = await admin.request(MeDocument);
    const me = first.data.me;
    assertType<Equals<typeof me.role, Role>>();
    assertType<Equals<typeof me.createdAt, string>>();
    assertType<
      Equals<
        typeof first.cache,
        | {
            status: CacheStatus;
            tier?: 'operation';
            hits: number;
            misses: number;
            stale?: number;
            fields: {
              path: string;
              status: 'HIT' | 'STALE' | 'MISS' | 'BYPASS';
              scope: 'PUBLIC' | 'PRIVATE';
              maxAge: number;
              age: number;
            }[];
          }
        | undefined
      >
    >();
    expect(me).toEqual({
      id: '1',
      email: 'admin@example.com',
      fullName: expect.any(String),
      role: 'ADMIN',
      createdAt: expect.stringMatching(ISO),
      updatedAt: expect.stringMatching(ISO),
    });
    expect(first.cache).toEqual({
      status: 'MISS',
      hits: 0,
      misses: 1,
      fields: [{ path: 'me', status: 'MISS', scope: 'PRIVATE', maxAge: 300, age: 0 }],
    });
    expect(first.headers.get('x-cache')).toBe('MISS');
    expect(first.status).toBe(200);
    const second = await admin.request(MeDocument, {});
    expect(second.cache?.status).toBe('HIT');
    expect(second.data).toEqual(first.data);
  });

  it('Users: page/size variables, items with apiKeys, MISS then HIT with fields[0].path "users"', async () => {
    const first = await admin.request(UsersDocument, { page: 1, size: 7 });
    const { users } = first.data;
    assertType<Equals<typeof users.total, number>>();
    assertType<Equals<(typeof users.items)[number]['apiKeys'][number]['lastUsedAt'], string | null>>();
    expect(users).toMatchObject({ page: 1, size: 7, total: expect.any(Number) });
    expect(users.total).toBeGreaterThanOrEqual(1);
    const adminRow = users.items.find((u) => u.id === '1');
    expect(adminRow).toMatchObject({ email: 'admin@example.com', role: 'ADMIN' });
    expect(adminRow!.apiKeys.length).toBeGreaterThanOrEqual(1);
    expect(adminRow!.apiKeys[0]).toEqual({
      id: expect.any(String),
      name: expect.any(String),
      prefix: expect.any(String),
      createdAt: expect.stringMatching(ISO),
      lastUsedAt: nullOrIso,
    });
    expect(first.cache?.status).toBe('MISS');
    expect(first.cache?.fields[0]?.path).toBe('users');
    expect(first.cache?.fields[0]).toMatchObject({ status: 'MISS', scope: 'PUBLIC', maxAge: 300, age: 0 });

    const second = await admin.request(UsersDocument, { page: 1, size: 7 });
    expect(second.cache?.status).toBe('HIT');
    expect(second.cache?.fields[0]?.path).toBe('users');
    expect(second.cache?.misses).toBe(0);
    expect(second.headers.get('x-cache')).toBe('HIT');
    expect(second.data).toEqual(first.data);

    // variables with defaults are optional
    const defaults = await admin.request(UsersDocument);
    expect(defaults.data.users).toMatchObject({ page: 1, size: 20 });
  });

  it('User: by id, null when absent', async () => {
    const { user: created, client } = await makeUser();
    const found = await client.request(UserDocument, { id: created.id });
    const user = found.data.user;
    assertType<
      Equals<
        typeof user,
        { id: string; email: string; fullName: string; role: Role; createdAt: string; updatedAt: string } | null
      >
    >();
    // (updatedAt is not compared: creating the user's key, in makeUser, may touch it)
    expect(user).toEqual({ ...created, updatedAt: expect.stringMatching(ISO) });
    expect(found.cache?.fields).toEqual([{ path: 'user', status: 'MISS', scope: 'PUBLIC', maxAge: 300, age: 0 }]);
    expect((await client.request(UserDocument, { id: '999999' })).data.user).toBeNull();
  });

  it('ApiKeys: own keys with their owner; an ADMIN may name another user', async () => {
    const { user, client } = await makeUser();
    const own = await client.request(ApiKeysDocument);
    expect(own.data.apiKeys).toEqual([
      {
        id: expect.any(String),
        name: 'client test',
        prefix: expect.any(String),
        createdAt: expect.stringMatching(ISO),
        lastUsedAt: nullOrIso,
        owner: { id: user.id, email: user.email, fullName: 'Client Test' },
      },
    ]);
    expect(own.cache?.fields[0]).toMatchObject({ path: 'apiKeys', scope: 'PRIVATE' });
    const byAdmin = await admin.request(ApiKeysDocument, { userId: user.id });
    expect(byAdmin.data.apiKeys.map((k) => k.id)).toEqual(own.data.apiKeys.map((k) => k.id));
    await expect(client.request(ApiKeysDocument, { userId: '1' })).rejects.toBeInstanceOf(ForbiddenError);
  });

  it('CreateUser: typed input, the role defaults to USER', async () => {
    const address = email();
    const { data } = await admin.request(CreateUserDocument, {
      input: { email: address, fullName: 'Created By Client' },
    });
    expect(data.createUser).toEqual({
      id: expect.any(String),
      email: address,
      fullName: 'Created By Client',
      role: 'USER',
      createdAt: expect.stringMatching(ISO),
      updatedAt: expect.stringMatching(ISO),
    });
  });

  it('UpdateUser: Me and User show the change, and their cache went MISS again', async () => {
    const { user, client } = await makeUser();
    expect((await client.request(MeDocument)).cache?.status).toBe('MISS');
    expect((await client.request(MeDocument)).cache?.status).toBe('HIT');
    expect((await admin.request(UserDocument, { id: user.id })).cache?.status).toBe('MISS');
    expect((await admin.request(UserDocument, { id: user.id })).cache?.status).toBe('HIT');

    const updated = await client.request(UpdateUserDocument, {
      id: user.id,
      input: { fullName: 'Renamed Through Client' },
    });
    expect(updated.data.updateUser).toMatchObject({
      id: user.id,
      email: user.email,
      fullName: 'Renamed Through Client',
      role: 'USER',
    });

    const me = await client.request(MeDocument);
    expect(me.cache?.status).toBe('MISS');
    expect(me.data.me.fullName).toBe('Renamed Through Client');
    const byId = await admin.request(UserDocument, { id: user.id });
    expect(byId.cache?.status).toBe('MISS');
    expect(byId.data.user?.fullName).toBe('Renamed Through Client');
  });

  it('CreateApiKey: the secret authenticates a new client; RevokeApiKey: it then throws UnauthenticatedError', async () => {
    const { user, client } = await makeUser();
    const created = await client.request(CreateApiKeyDocument, { name: 'second key' });
    const { secret, apiKey } = created.data.createApiKey;
    assertType<Equals<typeof secret, string>>();
    expect(apiKey).toMatchObject({ name: 'second key', owner: { id: user.id, email: user.email }, lastUsedAt: null });
    expect(secret.startsWith(apiKey.prefix)).toBe(true);

    const second = createClient({ url: t.url, apiKey: secret });
    expect((await second.request(MeDocument)).data.me.id).toBe(user.id);

    const revoked = await client.request(RevokeApiKeyDocument, { id: apiKey.id });
    assertType<Equals<typeof revoked.data.revokeApiKey, boolean>>();
    expect(revoked.data.revokeApiKey).toBe(true);
    const error = await second.request(MeDocument).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UnauthenticatedError);
    expect(error).toBeInstanceOf(GraphQLRequestError);
    expect(error).toMatchObject({ code: 'UNAUTHENTICATED', status: 200, name: 'UnauthenticatedError' });
    // the first key still works; revoking again answers false
    expect((await client.request(MeDocument)).data.me.id).toBe(user.id);
    expect((await client.request(RevokeApiKeyDocument, { id: apiKey.id })).data.revokeApiKey).toBe(false);
  });

  it('DeleteUser: true, then the user is gone (null, and their key fails); false the second time', async () => {
    const { user, client } = await makeUser();
    const deleted = await admin.request(DeleteUserDocument, { id: user.id });
    expect(deleted.data.deleteUser).toBe(true);
    expect((await admin.request(UserDocument, { id: user.id })).data.user).toBeNull();
    await expect(client.request(MeDocument)).rejects.toBeInstanceOf(UnauthenticatedError);
    expect((await admin.request(DeleteUserDocument, { id: user.id })).data.deleteUser).toBe(false);
  });

  describe('errors are typed exceptions', () => {
    it('no key: UnauthenticatedError', async () => {
      const anonymous = createClient({ url: t.url });
      const error = await anonymous.request(MeDocument).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(UnauthenticatedError);
      expect(error).toBeInstanceOf(ClientError);
      const e = error as UnauthenticatedError;
      expect(e.code).toBe('UNAUTHENTICATED');
      expect(e.errors[0]?.message).toMatch(/Not authenticated/);
      expect(e.message).toMatch(/^UNAUTHENTICATED: /);
    });

    it('a USER on Users: ForbiddenError', async () => {
      const { client } = await makeUser();
      const error = await client.request(UsersDocument, { page: 1, size: 5 }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ForbiddenError);
      expect((error as ForbiddenError).code).toBe('FORBIDDEN');
    });

    it('a bad email: BadUserInputError with code BAD_USER_INPUT and the field named', async () => {
      const error = await admin
        .request(CreateUserDocument, { input: { email: 'not-an-email', fullName: 'Bad' } })
        .catch((e: unknown) => e);
      expect(error).toBeInstanceOf(BadUserInputError);
      const e = error as BadUserInputError;
      expect(e.code).toBe('BAD_USER_INPUT');
      expect(e.message).toMatch(/email/);
      expect(e.fields.map((f) => f.field)).toContain('email');
    });

    it('a size out of range: BadUserInputError', async () => {
      await expect(admin.request(UsersDocument, { page: 1, size: 101 })).rejects.toBeInstanceOf(BadUserInputError);
    });

    it('updateUser on an absent id: NotFoundError', async () => {
      const error = await admin
        .request(UpdateUserDocument, { id: '999999', input: { fullName: 'Nobody' } })
        .catch((e: unknown) => e);
      expect(error).toBeInstanceOf(NotFoundError);
      expect((error as NotFoundError).code).toBe('NOT_FOUND');
    });

    it('an unreachable server: NetworkError; a non-GraphQL answer: HttpError', async () => {
      const down = createClient({ url: 'http://127.0.0.1:1/graphql', apiKey: t.adminKey });
      await expect(down.request(MeDocument)).rejects.toBeInstanceOf(NetworkError);
      const health = createClient({ url: `${t.baseUrl}/no-such-path`, apiKey: t.adminKey });
      const error = await health.request(MeDocument).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(HttpError);
      expect((error as HttpError).status).toBe(404);
      const failing = createClient({
        url: t.url,
        fetch: async () => new Response('<html>bad gateway</html>', { status: 502 }),
      });
      await expect(failing.request(MeDocument)).rejects.toMatchObject({ name: 'HttpError', status: 502 });
    });
  });

  it('noCache: true sends Cache-Control: no-cache and the report says BYPASS', async () => {
    await admin.request(UsersDocument, { page: 1, size: 3 });
    const bypass = await admin.request(UsersDocument, { page: 1, size: 3 }, { noCache: true });
    expect(bypass.cache?.status).toBe('BYPASS');
    expect(bypass.headers.get('x-cache')).toBe('BYPASS');
    expect((await admin.request(MeDocument, undefined, { noCache: true })).cache?.status).toBe('BYPASS');
    // per-request headers go through too
    const seen: Headers[] = [];
    const spy = createClient({
      url: t.url,
      apiKey: t.adminKey,
      fetch: async (input, init) => {
        seen.push(new Headers(init?.headers));
        return fetch(input, init);
      },
    });
    await spy.request(MeDocument, {}, { noCache: true, headers: { 'x-request-id': 'client-test' } });
    expect(seen[0]?.get('authorization')).toBe(`Bearer ${t.adminKey}`);
    expect(seen[0]?.get('content-type')).toBe('application/json');
    expect(seen[0]?.get('cache-control')).toBe('no-cache');
    expect(seen[0]?.get('x-request-id')).toBe('client-test');
  });

  it('types: wrong fields and wrong or missing variables do not compile', () => {
    // Never run: only type-checked (tsc fails if an @ts-expect-error below is not an error).
    const neverRun = async () => {
      const { data } = await admin.request(MeDocument);
      // @ts-expect-error: `password` is not a field of User
      void data.me.password;
      const users = await admin.request(UsersDocument, { page: 1 });
      // @ts-expect-error: `owner` is not selected on Users' apiKeys
      void users.data.users.items[0]?.apiKeys[0]?.owner;
      // @ts-expect-error: `user` may be null
      void (await admin.request(UserDocument, { id: '1' })).data.user.email;
      // @ts-expect-error: `id` is a required variable
      await admin.request(UserDocument);
      // @ts-expect-error: `page` is an Int
      await admin.request(UsersDocument, { page: '1' });
      // @ts-expect-error: `SUPERUSER` is not a Role
      await admin.request(CreateUserDocument, { input: { email: 'a@b.c', fullName: 'x', role: 'SUPERUSER' } });
      // @ts-expect-error: unknown variable
      await admin.request(DeleteUserDocument, { id: '1', force: true });
    };
    expect(typeof neverRun).toBe('function');
  });
});
