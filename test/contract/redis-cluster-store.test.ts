import { setTimeout as sleep } from 'node:timers/promises';
import { createClient } from '@keyv/redis';
import calculateSlot from 'cluster-key-slot';
import { createFailoverStore } from '../../src/cache/stores/failover';
import { createMemoryStore } from '../../src/cache/stores/memory';
import { createRedisClusterStore, type RedisStore } from '../../src/cache/stores/redis';
import { freePort } from '../helpers/free-port';
import { startRedisCluster, type TestRedisCluster } from '../helpers/redis-cluster';
import { describeCacheStore } from './cache-store.contract';

// One cluster for the whole file, started by it (never the shared Redis): the last test kills a master.
const timeoutMs = 1000;
let cluster: TestRedisCluster;

beforeAll(async () => {
  const started = Date.now();
  cluster = await startRedisCluster();
  console.log(`redis cluster of 6 nodes started in ${Date.now() - started} ms: ${cluster.nodes}`);
}, 30_000);
afterAll(async () => {
  await cluster?.stop();
});

const nodes = () => cluster.nodes.split(',');

async function connected(store: RedisStore): Promise<RedisStore> {
  for (let i = 0; ; i++) {
    try {
      await store.ping();
      return store;
    } catch (error) {
      if (i > 50) throw error;
      await sleep(20);
    }
  }
}

describeCacheStore('redis cluster', () => connected(createRedisClusterStore({ nodes: nodes(), timeoutMs })));

describeCacheStore('failover (redis cluster + memory)', async () => {
  const store = createFailoverStore({
    primary: createRedisClusterStore({ nodes: nodes(), timeoutMs }),
    timeoutMs,
    fallback: createMemoryStore(),
    logger: { info: () => undefined, warn: () => undefined },
  });
  for (let i = 0; i < 200 && store.backend !== 'redis'; i++) await sleep(10);
  expect(store.backend).toBe('redis');
  return store;
});

describe('redis cluster store', () => {
  const opened: { close(): Promise<void> }[] = [];
  const open = (options: Partial<Parameters<typeof createRedisClusterStore>[0]> = {}) => {
    const store = createRedisClusterStore({ nodes: nodes(), timeoutMs, ...options });
    opened.push(store);
    return store;
  };
  afterEach(async () => {
    await Promise.all(opened.splice(0).map((store) => store.close()));
  });

  /** Sum over the current masters of INFO commandstats' `calls` of `command`, and of CROSSSLOT errors. */
  async function stats(command: string): Promise<{ calls: number; crossslot: number }> {
    let calls = 0;
    let crossslot = 0;
    for (const port of await cluster.masters()) {
      const info = await cluster.cli(port, 'INFO', 'all');
      calls += Number(new RegExp(`cmdstat_${command}:calls=(\\d+)`).exec(info)?.[1] ?? 0);
      crossslot += Number(/errorstat_CROSSSLOT:count=(\d+)/.exec(info)?.[1] ?? 0);
    }
    return { calls, crossslot };
  }

  const keysOverSlots = (prefix: string, n: number) => Array.from({ length: n }, (_, i) => `${prefix}:${i}`);

  it('getMany over keys of many slots: everything, in order, with ONE MGET per slot and no CROSSSLOT', async () => {
    const store = await connected(open());
    const keys = keysOverSlots(`span-${Date.now()}`, 300);
    const slots = new Set(keys.map((k) => calculateSlot(k)));
    expect(slots.size).toBeGreaterThan(250); // keys of nearly as many slots as keys, on every master
    expect(new Set(await Promise.all([...slots].slice(0, 60).map((s) => cluster.masterOf(s)))).size).toBe(3);
    await store.setMany(keys.filter((_, i) => i % 3 !== 0).map((key, i) => ({ key, value: { i }, ttlSeconds: 60 })));
    const expected = keys.map((_, i) =>
      i % 3 === 0 ? undefined : { i: keys.filter((__, j) => j % 3 !== 0).indexOf(keys[i]!) },
    );

    const before = await stats('mget');
    const asked = [...keys, keys[1]!, 'absent-key', keys[2]!];
    expect(await store.getMany(asked)).toEqual([...expected, expected[1], undefined, expected[2]]);
    const after = await stats('mget');
    expect(after.calls - before.calls).toBe(new Set(asked.map((k) => calculateSlot(k))).size);
    expect(after.crossslot).toBe(before.crossslot);
    expect(after.crossslot).toBe(0);
  });

  it('getMany splits a slot of many keys into MGETs of at most chunkSize keys, sent together', async () => {
    const store = await connected(open({ chunkSize: 50 }));
    // A hash tag puts every key in one slot.
    const tag = `one-slot-${Date.now()}`;
    const keys = Array.from({ length: 120 }, (_, i) => `{${tag}}:${i}`);
    await store.setMany(keys.map((key, i) => ({ key, value: i, ttlSeconds: 60 })));
    // MONITOR on the slot's master: the MGETs of these keys exactly (the server's counters also see
    // whatever else a loaded machine's clients send meanwhile).
    const monitor = createClient({ socket: { host: '127.0.0.1', port: await cluster.masterOf(keys[0]!) } });
    await monitor.connect();
    const mgets: number[] = [];
    await monitor.monitor((line: string) => {
      if (/"mget"/i.test(line) && line.includes(tag)) mgets.push(line.split(tag).length - 1);
    });
    try {
      expect(await store.getMany(keys)).toEqual(keys.map((_, i) => i));
      for (let i = 0; i < 50 && mgets.length < 3; i++) await sleep(10);
      expect(mgets).toEqual([50, 50, 20]);
    } finally {
      monitor.destroy();
    }
  });

  it('getMany of a slot half-migrated to another master (TRYAGAIN for its MGET): every value, by one GET per key', async () => {
    const store = await connected(open());
    const tag = `migrating-${Date.now()}`;
    const keys = Array.from({ length: 6 }, (_, i) => `{${tag}}:${i}`);
    await store.setMany(keys.map((key, i) => ({ key, value: i, ttlSeconds: 60 })));
    const slot = String(calculateSlot(keys[0]!));
    const source = await cluster.masterOf(keys[0]!);
    const masters = await cluster.masters();
    const target = masters.find((p) => p !== source)!;
    const id = async (port: number) => (await cluster.cli(port, 'CLUSTER', 'MYID')).trim();
    await cluster.cli(target, 'CLUSTER', 'SETSLOT', slot, 'IMPORTING', await id(source));
    await cluster.cli(source, 'CLUSTER', 'SETSLOT', slot, 'MIGRATING', await id(target));
    const migrate = (...some: string[]) =>
      cluster.cli(source, 'MIGRATE', '127.0.0.1', String(target), '', '0', '5000', 'KEYS', ...some);
    expect((await migrate(...keys.slice(0, 3))).trim()).toBe('OK');
    // The server refuses an MGET while the slot's keys are on two masters (node-redis does not retry it).
    expect((await cluster.cli(source, 'MGET', ...keys)).trim()).toMatch(/^TRYAGAIN/);
    expect(await store.getMany(keys)).toEqual([0, 1, 2, 3, 4, 5]);
    // Finished (the slot on the target for every master): one MGET again, through MOVED.
    expect((await migrate(...keys.slice(3))).trim()).toBe('OK');
    for (const port of [target, source, ...masters.filter((p) => p !== target && p !== source)]) {
      await cluster.cli(port, 'CLUSTER', 'SETSLOT', slot, 'NODE', await id(target));
    }
    expect(await store.getMany(keys)).toEqual([0, 1, 2, 3, 4, 5]);
    expect(await cluster.masterOf(keys[0]!)).toBe(target);
  });

  it('setMany and addMany across slots: no transaction, no CROSSSLOT; addMany keeps what is there; TTLs in Redis', async () => {
    const store = await connected(open());
    const keys = keysOverSlots(`write-${Date.now()}`, 120);
    const before = await stats('set');
    await store.setMany(keys.slice(0, 60).map((key, i) => ({ key, value: `set-${i}`, ttlSeconds: 30 })));
    await store.addMany(keys.map((key, i) => ({ key, value: `add-${i}`, ttlSeconds: 60 })));
    const after = await stats('set');
    expect(after.calls - before.calls).toBe(180);
    expect(after.crossslot).toBe(0);
    expect(await stats('multi').then((s) => s.calls)).toBe(0);
    expect(await store.getMany(keys)).toEqual(keys.map((_, i) => (i < 60 ? `set-${i}` : `add-${i}`)));
    const port = await cluster.masterOf(keys[0]!);
    const pttl = Number(await cluster.cli(port, 'PTTL', keys[0]!));
    expect(pttl).toBeGreaterThan(28_000);
    expect(pttl).toBeLessThanOrEqual(30_000);
  });

  it("writes and reads the single-node store's format (Keyv's envelope, keys as given)", async () => {
    const store = await connected(open());
    const key = `gqlc:format-${Date.now()}`;
    await store.set(key, { v: 1 }, 30);
    const port = await cluster.masterOf(key);
    expect(JSON.parse(await cluster.cli(port, 'GET', key))).toEqual({ value: { v: 1 }, expires: expect.any(Number) });
    // What the single-node store (Keyv) writes, including an envelope past its `expires`.
    const other = `gqlc:keyv-${Date.now()}`;
    await cluster.cli(
      await cluster.masterOf(other),
      'SET',
      other,
      JSON.stringify({ value: [null, 'x'], expires: Date.now() + 60_000 }),
    );
    const old = `gqlc:old-${Date.now()}`;
    await cluster.cli(await cluster.masterOf(old), 'SET', old, JSON.stringify({ value: 1, expires: Date.now() - 1 }));
    expect(await store.getMany([other, old])).toEqual([[null, 'x'], undefined]);
    expect(await store.get(old)).toBeUndefined();
  });

  it('tryLock: one holder at a time, released only by its own token, expiring after ttlMs', async () => {
    const [one, two] = [await connected(open()), await connected(open())];
    const key = `lock:${Math.random()}`;
    const token = await one.tryLock(key, 60_000);
    expect(token).toEqual(expect.any(String));
    expect(await two.tryLock(key, 60_000)).toBeUndefined();
    await two.unlock(key, 'not-the-token');
    expect(await two.tryLock(key, 60_000)).toBeUndefined();
    await one.unlock(key, token!);
    const second = await two.tryLock(key, 100);
    expect(second).toEqual(expect.any(String));
    expect(second).not.toBe(token);
    expect(Number(await cluster.cli(await cluster.masterOf(key), 'PTTL', key))).toBeLessThanOrEqual(100);
    await sleep(150);
    expect(await one.tryLock(key, 60_000)).toEqual(expect.any(String));
  });

  it('never throws at creation when no node answers; ping rejects within its timeout and calls reject fast', async () => {
    const down = [`127.0.0.1:${await freePort()}`, `127.0.0.1:${await freePort()}`];
    const debug = jest.fn();
    const store = open({ nodes: down, logger: { info: jest.fn(), warn: jest.fn(), debug } });
    const started = Date.now();
    await expect(store.ping()).rejects.toThrow();
    await expect(store.get('k')).rejects.toThrow();
    await expect(store.set('k', 1, 60)).rejects.toThrow();
    await expect(store.getMany(['k', 'other'])).rejects.toThrow();
    await expect(store.addMany([{ key: 'k', value: 1, ttlSeconds: 60 }])).rejects.toThrow();
    expect(Date.now() - started).toBeLessThan(timeoutMs + 2000);
    await sleep(1500); // reconnection attempts meanwhile: one debug line for the outage, not one per attempt
    expect(debug).toHaveBeenCalledTimes(1);
  });

  it('rejects options with messages that say how to fix them', () => {
    expect(() => createRedisClusterStore({ nodes: [], timeoutMs })).toThrow(
      '`nodes` must list at least one `host:port` of the cluster, got: none',
    );
    expect(() => createRedisClusterStore({ nodes: ['redis://a:1'], timeoutMs })).toThrow(
      '`nodes` must be `host:port` entries (IPv6 as [addr]:port), got: "redis://a:1"',
    );
    expect(() => createRedisClusterStore({ nodes: nodes(), timeoutMs: 0 })).toThrow(
      '`timeoutMs` must be a finite number of milliseconds greater than 0, got: 0',
    );
  });

  // Last: it kills a master of this file's cluster.
  it('a killed master: calls fail within their deadline, the failover store serves memory, then Redis again once the replica is promoted, after replaying its journal', async () => {
    const events: string[] = [];
    const primary = createRedisClusterStore({ nodes: nodes(), timeoutMs: 500 });
    opened.push(primary);
    const failoverTimeoutMs = 200;
    const store = createFailoverStore({
      primary,
      fallback: createMemoryStore(),
      timeoutMs: failoverTimeoutMs,
      logger: { info: () => undefined, warn: () => undefined },
      onRecover: async (_p, { afterOutage }) => {
        events.push(`onRecover afterOutage=${afterOutage}`);
      },
    });
    opened.push(store);
    store.on('backend', (b) => events.push(`backend ${b}`));
    for (let i = 0; i < 300 && store.backend !== 'redis'; i++) await sleep(10);
    expect(store.backend).toBe('redis');
    const keys = keysOverSlots(`kill-${Date.now()}`, 60);
    await store.setMany(keys.map((key, i) => ({ key, value: i, ttlSeconds: 60 })));
    // Replicated before the kill (WAIT: acknowledged by the replica).
    for (const port of await cluster.masters()) await cluster.cli(port, 'WAIT', '1', '2000');

    const doomed = await cluster.masterOf(keys[0]!);
    let live: string | undefined;
    for (const k of keys) if (!live && (await cluster.masterOf(k)) !== doomed) live = k;
    const eventsAtKill = events.length;
    const killedAt = Date.now();
    const killed = await cluster.killMaster(keys[0]!);
    expect(killed).toBe(doomed);
    const started = Date.now();
    // The primary's own calls for the dead master's slots fail at once; those of the other slots still answer.
    await expect(primary.get(keys[0]!)).rejects.toThrow();
    expect(Date.now() - started).toBeLessThan(failoverTimeoutMs * 5);
    expect(await primary.get(live!)).toEqual(keys.indexOf(live!));
    // Through the failover store: never an error, never past its deadline; then memory.
    const t = Date.now();
    expect(await store.getMany(keys)).toEqual(keys.map(() => undefined));
    expect(Date.now() - t).toBeLessThan(failoverTimeoutMs * 5);
    expect(store.backend).toBe('memory');
    await store.set('during', 'memory', 60);
    expect(await store.get('during')).toBe('memory');

    await cluster.waitForState('ok');
    const promotedMs = Date.now() - killedAt;
    const newMaster = await cluster.masterOf(keys[0]!);
    for (let i = 0; i < 800 && store.backend !== 'redis'; i++) await sleep(10);
    const backAfterMs = Date.now() - killedAt;
    console.log(
      `killed master :${killed}; replica :${newMaster} promoted after ${promotedMs} ms; failover store back on redis after ${backAfterMs} ms; events: ${events.join(', ')}`,
    );
    expect(store.backend).toBe('redis');
    expect(newMaster).not.toBe(killed);
    // What happened from the kill on (a first probe slowed down by a busy machine may add an early round trip).
    expect(events.slice(eventsAtKill)).toEqual(['backend memory', 'onRecover afterOutage=true', 'backend redis']);
    // The promoted replica has the entries, read through the cluster client's new topology.
    expect(await store.getMany(keys)).toEqual(keys.map((_, i) => i));
    expect(await primary.get(keys[0]!)).toBe(0);
  });
});
