import { setTimeout as sleep } from 'node:timers/promises';
import {
  type CacheBackend,
  createFailoverStore,
  type FailoverStore,
  type FailoverStoreOptions,
} from '../../src/cache/stores/failover';
import { createMemoryStore, type MemoryStore } from '../../src/cache/stores/memory';
import { createRedisStore, type RedisStore } from '../../src/cache/stores/redis';
import { freePort as getFreePort } from '../helpers/free-port';
import { startRedisServer, type TestRedisServer } from '../helpers/redis-server';

// Each test starts its own redis-server: these tests kill and pause it, so never the shared one.

/** Deadline of each Redis call: above the 50 ms default so a loaded CI machine does not fail over by accident. */
const timeoutMs = 200;
/** A bound only a hang would cross: how promptly it answers is measured under load by npm run test:faults. */
const promptMs = 5000;
/** Redis reconnects within 2 s and probes back off to 2 s: recovery takes a few seconds at worst. */
const recoveryMs = 8000;

interface Harness {
  store: FailoverStore;
  primary: RedisStore;
  fallback: MemoryStore;
  logger: { warn: jest.Mock; info: jest.Mock; debug: jest.Mock };
  /** What each call of onRecover was told: false for the first connection, true after an outage. */
  afterOutage: boolean[];
  /** `backend:<b>` on each change, `onRecover:<backend at that time>` on each call, in order. */
  events: string[];
}

const servers: TestRedisServer[] = [];
const stores: FailoverStore[] = [];

afterEach(async () => {
  await Promise.all(stores.splice(0).map((store) => store.close()));
  await Promise.all(servers.splice(0).map((server) => server.stop()));
});

async function startServer(port?: number): Promise<TestRedisServer> {
  const server = await startRedisServer({ port });
  servers.push(server);
  return server;
}

function createHarness(url: string, onRecover?: FailoverStoreOptions<RedisStore>['onRecover']): Harness {
  const events: string[] = [];
  const afterOutage: boolean[] = [];
  const logger = { warn: jest.fn(), info: jest.fn(), debug: jest.fn() };
  const primary = createRedisStore({ url, timeoutMs });
  const fallback = createMemoryStore();
  const store = createFailoverStore({
    primary,
    fallback,
    timeoutMs,
    logger,
    onRecover: async (p: RedisStore, recovery: { afterOutage: boolean }) => {
      events.push(`onRecover:${store.backend}`);
      afterOutage.push(recovery.afterOutage);
      await onRecover?.(p, recovery);
    },
  });
  store.on('backend', (backend: CacheBackend) => events.push(`backend:${backend}`));
  stores.push(store);
  return { store, primary, fallback, logger, events, afterOutage };
}

async function waitForBackend(store: FailoverStore, backend: CacheBackend, withinMs: number): Promise<void> {
  const deadline = Date.now() + withinMs;
  while (store.backend !== backend) {
    if (Date.now() > deadline)
      throw new Error(`backend still ${store.backend} after ${withinMs} ms, expected ${backend}`);
    await sleep(10);
  }
}

async function waitFor(condition: () => boolean, withinMs: number, what: string): Promise<void> {
  const deadline = Date.now() + withinMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`${what}: not within ${withinMs} ms`);
    await sleep(10);
  }
}

/** Runs one of each call, asserting that none rejects and each answers within `promptMs`. */
async function exerciseEveryCall(store: FailoverStore, round: number): Promise<void> {
  const calls: [string, () => Promise<unknown>][] = [
    ['get', () => store.get(`k${round}`)],
    ['set', () => store.set(`k${round}`, { round }, 60)],
    ['getMany', () => store.getMany([`k${round}`, 'other'])],
    ['setMany', () => store.setMany([{ key: `m${round}`, value: round, ttlSeconds: 60 }])],
    ['delete', () => store.delete(`m${round}`)],
  ];
  for (const [name, call] of calls) {
    const started = Date.now();
    await expect(call()).resolves.not.toThrow();
    const tookMs = Date.now() - started;
    if (tookMs >= promptMs) throw new Error(`${name} took ${tookMs} ms`);
  }
}

describe('failover store against a real redis-server', () => {
  it('serves from memory without failing when Redis is killed mid-use, warning once', async () => {
    const server = await startServer();
    const { store, primary, logger, events } = createHarness(server.url);
    await waitForBackend(store, 'redis', recoveryMs);
    await store.set('before', 'in redis', 60);
    expect(await primary.get('before')).toBe('in redis');

    await server.kill();
    for (let round = 0; round < 5; round++) await exerciseEveryCall(store, round);

    expect(store.backend).toBe('memory');
    expect(logger.warn).toHaveBeenCalledTimes(1);
    expect(logger.warn.mock.calls[0][1]).toMatch(/Redis failed or timed out/);
    expect(events.filter((e) => e.startsWith('backend:'))).toEqual(['backend:redis', 'backend:memory']);
    // Writes fell through to memory and are served from there.
    await store.set('during', 'in memory', 60);
    expect(await store.get('during')).toBe('in memory');
  });

  it('switches back to Redis after a restart: onRecover first, then a cleared memory store', async () => {
    const server = await startServer();
    const { store, fallback, logger, events, afterOutage } = createHarness(server.url);
    await waitForBackend(store, 'redis', recoveryMs);
    expect(afterOutage).toEqual([false]); // a normal start
    await server.kill();
    await store.get('trigger'); // notices the outage
    expect(store.backend).toBe('memory');
    await store.set('outage-entry', 'stale after recovery', 60);
    expect(await fallback.get('outage-entry')).toBe('stale after recovery');

    events.length = 0;
    const restartedAt = Date.now();
    await server.restart();
    await waitForBackend(store, 'redis', recoveryMs);

    expect(Date.now() - restartedAt).toBeLessThan(recoveryMs);
    expect(events).toEqual(['onRecover:memory', 'backend:redis']);
    expect(afterOutage).toEqual([false, true]); // told it comes back from an outage
    expect(await fallback.get('outage-entry')).toBeUndefined();
    expect(await store.get('outage-entry')).toBeUndefined();
    expect(logger.warn).toHaveBeenCalledTimes(1);
    expect(logger.info).toHaveBeenLastCalledWith(
      expect.objectContaining({ backend: 'redis', downMs: expect.any(Number) }),
      expect.any(String),
    );
    await store.set('after', 1, 60);
    expect(await store.get('after')).toBe(1);
  });

  it('answers promptly from memory while Redis is paused (SIGSTOP), and returns to Redis after SIGCONT', async () => {
    const server = await startServer();
    const { store, logger } = createHarness(server.url);
    await waitForBackend(store, 'redis', recoveryMs);

    server.pause();
    for (let round = 0; round < 3; round++) await exerciseEveryCall(store, round);
    expect(store.backend).toBe('memory');
    expect(logger.warn).toHaveBeenCalledTimes(1);

    server.resume();
    await waitForBackend(store, 'redis', recoveryMs);
    await exerciseEveryCall(store, 99);
    expect(store.backend).toBe('redis');
  });

  it('starts on memory when Redis is down at creation, then switches once a server starts on that port', async () => {
    const port = await getFreePort();
    let harness: Harness | undefined;
    expect(() => (harness = createHarness(`redis://127.0.0.1:${port}`))).not.toThrow();
    const { store, logger } = harness!;

    expect(store.backend).toBe('memory');
    await exerciseEveryCall(store, 0);
    await store.set('k', 'from memory', 60);
    expect(await store.get('k')).toBe('from memory');
    await waitFor(() => logger.warn.mock.calls.length > 0, promptMs, 'start-up warning');
    expect(logger.warn.mock.calls[0][1]).toMatch(/not reachable/);

    await startServer(port);
    await waitForBackend(store, 'redis', recoveryMs);
    expect(logger.warn).toHaveBeenCalledTimes(1);
    expect(await store.get('k')).toBeUndefined();
  });

  it('closes promptly while Redis is paused', async () => {
    const server = await startServer();
    const { store } = createHarness(server.url);
    await waitForBackend(store, 'redis', recoveryMs);
    server.pause();
    void store.get('in-flight'); // leaves a command waiting on the paused server

    const started = Date.now();
    await store.close();
    expect(Date.now() - started).toBeLessThan(promptMs);
  });

  it('stays on memory while onRecover throws, warning once, and retries until it succeeds', async () => {
    const server = await startServer();
    let failures = 2;
    const { store, logger, events } = createHarness(server.url, () => {
      if (failures-- > 0) throw new Error('replay failed');
    });
    await waitForBackend(store, 'redis', recoveryMs);
    expect(events).toEqual(['onRecover:memory', 'onRecover:memory', 'onRecover:memory', 'backend:redis']);
    expect(logger.warn).toHaveBeenCalledTimes(1);
    expect(logger.warn.mock.calls[0][1]).toMatch(/recovery failed/);
  });

  it('sends writes made during recovery to Redis as well, so none is lost by the switch', async () => {
    const server = await startServer();
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const { store, primary, fallback, events } = createHarness(server.url, () => gate);
    await waitFor(() => events.includes('onRecover:memory'), recoveryMs, 'onRecover called');
    expect(store.backend).toBe('memory');

    await store.set('evicted', 'gen-2', 60);
    expect(await primary.get('evicted')).toBe('gen-2');
    expect(await store.get('evicted')).toBe('gen-2'); // read from memory while recovering
    release();
    await waitForBackend(store, 'redis', recoveryMs);
    expect(await fallback.get('evicted')).toBeUndefined();
    expect(await store.get('evicted')).toBe('gen-2');
  });

  it('production defaults: each call has a 50 ms deadline, and fallback entries live 10 s at most', async () => {
    const server = await startServer();
    const ttls: number[] = [];
    const inner = createMemoryStore();
    const fallback = Object.assign(Object.create(inner) as MemoryStore, {
      set: (key: string, value: unknown, ttlSeconds: number) => {
        ttls.push(ttlSeconds);
        return inner.set(key, value, ttlSeconds);
      },
    });
    const logger = { warn: jest.fn(), info: jest.fn() };
    const store = createFailoverStore({
      primary: createRedisStore({ url: server.url, timeoutMs: 1000 }),
      fallback,
      logger,
    });
    stores.push(store);
    await waitForBackend(store, 'redis', recoveryMs);
    server.pause();
    try {
      await store.get('k'); // a paused Redis never answers: the default deadline decides
      expect(store.backend).toBe('memory');
      expect(logger.warn.mock.calls[0][0].err).toMatchObject({ name: 'CacheTimeoutError', timeoutMs: 50 });
      await store.set('k', 'during the outage', 300);
      expect(ttls).toEqual([10]);
    } finally {
      server.resume();
    }
  });

  it('rejects bad options and bad TTLs with messages that say how to fix them', async () => {
    const primary = createRedisStore({ url: 'redis://127.0.0.1:1', timeoutMs });
    const fallback = createMemoryStore();
    const logger = { warn: jest.fn(), info: jest.fn() };
    expect(() => createFailoverStore({ primary, fallback, logger, timeoutMs: -1 })).toThrow(
      '`timeoutMs` must be a finite number of milliseconds greater than 0, got: -1',
    );
    expect(() => createFailoverStore({ primary, fallback, logger, minBackoffMs: 500, maxBackoffMs: 100 })).toThrow(
      '`maxBackoffMs` must be at least `minBackoffMs` (500), got: 100',
    );
    const store = createFailoverStore({ primary, fallback, logger });
    stores.push(store);
    await expect(store.set('k', 1, -5)).rejects.toThrow(
      '`ttlSeconds` must be a finite number of seconds greater than 0, got: -5',
    );
    expect(store.backend).toBe('memory');
  });
});
