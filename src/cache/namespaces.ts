import { createHash, randomUUID } from 'node:crypto';
import type { StoreEntry } from './stores/store';

/** Namespace of the global epoch: evicting it makes every entry unreachable at once. */
export const EPOCH_NAMESPACE = '*';

/** Seconds a generation token lives (7 days); refreshed by every eviction. */
export const defaultGenerationTtlSeconds = 7 * 24 * 3600;

/** The tokens a lookup read, and those it had to make up because the namespace had none yet. */
export interface GenerationRead {
  /** The epoch's token first, then one per namespace, in the order asked. */
  tokens: string[];
  /**
   * Tokens made up for namespaces that had none (new, expired, or dropped by an LRU). They are written
   * (set-if-absent) only when an entry is stored under them: a lookup that stores nothing leaves no trace.
   */
  created: StoreEntry[];
}

/**
 * Namespace generations: each namespace has a token, and every cache key includes the tokens of its
 * namespaces. Evicting a namespace writes a new token, so the entries keyed by the old one are never
 * read again and expire by their own TTL: O(1), no KEYS or SCAN, safe on Redis Cluster.
 *
 * A namespace with no token gets a fresh random one, never a fixed initial value: losing a token can
 * only make entries unreachable, never bring old ones back. That token is written only if the key is
 * still absent (SET NX) when an entry is stored, so a reader can never overwrite the token of a writer
 * who evicted meanwhile: its entry is then keyed by a token nobody reads.
 *
 * This class only names keys and makes tokens; reading and writing them is the caller's, through a store.
 */
export class NamespaceGenerations {
  constructor(
    /** First segment of token keys: `{keyPrefix}:gen:{namespace}`. */
    private readonly keyPrefix: string,
    /** Seconds a token lives. */
    readonly ttlSeconds: number = defaultGenerationTtlSeconds,
  ) {}

  /**
   * The key of a namespace's token. A namespace that is long or holds characters other than letters,
   * digits and `_ . : - { }` is hashed into its key: a namespace built from a client's argument can then
   * never make a key larger than a few dozen bytes.
   */
  keyOf(namespace: string): string {
    const name =
      namespace.length <= maxPlainNamespaceLength && plainNamespace.test(namespace)
        ? namespace
        : `#${sha256(namespace)}`;
    return `${this.keyPrefix}:gen:${name}`;
  }

  /** The keys to read for `namespaces`: the epoch's first. */
  keysOf(namespaces: readonly string[]): string[] {
    const keys = [this.keyOf(EPOCH_NAMESPACE)];
    for (const ns of namespaces) keys.push(this.keyOf(ns));
    return keys;
  }

  /** Interprets the values read under {@link keysOf}: each absent token is made up (and listed in `created`). */
  fromValues(keys: readonly string[], values: readonly unknown[]): GenerationRead {
    const created: StoreEntry[] = [];
    const tokens = values.map((token, i) => {
      if (typeof token === 'string') return token;
      const fresh = newToken();
      created.push({ key: keys[i]!, value: fresh, ttlSeconds: this.ttlSeconds });
      return fresh;
    });
    return { tokens, created };
  }

  /** New tokens for `namespaces` (each once): what an eviction writes. */
  bumpEntries(namespaces: readonly string[]): StoreEntry[] {
    return [...new Set(namespaces)].map((ns) => ({
      key: this.keyOf(ns),
      value: newToken(),
      ttlSeconds: this.ttlSeconds,
    }));
  }
}

/** Namespaces up to this many characters appear in their token's key as they are. */
const maxPlainNamespaceLength = 100;
const plainNamespace = /^[\w.:{}*-]+$/;

/**
 * A namespace with its ids and hashes replaced, what may be shown where cardinality or privacy matters
 * (metric labels, trace attributes): `user:7` -> `user:{id}`, `auth:<sha256>` -> `auth:{hash}`.
 */
export function namespaceFamily(namespace: string): string {
  return namespace
    .split(':')
    .map((part) =>
      /^\d+$/.test(part) || uuid.test(part)
        ? '{id}'
        : /^[0-9a-f]{16,}$/i.test(part) || /^(?=.*\d)[\w-]{16,}$/.test(part)
          ? '{hash}'
          : part.length > 40
            ? '{other}'
            : part,
    )
    .join(':');
}

const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function sha256(text: string): string {
  return createHash('sha256').update(text).digest('base64url');
}

function newToken(): string {
  return randomUUID();
}
