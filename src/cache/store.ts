import { once } from 'node:events';
import { createClient, createKeyv } from '@keyv/redis';
import { Keyv } from 'keyv';
import { LRUCache } from 'lru-cache';
import { withDeadline } from './deadline';
import type { CacheLogger } from './types';

/**
 * The small store every cache layer talks to. Values are plain JSON (objects, arrays, strings, numbers,
 * booleans, `null`); a stored `null` reads back as `null`, a miss (absent or expired) as `undefined`.
 * `undefined` itself is not a JSON value: storing it reads back as a miss.
 */
export interface CacheStore {
  /** `memory`, `redis`, or another adapter's name; for logs and metrics. */
  readonly name: 'memory' | 'redis' | string;
  /** The value under `key`, or `undefined` on a miss. */
  get<T = unknown>(key: string): Promise<T | undefined>;
  /** The values under `keys`, in order, `undefined` for each miss. One round trip on Redis (MGET). */
  getMany<T = unknown>(keys: readonly string[]): Promise<(T | undefined)[]>;
  /** Stores `value` under `key` for `ttlSeconds` **seconds** (a finite number > 0). */
  set(key: string, value: unknown, ttlSeconds: number): Promise<void>;
  /** Stores several entries; each `ttlSeconds` is in **seconds**. One round trip on Redis (MULTI). */
  setMany?(entries: { key: string; value: unknown; ttlSeconds: number }[]): Promise<void>;
  /**
   * Like `setMany`, resolving true only when the shared backend acknowledged the write. Stores with a
   * fallback (the failover store) implement it; for the others every completed write is durable.
   */
  setManyDurably?(entries: { key: string; value: unknown; ttlSeconds: number }[]): Promise<boolean>;
  /** Removes `key`; a no-op when absent. */
  delete(key: string): Promise<void>;
  /** Removes every entry of this store's namespace (and nothing else). */
  clear(): Promise<void>;
  /** Releases connections and timers; idempotent. */
  close(): Promise<void>;
}

/** Options of {@link createMemoryStore}. */
export interface MemoryStoreOptions {
  /** Most entries kept; the least recently used go first. Default {@link defaultMemoryMaxItems}. */
  maxItems?: number;
  /** Key prefix. Default {@link defaultNamespace}. */
  namespace?: string;
}

/** Options of {@link createRedisStore}. */
export interface RedisStoreOptions {
  /** `redis://[:password@]host:port[/db]` or `rediss://...`; percent-encode special characters of the password. */
  url: string;
  /** Key prefix (keys are stored as `{namespace}::{key}`); `clear()` only touches it. Default {@link defaultNamespace}. */
  namespace?: string;
  /** How long `ping()` waits for an answer, in **milliseconds**. */
  timeoutMs: number;
  /** Receives connection errors at debug level, once per outage. */
  logger?: CacheLogger;
}

/** The node-redis client under a {@link RedisStore}, e.g. to `duplicate()` it for pub/sub. */
export type RedisClient = ReturnType<typeof createRedisClient>;

/** A {@link CacheStore} on Redis, plus what health checks and pub/sub need. */
export interface RedisStore extends CacheStore {
  readonly name: 'redis';
  /** Resolves when Redis answers PING; rejects when it does not within `timeoutMs` (including while it connects). */
  ping(): Promise<void>;
  /** The underlying node-redis client (connected in the background, reconnecting forever until `close()`). */
  getClient(): RedisClient;
}

/** Default key prefix of both stores. */
export const defaultNamespace = 'cache';

/** Default bound of the memory store, in entries. */
export const defaultMemoryMaxItems = 10_000;

/** Socket settings that keep node-redis from hanging while Redis is down or paused (see STACK.md, pitfall 6). */
const redisSocket = { connectTimeout: 500, socketTimeout: 1500, maxReconnectDelayMs: 2000, pingIntervalMs: 500 };

/**
 * Throws a `RangeError` unless `ttlSeconds` is a finite number of **seconds** greater than 0.
 * Exported so wrappers reject a bad TTL the same way whichever backend would receive it.
 */
export function assertTtlSeconds(ttlSeconds: unknown): asserts ttlSeconds is number {
  if (typeof ttlSeconds !== 'number' || !Number.isFinite(ttlSeconds) || ttlSeconds <= 0) {
    throw new RangeError(`\`ttlSeconds\` must be a finite number of seconds greater than 0, got: ${String(ttlSeconds)}`);
  }
}

/** The one place where public seconds become Keyv's milliseconds. */
function toKeyvTtlMs(ttlSeconds: number): number {
  assertTtlSeconds(ttlSeconds);
  return Math.ceil(ttlSeconds * 1000);
}

function assertNamespace(namespace: string): void {
  // Single-colon segments without glob characters: `clear()` SCANs `{namespace}::*`, which must match no other namespace.
  if (!/^[\w.-]+(?::[\w.-]+)*$/.test(namespace)) {
    throw new RangeError(
      `\`namespace\` must be letters, digits, '_', '.' or '-', in segments joined by single ':', got: ${JSON.stringify(namespace)}`,
    );
  }
}

function assertPositive(option: string, value: unknown, unit: string): void {
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
    throw new RangeError(`\`${option}\` must be a finite number of ${unit} greater than 0, got: ${String(value)}`);
  }
}

/** Plain JSON in and out: what a HIT returns serializes byte-for-byte like what was stored. */
const jsonSerialization = { serialize: JSON.stringify, deserialize: JSON.parse };

function createKeyvStore(name: string, keyv: Keyv, own: { clear?: () => Promise<void>; close: () => Promise<void> }): CacheStore {
  return {
    name,
    get: async <T>(key: string) => (await keyv.get(key)) as T | undefined,
    getMany: async <T>(keys: readonly string[]) => (keys.length === 0 ? [] : ((await keyv.getMany([...keys])) as (T | undefined)[])),
    set: async (key, value, ttlSeconds) => {
      await keyv.set(key, value, toKeyvTtlMs(ttlSeconds));
    },
    setMany: async (entries) => {
      if (entries.length === 0) return;
      await keyv.setMany(entries.map(({ key, value, ttlSeconds }) => ({ key, value, ttl: toKeyvTtlMs(ttlSeconds) })));
    },
    delete: async (key) => {
      await keyv.delete(key);
    },
    clear: own.clear ?? (() => keyv.clear()),
    close: own.close,
  };
}

/**
 * An in-process store: Keyv over an `LRUCache` bounded by entry count. Values are kept as JSON text,
 * so nothing is shared by reference with callers; expired entries read as misses.
 */
export function createMemoryStore(options: MemoryStoreOptions = {}): CacheStore {
  const { maxItems = defaultMemoryMaxItems, namespace = defaultNamespace } = options;
  if (!Number.isSafeInteger(maxItems) || maxItems < 1) {
    throw new RangeError(`\`maxItems\` must be a whole number of entries greater than 0, got: ${String(maxItems)}`);
  }
  assertNamespace(namespace);
  const keyv = new Keyv({ store: new LRUCache<string, string>({ max: maxItems }), namespace, ...jsonSerialization });
  keyv.on('error', () => undefined);
  return createKeyvStore('memory', keyv, { close: () => keyv.clear() });
}

/**
 * A store on Redis: `createKeyv` from @keyv/redis over a node-redis client that this function creates and
 * connects in the background (so creating the store never throws for an unreachable Redis and never blocks).
 * While Redis is unreachable every call rejects at once (offline queue disabled); a paused Redis can hold a
 * call up to about 2 s, so callers bound each call with their own deadline (see `createFailoverStore`).
 */
export function createRedisStore(options: RedisStoreOptions): RedisStore {
  const { url, namespace = defaultNamespace, timeoutMs, logger } = options;
  assertRedisUrl(url);
  assertNamespace(namespace);
  assertPositive('timeoutMs', timeoutMs, 'milliseconds');
  let closed = false;
  const client = createRedisClient(url, () => closed);
  // node-redis' client generics are invariant; @keyv/redis declares the widest instantiation.
  const keyv = createKeyv(client as unknown as Parameters<typeof createKeyv>[0], {
    namespace,
    throwOnConnectError: false,
    throwOnErrors: true, // otherwise a failed call looks like a miss and nobody can fail over
    connectionTimeout: redisSocket.connectTimeout,
  });
  keyv.serialize = jsonSerialization.serialize;
  keyv.deserialize = jsonSerialization.deserialize;
  reportConnectionErrors(client, keyv, logger);
  // Connecting ourselves keeps the client open (reconnecting) for its whole life: @keyv/redis's lazy connect
  // would instead destroy and recreate the connection after each failed attempt.
  client.connect().catch(() => undefined);

  const store = createKeyvStore('redis', keyv, {
    clear: async () => {
      // @keyv/redis's clear() swallows every error; refuse early so a failover wrapper sees the failure.
      if (!client.isReady) throw new Error('Redis is not connected; clear() was not sent');
      await keyv.clear();
    },
    close: async () => {
      if (closed) return;
      closed = true;
      // destroy(), not close(): close() waits for pending replies, forever if Redis is paused.
      if (client.isOpen) client.destroy();
    },
  });
  return {
    ...store,
    name: 'redis',
    ping: () => pingWithin(client, timeoutMs),
    getClient: () => client,
  };
}

function createRedisClient(url: string, isClosed: () => boolean) {
  return createClient({
    url,
    disableOfflineQueue: true, // fail at once while disconnected instead of queueing forever
    pingInterval: redisSocket.pingIntervalMs,
    socket: {
      connectTimeout: redisSocket.connectTimeout,
      socketTimeout: redisSocket.socketTimeout,
      reconnectStrategy: (retries: number) => (isClosed() ? false : Math.min(100 * 2 ** retries, redisSocket.maxReconnectDelayMs)),
    },
  });
}

async function pingWithin(client: RedisClient, timeoutMs: number): Promise<void> {
  if (!client.isOpen) throw new Error('Redis store is closed');
  const abort = new AbortController();
  const answer = (async () => {
    // `once` rejects on the next 'error' event too: a refused connection fails the ping early.
    if (!client.isReady) await once(client, 'ready', { signal: abort.signal });
    await client.ping();
  })();
  try {
    await withDeadline(answer, timeoutMs, 'redis ping');
  } finally {
    abort.abort();
  }
}

function reportConnectionErrors(client: RedisClient, keyv: Keyv, logger: CacheLogger | undefined): void {
  let reported = false;
  // Always listen: an unheard 'error' would crash the process, and node-redis emits one per failed reconnect.
  keyv.on('error', (error: unknown) => {
    if (reported) return;
    reported = true;
    logger?.debug?.({ err: error }, 'cache: Redis connection error (further errors muted until it reconnects)');
  });
  client.on('ready', () => {
    reported = false;
  });
}

function assertRedisUrl(url: unknown): asserts url is string {
  let parsed: URL | undefined;
  try {
    parsed = new URL(String(url));
  } catch {
    parsed = undefined;
  }
  if (typeof url !== 'string' || !parsed || !['redis:', 'rediss:'].includes(parsed.protocol)) {
    if (parsed?.password) parsed.password = '***';
    const shown = parsed ? parsed.toString() : typeof url === 'string' ? 'a string that is not a URL' : String(url);
    throw new RangeError(
      `\`url\` must be a redis:// or rediss:// URL (percent-encode special characters of the password), got: ${shown}`,
    );
  }
}
