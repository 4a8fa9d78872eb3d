import type { CacheEvent } from '../../src/cache';
import { Namespaces } from '../../src/caching/namespaces';
import { User } from '../../src/modules/user/user.entity';
import { startRedisServer, type TestRedisServer } from '../helpers/redis-server';
import { startTestApp, type TestApp } from '../helpers/test-app';

function deferred<T = void>() {
  let resolve!: (v: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

/**
 * The race every resolver cache must survive: a read misses, takes its generation, reads the database,
 * and is held; a write commits and evicts; the held read then stores its old value; the next read must
 * still return the new value. Deleting keys (or evicting before the commit) fails this test: the old
 * value would land under the key the next read uses.
 */
describe.each([['memory'], ['redis']])('the read/write race (%s store)', (backend) => {
  let redis: TestRedisServer | undefined;
  let t: TestApp;
  const events: CacheEvent[] = [];
  beforeAll(async () => {
    if (backend === 'redis') redis = await startRedisServer();
    t = await startTestApp({
      env: redis ? { REDIS_ENABLED: 'true', REDIS_URL: redis.url, REDIS_TIMEOUT_MS: '200' } : {},
      onCacheEvent: (e) => events.push(e),
    });
  });
  afterAll(async () => {
    await t?.close();
    await redis?.stop();
  });

  it('a held read that stores an old value after the write never serves it', async () => {
    const u = await t.createUser();
    const id = Number(u.id);
    const cache = t.app.cache!.resolverCache;
    const call = {
      coordinate: 'Test.fullName',
      scope: 'PUBLIC' as const,
      args: { id },
      namespaces: [Namespaces.user(id)],
      maxAge: 60,
    };
    const readFullName = async () => (await t.app.orm.em.fork().findOneOrFail(User, id)).fullName;

    const dbRead = deferred();
    const release = deferred();
    const held = cache.cached(call, async () => {
      const name = await readFullName(); // generation already taken, database read now
      dbRead.resolve();
      await release.promise; // ... and held
      return name;
    });
    await dbRead.promise;

    // the write commits, then evicts (the ORM subscriber)
    const em = t.app.orm.em.fork();
    const user = await em.findOneOrFail(User, id);
    user.fullName = 'New name';
    await em.flush();

    release.resolve();
    const stored = await held;
    expect(stored).toMatchObject({ status: 'MISS', value: 'Test User' }); // the old value, stored under the old generation

    const next = await cache.cached(call, readFullName);
    expect(next).toMatchObject({ status: 'MISS', value: 'New name' });
    expect((await cache.cached(call, readFullName)).value).toBe('New name');
  });

  it('evicts after the transaction commits, never before, and not at all on rollback', async () => {
    const u = await t.createUser();
    const ns = Namespaces.user(u.id);
    const evicted = () => events.some((e) => e.type === 'evict' && e.namespace === ns);
    events.splice(0);
    let seenInside = true;
    await t.app.orm.em.fork().transactional(async (tx) => {
      const user = await tx.findOneOrFail(User, Number(u.id));
      user.fullName = 'inside a transaction';
      await tx.flush(); // written, not committed
      seenInside = evicted();
    });
    expect(seenInside).toBe(false);
    expect(evicted()).toBe(true);

    events.splice(0);
    await expect(
      t.app.orm.em.fork().transactional(async (tx) => {
        const user = await tx.findOneOrFail(User, Number(u.id));
        user.fullName = 'rolled back';
        await tx.flush();
        throw new Error('no');
      }),
    ).rejects.toThrow('no');
    expect(evicted()).toBe(false);
  });
});
