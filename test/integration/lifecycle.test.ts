import { MikroORM } from '@mikro-orm/core';
import { parseDatabaseUrl } from '../../src/config';
import { createOrmOptions } from '../../src/db/mikro-orm.config';
import { createScratchDatabase, databaseKinds } from '../helpers/databases';
import { startTestApp } from '../helpers/test-app';

describe.each(databaseKinds)('lifecycle (%s)', (database) => {
  it('/health and /ready answer, /ready with the database and the cache backend', async () => {
    const t = await startTestApp({ database });
    try {
      const health = await fetch(`${t.baseUrl}/health`);
      expect(health.status).toBe(200);
      const ready = await fetch(`${t.baseUrl}/ready`);
      expect(ready.status).toBe(200);
      expect(await ready.json()).toMatchObject({
        status: 'ready',
        database,
        cache: expect.stringMatching(/^(memory|redis)$/),
      });
    } finally {
      await t.close();
    }
  });

  it('SEED_ADMIN_API_KEY is idempotent across starts', async () => {
    const db = await createScratchDatabase(database);
    try {
      const env = { SEED_ADMIN_API_KEY: 'gqk_fixed-seed-key-for-the-idempotency-test' };
      for (let i = 0; i < 2; i++) {
        const t = await startTestApp({ databaseUrl: db.url, env });
        try {
          const me = await t
            .client(env.SEED_ADMIN_API_KEY)
            .ok<{ me: { email: string; role: string } }>('{ me { email role } }');
          expect(me.me).toEqual({ email: 'admin@example.com', role: 'ADMIN' });
          const counts = await t.app.orm.em
            .getConnection()
            .execute('select (select count(*) from users) as users, (select count(*) from api_keys) as keys');
          expect({ users: Number(counts[0].users), keys: Number(counts[0].keys) }).toEqual({ users: 1, keys: 1 });
        } finally {
          await t.close();
        }
      }
    } finally {
      await db.drop();
    }
  });

  it('the committed migrations match the entities (nothing left to generate)', async () => {
    const db = await createScratchDatabase(database);
    const orm = await MikroORM.init(createOrmOptions({ database: parseDatabaseUrl(db.url) }));
    try {
      await orm.getMigrator().up();
      expect(await orm.getMigrator().checkMigrationNeeded()).toBe(false);
    } finally {
      await orm.close(true);
      await db.drop();
    }
  });
});

describe('the first admin', () => {
  it('is created with a random key outside production on an empty database, and never in production', async () => {
    const dev = await startTestApp({ env: { NODE_ENV: 'test', SEED_ADMIN_API_KEY: '' } });
    try {
      expect(dev.app.firstAdminSecret).toMatch(/^gqk_/);
      const me = await dev
        .client(dev.app.firstAdminSecret!)
        .ok<{ me: { email: string; role: string } }>('{ me { email role } }');
      expect(me.me).toEqual({ email: 'admin@example.com', role: 'ADMIN' });
    } finally {
      await dev.close();
    }
    const prod = await startTestApp({ env: { NODE_ENV: 'production', SEED_ADMIN_API_KEY: '' } });
    try {
      expect(prod.app.firstAdminSecret).toBeNull();
      const users = await prod.app.orm.em.getConnection().execute('select count(*) as n from users');
      expect(Number(users[0].n)).toBe(0);
    } finally {
      await prod.close();
    }
  });
});

describe('Sandbox and introspection', () => {
  it('development: GET /graphql from a browser is Apollo Sandbox, and introspection works', async () => {
    const t = await startTestApp({ env: { NODE_ENV: 'development' } });
    try {
      const page = await fetch(t.url, { headers: { accept: 'text/html' } });
      expect(page.status).toBe(200);
      const html = await page.text();
      expect(html).toMatch(/<html/i);
      expect(html).toMatch(/sandbox/i);
      const res = await t.admin.request('{ __schema { queryType { name } } }');
      expect(res.body.data).toEqual({ __schema: { queryType: { name: 'Query' } } });
    } finally {
      await t.close();
    }
  });

  it('production: no landing page and no introspection, unless enabled', async () => {
    const t = await startTestApp({ env: { NODE_ENV: 'production' } });
    try {
      const page = await fetch(t.url, { headers: { accept: 'text/html' } });
      expect(await page.text()).not.toMatch(/sandbox/i);
      const res = await t.admin.request('{ __schema { queryType { name } } }');
      expect(res.body.errors?.[0]?.extensions?.code).toBe('GRAPHQL_VALIDATION_FAILED');
    } finally {
      await t.close();
    }
    const enabled = await startTestApp({ env: { NODE_ENV: 'production', INTROSPECTION_ENABLED: 'true' } });
    try {
      const res = await enabled.admin.request('{ __schema { queryType { name } } }');
      expect(res.body.data).toEqual({ __schema: { queryType: { name: 'Query' } } });
    } finally {
      await enabled.close();
    }
  });
});
