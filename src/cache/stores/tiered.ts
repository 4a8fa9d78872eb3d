import type { MemoryStore } from './memory';
import type { CacheStore, StoreEntry } from './store';

/** Options of {@link tiered}. */
export interface TieredOptions {
  /** Longest life of an entry in the local tier, in **seconds**. Default {@link defaultLocalMaxTtlSeconds}. */
  localMaxTtlSeconds?: number;
}

/**
 * Default longest life of a local entry, in seconds. Readers check an entry's age against its own
 * maxAge, so this bounds only how long another instance's refresh of the same key (a `no-cache`
 * request) takes to reach this one.
 */
export const defaultLocalMaxTtlSeconds = 30;

/**
 * A process-local tier in front of a shared store, for entries that are **immutable under their key**
 * (resolver entries: their keys carry the generations of their namespaces, read from the shared store
 * on every lookup). Such a tier needs no cross-instance invalidation: an eviction anywhere changes the
 * key. Reads try `local` first, then `shared`, and keep what `shared` answered locally; writes go to both.
 * Do not put mutable keys (generation tokens) through it.
 */
export function tiered(local: MemoryStore, shared: CacheStore, options: TieredOptions = {}): CacheStore {
  const maxLocal = options.localMaxTtlSeconds ?? defaultLocalMaxTtlSeconds;
  const localTtl = (ttlSeconds: number) => Math.min(ttlSeconds, maxLocal);
  const toLocal = (entries: readonly StoreEntry[]) =>
    entries.map((e) => ({ ...e, ttlSeconds: localTtl(e.ttlSeconds) }));
  return {
    name: `${local.name}+${shared.name}`,
    async get<T>(key: string) {
      const near = local.peek<T>(key);
      if (near !== undefined) return near;
      const far = await shared.get<T>(key);
      if (far !== undefined) await local.set(key, far, maxLocal);
      return far;
    },
    async getMany<T>(keys: readonly string[]) {
      const values = keys.map((key) => local.peek<T>(key));
      const missing = keys.flatMap((_key, i) => (values[i] === undefined ? [i] : []));
      if (missing.length === 0) return values;
      const far = await shared.getMany<T>(missing.map((i) => keys[i]!));
      const found: StoreEntry[] = [];
      missing.forEach((i, j) => {
        values[i] = far[j];
        if (far[j] !== undefined) found.push({ key: keys[i]!, value: far[j], ttlSeconds: maxLocal });
      });
      if (found.length > 0) await local.setMany(found);
      return values;
    },
    async set(key, value, ttlSeconds) {
      await Promise.all([shared.set(key, value, ttlSeconds), local.set(key, value, localTtl(ttlSeconds))]);
    },
    async setMany(entries) {
      await Promise.all([shared.setMany(entries), local.setMany(toLocal(entries))]);
    },
    async addMany(entries) {
      await Promise.all([shared.addMany(entries), local.addMany(toLocal(entries))]);
    },
    async delete(key) {
      await Promise.all([shared.delete(key), local.delete(key)]);
    },
    async close() {
      await Promise.all([shared.close(), local.close()]);
    },
  };
}
