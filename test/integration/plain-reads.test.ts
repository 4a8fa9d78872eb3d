// The read paths (users, user, me, apiKeys, User.apiKeys, ApiKey.owner, the key lookup) load plain rows,
// not entities (src/modules/plain-rows.ts). What they answer must be what the entities hold, on both
// databases: the same values, dates to the millisecond, serialised the same with the cache off and on.
import { ApiKey } from '../../src/modules/api-key/api-key.entity';
import { User } from '../../src/modules/user/user.entity';
import { databaseKinds } from '../helpers/databases';
import type { GraphQLResponse } from '../helpers/graphql-client';
import { startTestApp, type TestApp } from '../helpers/test-app';

/** The bytes the server wrote for `data` (with or without `extensions` after it, and a final newline). */
function dataBytes(res: GraphQLResponse<unknown>): string {
  const text = res.text.trimEnd();
  expect(text.startsWith('{"data":')).toBe(true);
  const end = text.lastIndexOf(',"extensions":');
  return text.slice('{"data":'.length, end === -1 ? text.length - 1 : end);
}

const FULL = `query($id: ID!) {
  user(id: $id) { id email fullName role createdAt updatedAt apiKeys { id name prefix createdAt lastUsedAt owner { id email } } }
}`;

interface KeyOut {
  id: string;
  name: string;
  prefix: string;
  createdAt: string;
  lastUsedAt: string | null;
  owner: { id: string; email: string };
}
interface UserOut {
  id: string;
  email: string;
  fullName: string;
  role: string;
  createdAt: string;
  updatedAt: string;
  apiKeys: KeyOut[];
}

describe.each(databaseKinds)('plain reads (%s)', (database) => {
  describe.each([
    ['cache off', 'false'],
    ['cache on', 'true'],
  ])('%s', (_label, cacheEnabled) => {
    let t: TestApp;
    beforeAll(async () => {
      t = await startTestApp({ database, env: { CACHE_ENABLED: cacheEnabled } });
    });
    afterAll(async () => t?.close());

    it('answer what the entities hold, dates to the millisecond', async () => {
      const u = await t.createUser();
      await u.client.ok('{ me { id } }'); // lastUsedAt written: a date with milliseconds, not a seeded one
      await u.client.ok('mutation { createApiKey(name: "second") { secret } }');
      const { user } = await t.admin.ok<{ user: UserOut }>(FULL, { id: u.id });

      const em = t.app.orm.em.fork();
      const entity = await em.findOneOrFail(User, Number(u.id));
      const keys = await em.find(ApiKey, { owner: entity }, { orderBy: { id: 'asc' } });
      expect(user).toEqual({
        id: String(entity.id),
        email: entity.email,
        fullName: entity.fullName,
        role: entity.role,
        createdAt: entity.createdAt.toISOString(),
        updatedAt: entity.updatedAt.toISOString(),
        apiKeys: keys.map((k) => ({
          id: String(k.id),
          name: k.name,
          prefix: k.prefix,
          createdAt: k.createdAt.toISOString(),
          lastUsedAt: k.lastUsedAt?.toISOString() ?? null,
          owner: { id: String(entity.id), email: entity.email },
        })),
      });
      expect(user.apiKeys.map((k) => k.lastUsedAt).filter((d) => d !== null)).toHaveLength(1);
    });

    it('the same bytes from every read path, and again on a repeat', async () => {
      const u = await t.createUser();
      await u.client.ok('{ me { id } }');
      const KEY = '{ id name prefix createdAt lastUsedAt }';
      const USER = `{ id email fullName role createdAt updatedAt apiKeys ${KEY} }`;
      const viaUser = await t.admin.request(`query($id: ID!) { user(id: $id) ${USER} }`, { id: u.id });
      const viaMe = await u.client.request(`{ me ${USER} }`);
      const viaPage = await t.admin.request(`{ users(size: 100) { items ${USER} } }`);
      const viaKeys = await u.client.request(`{ apiKeys ${KEY} }`);
      const one = dataBytes(viaUser)
        .replace(/^\{"user":/, '')
        .replace(/\}$/, '');
      expect(dataBytes(viaMe)).toBe(`{"me":${one}}`);
      expect(dataBytes(viaPage)).toContain(one);
      expect(dataBytes(viaKeys)).toBe(`{"apiKeys":${JSON.stringify((JSON.parse(one) as UserOut).apiKeys)}}`);
      const again = await t.admin.request(`query($id: ID!) { user(id: $id) ${USER} }`, { id: u.id });
      expect(dataBytes(again)).toBe(dataBytes(viaUser));
    });

    it('never read the secret hash: no read selects it, only the key lookup compares it', async () => {
      const u = await t.createUser();
      t.resetSql();
      await u.client.ok('{ me { id apiKeys { id name prefix owner { id } } } apiKeys { id createdAt } }');
      await t.admin.ok('{ users(size: 100) { items { id apiKeys { id lastUsedAt } } } }');
      const selects = t.sql.filter((s) => /^\s*select\b/i.test(s));
      expect(selects.length).toBeGreaterThan(0);
      for (const s of selects) {
        const [columns, rest = ''] = s.split(/\bfrom\b/i, 2);
        expect(columns).not.toMatch(/secret_hash/i);
        if (/secret_hash/i.test(rest)) expect(rest).toMatch(/where\s+\S*secret_hash\S*\s*=/i);
      }
    });

    it('a mutation document reads what its earlier mutations wrote (no stale row from the loaders)', async () => {
      const u = await t.createUser();
      const { a, b, c, d } = await t.admin.ok<{
        a: { apiKey: { owner: { fullName: string } } };
        b: { fullName: string; apiKeys: { name: string }[] };
        c: { apiKey: { owner: { fullName: string } } };
        d: { apiKeys: { name: string }[] };
      }>(
        `mutation($id: ID!) {
          a: createApiKey(name: "first", userId: $id) { apiKey { owner { fullName } } }
          b: updateUser(id: $id, input: { fullName: "Renamed" }) { fullName apiKeys { name } }
          c: createApiKey(name: "second", userId: $id) { apiKey { owner { fullName } } }
          d: updateUser(id: $id, input: { fullName: "Renamed again" }) { apiKeys { name } }
        }`,
        { id: u.id },
      );
      expect(a.apiKey.owner.fullName).toBe('Test User');
      expect(b.apiKeys.map((k) => k.name)).toEqual(['test', 'first']);
      expect(c.apiKey.owner.fullName).toBe('Renamed');
      expect(d.apiKeys.map((k) => k.name)).toEqual(['test', 'first', 'second']);
    });
  });
});
