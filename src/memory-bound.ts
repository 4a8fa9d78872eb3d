import { getHeapStatistics } from 'node:v8';
import type { Config } from './config';

const MiB = 1024 * 1024;

/** Live heap of the process itself once warm (code, schema, ORM metadata, Apollo): 40-50 MiB measured. */
export const PROCESS_LIVE_HEAP_MIB = 50;

/**
 * Heap bytes per byte that a memory store counts (its keys and values as JSON text). Measured on Node 20:
 * 1.3 for pages of users through the API, up to 2.2 for entries whose value is `null` (the key and the
 * LRU's own bookkeeping dominate); rounded up.
 */
export const HEAP_BYTES_PER_STORED_BYTE = 2.5;

/**
 * The in-process memory stores the configuration makes, each bounded by `CACHE_MAX_ITEMS` and
 * `CACHE_MAX_BYTES`: the entries (on Redis: the fallback used during an outage, and the local tier in
 * front of Redis) and the operation tier's whole responses.
 */
export function memoryStoreCount(config: Pick<Config, 'cache'>): number {
  const { cache } = config;
  if (!cache.enabled) return 0;
  return (cache.redis ? 2 : 1) + (cache.operationTier ? 1 : 0);
}

/**
 * The bound, in MiB, of the live heap (what a full garbage collection leaves) under any traffic: every
 * structure that grows with distinct requests is bounded by a setting (`CACHE_MAX_BYTES` per memory
 * store, `DOCUMENT_CACHE_MAX_BYTES` for parsed documents) or by the requests in flight. RSS adds V8's
 * garbage between collections on top of it, unless `--max-old-space-size` caps the old space.
 */
export function liveHeapBoundMiB(config: Pick<Config, 'cache' | 'documentCacheMaxBytes'>): number {
  const stores = memoryStoreCount(config) * HEAP_BYTES_PER_STORED_BYTE * config.cache.maxBytes;
  return Math.ceil(PROCESS_LIVE_HEAP_MIB + (stores + config.documentCacheMaxBytes) / MiB);
}

/** V8's heap limit of this process, in MiB (`--max-old-space-size` and the young generation). */
export function heapLimitMiB(): number {
  return Math.floor(getHeapStatistics().heap_size_limit / MiB);
}
