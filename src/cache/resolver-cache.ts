import DataLoader from 'dataloader';
import { buildCacheKey, defaultKeyPrefix } from './cache-key';
import { EvictionJournal } from './evictions';
import { NamespaceGenerations } from './namespaces';
import type { CacheStore } from './store';
import { jsonClone } from './to-plain';
import type { CacheEvent, CacheFieldStatus, CacheLogger, CacheScope } from './types';

/** Options of {@link createResolverCache}. */
export interface ResolverCacheOptions<TContext extends object = object> {
  /** Where entries and namespace generations live: memory, Redis, or a failover of both. */
  store: CacheStore;
  /**
   * An optional in-process tier in front of a shared `store` (a bounded memory store). Entries are
   * immutable under their key (the key includes the generations, which are always read from `store`),
   * so this tier needs no cross-instance invalidation: an eviction anywhere changes the key. A hit there
   * saves the second round trip of a lookup.
   */
  local?: CacheStore;
  /** Seconds an entry lives when its `@CacheControl` names no `maxAge`. Default 300. */
  defaultMaxAge?: number;
  /** The authenticated subject of a request (a user id), which PRIVATE entries are keyed by; null when anonymous. */
  getSubject(context: TContext): string | number | null | undefined;
  /** First segment of every key. Default {@link defaultKeyPrefix}. */
  keyPrefix?: string;
  /** Seconds a namespace generation token lives. Default 7 days. */
  generationTtlSeconds?: number;
  /** Warnings (store failures) go here; lookups too when `logLookups`. */
  logger?: CacheLogger;
  /** One line per hit or miss: `CACHE HIT: Query.users (1.89ms)`. Never a key or a user id. */
  logLookups?: boolean;
  /** Observes lookups, evictions and store errors (metrics). Must not throw. */
  onEvent?(event: CacheEvent): void;
  /** Milliseconds since the epoch; injectable for tests. Default `Date.now`. */
  now?(): number;
  /** Bound of the journal of evictions kept while the shared store is away, in namespaces. Default 10,000. */
  maxPendingEvictions?: number;
  /** Deadline of replaying that journal, in **milliseconds**. Default 1000. */
  replayTimeoutMs?: number;
}

/** One cached computation, as {@link ResolverCache.cached} takes it. */
export interface CachedCall<T> {
  /** Schema coordinate (`Query.users`) or another stable name of what is computed. */
  coordinate: string;
  scope: CacheScope;
  /** For PRIVATE scope: whose entry it is. */
  subject?: string | null;
  args: unknown;
  namespaces: readonly string[];
  /** Seconds the entry lives. */
  maxAge: number;
  /** Compute fresh and store, without reading (`Cache-Control: no-cache`). */
  bypass?: boolean;
  /** Turns the computed value into plain JSON; default a JSON round trip. */
  toPlain?(value: T): unknown;
  /** Whether to store a computed value; default always. */
  shouldStore?(plain: unknown): boolean;
}

/** What {@link ResolverCache.cached} answers. */
export interface CachedResult {
  value: unknown;
  status: CacheFieldStatus;
  /** Seconds since the entry was stored; 0 unless a hit. */
  age: number;
}

/**
 * Longest life of an entry in the local tier, in seconds. Evictions reach it at once (through the
 * generations); this bounds only how long another instance's `Cache-Control: no-cache` refresh of the
 * same key takes to reach this one.
 */
export const localMaxAgeSeconds = 30;

interface Envelope {
  /** The plain value. */
  v: unknown;
  /** When it was stored, epoch milliseconds. */
  t: number;
}

/**
 * The cache's runtime: reads generations, builds keys, reads and writes entries, coalesces concurrent
 * misses, and evicts namespaces. A store failure is a miss, never a failed request (the store adapters
 * already bound every call with a deadline; anything that still throws is caught here).
 */
export class ResolverCache<TContext extends object = object> {
  readonly defaultMaxAge: number;
  readonly generations: NamespaceGenerations;
  /** Evictions the shared store has not acknowledged yet; replay them with {@link ResolverCache.replayEvictions}. */
  readonly journal: EvictionJournal;
  private readonly prefix: string;
  private readonly inFlight = new Map<string, Promise<unknown>>();
  private readonly now: () => number;
  /**
   * Reads issued in the same tick (the generations and entries of 50 `User.apiKeys` of one page, say)
   * go to the store as ONE getMany: a page costs two round trips, not a hundred, and the resolvers that
   * miss still reach their DataLoader in the same tick, so the database batch stays one query.
   */
  private readonly reader: DataLoader<string, unknown>;

  constructor(private readonly options: ResolverCacheOptions<TContext>) {
    this.defaultMaxAge = options.defaultMaxAge ?? 300;
    if (!Number.isInteger(this.defaultMaxAge) || this.defaultMaxAge < 1) {
      throw new RangeError(`defaultMaxAge must be a whole number of seconds >= 1, got: ${String(options.defaultMaxAge)}`);
    }
    this.prefix = options.keyPrefix ?? defaultKeyPrefix;
    this.now = options.now ?? Date.now;
    this.reader = new DataLoader<string, unknown>(async (keys) => options.store.getMany(keys), { cache: false, maxBatchSize: 1000 });
    this.generations = new NamespaceGenerations({
      store: options.store,
      prefix: this.prefix,
      ttlSeconds: options.generationTtlSeconds,
      getMany: (keys) => this.reader.loadMany(keys).then(rethrowErrors),
    });
    this.journal = new EvictionJournal({
      generations: this.generations,
      maxPending: options.maxPendingEvictions,
      replayTimeoutMs: options.replayTimeoutMs ?? 1000,
      logger: options.logger,
    });
  }

  /** The subject PRIVATE entries of this request are keyed by; null when anonymous. */
  subjectOf(context: TContext): string | null {
    const subject = this.options.getSubject(context);
    return subject === null || subject === undefined ? null : String(subject);
  }

  /**
   * Answers `call` from the cache, or computes it with `compute` (once per key in this process, however
   * many callers miss at the same time), stores the plain result and answers that.
   */
  async cached<T>(call: CachedCall<T>, compute: () => Promise<T> | T): Promise<CachedResult> {
    const started = performance.now();
    const generations = await this.safely('read generations', () => this.generations.read(call.namespaces), null);
    if (generations === null) {
      // Without generations no key is safe to read or write: compute, do not store.
      const value = (call.toPlain ?? jsonClone)(await compute());
      return this.finish(call, { value, status: call.bypass ? 'BYPASS' : 'MISS', age: 0 }, started);
    }
    const key = buildCacheKey({ prefix: this.prefix, coordinate: call.coordinate, scope: call.scope, subject: call.subject ?? null, args: call.args, generations });

    if (!call.bypass) {
      const hit = await this.lookup(key, call.maxAge);
      if (hit) return this.finish(call, { value: hit.envelope.v, status: 'HIT', age: hit.age }, started);
    }

    const run = async () => {
      const plain = (call.toPlain ?? jsonClone)(await compute());
      if (call.shouldStore?.(plain) ?? true) {
        const envelope: Envelope = { v: plain, t: this.now() };
        await Promise.all([
          this.safely('set', () => this.options.store.set(key, envelope, call.maxAge), undefined),
          this.options.local && this.safely('local set', () => this.options.local!.set(key, envelope, Math.min(call.maxAge, localMaxAgeSeconds)), undefined),
        ]);
      }
      return plain;
    };
    // A bypass computes on its own: it must not be answered by a computation that started before it.
    const value = call.bypass ? await run() : await this.singleFlight(key, run);
    return this.finish(call, { value, status: call.bypass ? 'BYPASS' : 'MISS', age: 0 }, started);
  }

  /** The entry under `key`, from the local tier, else from the store (then kept locally for the rest of its life). */
  private async lookup(key: string, maxAge: number): Promise<{ envelope: Envelope; age: number } | undefined> {
    const { local } = this.options;
    const near = local ? await this.safely('local get', () => local.get<Envelope>(key), undefined) : undefined;
    const envelope = near ?? ((await this.safely('get', () => this.reader.load(key), undefined)) as Envelope | undefined);
    if (!envelope || typeof envelope !== 'object' || !('t' in envelope)) return undefined;
    const age = Math.max(0, Math.floor((this.now() - envelope.t) / 1000));
    const remaining = Math.min(maxAge - age, localMaxAgeSeconds);
    if (local && !near && remaining >= 1) await this.safely('local set', () => local.set(key, envelope, remaining), undefined);
    return { envelope, age };
  }

  /**
   * Evicts `namespaces`: a new generation for each, so what was cached under them is never read again.
   * Never throws: what the shared store could not take is journaled and replayed when it returns.
   * Call it after the change is committed, never before.
   */
  async invalidate(namespaces: readonly string[]): Promise<void> {
    if (namespaces.length === 0) return;
    await this.journal.evict(namespaces);
    for (const namespace of namespaces) this.emit({ type: 'evict', namespace });
  }

  /** One namespace: `invalidateNamespace('users:list')`. */
  invalidateNamespace(namespace: string): Promise<void> {
    return this.invalidate([namespace]);
  }

  /** For the failover store's `onRecover`: writes the journaled evictions to the shared store before it serves reads. */
  replayEvictions(primary: CacheStore): Promise<void> {
    return this.journal.replay(primary);
  }

  private async singleFlight(key: string, run: () => Promise<unknown>): Promise<unknown> {
    const pending = this.inFlight.get(key);
    if (pending) return pending;
    const promise = run().finally(() => this.inFlight.delete(key));
    this.inFlight.set(key, promise);
    return promise;
  }

  private finish(call: CachedCall<unknown>, result: CachedResult, started: number): CachedResult {
    const ms = performance.now() - started;
    this.emit({ type: 'lookup', coordinate: call.coordinate, status: result.status, ms });
    if (this.options.logLookups) {
      this.options.logger?.info(
        { category: 'CACHE', coordinate: call.coordinate, status: result.status, ms: Math.round(ms * 100) / 100 },
        `CACHE ${result.status}: ${call.coordinate} (${ms.toFixed(2)}ms)`,
      );
    }
    return result;
  }

  private async safely<R>(operation: string, fn: () => Promise<R>, fallback: R): Promise<R> {
    try {
      return await fn();
    } catch (error) {
      this.emit({ type: 'store-error', operation, error });
      this.options.logger?.warn({ err: error, operation }, 'cache store call failed; treating it as a miss');
      return fallback;
    }
  }

  private emit(event: CacheEvent): void {
    try {
      this.options.onEvent?.(event);
    } catch {
      // an observer must never break a request
    }
  }
}

function rethrowErrors(values: unknown[]): unknown[] {
  for (const v of values) if (v instanceof Error) throw v;
  return values;
}

/** Creates the cache runtime; hand its {@link cachePlugin} to Apollo and use `@CacheControl` on resolvers. */
export function createResolverCache<TContext extends object = object>(options: ResolverCacheOptions<TContext>): ResolverCache<TContext> {
  return new ResolverCache(options);
}
