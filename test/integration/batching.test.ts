import { DatabaseSeeder } from '../../src/db/seeders/DatabaseSeeder';
import { databaseKinds } from '../helpers/databases';
import { startTestApp, type TestApp } from '../helpers/test-app';

const isSelect = (sql: string) => /^\s*select\b/i.test(sql);
const PAGE = '{ users(size: 50) { total items { id apiKeys { id name } } } }';

describe.each(databaseKinds)('DataLoader batching (%s)', (database) => {
  describe.each([
    ['cache off', 'false', 1],
    ['cache on (a miss)', 'true', 0],
  ])('%s', (_label, cacheEnabled, authStatements) => {
    let t: TestApp;
    beforeAll(async () => {
      t = await startTestApp({ database, env: { CACHE_ENABLED: cacheEnabled } });
      await new DatabaseSeeder({ users: 60, keys: 3 }).run(t.app.orm.em.fork());
      await t.admin.ok('{ me { id } }'); // lastUsedAt written (and the key lookup cached) now, not during the measure
    });
    afterAll(async () => t?.close());

    it('users(size:50){ items { apiKeys } } costs count + page + one batch', async () => {
      t.resetSql();
      const { users } = await t.admin.ok<{ users: { items: { id: string; apiKeys: { id: string }[] }[] } }>(PAGE);
      expect(users.items).toHaveLength(50);
      expect(users.items.filter((u) => u.apiKeys.length === 3).length).toBeGreaterThanOrEqual(49);
      const statements = t.sql.filter(isSelect);
      // (key lookup, unless cached) + 1 count + 1 page + 1 batch for all 50 users' keys
      expect(statements).toHaveLength(authStatements + 3);
      expect(statements.filter((s) => /api_keys/.test(s) && / in \(/i.test(s))).toHaveLength(1);
    });

    it('ApiKey.owner is batched too', async () => {
      t.resetSql();
      const { users } = await t.admin.ok<{ users: { items: { apiKeys: { owner: { id: string } }[] }[] } }>(
        '{ users(size: 20) { items { apiKeys { owner { id email } } } } }',
      );
      expect(users.items.flatMap((u) => u.apiKeys)).not.toHaveLength(0);
      // (key lookup) + count + page + keys batch + owners batch
      expect(t.sql.filter(isSelect).length).toBeLessThanOrEqual(authStatements + 4);
    });
  });
});
