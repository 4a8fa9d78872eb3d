import { randomUUID } from 'node:crypto';
import type { CacheStore } from './store';

/** Namespace of the global epoch: bumping it makes every entry unreachable at once. */
export const EPOCH_NAMESPACE = '*';

/** Seconds a generation token lives (7 days); refreshed by every bump. */
export const defaultGenerationTtlSeconds = 7 * 24 * 3600;

export interface NamespaceGenerationsOptions {
  store: CacheStore;
  /** Key prefix of generation tokens: `{prefix}:gen:{namespace}`. */
  prefix: string;
  /** Seconds a token lives. Default {@link defaultGenerationTtlSeconds}. */
  ttlSeconds?: number;
  /** Reads several keys in one round trip; default `store.getMany` (the cache passes a batching reader). */
  getMany?: (keys: readonly string[]) => Promise<unknown[]>;
}

/**
 * Namespace generations: each namespace has a token, and every cache key includes the tokens of its
 * namespaces. Evicting a namespace writes a new token, so the entries keyed by the old one are never
 * read again and expire by their own TTL: O(1), no KEYS or SCAN, safe on Redis Cluster.
 *
 * A namespace with no token yet (new, expired, or evicted from an LRU) gets a fresh random one, never a
 * fixed initial value: losing a token can only make entries unreachable, never bring old ones back.
 * Writing it without NX is race-free: a reader that overwrites a writer's token did so after the
 * writer committed, so it reads the new data under its own token.
 */
export class NamespaceGenerations {
  /** Seconds a token lives. */
  readonly ttlSeconds: number;

  constructor(private readonly options: NamespaceGenerationsOptions) {
    this.ttlSeconds = options.ttlSeconds ?? defaultGenerationTtlSeconds;
  }

  keyOf(namespace: string): string {
    return `${this.options.prefix}:gen:${namespace}`;
  }

  /**
   * The current tokens of the epoch and of `namespaces`, in that order: one `getMany` round trip, plus
   * one write for namespaces that had no token.
   */
  async read(namespaces: readonly string[]): Promise<string[]> {
    const all = [EPOCH_NAMESPACE, ...namespaces];
    const keys = all.map((ns) => this.keyOf(ns));
    const tokens = await (this.options.getMany ? this.options.getMany(keys) : this.options.store.getMany(keys));
    const missing: { key: string; value: string; ttlSeconds: number }[] = [];
    const result = tokens.map((token, i) => {
      if (typeof token === 'string') return token;
      const fresh = newToken();
      missing.push({ key: this.keyOf(all[i]!), value: fresh, ttlSeconds: this.ttlSeconds });
      return fresh;
    });
    if (missing.length > 0) await this.write(missing);
    return result;
  }

  /**
   * Evicts `namespaces`: a new token for each, in one round trip. Resolves true when the write is
   * durable: acknowledged by the shared store (a plain store always is).
   */
  async bump(namespaces: readonly string[]): Promise<boolean> {
    if (namespaces.length === 0) return true;
    return this.write([...new Set(namespaces)].map((ns) => ({ key: this.keyOf(ns), value: newToken(), ttlSeconds: this.ttlSeconds })));
  }

  private async write(entries: { key: string; value: string; ttlSeconds: number }[]): Promise<boolean> {
    const { store } = this.options;
    if (store.setManyDurably) return store.setManyDurably(entries);
    if (store.setMany) await store.setMany(entries);
    else await Promise.all(entries.map((e) => store.set(e.key, e.value, e.ttlSeconds)));
    return true;
  }
}

function newToken(): string {
  return randomUUID();
}
