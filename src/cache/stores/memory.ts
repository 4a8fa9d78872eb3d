import { LRUCache } from 'lru-cache';
import { assertTtlSeconds, assertWholeNumber } from '../options';
import { jsonBytes } from './json-bytes';
import { type CacheStore, type StoreEntry, ttlToMs } from './store';

/** Options of {@link createMemoryStore}. */
export interface MemoryStoreOptions {
  /** Most entries kept; the least recently used go first. Default {@link defaultMemoryMaxItems}. */
  maxItems?: number;
  /** Most bytes kept (keys and values as JSON text); the least recently used go first. Default {@link defaultMemoryMaxBytes}. */
  maxBytes?: number;
  /** A larger entry (key and value as JSON text, in bytes) is not stored. Default {@link defaultMaxEntryBytes}. */
  maxEntryBytes?: number;
  /** Told of each entry refused for its size, in bytes (a metric counts them). Must not throw. */
  onOversized?(bytes: number): void;
}

/** An in-process {@link CacheStore}, with what only an in-process store can offer. */
export interface MemoryStore extends CacheStore {
  readonly name: 'memory';
  /** The value under `key`, read synchronously (no promise, no copy); `undefined` on a miss. */
  peek<T = unknown>(key: string): T | undefined;
  /** Entries held now. */
  readonly size: number;
  /** Bytes held now (keys and values as JSON text). */
  readonly bytes: number;
  /** Drops every entry (what a fallback does when the shared store returns). */
  clear(): void;
}

/** Default bound of the memory store, in entries. */
export const defaultMemoryMaxItems = 10_000;
/** Default bound of the memory store, in bytes (64 MiB). */
export const defaultMemoryMaxBytes = 64 * 1024 * 1024;
/** Default bound of one entry, in bytes (1 MiB). */
export const defaultMaxEntryBytes = 1024 * 1024;

/**
 * An in-process store: an LRU bounded by entry count and by bytes, with a TTL per entry. Values are kept
 * as they are, deep-frozen once on write, and handed out by reference: a read neither parses nor copies,
 * and nobody can change what another request will read.
 */
export function createMemoryStore(options: MemoryStoreOptions = {}): MemoryStore {
  const {
    maxItems = defaultMemoryMaxItems,
    maxBytes = defaultMemoryMaxBytes,
    maxEntryBytes = Math.min(defaultMaxEntryBytes, maxBytes),
    onOversized,
  } = options;
  assertWholeNumber('maxItems', maxItems, 'entries');
  assertWholeNumber('maxBytes', maxBytes, 'bytes');
  assertWholeNumber('maxEntryBytes', maxEntryBytes, 'bytes');
  if (maxEntryBytes > maxBytes) {
    throw new RangeError(`\`maxEntryBytes\` must be at most \`maxBytes\` (${maxBytes}), got: ${maxEntryBytes}`);
  }
  const lru = new LRUCache<string, { value: unknown }>({ max: maxItems, maxSize: maxBytes, ttlAutopurge: false });

  const put = (key: string, value: unknown, ttlSeconds: number, onlyIfAbsent: boolean) => {
    assertTtlSeconds(ttlSeconds);
    if (value === undefined) return void lru.delete(key);
    if (onlyIfAbsent && lru.has(key)) return;
    const bytes = Buffer.byteLength(key) + jsonBytes(value);
    if (bytes > maxEntryBytes) {
      lru.delete(key); // an older value must not outlive the newer one that did not fit
      onOversized?.(bytes);
      return;
    }
    lru.set(key, { value: deepFreeze(value) }, { ttl: ttlToMs(ttlSeconds), size: bytes });
  };
  const peek = <T>(key: string) => lru.get(key)?.value as T | undefined;

  return {
    name: 'memory',
    peek,
    get size() {
      return lru.size;
    },
    get bytes() {
      return lru.calculatedSize;
    },
    get: async (key) => peek(key),
    getMany: async (keys) => keys.map((key) => peek(key)),
    set: async (key, value, ttlSeconds) => put(key, value, ttlSeconds, false),
    setMany: async (entries: readonly StoreEntry[]) => {
      for (const e of entries) put(e.key, e.value, e.ttlSeconds, false);
    },
    addMany: async (entries: readonly StoreEntry[]) => {
      for (const e of entries) put(e.key, e.value, e.ttlSeconds, true);
    },
    delete: async (key) => void lru.delete(key),
    clear: () => lru.clear(),
    close: async () => lru.clear(),
  };
}

/** Freezes what is not frozen yet; a frozen object is taken as frozen all the way down (`toPlain`'s output is). */
function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}
