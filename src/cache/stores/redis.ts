import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { createClient, createCluster, createKeyv } from '@keyv/redis';
import calculateSlot from 'cluster-key-slot';
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

/** Options of {@link createRedisClusterStore}. */
export interface RedisClusterStoreOptions {
  /**
   * Some nodes of the cluster, `host:port` each (IPv6 as `[::1]:port`): the first that answers tells the
   * client the whole topology. List them all, so that any one of them down does not matter.
   */
  nodes: readonly string[];
  /** `requirepass` of every node (the same on all of them), if any. */
  password?: string;
  /** How long `ping()` waits for an answer, in **milliseconds**. */
  timeoutMs: number;
  /** Receives connection errors at debug level, once per outage. */
  logger?: CacheLogger;
  /** Keys per MGET: a slot's keys beyond it are split into chunks sent together. Default {@link defaultRedisChunkSize}. */
  chunkSize?: number;
}

/** Default keys per MGET (and per MULTI of writes). */
export const defaultRedisChunkSize = 200;

/** Socket settings that keep node-redis from hanging while Redis is down or paused. */
const socket = { connectTimeout: 500, socketTimeout: 1500, maxReconnectDelayMs: 2000, pingIntervalMs: 500 };

/** Plain JSON in and out (Keyv's default serializer is not): a HIT serializes byte-for-byte like what was stored. */
const serialize = JSON.stringify;

/** Keyv's envelope, as the single-node store writes it (through Keyv) and reads it: both read each other's entries. */
const envelope = (value: unknown, ttlMs: number) => serialize({ value, expires: Date.now() + ttlMs });

/** The value of an envelope, like Keyv reads it: `undefined` when absent or past its `expires`. */
function unwrap<T>(raw: string | null | undefined): T | undefined {
  if (raw === null || raw === undefined) return undefined;
  const data = JSON.parse(raw) as { value?: T; expires?: number | null };
  if (typeof data.expires === 'number' && Date.now() > data.expires) return undefined;
  return data.value;
}

/** The node-redis client options shared by every connection: never hang while a node is down or paused. */
const clientOptions = (reconnect: (retries: number) => number | false) => ({
  disableOfflineQueue: true, // fail at once while disconnected instead of queueing forever
  pingInterval: socket.pingIntervalMs,
  socket: {
    connectTimeout: socket.connectTimeout,
    socketTimeout: socket.socketTimeout,
    reconnectStrategy: reconnect,
  },
});

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
    ...clientOptions((retries) => (closed ? false : Math.min(100 * 2 ** retries, socket.maxReconnectDelayMs))),
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
      multi.set(key, envelope(value, ms), { NX: true, PX: ms });
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

/**
 * A store on a Redis Cluster, behind the same {@link RedisStore} interface, with entries in the same format
 * as {@link createRedisStore}'s (Keyv's envelope, keys as given). It uses node-redis's cluster client, which
 * follows MOVED/ASK redirections; every call goes through it (never straight to a node's connection), so a
 * call for a slot that moved, or whose master was replaced by its replica, reaches the new master.
 *
 * - `getMany` sends ONE MGET per hash slot of its keys (in chunks of `chunkSize`), all at once: no CROSSSLOT.
 *   While a slot is migrated (TRYAGAIN: some of its keys moved, some not) that chunk is read one GET per key.
 * - `setMany`/`addMany` send one `SET ... PX` (`NX` for addMany) per entry, pipelined: no transaction spans
 *   slots. (Not atomic across keys; nothing relies on it: each entry and generation token stands alone.)
 * - `ping()` resolves only when the cluster serves all slots: connected, every master answers
 *   `CLUSTER INFO` with `cluster_state:ok`, every slot has a master. When it fails, the client refreshes its
 *   view of the topology in the background, so the next ping sees a promoted replica.
 * - Like the single-node store: creating it never throws for an unreachable cluster and never blocks (it
 *   connects in the background, and again until it succeeds); while a node is down, calls for its slots
 *   reject at once (offline queue disabled); callers bound each call with their own deadline.
 */
export function createRedisClusterStore(options: RedisClusterStoreOptions): RedisStore {
  const { timeoutMs, logger, chunkSize = defaultRedisChunkSize, password } = options;
  const rootNodes = parseClusterNodes(options.nodes);
  assertPositive('timeoutMs', timeoutMs, 'milliseconds');
  assertPositive('chunkSize', chunkSize, 'keys');
  let closed = false;
  const reconnect = (retries: number) => (closed ? false : Math.min(100 * 2 ** retries, socket.maxReconnectDelayMs));
  let reported = false;
  const report = (error: unknown) => {
    if (reported || closed) return;
    reported = true;
    logger?.debug?.(
      { err: error },
      'cache: Redis Cluster connection error (further errors muted until it answers again)',
    );
  };

  const newCluster = () => {
    const created = createCluster({
      rootNodes: rootNodes.map(({ host, port }) => ({ socket: { host, port } })),
      // Every connection, to the root nodes and to each node discovered, gets the single-node store's settings.
      defaults: { ...clientOptions(reconnect), ...(password ? { password } : {}) },
      maxCommandRedirections: 8,
    }) as unknown as ClusterClient;
    // Always listen: an unheard 'error' would crash the process. 'node-error' is each node's own.
    created.on('error', report);
    created.on('node-error', report);
    return created;
  };
  let cluster = newCluster();
  let ready: Promise<void> | undefined;
  let retries = 0;
  let retryTimer: NodeJS.Timeout | undefined;
  /** Connects (again, with a new client, while it fails): discovery itself can wait forever on a dead master. */
  const connect = (): Promise<void> => {
    if (ready) return ready;
    const current = cluster;
    const attempt = withDeadline(current.connect(), socket.maxReconnectDelayMs * 2, 'redis cluster connect').then(
      () => {
        retries = 0;
      },
      (error: unknown) => {
        report(error);
        ready = undefined;
        if (current.isOpen) current.destroy();
        if (closed) throw error;
        cluster = newCluster();
        clearTimeout(retryTimer);
        retryTimer = setTimeout(() => void connect().catch(() => undefined), reconnect(retries++) || 0);
        retryTimer.unref();
        throw error;
      },
    );
    ready = attempt;
    return attempt;
  };
  connect().catch(() => undefined);

  /** The connected cluster client; rejects at once while it is not connected (no queue, like a node client). */
  const connected = async (): Promise<ClusterClient> => {
    if (closed) throw new Error('Redis cluster store is closed');
    if (!cluster.isOpen || !ready) throw new Error('Redis cluster is not connected');
    await ready;
    return cluster;
  };

  const inChunks = <T>(items: readonly T[]): T[][] => {
    const chunks: T[][] = [];
    for (let i = 0; i < items.length; i += chunkSize) chunks.push(items.slice(i, i + chunkSize));
    return chunks;
  };
  /** Positions of `keys` grouped by hash slot, in order of first appearance. */
  const bySlot = (keys: readonly string[]): number[][] => {
    const groups = new Map<number, number[]>();
    keys.forEach((key, i) => {
      const slot = calculateSlot(key);
      const group = groups.get(slot);
      if (group) group.push(i);
      else groups.set(slot, [i]);
    });
    return [...groups.values()];
  };

  const write = async (entries: readonly StoreEntry[], onlyIfAbsent: boolean) => {
    for (const e of entries) assertTtlSeconds(e.ttlSeconds);
    if (entries.length === 0) return;
    const c = await connected();
    // Issued in one tick: node-redis pipelines them on each node's connection.
    const replies = await Promise.allSettled(
      entries.map(({ key, value, ttlSeconds }) => {
        const ms = ttlToMs(ttlSeconds);
        return c.set(key, envelope(value, ms), onlyIfAbsent ? { NX: true, PX: ms } : { PX: ms });
      }),
    );
    const failed = replies.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) throw failed.reason;
  };

  return {
    name: 'redis',
    get: async <T>(key: string) => unwrap<T>(await (await connected()).get(key)),
    getMany: async <T>(keys: readonly string[]) => {
      if (keys.length === 0) return [];
      const c = await connected();
      const values: (T | undefined)[] = new Array(keys.length).fill(undefined);
      // One MGET per slot (per chunk of a slot), all sent at once, each through the cluster client.
      const reads = bySlot(keys).flatMap((positions) =>
        inChunks(positions).map(async (chunk) => {
          const chunkKeys = chunk.map((i) => keys[i]!);
          const raws = await c.mGet(chunkKeys).catch((error: unknown) => {
            // A slot being migrated, its keys split between two masters: a multi-key command gets
            // TRYAGAIN, which node-redis does not retry. One GET per key follows ASK like any call.
            if (chunkKeys.length > 1 && error instanceof Error && error.message.startsWith('TRYAGAIN')) {
              return Promise.all(chunkKeys.map((key) => c.get(key)));
            }
            throw error;
          });
          chunk.forEach((position, j) => {
            values[position] = unwrap<T>(raws[j]);
          });
        }),
      );
      await Promise.all(reads);
      return values;
    },
    set: async (key, value, ttlSeconds) => write([{ key, value, ttlSeconds }], false),
    setMany: (entries) => write(entries, false),
    addMany: (entries) => write(entries, true),
    delete: async (key) => {
      await (await connected()).del(key);
    },
    tryLock: async (key, ttlMs) => {
      assertPositive('ttlMs', ttlMs, 'milliseconds');
      const token = randomBytes(12).toString('base64url');
      const reply = await (await connected()).set(key, token, { NX: true, PX: Math.ceil(ttlMs) });
      return reply === 'OK' ? token : undefined;
    },
    unlock: async (key, token) => {
      await (await connected()).eval(unlockScript, { keys: [key], arguments: [token] });
    },
    ping: async () => {
      if (closed) throw new Error('Redis cluster store is closed');
      await withDeadline(pingCluster(), timeoutMs, 'redis cluster ping');
      reported = false; // the outage is over: the next error is news
    },
    close: async () => {
      if (closed) return;
      closed = true;
      clearTimeout(retryTimer);
      // destroy(), not close(): close() waits for pending replies, forever if a node is paused.
      if (cluster.isOpen) cluster.destroy();
    },
  };

  async function pingCluster(): Promise<void> {
    const c = cluster;
    await (ready ?? connect());
    const masters = c.masters;
    let answered: NodeClient | undefined;
    try {
      if (masters.length === 0) throw new Error('Redis cluster: no master known');
      for (let slot = 0; slot < clusterSlots; slot++) {
        if (!c.slots[slot]?.master) throw new Error(`Redis cluster: slot ${slot} has no master`);
      }
      await Promise.all(
        masters.map(async (master) => {
          const node = await c.nodeClient(master);
          const info = String(await node.sendCommand(['CLUSTER', 'INFO']));
          answered ??= node;
          if (!/^cluster_state:ok\b/m.test(info)) {
            throw new Error(
              `Redis cluster: ${master.host}:${master.port} says ${/^cluster_state:\w+/m.exec(info)?.[0]}`,
            );
          }
        }),
      );
    } catch (error) {
      // A master that does not answer may have been replaced by its replica, which no MOVED will tell
      // (nothing answers for that slot): ask the cluster for its topology again, in the background.
      if (!closed && c === cluster && c.isOpen) rediscover(c, answered, rootNodes[0]!);
      throw error;
    }
  }
}

/** Slots of a Redis Cluster. */
const clusterSlots = 16384;

/** What this module uses of a node's client inside the cluster client. */
interface NodeClient {
  readonly options?: unknown;
  sendCommand(args: string[]): Promise<unknown>;
}

/** What this module uses of node-redis's cluster client (its generic type is too particular to name). */
interface ClusterClient extends NodeJS.EventEmitter {
  readonly isOpen: boolean;
  readonly masters: { host: string; port: number }[];
  readonly slots: ({ master?: unknown } | undefined)[];
  readonly _slots: { rediscover(startWith: NodeClient): Promise<void> };
  connect(): Promise<unknown>;
  destroy(): void;
  nodeClient(node: { host: string; port: number }): Promise<NodeClient>;
  get(key: string): Promise<string | null>;
  mGet(keys: string[]): Promise<(string | null)[]>;
  set(key: string, value: string, options: { NX?: true; PX: number }): Promise<string | null>;
  del(key: string): Promise<number>;
  eval(script: string, options: { keys: string[]; arguments: string[] }): Promise<unknown>;
}

/**
 * Has `cluster` ask for the topology again, in the background (node-redis runs one at a time): starting
 * with a node that answered, else with a root node (it tries every root node when that one fails).
 */
function rediscover(
  cluster: Pick<ClusterClient, '_slots'>,
  answered: NodeClient | undefined,
  root: { host: string; port: number },
): void {
  // node-redis reads only `options` of the client it starts with (and merges the cluster's defaults in).
  const start = answered ?? ({ options: { socket: { host: root.host, port: root.port } } } as NodeClient);
  cluster._slots.rediscover(start).catch(() => undefined);
}

/** `host:port` strings (IPv6 as `[addr]:port`) into root nodes; throws a RangeError naming the bad one. */
export function parseClusterNodes(nodes: readonly string[]): { host: string; port: number }[] {
  if (!Array.isArray(nodes) || nodes.length === 0) {
    throw new RangeError('`nodes` must list at least one `host:port` of the cluster, got: none');
  }
  return nodes.map((node) => {
    const m = typeof node === 'string' ? /^(?:\[([^\]]+)\]|([^:\s[\]]+)):(\d{1,5})$/.exec(node.trim()) : null;
    const port = m ? Number(m[3]) : 0;
    if (!m || port < 1 || port > 65535) {
      throw new RangeError(
        `\`nodes\` must be \`host:port\` entries (IPv6 as [addr]:port), got: ${JSON.stringify(node)}`,
      );
    }
    return { host: (m[1] ?? m[2])!, port };
  });
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
