import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import { type CacheEvent, namespaceFamily } from '../cache';

/** A namespace with its ids and hashes replaced, so a metric's labels stay few: `user:7` -> `user:{id}`. */
export { namespaceFamily };

/** What this process's memory stores hold now; undefined with caching off. */
export type MemoryUsage = () => { entries: number; bytes: number } | undefined;

/**
 * The cache's Prometheus metrics, in `registry`: lookups per schema coordinate and status, lookup
 * durations, evictions per namespace family, store errors, oversized entries not stored, the
 * backend in use, and the entries and bytes of this process's memory stores (read at scrape time).
 * Returns the function to feed the cache's events to.
 */
export function registerCacheMetrics(
  registry: Registry,
  backend: () => string,
  memoryUsage: MemoryUsage = () => undefined,
): (event: CacheEvent) => void {
  const registers = [registry];
  const lookups = new Counter({
    name: 'graphql_cache_lookups_total',
    help: 'Cached resolver lookups, by schema coordinate and status (HIT, STALE, MISS, BYPASS).',
    labelNames: ['coordinate', 'status'] as const,
    registers,
  });
  const lookupSeconds = new Histogram({
    name: 'graphql_cache_lookup_duration_seconds',
    help: 'Time of a cached resolver, lookup included (a miss includes the resolver).',
    labelNames: ['status'] as const,
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1],
    registers,
  });
  const evictions = new Counter({
    name: 'graphql_cache_evictions_total',
    help: 'Namespace evictions, by namespace family (ids replaced by {id}).',
    labelNames: ['namespace'] as const,
    registers,
  });
  const storeErrors = new Counter({
    name: 'graphql_cache_store_errors_total',
    help: 'Cache store calls that failed (each served as a miss).',
    labelNames: ['operation'] as const,
    registers,
  });
  const oversized = new Counter({
    name: 'graphql_cache_oversized_total',
    help: 'Entries not stored because they were larger than CACHE_MAX_ENTRY_BYTES.',
    registers,
  });
  new Gauge({
    name: 'graphql_cache_backend',
    help: 'The cache backend in use: 1 for the current one (memory, redis, or disabled).',
    labelNames: ['backend'] as const,
    registers,
    collect() {
      const current = backend();
      for (const b of ['memory', 'redis', 'disabled']) this.set({ backend: b }, b === current ? 1 : 0);
    },
  });
  // Collected at scrape time from counters the stores keep anyway: nothing is walked.
  new Gauge({
    name: 'graphql_cache_entries',
    help: "Entries held in this process's memory stores (the memory backend; on Redis, the local tier and the fallback; the operation tier), generation tokens included. Redis' own keys are not counted.",
    registers,
    collect() {
      this.set(memoryUsage()?.entries ?? 0);
    },
  });
  new Gauge({
    name: 'graphql_cache_bytes',
    help: "Bytes held in this process's memory stores (keys and values as JSON text), the same stores as graphql_cache_entries.",
    registers,
    collect() {
      this.set(memoryUsage()?.bytes ?? 0);
    },
  });
  return (event) => {
    switch (event.type) {
      case 'lookup':
        lookups.inc({ coordinate: event.coordinate, status: event.status });
        lookupSeconds.observe({ status: event.status }, event.ms / 1000);
        break;
      case 'evict':
        evictions.inc({ namespace: namespaceFamily(event.namespace) });
        break;
      case 'oversized':
        oversized.inc();
        break;
      case 'store-error':
        storeErrors.inc({ operation: event.operation });
        break;
    }
  };
}
