import { createClient, createCluster } from '@keyv/redis';
import { defaultKeyPrefix } from '../cache/cache-key';
import { EPOCH_NAMESPACE } from '../cache/namespaces';
import { createRedisClusterStore, createRedisStore, parseClusterNodes, type RedisStore } from '../cache/redis';
import { createEvictor } from '../cache/resolver-cache';
import { type Config, type RedisConfig, redactUrl } from '../config';
import { CliError, formatBytes, formatMs, messageOf, table, usageError, within } from './common';

/** Where the configured Redis is, for messages (password hidden). */
export function describeRedis(redis: RedisConfig): string {
  return redis.cluster ? `Redis Cluster ${redis.cluster.nodes.join(',')}` : `Redis ${redactUrl(redis.url!)}`;
}

/** The Redis of the configuration, or a usage error explaining why a memory cache cannot be reached from here. */
export function configuredRedis(config: Config, command: string): RedisConfig {
  if (!config.cache.enabled) throw usageError(`${command}: caching is off (CACHE_ENABLED=false): there is no cache`);
  const redis = config.cache.redis;
  if (!redis) {
    throw usageError(
      `${command} needs Redis (REDIS_ENABLED=true with REDIS_URL or REDIS_HOST/PORT, or REDIS_CLUSTER_NODES): with the memory backend the cache lives inside the server process, out of this CLI's reach${
        command === 'evict' ? ' (restarting the server empties it)' : ''
      }`,
    );
  }
  return redis;
}

/** The namespaces `evict` writes new generations for: those named, or the global epoch for `--all`. */
export function namespacesToEvict(positionals: readonly string[], all: boolean): string[] {
  if (all && positionals.length > 0) throw usageError('evict: give namespaces or --all, not both');
  if (all) return [EPOCH_NAMESPACE];
  if (positionals.length === 0) throw usageError('evict: name at least one namespace (e.g. users:list), or --all');
  for (const ns of positionals) {
    if (ns.trim() === '') throw usageError('evict: a namespace cannot be empty');
    if (ns === EPOCH_NAMESPACE) throw usageError(`evict: "${EPOCH_NAMESPACE}" is the global epoch: use --all`);
  }
  return [...new Set(positionals)];
}

export interface EvictResult {
  redis: string;
  all: boolean;
  namespaces: string[];
  /** The generation keys written (one per namespace). */
  keys: string[];
}

/**
 * Evicts like the server: the server's evictor writes a new generation token for each namespace (SET
 * with the tokens' TTL) on the server's Redis store. Nothing is deleted (no DEL, no FLUSHDB, no SCAN):
 * entries keyed by the old tokens are never read again and expire by their own TTL.
 */
export async function evict(
  redis: RedisConfig,
  namespaces: readonly string[],
  timeoutMs: number,
): Promise<EvictResult> {
  const where = describeRedis(redis);
  const store = openStore(redis, timeoutMs);
  try {
    await reach(store.ping(), timeoutMs, where);
    const failures: string[] = [];
    const evictor = createEvictor({
      logger: {
        info: () => undefined,
        warn: (fields) => failures.push(messageOf((fields as { err?: unknown }).err ?? 'eviction failed')),
      },
    });
    await within(evictor.evict(store, namespaces), timeoutMs, `${where} (eviction)`);
    // The evictor never throws: what Redis did not acknowledge is what it kept to replay.
    if (evictor.pendingCount > 0) {
      throw new CliError(
        `${where} did not acknowledge the eviction${failures.length ? `: ${failures.join('; ')}` : ''}; nothing was evicted for sure, run it again`,
      );
    }
    return {
      redis: where,
      all: namespaces[0] === EPOCH_NAMESPACE,
      namespaces: [...namespaces],
      keys: namespaces.map((ns) => evictor.generations.keyOf(ns)),
    };
  } finally {
    await store.close();
  }
}

export function formatEvict(result: EvictResult): string {
  if (result.all) {
    return [
      `Evicted everything on ${result.redis}: new global epoch (${result.keys[0]}).`,
      'Every entry is unreachable from now on, for every instance; nothing was deleted (no FLUSHDB): old entries expire by their own TTL.',
    ].join('\n');
  }
  return [
    `Evicted ${result.namespaces.length} namespace${result.namespaces.length === 1 ? '' : 's'} on ${result.redis}:`,
    ...result.namespaces.map((ns, i) => `  ${ns}  (new generation at ${result.keys[i]})`),
    'Entries under the old generations are never read again and expire by their own TTL.',
  ].join('\n');
}

/** The server's own Redis store (the same client settings and entry format). */
function openStore(redis: RedisConfig, timeoutMs: number): RedisStore {
  return redis.cluster
    ? createRedisClusterStore({ nodes: redis.cluster.nodes, password: redis.cluster.password, timeoutMs })
    : createRedisStore({ url: redis.url!, timeoutMs });
}

/** Waits for `ping` (the store's own deadline, then ours), or fails with a message naming Redis. */
async function reach(ping: Promise<void>, timeoutMs: number, where: string): Promise<void> {
  try {
    await within(ping, timeoutMs + 250, where);
  } catch (error) {
    throw new CliError(`${where} is unreachable: ${messageOf(error)}`);
  }
}

// ---------------------------------------------------------------------------------------------
// inspect
// ---------------------------------------------------------------------------------------------

/** One key of a coordinate, described from its name, PTTL and size: never its value. */
export interface InspectedKey {
  key: string;
  /** `entry`, or `lock` (a miss's stampede lock, `{entry key}:lock`). */
  kind: 'entry' | 'lock';
  scope: 'PUBLIC' | 'PRIVATE';
  /** Milliseconds left; -1 without a TTL (never written so by the server). */
  ttlMs: number;
  /** MEMORY USAGE, or STRLEN where MEMORY is not allowed. */
  bytes: number;
}

export interface InspectResult {
  coordinate: string;
  redis: string;
  match: string;
  /** `MEMORY USAGE` or `STRLEN`. */
  sizeBy: string;
  entries: number;
  public: number;
  private: number;
  locks: number;
  bytes: number;
  ttlMs: { min: number; max: number } | null;
  /** Up to `limit` keys, longest-lived first. */
  keys: InspectedKey[];
  /** Keys left out of `keys` by the limit. */
  omitted: number;
}

const coordinatePattern = /^[A-Za-z_][A-Za-z0-9_]*\.[A-Za-z_][A-Za-z0-9_]*$/;

/** The key layout, as `inspect` explains it. */
export const keyLayout = `${defaultKeyPrefix}:{coordinate}:{subject}:{hash(args)}:{hash(generations)}[:k-{hash(key parts)}]`;

/**
 * The keys of `coordinate` on Redis, found with SCAN MATCH `gqlc:{coordinate}:*` COUNT 1000 (on every
 * master of a cluster), each with its PTTL and size. It reads no value (no GET): a PRIVATE entry's
 * value cannot be shown, and a PUBLIC one is not either.
 */
export async function inspect(
  redis: RedisConfig,
  coordinate: string,
  options: { timeoutMs: number; limit: number },
): Promise<InspectResult> {
  if (!coordinatePattern.test(coordinate))
    throw usageError(
      `inspect: a schema coordinate is Type.field, e.g. Query.users; got: ${JSON.stringify(coordinate)}`,
    );
  const where = describeRedis(redis);
  const match = `${defaultKeyPrefix}:${coordinate}:*`;
  const nodes = await connectNodes(redis, options.timeoutMs, where);
  const found: InspectedKey[] = [];
  let sizeBy: 'MEMORY USAGE' | 'STRLEN' = 'MEMORY USAGE';
  try {
    for (const node of nodes.clients) {
      for await (const batch of node.scanIterator({ MATCH: match, COUNT: 1000 })) {
        const keys = (Array.isArray(batch) ? batch : [batch]).map(String);
        // Sent in one tick: node-redis pipelines them.
        const ttls = await Promise.all(keys.map((k) => node.pTTL(k)));
        let sizes: number[];
        if (sizeBy === 'MEMORY USAGE') {
          try {
            sizes = (await Promise.all(keys.map((k) => node.memoryUsage(k)))).map((n) => Number(n ?? 0));
          } catch {
            sizeBy = 'STRLEN'; // MEMORY may be renamed or denied (managed Redis)
            sizes = await Promise.all(keys.map((k) => node.strLen(k)));
          }
        } else sizes = await Promise.all(keys.map((k) => node.strLen(k)));
        keys.forEach((key, i) => {
          const ttl = Number(ttls[i]);
          if (ttl === -2) return; // expired between SCAN and PTTL
          const subject = key.slice(match.length - 1).split(':')[0];
          found.push({
            key,
            kind: key.endsWith(':lock') ? 'lock' : 'entry',
            scope: subject === 'public' ? 'PUBLIC' : 'PRIVATE',
            ttlMs: ttl,
            bytes: sizes[i]!,
          });
        });
      }
    }
  } catch (error) {
    throw error instanceof CliError ? error : new CliError(`${where}: ${messageOf(error)}`);
  } finally {
    nodes.close();
  }
  const unique = [...new Map(found.map((k) => [k.key, k])).values()];
  const entries = unique.filter((k) => k.kind === 'entry');
  const ttls = entries.map((k) => k.ttlMs).filter((t) => t >= 0);
  unique.sort((a, b) => b.ttlMs - a.ttlMs || a.key.localeCompare(b.key));
  return {
    coordinate,
    redis: where,
    match,
    sizeBy,
    entries: entries.length,
    public: entries.filter((k) => k.scope === 'PUBLIC').length,
    private: entries.filter((k) => k.scope === 'PRIVATE').length,
    locks: unique.length - entries.length,
    bytes: entries.reduce((sum, k) => sum + k.bytes, 0),
    ttlMs: ttls.length ? { min: Math.min(...ttls), max: Math.max(...ttls) } : null,
    keys: unique.slice(0, options.limit),
    omitted: Math.max(0, unique.length - options.limit),
  };
}

export function formatInspect(r: InspectResult): string {
  const lines = [
    `${r.coordinate} on ${r.redis} (SCAN MATCH ${r.match} COUNT 1000${r.redis.startsWith('Redis Cluster') ? ', every master' : ''})`,
    `Key layout:   ${keyLayout}`,
    '              subject: "public" for PUBLIC entries, u-{hash of the user id} for PRIVATE ones',
    `Entries:      ${r.entries} (PUBLIC ${r.public}, PRIVATE ${r.private}), ${formatBytes(r.bytes)} (${r.sizeBy})${
      r.locks ? `; ${r.locks} stampede lock${r.locks === 1 ? '' : 's'}` : ''
    }`,
    `TTL left:     ${r.ttlMs ? `${formatMs(r.ttlMs.min)} to ${formatMs(r.ttlMs.max)}` : '-'}`,
    'Values:       never shown (inspect reads no value).',
  ];
  if (r.keys.length > 0) {
    lines.push(
      '',
      table(
        ['KEY', 'KIND', 'SCOPE', 'TTL', 'SIZE'],
        r.keys.map((k) => [k.key, k.kind, k.scope, k.ttlMs < 0 ? 'none' : formatMs(k.ttlMs), formatBytes(k.bytes)]),
        [3, 4],
      ),
    );
    if (r.omitted) lines.push(`... and ${r.omitted} more (raise --limit)`);
  }
  lines.push('', 'Entries of evicted generations are listed too until their TTL ends: nothing reads them any more.');
  return lines.join('\n');
}

/** What inspect uses of a node's client. */
interface NodeClient {
  scanIterator(options: { MATCH: string; COUNT: number }): AsyncIterable<string[] | string>;
  pTTL(key: string): Promise<number>;
  memoryUsage(key: string): Promise<number | null>;
  strLen(key: string): Promise<number>;
}

/** A connection per node to scan: the server, or every master of the cluster. Never reconnects: fails fast. */
async function connectNodes(
  redis: RedisConfig,
  timeoutMs: number,
  where: string,
): Promise<{ clients: NodeClient[]; close(): void }> {
  const options = {
    disableOfflineQueue: true,
    socket: { connectTimeout: timeoutMs, socketTimeout: Math.max(timeoutMs, 1500), reconnectStrategy: false as const },
  };
  const fail = (error: unknown) => new CliError(`${where} is unreachable: ${messageOf(error)}`);
  if (redis.cluster) {
    const cluster = createCluster({
      rootNodes: parseClusterNodes(redis.cluster.nodes).map(({ host, port }) => ({ socket: { host, port } })),
      defaults: { ...options, ...(redis.cluster.password ? { password: redis.cluster.password } : {}) },
    }) as unknown as ClusterClient;
    cluster.on('error', () => undefined);
    cluster.on('node-error', () => undefined);
    const close = () => {
      if (cluster.isOpen) cluster.destroy();
    };
    try {
      await within(cluster.connect(), timeoutMs, where);
      const clients = await Promise.all(cluster.masters.map((m) => cluster.nodeClient(m)));
      return { clients, close };
    } catch (error) {
      close();
      throw fail(error);
    }
  }
  const client = createClient({ url: redis.url!, ...options }) as unknown as NodeClient & {
    isOpen: boolean;
    connect(): Promise<unknown>;
    destroy(): void;
    on(event: string, listener: (...args: unknown[]) => void): unknown;
  };
  client.on('error', () => undefined); // the failed connect() says it
  const close = () => {
    if (client.isOpen) client.destroy();
  };
  try {
    await within(client.connect(), timeoutMs, where);
  } catch (error) {
    close();
    throw fail(error);
  }
  return { clients: [client], close };
}

interface ClusterClient {
  readonly isOpen: boolean;
  readonly masters: { host: string; port: number }[];
  connect(): Promise<unknown>;
  destroy(): void;
  nodeClient(node: { host: string; port: number }): Promise<NodeClient>;
  on(event: string, listener: (...args: unknown[]) => void): unknown;
}
