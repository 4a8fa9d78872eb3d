/**
 * The resolver cache: a self-contained module (it imports nothing from the app).
 *
 * - `createResolverCache({ store, getSubject, ... })` builds the runtime; `createCachePlugin(cache)` goes into
 *   Apollo's plugins; `@CacheControl({ maxAge, scope, namespace })` caches a resolver's result.
 * - `@Evicts(...)` on mutations, and `cache.evict(namespaces)` anywhere, evict by writing new namespace
 *   generations (after the commit, never before).
 * - Stores: `createMemoryStore`, `createFailoverStore` (a shared store with deadlines, memory while it is
 *   away), and the wrappers `errorsAreMisses` and `tiered`. The Redis store lives in `./redis`, so that
 *   only an application that uses Redis loads its client.
 */

export type { CacheKeyFunction, CacheKeyPart, NamespaceData, NamespaceOption } from './cache.middleware';
export { type CachePluginOptions, createCachePlugin, wantsBypass } from './cache.plugin';
export { CacheControl, type CacheControlOptions } from './cache-control.decorator';
export { CacheControlScopeEnum, cacheControlDirective } from './cache-control.directive';
export { defaultKeyPrefix, maxKeyPartsBytes } from './cache-key';
export { CacheTimeoutError } from './deadline';
export type { Evictor } from './evictions';
export { type EvictionData, Evicts, type EvictsOption } from './evicts.decorator';
export { namespaceFamily } from './namespaces';
export {
  createOperationTier,
  type OperationCandidate,
  type OperationEntry,
  type OperationHit,
  type OperationKey,
  type OperationRequest,
  type OperationSharing,
  type OperationTier,
  type OperationTierOptions,
} from './operation-tier';
export { carryOperationCandidate, markCallerSpecific, setOperationCandidate } from './request-state';
export {
  type CachedCall,
  type CachedResult,
  type CreateEvictorOptions,
  createEvictor,
  createResolverCache,
  type ResolverCache,
  type ResolverCacheOptions,
} from './resolver-cache';
export { errorsAreMisses } from './stores/errors-are-misses';
export {
  type CacheBackend,
  createFailoverStore,
  defaultFailoverTimeoutMs,
  defaultFallbackMaxTtlSeconds,
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
export { type TieredOptions, tiered } from './stores/tiered';
export type {
  CacheEvent,
  CacheFieldReport,
  CacheFieldStatus,
  CacheLogger,
  CacheReport,
  CacheScope,
  CacheSpan,
  CacheSpanAttributeValue,
  CacheStatus,
  CacheTracer,
} from './types';
