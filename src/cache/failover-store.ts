import { withDeadline } from './deadline';
import { assertTtlSeconds, type CacheStore } from './store';
import type { CacheLogger } from './types';

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
  /** Serves reads and writes while the primary is unhealthy, usually `createMemoryStore(...)`. */
  fallback: CacheStore;
  /** Deadline of every primary call, probes included, in **milliseconds**. Default {@link defaultFailoverTimeoutMs}. */
  timeoutMs?: number;
  /** Receives one warning when the primary is lost and one info line when it is back. */
  logger: CacheLogger;
  /**
   * Awaited once the primary answers again, before it serves reads (also before the first switch at start-up):
   * replay there what could not reach it. While it runs, writes go to both stores and reads to the fallback.
   * If it throws, the store stays on the fallback and retries later.
   */
  onRecover?: (primary: P) => Promise<void> | void;
  /** First delay between probes of an unhealthy primary, in **milliseconds**. Default {@link defaultMinBackoffMs}. */
  minBackoffMs?: number;
  /** Longest delay between probes (the delay doubles after each failed probe), in **milliseconds**. Default {@link defaultMaxBackoffMs}. */
  maxBackoffMs?: number;
  /**
   * While healthy, the primary is pinged this often (**milliseconds**), so an instance with no traffic
   * still notices an outage (and later recovers through `onRecover`). Default {@link defaultHealthCheckIntervalMs}; 0 turns it off.
   */
  healthCheckIntervalMs?: number;
  /**
   * Longest life, in **seconds**, of what is written to the fallback while the primary is away. The
   * fallback is private to this process and cannot see other instances' evictions, so its entries are
   * kept short. Default {@link defaultFallbackMaxTtlSeconds}.
   */
  fallbackMaxTtlSeconds?: number;
}

/** A {@link CacheStore} that never fails and never waits on the primary longer than its deadline. */
export interface FailoverStore extends CacheStore {
  /** `redis` while the primary serves reads; `memory` while it is unhealthy, recovering, or not yet connected. */
  readonly backend: CacheBackend;
  /** Calls `listener` on each change of {@link FailoverStore.backend}; returns a function that unsubscribes. */
  on(event: 'backend', listener: (backend: CacheBackend) => void): () => void;
  /** Always present (falls back to one `set` per entry on stores without `setMany`); TTLs in **seconds**. */
  setMany(entries: { key: string; value: unknown; ttlSeconds: number }[]): Promise<void>;
}

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
 * Wraps a primary (Redis) store with deadlines and a fallback (memory) store.
 *
 * - Each primary call is bounded by `timeoutMs`. When one fails or times out, the store turns unhealthy:
 *   that get is a miss, that write lands in the fallback, and all later calls use the fallback. One warning.
 * - While unhealthy, a probe pings the primary with exponential backoff (`minBackoffMs` doubling up to
 *   `maxBackoffMs`, unref'd timers). When it answers: writes go to both stores, `onRecover` runs, a `clear()`
 *   made meanwhile is replayed, the fallback is cleared (it may hold entries that missed evictions), and the
 *   primary serves again. One info line.
 * - It starts on the fallback and probes at once, so an unreachable primary at start-up is the same case.
 *   Creating it never throws for an unreachable primary.
 */
export function createFailoverStore<P extends PingableCacheStore>(options: FailoverStoreOptions<P>): FailoverStore {
  const timeoutMs = options.timeoutMs ?? defaultFailoverTimeoutMs;
  const minBackoffMs = options.minBackoffMs ?? defaultMinBackoffMs;
  const maxBackoffMs = options.maxBackoffMs ?? defaultMaxBackoffMs;
  assertPositiveMs('timeoutMs', timeoutMs);
  assertPositiveMs('minBackoffMs', minBackoffMs);
  assertPositiveMs('maxBackoffMs', maxBackoffMs);
  if (maxBackoffMs < minBackoffMs) {
    throw new RangeError(`\`maxBackoffMs\` must be at least \`minBackoffMs\` (${minBackoffMs}), got: ${maxBackoffMs}`);
  }
  return new FailoverCacheStore({ ...options, timeoutMs, minBackoffMs, maxBackoffMs });
}

function assertPositiveMs(option: string, value: unknown): void {
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
    throw new RangeError(`\`${option}\` must be a finite number of milliseconds greater than 0, got: ${String(value)}`);
  }
}

/** `starting` and `unhealthy` use the fallback; `recovering` writes to both and reads the fallback. */
type Health = 'starting' | 'unhealthy' | 'recovering' | 'healthy';

type Resolved<P extends PingableCacheStore> = FailoverStoreOptions<P> & Required<Pick<FailoverStoreOptions<P>, 'timeoutMs' | 'minBackoffMs' | 'maxBackoffMs'>>;

/** The fallback as writes see it: TTLs capped, since the fallback cannot see other instances' evictions. */
function capTtl(store: CacheStore, maxTtlSeconds: number): CacheStore {
  const cap = (ttl: number) => Math.min(ttl, maxTtlSeconds);
  return {
    name: store.name,
    get: (key) => store.get(key),
    getMany: (keys) => store.getMany(keys),
    set: (key, value, ttl) => store.set(key, value, cap(ttl)),
    setMany: (entries) => {
      const capped = entries.map((e) => ({ ...e, ttlSeconds: cap(e.ttlSeconds) }));
      return store.setMany ? store.setMany(capped) : Promise.all(capped.map((e) => store.set(e.key, e.value, e.ttlSeconds))).then(() => undefined);
    },
    delete: (key) => store.delete(key),
    clear: () => store.clear(),
    close: () => store.close(),
  };
}

class FailoverCacheStore<P extends PingableCacheStore> implements FailoverStore {
  readonly name = 'failover';
  #health: Health = 'starting';
  #closed = false;
  #probing = false;
  #timer: NodeJS.Timeout | undefined;
  #backoffMs: number;
  #pendingClear = false;
  #recoverFailureLogged = false;
  #downSince: number | undefined;
  readonly #listeners = new Set<(backend: CacheBackend) => void>();
  readonly #fallback: CacheStore;
  #healthTimer: NodeJS.Timeout | undefined;

  constructor(private readonly opts: Resolved<P>) {
    this.#backoffMs = opts.minBackoffMs;
    this.#fallback = capTtl(opts.fallback, opts.fallbackMaxTtlSeconds ?? defaultFallbackMaxTtlSeconds);
    this.#schedule(0);
    const every = opts.healthCheckIntervalMs ?? defaultHealthCheckIntervalMs;
    if (every > 0) {
      this.#healthTimer = setInterval(() => void this.#healthCheck(), every);
      this.#healthTimer.unref();
    }
  }

  async #healthCheck(): Promise<void> {
    if (this.#health !== 'healthy' || this.#closed) return;
    try {
      await withDeadline(this.opts.primary.ping(), this.opts.timeoutMs, 'redis ping');
    } catch (error) {
      this.#primaryFailed(error);
    }
  }

  get backend(): CacheBackend {
    return this.#health === 'healthy' ? 'redis' : 'memory';
  }

  on(_event: 'backend', listener: (backend: CacheBackend) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  get<T = unknown>(key: string): Promise<T | undefined> {
    return this.#read('get', (store) => store.get<T>(key), undefined);
  }

  getMany<T = unknown>(keys: readonly string[]): Promise<(T | undefined)[]> {
    return this.#read('getMany', (store) => store.getMany<T>(keys), keys.map(() => undefined));
  }

  async set(key: string, value: unknown, ttlSeconds: number): Promise<void> {
    assertTtlSeconds(ttlSeconds); // a caller's mistake, whichever backend is up: reject, do not fail over
    await this.#write('set', (store) => store.set(key, value, ttlSeconds));
  }

  async setMany(entries: { key: string; value: unknown; ttlSeconds: number }[]): Promise<void> {
    await this.setManyDurably(entries);
  }

  async setManyDurably(entries: { key: string; value: unknown; ttlSeconds: number }[]): Promise<boolean> {
    for (const entry of entries) assertTtlSeconds(entry.ttlSeconds);
    const setAll = (store: CacheStore) =>
      store.setMany ? store.setMany(entries) : Promise.all(entries.map((e) => store.set(e.key, e.value, e.ttlSeconds))).then(() => undefined);
    return this.#write('setMany', setAll);
  }

  async delete(key: string): Promise<void> {
    await this.#write('delete', (store) => store.delete(key));
  }

  async clear(): Promise<void> {
    // Remembered until the primary confirms it, so entries from before the clear cannot come back after an outage.
    this.#pendingClear = true;
    await this.#write('clear', async (store) => {
      await store.clear();
      if (store === this.opts.primary) this.#pendingClear = false;
    });
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    clearTimeout(this.#timer);
    clearInterval(this.#healthTimer);
    this.#listeners.clear();
    const { primary, fallback, timeoutMs } = this.opts;
    await Promise.allSettled([withDeadline(primary.close(), timeoutMs, 'redis close'), fallback.close()]);
  }

  async #read<R>(label: string, call: (store: CacheStore) => Promise<R>, miss: R): Promise<R> {
    if (this.#health !== 'healthy') return call(this.#fallback);
    try {
      return await withDeadline(call(this.opts.primary), this.opts.timeoutMs, `redis ${label}`);
    } catch (error) {
      this.#primaryFailed(error);
      return miss;
    }
  }

  /** Resolves true when the primary acknowledged the write. */
  async #write(label: string, call: (store: CacheStore) => Promise<void>): Promise<boolean> {
    const health = this.#health;
    let durable = false;
    if (health === 'healthy' || health === 'recovering') {
      try {
        await withDeadline(call(this.opts.primary), this.opts.timeoutMs, `redis ${label}`);
        if (health === 'healthy') return true;
        durable = true;
      } catch (error) {
        this.#primaryFailed(error);
      }
    }
    await call(this.#fallback);
    return durable;
  }

  #primaryFailed(error: unknown): void {
    if (this.#closed) return;
    if (this.#health === 'recovering') {
      this.#health = 'unhealthy'; // the running probe sees it and retries later
      return;
    }
    if (this.#health !== 'healthy') return;
    this.#health = 'unhealthy';
    this.#downSince = Date.now();
    // Normally empty already; leftovers from the recovery window may have missed evictions made on the primary.
    this.opts.fallback.clear().catch(() => undefined);
    this.opts.logger.warn({ err: error, backend: 'memory' }, 'cache: Redis failed or timed out; using the memory store until it answers again');
    this.#emit('memory');
    this.#backoffMs = this.opts.minBackoffMs;
    this.#scheduleRetry();
  }

  #schedule(delayMs: number): void {
    if (this.#closed || this.#timer || this.#probing) return;
    this.#timer = setTimeout(() => void this.#probe(), delayMs);
    this.#timer.unref();
  }

  #scheduleRetry(): void {
    const delay = this.#backoffMs;
    this.#backoffMs = Math.min(this.#backoffMs * 2, this.opts.maxBackoffMs);
    this.#schedule(delay);
  }

  async #probe(): Promise<void> {
    this.#timer = undefined;
    if (this.#closed) return;
    this.#probing = true;
    try {
      await this.#tryRecover();
    } finally {
      this.#probing = false;
    }
    if (this.#closed) return;
    if (this.#health === 'recovering') this.#becomeHealthy();
    else this.#scheduleRetry();
  }

  /** Leaves the store `recovering` when the primary is ready to serve, `unhealthy` otherwise. */
  async #tryRecover(): Promise<void> {
    const { primary, fallback, timeoutMs, onRecover } = this.opts;
    try {
      await withDeadline(primary.ping(), timeoutMs, 'redis ping');
    } catch (error) {
      if (this.#health === 'starting') {
        this.opts.logger.warn({ err: error, backend: 'memory' }, 'cache: Redis is not reachable; using the memory store until it answers');
      }
      this.#health = 'unhealthy';
      return;
    }
    this.#health = 'recovering';
    try {
      await onRecover?.(primary);
      if (this.#pendingClear) await withDeadline(primary.clear(), timeoutMs, 'redis clear');
      this.#pendingClear = false;
      await fallback.clear();
    } catch (error) {
      this.#recoverFailed(error);
    }
  }

  #recoverFailed(error: unknown): void {
    if (!this.#recoverFailureLogged) {
      this.opts.logger.warn({ err: error, backend: 'memory' }, 'cache: Redis answers but recovery failed; staying on the memory store and retrying');
    }
    this.#recoverFailureLogged = true; // once per outage, not once per probe
    this.#health = 'unhealthy';
  }

  #becomeHealthy(): void {
    const downMs = this.#downSince === undefined ? undefined : Date.now() - this.#downSince;
    this.#health = 'healthy';
    this.#downSince = undefined;
    this.#backoffMs = this.opts.minBackoffMs;
    this.#recoverFailureLogged = false;
    this.opts.logger.info({ backend: 'redis', downMs }, 'cache: Redis answers; using it (memory store cleared)');
    this.#emit('redis');
  }

  #emit(backend: CacheBackend): void {
    for (const listener of [...this.#listeners]) {
      try {
        listener(backend);
      } catch (error) {
        this.opts.logger.warn({ err: error }, 'cache: a backend listener threw; ignored');
      }
    }
  }
}
