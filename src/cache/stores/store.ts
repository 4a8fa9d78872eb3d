/** One entry to write: `ttlSeconds` is in **seconds** (a finite number > 0). */
export interface StoreEntry {
  key: string;
  value: unknown;
  ttlSeconds: number;
}

/**
 * The small store every cache layer talks to. Values are plain JSON (objects, arrays, strings, numbers,
 * booleans, `null`); a stored `null` reads back as `null`, a miss (absent or expired) as `undefined`.
 * `undefined` itself is not a JSON value: storing it reads back as a miss. A value read back must not be
 * mutated: the memory store hands out the stored object itself (frozen).
 */
export interface CacheStore {
  /** `memory`, `redis`, or another adapter's name; for logs and metrics. */
  readonly name: string;
  /** The value under `key`, or `undefined` on a miss. */
  get<T = unknown>(key: string): Promise<T | undefined>;
  /** The values under `keys`, in order, `undefined` for each miss. One round trip on Redis (MGET). */
  getMany<T = unknown>(keys: readonly string[]): Promise<(T | undefined)[]>;
  /** Stores `value` under `key` for `ttlSeconds` **seconds**. */
  set(key: string, value: unknown, ttlSeconds: number): Promise<void>;
  /** Stores several entries, each with its TTL in **seconds**. One round trip on Redis (MULTI). */
  setMany(entries: readonly StoreEntry[]): Promise<void>;
  /**
   * Stores each entry only where its key holds nothing yet (Redis `SET NX`); one round trip on Redis.
   * Namespace generation tokens are created this way, so a reader can never overwrite a writer's token.
   */
  addMany(entries: readonly StoreEntry[]): Promise<void>;
  /** Removes `key`; a no-op when absent. */
  delete(key: string): Promise<void>;
  /** Releases connections and timers; idempotent. */
  close(): Promise<void>;
  /**
   * Like `setMany`, resolving true only when the shared backend acknowledged the write. Stores with a
   * fallback (the failover store) implement it; for the others every completed write is durable.
   */
  setManyDurably?(entries: readonly StoreEntry[]): Promise<boolean>;
  /**
   * Takes the lock `key` for `ttlMs` **milliseconds** when nobody holds it (Redis `SET key token NX PX ttlMs`),
   * resolving the holder's token, or `undefined` when another holds it. Only stores shared between
   * processes implement it: within one process the cache's single flight already coordinates.
   */
  tryLock?(key: string, ttlMs: number): Promise<string | undefined>;
  /** Releases a lock taken by {@link CacheStore.tryLock}, only while `token` still holds it (never another's). */
  unlock?(key: string, token: string): Promise<void>;
}

/** The one place where public seconds become milliseconds (Keyv's and the LRU's unit). */
export function ttlToMs(ttlSeconds: number): number {
  return Math.ceil(ttlSeconds * 1000);
}
