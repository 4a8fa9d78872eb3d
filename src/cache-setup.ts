import {
  createFailoverStore,
  createMemoryStore,
  createRedisStore,
  createResolverCache,
  type CacheEvent,
  type CacheStore,
  type FailoverStore,
  type ResolverCache,
} from './cache';
import type { CacheConfig } from './config';
import type { Context } from './context';
import type { Logger } from './logger';

export interface CacheStack {
  cache: ResolverCache<Context>;
  /** `memory` or `redis`: where reads go right now. */
  backend(): 'memory' | 'redis';
  close(): Promise<void>;
}

export interface CacheStackOptions {
  config: CacheConfig;
  logger: Logger;
  logLookups: boolean;
  onEvent?: (event: CacheEvent) => void;
}

/**
 * The cache as configured: memory, or Redis with memory as its fallback while Redis is unreachable.
 * Redis down at start-up is not an error: the store starts on memory and switches when Redis answers.
 */
export async function createCacheStack({ config, logger, logLookups, onEvent }: CacheStackOptions): Promise<CacheStack> {
  const cacheLogger = logger.child({ component: 'cache' });
  const memory = createMemoryStore({ maxItems: config.maxItems });
  let store: CacheStore = memory;
  let failover: FailoverStore | undefined;
  let local: CacheStore | undefined;
  let runtime: ResolverCache<Context> | undefined;
  if (config.redis) {
    const redis = createRedisStore({ url: config.redis.url, timeoutMs: config.redis.timeoutMs, logger: cacheLogger });
    failover = createFailoverStore({
      primary: redis,
      fallback: memory,
      timeoutMs: config.redis.timeoutMs,
      logger: cacheLogger,
      // Evictions that could not reach Redis are written before Redis serves a read again.
      onRecover: (primary) => runtime?.replayEvictions(primary),
    });
    store = failover;
    // Entries read from Redis are kept in process too: their keys carry the generations, which are
    // still read from Redis on every lookup, so this tier can never serve what another instance evicted.
    local = createMemoryStore({ maxItems: config.maxItems, namespace: 'local' });
  }
  const cache = (runtime = createResolverCache<Context>({
    store,
    local,
    defaultMaxAge: config.defaultTtlSeconds,
    getSubject: (context) => context.viewer?.userId,
    logger: cacheLogger,
    logLookups,
    onEvent,
  }));
  if (failover) await waitForBackend(failover, 'redis', 1000);
  return {
    cache,
    backend: () => failover?.backend ?? 'memory',
    close: async () => {
      await Promise.all([store.close(), local?.close()]);
    },
  };
}

/** Gives a reachable Redis a moment to connect, so the first requests already share it; never fails. */
function waitForBackend(store: FailoverStore, backend: 'redis', ms: number): Promise<void> {
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
