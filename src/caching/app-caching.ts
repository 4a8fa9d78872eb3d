import type { ApolloServerPlugin } from '@apollo/server';
import { ApolloServerPluginCacheControlDisabled } from '@apollo/server/plugin/disabled';
import type { MikroORM } from '@mikro-orm/core';
import type { Registry } from 'prom-client';
import { type KeyLookupFn, lookupKeyByHash } from '../auth/authenticator';
import type { Viewer } from '../auth/viewer';
import {
  type CacheEvent,
  type CacheTracer,
  createCachePlugin,
  createOperationTier,
  type OperationHit,
  type OperationTier,
} from '../cache';
import type { Config } from '../config';
import type { Context } from '../context';
import type { Logger } from '../logger';
import { registerCacheMetrics } from './cache-metrics';
import { cachedKeyLookup } from './cached-key-lookup';
import { CacheEvictionSubscriber } from './eviction.subscriber';
import { createEvictionHelpers, type EvictionHelpers } from './eviction-helpers';
import { Evictions, Namespaces } from './namespaces';
import { type CacheStack, createCacheStack } from './stack';

/** Everything the app needs of caching, whether it is on or off. */
export interface AppCaching {
  /** The cache as configured; null with caching off. */
  readonly stack: CacheStack | null;
  /** Evict after writes the ORM cannot see (raw SQL, another service); no-ops with caching off. */
  readonly evictions: EvictionHelpers;
  /** The API-key lookup: through the cache when it is on. */
  readonly keyLookup: KeyLookupFn;
  /** What recording a key's use makes stale. */
  keyUsed(viewer: Viewer): Promise<void>;
  /** Apollo plugins: the cache report (which also stores operation-tier entries). */
  readonly plugins: ApolloServerPlugin<Context>[];
  /** The operation tier, when caching and `CACHE_OPERATION_TIER` are on. */
  readonly operationTier: OperationTier | null;
  /** Counts and logs an operation-tier hit like any other lookup. */
  operationHit(hit: OperationHit, ms: number, operationName: string | undefined): void;
  /** `memory`, `redis`, or `disabled`: for /ready and metrics. */
  backend(): 'memory' | 'redis' | 'disabled';
  close(): Promise<void>;
}

export interface AppCachingOptions {
  config: Config;
  logger: Logger;
  orm: MikroORM;
  /** Where the cache's metrics are registered. */
  registry: Registry;
  /** Also told of every cache event (tests count them). */
  onEvent?: (event: CacheEvent) => void;
  /** Traces the cache's lookups and evictions (tracing on). */
  tracer?: CacheTracer;
}

/**
 * The app's side of caching, wired once: the stack as configured, the ORM subscriber that evicts on
 * every committed write, the cached key lookup, the report plugin and the metrics.
 */
export async function setUpCaching({
  config,
  logger,
  orm,
  registry,
  onEvent,
  tracer,
}: AppCachingOptions): Promise<AppCaching> {
  let stack: CacheStack | null = null;
  const backend = () => stack?.backend() ?? 'disabled';
  const toMetrics = registerCacheMetrics(registry, backend, () =>
    stack ? { entries: stack.entryCount(), bytes: stack.byteCount() } : undefined,
  );
  if (config.cache.enabled) {
    stack = await createCacheStack({
      config: config.cache,
      logger,
      logLookups: config.logCategories.has('CACHE'),
      tracer,
      onEvent: (event) => {
        toMetrics(event);
        onEvent?.(event);
      },
    });
  }
  const resolverCache = stack?.resolverCache ?? null;
  const evict = resolverCache ? (namespaces: readonly string[]) => resolverCache.evict(namespaces) : null;
  // Every committed change of a User or an ApiKey evicts what it made stale, whatever wrote it.
  if (evict) orm.em.getEventManager().registerSubscriber(new CacheEvictionSubscriber(evict));
  const shared = stack;
  const operationTier =
    resolverCache && stack && config.cache.operationTier
      ? createOperationTier({
          cache: resolverCache,
          entries: stack.createMemoryStore(),
          localTokens: stack.memoryStore,
          isShared: stack.isShared,
          callerNamespace: Namespaces.auth,
          // Callers of one role share responses made of PUBLIC fields whose rules looked at the role alone.
          sharing: {
            classOf: (viewer) => (viewer ? `role:${(viewer as Viewer).role}` : null),
            callerTtlSeconds: config.cache.defaultTtlSeconds,
          },
        })
      : null;
  const logLookups = config.logCategories.has('CACHE');
  return {
    operationTier,
    operationHit: ({ entry, shared, stale }, ms, operationName) => {
      const status = stale ? 'STALE' : 'HIT';
      const event: CacheEvent = { type: 'lookup', coordinate: '(operation)', status, ms };
      toMetrics(event);
      onEvent?.(event);
      if (logLookups) {
        const name = operationName ?? 'anonymous operation';
        logger.info(
          {
            category: 'CACHE',
            tier: 'operation',
            status,
            shared,
            fields: entry.fields.length,
            ms: Math.round(ms * 100) / 100,
          },
          `CACHE ${status} (operation tier): ${name} (${ms.toFixed(2)}ms)`,
        );
      }
    },
    stack,
    evictions: createEvictionHelpers(evict),
    keyLookup:
      resolverCache && shared
        ? cachedKeyLookup(resolverCache, config.cache.defaultTtlSeconds, lookupKeyByHash, shared.isShared)
        : lookupKeyByHash,
    keyUsed: async (viewer) => {
      await evict?.(Evictions.apiKeyUsed(viewer.userId));
    },
    plugins: resolverCache
      ? [
          createCachePlugin<Context>(resolverCache, {
            operationTier: operationTier ?? undefined,
            callerOf: (context) => context.viewer,
            // The header from the cache's report: Apollo's own plugin would wrap every field's resolver.
            cacheControlHeader: true,
          }),
          ApolloServerPluginCacheControlDisabled(),
        ]
      : [],
    backend,
    close: async () => {
      await Promise.all([stack?.close(), operationTier?.close()]);
    },
  };
}
