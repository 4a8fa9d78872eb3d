import type { CacheStore } from './store';

/**
 * `store` with every write's TTL capped at `maxTtlSeconds`. The failover store writes its fallback
 * through it: the fallback is private to one process and cannot see other instances' evictions, so
 * what it holds must not live long.
 */
export function cappedTtl<S extends CacheStore>(store: S, maxTtlSeconds: number): S {
  const cap = (ttl: number) => Math.min(ttl, maxTtlSeconds);
  // Everything else (reads, and what a memory store adds: peek, size, clear) is the store's own.
  return Object.assign(Object.create(store) as S, {
    set: (key, value, ttl) => store.set(key, value, cap(ttl)),
    setMany: (entries) => store.setMany(entries.map((e) => ({ ...e, ttlSeconds: cap(e.ttlSeconds) }))),
    addMany: (entries) => store.addMany(entries.map((e) => ({ ...e, ttlSeconds: cap(e.ttlSeconds) }))),
  } satisfies Pick<CacheStore, 'set' | 'setMany' | 'addMany'>);
}
