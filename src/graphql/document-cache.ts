import type { DocumentNode } from 'graphql';
import { LRUCache } from 'lru-cache';

/**
 * What Apollo Server keeps per distinct query text, bounded by one byte budget of our own.
 *
 * Apollo keeps two caches keyed by query text: the parsed and validated documents (`documentStore`,
 * so a repeated query skips parsing and validation) and the texts of automatic persisted queries
 * (`cache`, by their SHA-256). Its defaults bound each at 30 MiB of *JSON text*, but a parsed
 * document weighs about five times its JSON on the V8 heap: a flood of distinct query texts (ids
 * written inline, as many clients send them) kept about 140 MiB of documents alive. Here both share
 * one LRU whose sizes estimate heap bytes, so `DOCUMENT_CACHE_MAX_BYTES` is a bound on what they
 * hold, not a hint. Whatever else lives as long as a document (the operation tier's per-document
 * decision, in a WeakMap) goes with it when the LRU drops it.
 */
export interface DocumentCache {
  /** Apollo's `documentStore`: validated documents by (schema hash, query hash). */
  readonly documents: KeyValueCache<DocumentNode>;
  /** Apollo's `cache`, which it uses for persisted-query texts (keys prefixed `apq:`). */
  readonly persistedQueries: KeyValueCache<string>;
  /** Entries held now (documents and persisted-query texts). */
  readonly size: number;
  /** Estimated heap bytes held now. */
  readonly bytes: number;
}

/** The interface Apollo Server asks of its caches (`@apollo/utils.keyvaluecache`), restated. */
export interface KeyValueCache<V> {
  get(key: string): Promise<V | undefined>;
  set(key: string, value: V, options?: { ttl?: number | null }): Promise<void>;
  delete(key: string): Promise<boolean>;
}

/** Default bound, in estimated heap bytes (16 MiB: about 3,000 small documents, 1,400 page queries with a fragment). */
export const defaultDocumentCacheMaxBytes = 16 * 1024 * 1024;

/**
 * Heap bytes per token of a parsed document, on the high side. Measured on Node 20 with graphql 16 for
 * six shapes (inline ids, variables, a page with nested lists, fragments, 30 aliases, a 2,000-character
 * literal): 270 to 460 bytes per token, the higher figure only where one long literal dominates, which
 * {@link BYTES_PER_CHAR} then covers. The estimate came out 15 to 55 % above the measured heap.
 */
const BYTES_PER_TOKEN = 400;
/** The source text, kept by the document's locations, and literal values copied out of it. */
const BYTES_PER_CHAR = 2;

/** Estimated heap bytes of one entry: its key, and a document's tokens and text (or a string's chars). */
export function estimateEntryBytes(key: string, value: DocumentNode | string): number {
  const keyBytes = key.length * BYTES_PER_CHAR;
  if (typeof value === 'string') return keyBytes + value.length * BYTES_PER_CHAR;
  const loc = value.loc;
  if (!loc) return keyBytes + JSON.stringify(value).length * 5; // parsed without locations: about 5x its JSON
  let tokens = 0;
  for (let token: typeof loc.startToken | null = loc.startToken; token; token = token.next) tokens++;
  return keyBytes + tokens * BYTES_PER_TOKEN + loc.source.body.length * BYTES_PER_CHAR;
}

/** Creates the shared, byte-bounded cache behind Apollo's `documentStore` and `cache`. */
export function createDocumentCache(maxBytes: number = defaultDocumentCacheMaxBytes): DocumentCache {
  if (!Number.isSafeInteger(maxBytes) || maxBytes < 1) {
    throw new RangeError(`document cache \`maxBytes\` must be a positive whole number of bytes, got: ${maxBytes}`);
  }
  const lru = new LRUCache<string, DocumentNode | string>({
    maxSize: maxBytes,
    // An entry larger than the whole budget is not kept (lru-cache refuses it) rather than emptying it.
    maxEntrySize: maxBytes,
    sizeCalculation: (value, key) => estimateEntryBytes(key, value),
  });
  const view = <V extends DocumentNode | string>(): KeyValueCache<V> => ({
    get: async (key) => lru.get(key) as V | undefined,
    set: async (key, value, options) => {
      const ttl = options?.ttl;
      lru.set(key, value, ttl ? { ttl: ttl * 1000 } : undefined);
    },
    delete: async (key) => lru.delete(key),
  });
  return {
    documents: view<DocumentNode>(),
    persistedQueries: view<string>(),
    get size() {
      return lru.size;
    },
    get bytes() {
      return lru.calculatedSize;
    },
  };
}
