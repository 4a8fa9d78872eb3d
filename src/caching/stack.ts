import {
  type CacheBackend,
  type CacheEvent,
  type CacheStore,
  type CacheTracer,
  createEvictor,
  createFailoverStore,
  createMemoryStore,
  createResolverCache,
  type FailoverStore,
  type MemoryStore,
  type ResolverCache,
} from '../cache';
import type { CacheConfig } from '../config';
import type { Context } from '../context';
import type { Logger } from '../logger';
import { batchedWrites } from './batched-writes';

/** The cache as configured. */
export interface CacheStack {
  readonly resolverCache: ResolverCache<Context>;
  /** `memory` or `redis`: where reads go right now. */
  backend(): CacheBackend;
  /** The memory store holding entries and generations, when there is no Redis (tokens read synchronously). */
  readonly memoryStore: MemoryStore | undefined;
  /** A new memory store bounded like the others (the operation tier's entries). */
  createMemoryStore(): MemoryStore;
  /**
   * True when the store answering now is the one every instance shares (always, on memory alone; on
   * Redis, only while Redis answers): what authentication may be cached in.
   */
  isShared(): boolean;
  /**
   * Entries held in this process's memory stores right now, generation tokens included (the memory
   * store; on Redis, the local tier and the fallback; the operation tier's). Read-only, for tests and diagnostics.
   */
  entryCount(): number;
  /** Bytes held in those same memory stores right now (keys and values as JSON text). */
  byteCount(): number;
  close(): Promise<void>;
}

export interface CacheStackOptions {
  config: CacheConfig;
  logger: Logger;
  logLookups: boolean;
  onEvent?: (event: CacheEvent) => void;
  /** Traces lookups and evictions; each span also says the backend that served it (`cache.backend`). */
  tracer?: CacheTracer;
}

/**
 * The cache as configured: memory, or Redis (one server, or a Redis Cluster) with memory as its fallback
 * while Redis is unreachable and a local tier of entries in front of it. Redis down at start-up is not an error: the store starts on
 * memory and switches when Redis answers.
 */
export async function createCacheStack({
  config,
  logger,
  logLookups,
  onEvent,
  tracer,
}: CacheStackOptions): Promise<CacheStack> {
  const cacheLogger = logger.child({ component: 'cache' });
  const memory = () =>
    createMemoryStore({
      maxItems: config.maxItems,
      maxBytes: config.maxBytes,
      maxEntryBytes: Math.min(config.maxEntryBytes, config.maxBytes),
      onOversized: (bytes) => onEvent?.({ type: 'oversized', bytes }),
    });
  const memories: MemoryStore[] = []; // for entryCount()
  const tracked = () => {
    const created = memory();
    memories.push(created);
    return created;
  };
  // Built first: the cache evicts through it, and the failover store replays its journal on recovery.
  const evictor = createEvictor({ logger: cacheLogger });
  let store: CacheStore;
  let memoryStore: MemoryStore | undefined;
  let failover: FailoverStore | undefined;
  let local: MemoryStore | undefined;
  if (config.redis) {
    // Imported here only: an app on the memory store never loads the Redis client.
    const { createRedisClusterStore, createRedisStore } = require('../cache/redis') as typeof import('../cache/redis');
    // The store's own deadline bounds only its PING (health checks, off the request path): the failover
    // store bounds every request's call by REDIS_TIMEOUT_MS itself.
    const pingTimeoutMs = Math.max(config.redis.timeoutMs * 10, 500);
    const { cluster, url } = config.redis;
    failover = createFailoverStore({
      primary: cluster
        ? createRedisClusterStore({
            nodes: cluster.nodes,
            password: cluster.password,
            timeoutMs: pingTimeoutMs,
            logger: cacheLogger,
          })
        : createRedisStore({ url: url!, timeoutMs: pingTimeoutMs, logger: cacheLogger }),
      fallback: tracked(),
      timeoutMs: config.redis.timeoutMs,
      logger: cacheLogger,
      onRecover: evictor.replay,
      // A cluster is what instances scale out on: while a master fails over (a few seconds), no instance
      // caches in its own memory, where it could not see another instance's evictions (no stale read).
      ...(cluster ? { fallbackMaxTtlSeconds: 0 } : {}),
    });
    store = batchedWrites(failover); // one tick's entries in one call: a wide query stays on Redis
    local = tracked();
  } else {
    store = memoryStore = tracked();
  }
  const resolverCache = createResolverCache<Context>({
    store,
    local,
    evictor,
    defaultMaxAge: config.defaultTtlSeconds,
    maxEntryBytes: config.maxEntryBytes,
    stampedeLockMs: config.stampedeLockMs,
    defaultStaleWhileRevalidate: config.staleWhileRevalidateSeconds,
    getSubject: (context) => context.viewer?.userId,
    logger: cacheLogger,
    logLookups,
    onEvent,
    tracer: tracer && withBackend(tracer, () => failover?.backend ?? 'memory'),
  });
  if (failover) await waitForBackend(failover, 'redis', 1000);
  return {
    resolverCache,
    memoryStore,
    createMemoryStore: tracked, // counted by entryCount() too
    backend: () => failover?.backend ?? 'memory',
    isShared: () => !failover || failover.backend === 'redis',
    entryCount: () => memories.reduce((sum, m) => sum + m.size, 0),
    byteCount: () => memories.reduce((sum, m) => sum + m.bytes, 0),
    close: async () => {
      await Promise.all([store.close(), local?.close()]);
    },
  };
}

/** `tracer`, whose spans also carry `cache.backend`: where reads go when the span starts. */
function withBackend(tracer: CacheTracer, backend: () => CacheBackend): CacheTracer {
  return {
    startSpan(name, options) {
      const span = tracer.startSpan(name, options);
      span.setAttribute('cache.backend', backend());
      return span;
    },
  };
}

/** Gives a reachable Redis a moment to connect, so the first requests already share it; never fails. */
function waitForBackend(store: FailoverStore, backend: CacheBackend, ms: number): Promise<void> {
  if (store.backend === backend) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    const off = store.on('backend', (b) => b === backend && done());
    function done() {
      clearTimeout(timer);
      off();
      resolve();
    }
  });
}
