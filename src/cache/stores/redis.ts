import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { createClient, createKeyv } from '@keyv/redis';
import type { Keyv } from 'keyv';
import { withDeadline } from '../deadline';
import { assertPositive, assertTtlSeconds } from '../options';
import type { CacheLogger } from '../types';
import { type CacheStore, type StoreEntry, ttlToMs } from './store';

/** Options of {@link createRedisStore}. */
export interface RedisStoreOptions {
  /** `redis://[:password@]host:port[/db]` or `rediss://...`; percent-encode special characters of the password. */
  url: string;
  /** How long `ping()` waits for an answer, in **milliseconds**. */
  timeoutMs: number;
  /** Receives connection errors at debug level, once per outage. */
  logger?: CacheLogger;
  /** Keys per MGET: a larger read is split into chunks sent together (pipelined). Default {@link defaultRedisChunkSize}. */
  chunkSize?: number;
}

/** A {@link CacheStore} on Redis that can be health-checked. */
export interface RedisStore extends CacheStore {
  readonly name: 'redis';
  tryLock(key: string, ttlMs: number): Promise<string | undefined>;
  unlock(key: string, token: string): Promise<void>;
  /** Resolves when Redis answers PING; rejects when it does not within `timeoutMs` (including while it connects). */
  ping(): Promise<void>;
}

/** Default keys per MGET (and per MULTI of writes). */
export const defaultRedisChunkSize = 200;

/** Socket settings that keep node-redis from hanging while Redis is down or paused. */
const socket = { connectTimeout: 500, socketTimeout: 1500, maxReconnectDelayMs: 2000, pingIntervalMs: 500 };

/** Plain JSON in and out (Keyv's default serializer is not): a HIT serializes byte-for-byte like what was stored. */
const serialize = JSON.stringify;

/**
 * A store on Redis: `createKeyv` from @keyv/redis over a node-redis client that this function creates and
 * connects in the background (so creating the store never throws for an unreachable Redis and never blocks).
 * Keys are stored as given, with no prefix of the store's own. While Redis is unreachable every call rejects
 * at once (offline queue disabled); a paused Redis can hold a call up to about 2 s, so callers bound each
 * call with their own deadline (see `createFailoverStore`).
 */
export function createRedisStore(options: RedisStoreOptions): RedisStore {
  const { url, timeoutMs, logger, chunkSize = defaultRedisChunkSize } = options;
  assertRedisUrl(url);
  assertPositive('timeoutMs', timeoutMs, 'milliseconds');
  assertPositive('chunkSize', chunkSize, 'keys');
  let closed = false;
  const client = createClient({
    url,
    disableOfflineQueue: true, // fail at once while disconnected instead of queueing forever
    pingInterval: socket.pingIntervalMs,
    socket: {
      connectTimeout: socket.connectTimeout,
      socketTimeout: socket.socketTimeout,
      reconnectStrategy: (retries: number) =>
        closed ? false : Math.min(100 * 2 ** retries, socket.maxReconnectDelayMs),
    },
  });
  // node-redis' client generics are invariant; @keyv/redis declares the widest instantiation.
  const keyv = createKeyv(client as unknown as Parameters<typeof createKeyv>[0], {
    throwOnConnectError: false,
    throwOnErrors: true, // otherwise a failed call looks like a miss and nobody can fail over
    connectionTimeout: socket.connectTimeout,
  });
  keyv.serialize = serialize;
  keyv.deserialize = JSON.parse;
  reportConnectionErrors(client, keyv, logger);
  // Connecting ourselves keeps the client open (reconnecting) for its whole life: @keyv/redis's lazy connect
  // would instead destroy and recreate the connection after each failed attempt.
  client.connect().catch(() => undefined);

  const inChunks = <T, R>(items: readonly T[], call: (chunk: T[]) => Promise<R[]>): Promise<R[]> => {
    if (items.length <= chunkSize) return call([...items]);
    const chunks: T[][] = [];
    for (let i = 0; i < items.length; i += chunkSize) chunks.push(items.slice(i, i + chunkSize));
    // Issued in one tick, node-redis pipelines them: one round trip, but no single huge command.
    return Promise.all(chunks.map(call)).then((parts) => parts.flat());
  };
  const write = async (entries: readonly StoreEntry[], onlyIfAbsent: boolean) => {
    for (const e of entries) assertTtlSeconds(e.ttlSeconds);
    if (entries.length === 0) return;
    if (!onlyIfAbsent) {
      await inChunks(entries, async (chunk) => {
        await keyv.setMany(chunk.map(({ key, value, ttlSeconds }) => ({ key, value, ttl: ttlToMs(ttlSeconds) })));
        return [];
      });
      return;
    }
    const multi = client.multi();
    for (const { key, value, ttlSeconds } of entries) {
      const ms = ttlToMs(ttlSeconds);
      // Keyv's own envelope, so that `get` reads these entries like any other.
      multi.set(key, serialize({ value, expires: Date.now() + ms }), { NX: true, PX: ms });
    }
    await multi.exec();
  };

  return {
    name: 'redis',
    get: async <T>(key: string) => (await keyv.get(key)) as T | undefined,
    getMany: async <T>(keys: readonly string[]) =>
      keys.length === 0 ? [] : ((await inChunks(keys, (chunk) => keyv.getMany(chunk))) as (T | undefined)[]),
    set: async (key, value, ttlSeconds) => write([{ key, value, ttlSeconds }], false),
    setMany: (entries) => write(entries, false),
    addMany: (entries) => write(entries, true),
    delete: async (key) => {
      await keyv.delete(key);
    },
    tryLock: async (key, ttlMs) => {
      assertPositive('ttlMs', ttlMs, 'milliseconds');
      const token = randomBytes(12).toString('base64url');
      return (await client.set(key, token, { NX: true, PX: Math.ceil(ttlMs) })) === 'OK' ? token : undefined;
    },
    unlock: async (key, token) => {
      await client.eval(unlockScript, { keys: [key], arguments: [token] });
    },
    ping: () => pingWithin(client, timeoutMs),
    close: async () => {
      if (closed) return;
      closed = true;
      // destroy(), not close(): close() waits for pending replies, forever if Redis is paused.
      if (client.isOpen) client.destroy();
    },
  };
}

/** Deletes the lock only while it still holds the caller's token: an expired lock retaken by another stays. */
const unlockScript = "if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0";

/** What the helpers below use of the node-redis client (its generic type is too particular to name). */
type RedisClient = NodeJS.EventEmitter & {
  readonly isOpen: boolean;
  readonly isReady: boolean;
  ping(): Promise<unknown>;
};

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
