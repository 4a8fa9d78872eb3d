// Regression: with `type: 'datetime'` MikroORM's dirty check saw every loaded date as changed on
// SQLite, so any flush rewrote created_at/updated_at of every loaded User and ApiKey (and the cache's
// ORM subscriber evicted their namespaces). Fixed by declaring the dates as `type: 'Date'`.
import { ApiKey } from '../../src/modules/api-key/api-key.entity';
import { User } from '../../src/modules/user/user.entity';
import { databaseKinds } from '../helpers/databases';
import { startTestApp } from '../helpers/test-app';

describe.each(databaseKinds)('a flush rewrites only what changed (%s)', (database) => {
  it('loading users and keys, then flushing, writes nothing', async () => {
    const t = await startTestApp({ database });
    try {
      const u = await t.createUser();
      const em = t.app.orm.em.fork();
      await em.find(User, {});
      await em.find(ApiKey, {});
      t.resetSql();
      await em.flush();
      expect(t.sql.filter((q) => /^\s*update/i.test(q))).toEqual([]);

      const before = (
        await t.admin.ok<{ user: { updatedAt: string } }>('query($id: ID!) { user(id: $id) { updatedAt } }', {
          id: u.id,
        })
      ).user.updatedAt;
      await t.admin.ok('mutation($userId: ID) { createApiKey(name: "another", userId: $userId) { secret } }', {
        userId: u.id,
      });
      const after = (
        await t.admin.ok<{ user: { updatedAt: string } }>('query($id: ID!) { user(id: $id) { updatedAt } }', {
          id: u.id,
        })
      ).user.updatedAt;
      expect(after).toBe(before);
    } finally {
      await t.close();
    }
  });
});
