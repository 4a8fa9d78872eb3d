/**
 * The resolver cache: a self-contained module (it imports nothing from the app).
 *
 * - `createResolverCache({ store, getSubject, ... })` builds the runtime; `cachePlugin(cache)` goes into
 *   Apollo's plugins; `@CacheControl({ maxAge, scope, namespace })` caches a resolver's result.
 * - Stores: `createMemoryStore`, `createRedisStore`, `createFailoverStore` (Redis with deadlines, memory
 *   while Redis is away).
 * - `@Evicts(...)` on mutations, and `cache.invalidate(namespaces)` / `cache.invalidateNamespace(ns)`
 *   anywhere, evict by bumping namespace generations (after the commit, never before).
 */
export { CacheControl, type CacheControlOptions } from './cache-control.decorator';
export { CacheControlScopeEnum, cacheControlDirective } from './cache-control.directive';
export { buildCacheKey, canonicalJson, defaultKeyPrefix, hashArgs, type CacheKeyParts } from './cache-key';
export { createCacheMiddleware, type NamespaceData, type NamespaceOption } from './cache.middleware';
export { cachePlugin, wantsBypass, type CachePluginOptions } from './cache.plugin';
export { CacheTimeoutError, withDeadline } from './deadline';
export { EvictionJournal, defaultMaxPendingEvictions } from './evictions';
export { Evicts, type EvictionData, type EvictsOption } from './evicts.decorator';
export {
  createFailoverStore,
  defaultFailoverTimeoutMs,
  defaultFallbackMaxTtlSeconds,
  defaultHealthCheckIntervalMs,
  type CacheBackend,
  type FailoverStore,
  type FailoverStoreOptions,
} from './failover-store';
export { EPOCH_NAMESPACE, NamespaceGenerations, defaultGenerationTtlSeconds } from './namespaces';
export { CacheReportCollector } from './report';
export { createResolverCache, ResolverCache, type CachedCall, type CachedResult, type ResolverCacheOptions } from './resolver-cache';
export {
  createMemoryStore,
  createRedisStore,
  defaultMemoryMaxItems,
  type CacheStore,
  type MemoryStoreOptions,
  type RedisStore,
  type RedisStoreOptions,
} from './store';
export { toPlain } from './to-plain';
export type { CacheEvent, CacheFieldReport, CacheFieldStatus, CacheLogger, CacheReport, CacheScope, CacheStatus } from './types';
