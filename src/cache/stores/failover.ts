import { CacheTimeoutError, withDeadline } from '../deadline';
import { assertPositive, assertTtlSeconds } from '../options';
import type { CacheLogger } from '../types';
import { cappedTtl } from './capped-ttl';
import { HealthMonitor } from './health-monitor';
import type { MemoryStore } from './memory';
import type { CacheStore, StoreEntry } from './store';

/** Where a {@link FailoverStore} reads and writes right now. */
export type CacheBackend = 'memory' | 'redis';

/** The primary a {@link FailoverStore} needs: a store that can be health-checked (a `RedisStore` fits). */
export interface PingableCacheStore extends CacheStore {
  /** Resolves when the backend answers; rejects (or never settles) when it does not. */
  ping(): Promise<void>;
}

/** Options of {@link createFailoverStore}. */
export interface FailoverStoreOptions<P extends PingableCacheStore = PingableCacheStore> {
  /** The shared store, usually `createRedisStore(...)`. */
  primary: P;
  /** Serves reads and writes while the primary is unhealthy: `createMemoryStore(...)`. */
  fallback: MemoryStore;
  /**
   * Deadline of a primary call, probes included, in **milliseconds**; a call of many keys gets one such
   * deadline per {@link keysPerDeadline} keys. Default {@link defaultFailoverTimeoutMs}.
   */
  timeoutMs?: number;
  /** Receives one warning when the primary is lost and one info line when it is back. */
  logger: CacheLogger;
  /**
   * Awaited once the primary answers again, before it serves reads (also before the first switch at start-up):
   * replay there what could not reach it. While it runs, writes go to both stores and reads to the fallback.
   * If it throws, the store stays on the fallback and retries later.
   */
  onRecover?: (primary: P, recovery: { afterOutage: boolean }) => Promise<void> | void;
  /** First delay between probes of an unhealthy primary, in **milliseconds**. Default {@link defaultMinBackoffMs}. */
  minBackoffMs?: number;
  /** Longest delay between probes, in **milliseconds**. Default {@link defaultMaxBackoffMs}. */
  maxBackoffMs?: number;
  /** Pings of a healthy primary, in **milliseconds** apart; 0 turns them off. Default {@link defaultHealthCheckIntervalMs}. */
  healthCheckIntervalMs?: number;
  /**
   * Longest life, in **seconds**, of what is written to the fallback. Default {@link defaultFallbackMaxTtlSeconds}.
   * `0`: the fallback keeps nothing, so every read while the primary is unhealthy is a miss: no instance can
   * then serve what another instance evicted meanwhile (their fallbacks do not share evictions), at the cost
   * of the database's load during the outage.
   */
  fallbackMaxTtlSeconds?: number;
}

/** A {@link CacheStore} that never fails and never waits on the primary longer than its deadline. */
export interface FailoverStore extends CacheStore {
  /** `redis` while the primary serves reads; `memory` while it is unhealthy, recovering, or not yet connected. */
  readonly backend: CacheBackend;
  /** Calls `listener` on each change of {@link FailoverStore.backend}; returns a function that unsubscribes. */
  on(event: 'backend', listener: (backend: CacheBackend) => void): () => void;
  setManyDurably(entries: readonly StoreEntry[]): Promise<boolean>;
}

/** The token of a lock taken while the primary cannot coordinate (a Redis token is 16 characters). */
const localLock = 'local';

/** Default deadline of a primary call, in milliseconds. */
export const defaultFailoverTimeoutMs = 50;
/** Default first delay between probes, in milliseconds. */
export const defaultMinBackoffMs = 100;
/** Default longest delay between probes, in milliseconds. */
export const defaultMaxBackoffMs = 1000;
/** Default interval of health pings while healthy, in milliseconds. */
export const defaultHealthCheckIntervalMs = 1000;
/** Default longest life of a fallback entry during an outage, in seconds. */
export const defaultFallbackMaxTtlSeconds = 10;
/**
 * A call of many keys gets one deadline per this many keys: a large but healthy read (a page of a
 * thousand aliased fields) must not look like an outage.
 */
export const keysPerDeadline = 200;

/**
 * Wraps a primary (Redis) store with deadlines and a fallback (memory) store.
 *
 * - Each primary call is bounded by its deadline. When one fails or times out, the primary is unhealthy:
 *   that get is a miss, that write lands in the fallback, and later calls use the fallback. One warning.
 * - A {@link HealthMonitor} probes the primary with exponential backoff. When it answers: writes go to both
 *   stores, `onRecover` runs, the fallback is cleared (it may hold entries that missed evictions), and the
 *   primary serves again. One info line.
 * - It starts on the fallback and probes at once, so an unreachable primary at start-up is the same case.
 */
export function createFailoverStore<P extends PingableCacheStore>(options: FailoverStoreOptions<P>): FailoverStore {
  const timeoutMs = options.timeoutMs ?? defaultFailoverTimeoutMs;
  const minBackoffMs = options.minBackoffMs ?? defaultMinBackoffMs;
  const maxBackoffMs = options.maxBackoffMs ?? defaultMaxBackoffMs;
  assertPositive('timeoutMs', timeoutMs, 'milliseconds');
  assertPositive('minBackoffMs', minBackoffMs, 'milliseconds');
  assertPositive('maxBackoffMs', maxBackoffMs, 'milliseconds');
  if (maxBackoffMs < minBackoffMs) {
    throw new RangeError(`\`maxBackoffMs\` must be at least \`minBackoffMs\` (${minBackoffMs}), got: ${maxBackoffMs}`);
  }
  const { primary, logger } = options;
  const fallbackMaxTtlSeconds = options.fallbackMaxTtlSeconds ?? defaultFallbackMaxTtlSeconds;
  if (fallbackMaxTtlSeconds !== 0) assertPositive('fallbackMaxTtlSeconds', fallbackMaxTtlSeconds, 'seconds');
  const fallback =
    fallbackMaxTtlSeconds === 0 ? keepsNothing(options.fallback) : cappedTtl(options.fallback, fallbackMaxTtlSeconds);
  const listeners = new Set<(backend: CacheBackend) => void>();
  const monitor = new HealthMonitor({
    ping: () => primary.ping(),
    timeoutMs,
    minBackoffMs,
    maxBackoffMs,
    healthCheckIntervalMs: options.healthCheckIntervalMs ?? defaultHealthCheckIntervalMs,
    label: 'Redis',
    logger,
    recover: async (afterOutage) => {
      await options.onRecover?.(primary, { afterOutage });
      fallback.clear();
    },
    onChange: (healthy) => {
      // Normally empty already on a loss; leftovers from the recovery window may have missed evictions.
      if (!healthy) fallback.clear();
      for (const listener of [...listeners]) {
        try {
          listener(healthy ? 'redis' : 'memory');
        } catch (error) {
          logger.warn({ err: error }, 'cache: a backend listener threw; ignored');
        }
      }
    },
  });
  const deadlineFor = (keys: number) => timeoutMs * Math.max(1, Math.ceil(keys / keysPerDeadline));

  async function read<R>(label: string, keys: number, call: (store: CacheStore) => Promise<R>, miss: R): Promise<R> {
    if (monitor.state !== 'healthy') return call(fallback);
    try {
      return await withDeadline(call(primary), deadlineFor(keys), `redis ${label}`);
    } catch (error) {
      // A large read that is merely slow is a miss, not an outage: only small calls (and the health
      // pings) judge the primary, so one big query cannot push an instance off Redis.
      if (!(error instanceof CacheTimeoutError && keys > keysPerDeadline)) monitor.failed(error);
      return miss;
    }
  }

  /**
   * Resolves true when the primary acknowledged the write. `evenIfUnhealthy`: try the primary in every state
   * (evictions): a partial outage (a Redis Cluster master failing over) leaves most keys writable, and an
   * instance still on the primary must see this eviction, not only this instance's journal.
   */
  async function write(
    label: string,
    keys: number,
    call: (store: CacheStore) => Promise<void>,
    evenIfUnhealthy = false,
  ): Promise<boolean> {
    const health = monitor.state;
    let durable = false;
    if (health === 'healthy' || health === 'recovering' || (evenIfUnhealthy && health === 'unhealthy')) {
      try {
        await withDeadline(call(primary), deadlineFor(keys), `redis ${label}`);
        if (health === 'healthy') return true;
        durable = true;
      } catch (error) {
        // As for reads: a large write that is merely slow is no outage (the fallback still takes it).
        if (!(error instanceof CacheTimeoutError && keys > keysPerDeadline)) monitor.failed(error);
      }
    }
    await call(fallback);
    return durable;
  }

  const checked = (entries: readonly StoreEntry[]) => {
    for (const e of entries) assertTtlSeconds(e.ttlSeconds); // a caller's mistake: reject, do not fail over
    return entries;
  };
  let closed = false;
  return {
    name: 'failover',
    get backend() {
      return monitor.state === 'healthy' ? 'redis' : 'memory';
    },
    on(_event, listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    get: (key) => read('get', 1, (store) => store.get(key), undefined),
    getMany: (keys) =>
      read(
        'getMany',
        keys.length,
        (store) => store.getMany(keys),
        keys.map(() => undefined),
      ),
    set: async (key, value, ttlSeconds) => {
      checked([{ key, value, ttlSeconds }]);
      await write('set', 1, (store) => store.set(key, value, ttlSeconds));
    },
    setMany: async (entries) => {
      checked(entries);
      await write('setMany', entries.length, (store) => store.setMany(entries));
    },
    setManyDurably: async (entries) => {
      checked(entries);
      return write('setMany', entries.length, (store) => store.setMany(entries), true);
    },
    addMany: async (entries) => {
      checked(entries);
      await write('addMany', entries.length, (store) => store.addMany(entries));
    },
    delete: async (key) => {
      await write('delete', 1, (store) => store.delete(key));
    },
    // Only the primary coordinates instances: on the fallback (or when the primary fails) every caller
    // holds the lock, that is, computes for itself, as each instance does alone.
    tryLock: async (key, ttlMs) => {
      if (!primary.tryLock) return localLock;
      return read(
        'tryLock',
        1,
        async (store) => (store === primary ? primary.tryLock!(key, ttlMs) : localLock),
        localLock,
      );
    },
    unlock: async (key, token) => {
      if (!primary.unlock || token === localLock || monitor.state !== 'healthy') return;
      await read('unlock', 1, () => primary.unlock!(key, token), undefined);
    },
    close: async () => {
      if (closed) return;
      closed = true;
      monitor.close();
      listeners.clear();
      await Promise.allSettled([withDeadline(primary.close(), timeoutMs, 'redis close'), options.fallback.close()]);
    },
  };
}

/** `store` with every write dropped (TTLs are checked by the caller): every read is a miss. */
function keepsNothing(store: MemoryStore): MemoryStore {
  return Object.assign(Object.create(store) as MemoryStore, {
    set: async () => undefined,
    setMany: async () => undefined,
    addMany: async () => undefined,
  } satisfies Pick<CacheStore, 'set' | 'setMany' | 'addMany'>);
}
