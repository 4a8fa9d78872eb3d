/**
 * The resolver cache: a self-contained module (it imports nothing from the app).
 *
 * - `createResolverCache({ store, getSubject, ... })` builds the runtime; `cachePlugin(cache)` goes into
 *   Apollo's plugins; `@CacheControl({ maxAge, scope, namespace })` caches a resolver's result.
 * - `@Evicts(...)` on mutations, and `cache.evict(namespaces)` anywhere, evict by writing new namespace
 *   generations (after the commit, never before).
 * - Stores: `createMemoryStore`, `createFailoverStore` (a shared store with deadlines, memory while it is
 *   away), and the wrappers `errorsAreMisses` and `tiered`. The Redis store lives in `./redis`, so that
 *   only an application that uses Redis loads its client.
 */
export { CacheControl, type CacheControlOptions } from './cache-control.decorator';
export { CacheControlScopeEnum, cacheControlDirective } from './cache-control.directive';
export { defaultKeyPrefix } from './cache-key';
export type { NamespaceData, NamespaceOption } from './cache.middleware';
export { cachePlugin, type CachePluginOptions } from './cache.plugin';
export { CacheTimeoutError } from './deadline';
export type { Evictor } from './evictions';
export { Evicts, type EvictionData, type EvictsOption } from './evicts.decorator';
export {
  createEvictor,
  createResolverCache,
  type CachedCall,
  type CachedResult,
  type CreateEvictorOptions,
  type ResolverCache,
  type ResolverCacheOptions,
} from './resolver-cache';
export { errorsAreMisses } from './stores/errors-are-misses';
export {
  createFailoverStore,
  defaultFailoverTimeoutMs,
  defaultFallbackMaxTtlSeconds,
  type CacheBackend,
  type FailoverStore,
  type FailoverStoreOptions,
  type PingableCacheStore,
} from './stores/failover';
export {
  createMemoryStore,
  defaultMaxEntryBytes,
  defaultMemoryMaxBytes,
  defaultMemoryMaxItems,
  type MemoryStore,
  type MemoryStoreOptions,
} from './stores/memory';
export type { CacheStore, StoreEntry } from './stores/store';
export { tiered, type TieredOptions } from './stores/tiered';
export type { CacheEvent, CacheFieldReport, CacheFieldStatus, CacheLogger, CacheReport, CacheScope, CacheStatus } from './types';
