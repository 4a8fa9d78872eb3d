import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { createClient } from '@keyv/redis';
import { cacheReport } from '../helpers/cache-report';
import { createScratchDatabase, databaseKinds, type ScratchDatabase } from '../helpers/databases';
import { startRedisServer, type TestRedisServer } from '../helpers/redis-server';
import { startTestApp, type TestApp } from '../helpers/test-app';
import { eventually, readyBackend } from '../helpers/wait';

const USER = 'query($id: ID!) { user(id: $id) { id fullName } }';
const UPDATE = 'mutation($id: ID!, $input: UpdateUserInput!) { updateUser(id: $id, input: $input) { id fullName } }';

// The deployment shape: on PostgreSQL + Redis too, whenever a PostgreSQL is configured (always in CI).
describe.each(databaseKinds)('two instances sharing one Redis and one database (%s)', (kind) => {
  let redis: TestRedisServer;
  let db: ScratchDatabase;
  let a: TestApp;
  let b: TestApp;
  const commands: string[] = [];
  let monitor: ReturnType<typeof createClient>;

  beforeAll(async () => {
    redis = await startRedisServer();
    monitor = createClient({ url: redis.url });
    await monitor.connect();
    await monitor.monitor((line: string) => commands.push(line));
    db = await createScratchDatabase(kind);
    const env = {
      REDIS_ENABLED: 'true',
      REDIS_URL: redis.url,
      REDIS_TIMEOUT_MS: '200',
      SEED_ADMIN_API_KEY: 'gqk_two-instances-admin-key-000000000000000',
    };
    a = await startTestApp({ databaseUrl: db.url, env });
    b = await startTestApp({ databaseUrl: db.url, env });
  });
  afterAll(async () => {
    await a?.close();
    await b?.close();
    monitor?.destroy();
    await redis?.stop();
    await db?.drop();
  });

  const admin = (t: TestApp) => t.client('gqk_two-instances-admin-key-000000000000000');

  it('a write on one instance is read on the other at once', async () => {
    const u = await a.createUser();
    await admin(b).request(USER, { id: u.id });
    expect(cacheReport(await admin(b).request(USER, { id: u.id }))?.status).toBe('HIT');
    await admin(a).ok(UPDATE, { id: u.id, input: { fullName: 'Written on A' } });
    const read = await admin(b).request(USER, { id: u.id });
    expect((read.body.data as { user: { fullName: string } }).user.fullName).toBe('Written on A');
  });

  it('with Redis paused during the write and resumed afterwards, no stale read once both are back', async () => {
    const u = await a.createUser();
    await admin(b).request(USER, { id: u.id });
    expect(cacheReport(await admin(b).request(USER, { id: u.id }))?.status).toBe('HIT'); // the old value, in Redis

    redis.pause();
    try {
      const started = Date.now();
      await admin(a).ok(UPDATE, { id: u.id, input: { fullName: 'Written during the outage' } });
      expect(Date.now() - started).toBeLessThan(5000);
      // B, during the outage, reads the database (its memory fallback starts empty)
      const during = await admin(b).ok<{ user: { fullName: string } }>(USER, { id: u.id });
      expect(during.user.fullName).toBe('Written during the outage');
      expect(a.app.cache!.resolverCache.evictor.pendingCount).toBeGreaterThan(0);
    } finally {
      redis.resume();
    }
    await eventually(async () => (await readyBackend(a)) === 'redis' && (await readyBackend(b)) === 'redis', 8000);
    expect(a.app.cache!.resolverCache.evictor.pendingCount).toBe(0); // replayed before Redis served reads
    for (const t of [b, a]) {
      const after = await admin(t).ok<{ user: { fullName: string } }>(USER, { id: u.id });
      expect(after.user.fullName).toBe('Written during the outage');
    }
  });

  it('Redis never sees KEYS or SCAN (MONITOR), and the source never sends them', async () => {
    const u = await a.createUser();
    await admin(a).request(USER, { id: u.id });
    await admin(b).request(USER, { id: u.id });
    await admin(a).ok(UPDATE, { id: u.id, input: { fullName: 'x' } });
    await admin(b).request('{ users { total } }');
    await new Promise((r) => setTimeout(r, 100));
    expect(commands.length).toBeGreaterThan(0);
    expect(commands.filter((c) => /"(keys|scan)"/i.test(c))).toEqual([]);

    const files: string[] = [];
    const walk = (dir: string) => {
      for (const name of readdirSync(dir)) {
        const p = join(dir, name);
        if (statSync(p).isDirectory()) walk(p);
        else if (p.endsWith('.ts')) files.push(p);
      }
    };
    walk(join(__dirname, '..', '..', 'src'));
    // The operator's CLI (src/cli.ts, src/cli/) is the one exception, documented: its `inspect` scans. It is
    // its own entry point, and no server module imports it.
    const cli = (f: string) => /[\\/]src[\\/]cli(\.ts$|[\\/])/.test(f);
    expect(files.filter((f) => !cli(f) && /from '\.{1,2}\/(\.\.\/)*cli[/']/.test(readFileSync(f, 'utf8')))).toEqual([]);
    const offenders = files.filter(
      (f) =>
        !cli(f) &&
        /\.(keys|scan|scanIterator|sScan|hScan)\s*\(|['"`](KEYS|SCAN)\b/.test(
          readFileSync(f, 'utf8').replace(/Object\.keys\(/g, ''),
        ),
    );
    expect(offenders).toEqual([]);
  });
});
