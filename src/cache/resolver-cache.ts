import { LRUCache } from 'lru-cache';
import { buildCacheKey, defaultKeyPrefix } from './cache-key';
import { Evictor } from './evictions';
import { type GenerationRead, NamespaceGenerations, namespaceFamily } from './namespaces';
import { assertKeyPrefix, assertWholeNumber } from './options';
import { batchedReads } from './stores/batched-reads';
import { errorsAreMisses } from './stores/errors-are-misses';
import { jsonBytes, rememberJsonBytes } from './stores/json-bytes';
import { defaultMaxEntryBytes, type MemoryStore } from './stores/memory';
import type { CacheStore } from './stores/store';
import { tiered } from './stores/tiered';
import { jsonClone } from './to-plain';
import type { CacheEvent, CacheFieldStatus, CacheLogger, CacheScope, CacheTracer } from './types';

/** Options of {@link createResolverCache}. */
export interface ResolverCacheOptions<TContext extends object = object> {
  /** Where entries and namespace generations live: memory, Redis, or a failover of both. */
  store: CacheStore;
  /**
   * An optional in-process tier in front of a shared `store` (a bounded memory store) for entries, never
   * for generations: entries are immutable under their key (the key includes the generations, always read
   * from `store`), so this tier needs no cross-instance invalidation.
   */
  local?: MemoryStore;
  /**
   * Evicts namespaces and journals what the shared store did not take. Build it first when the store needs
   * it too (the failover store replays its journal on recovery); default: one of its own.
   */
  evictor?: Evictor;
  /** Seconds an entry lives when its `@CacheControl` names no `maxAge`. Default 300. */
  defaultMaxAge?: number;
  /** Seconds of stale-while-revalidate when a `@CacheControl` names no `staleWhileRevalidate`. Default 0 (none). */
  defaultStaleWhileRevalidate?: number;
  /** The authenticated subject of a request (a user id), which PRIVATE entries are keyed by; null when anonymous. */
  getSubject(context: TContext): string | number | null | undefined;
  /** First segment of every key. Default {@link defaultKeyPrefix}. Must match the evictor's. */
  keyPrefix?: string;
  /** A larger entry (its value as JSON text, in bytes) is not stored. Default {@link defaultMaxEntryBytes}. */
  maxEntryBytes?: number;
  /** Warnings (store failures) go here; lookups too when `logLookups`. */
  logger?: CacheLogger;
  /** One line per hit or miss: `CACHE HIT: Query.users (1.89ms)`. Never a key or a user id. */
  logLookups?: boolean;
  /** Observes lookups, evictions and store errors (metrics). Must not throw. */
  onEvent?(event: CacheEvent): void;
  /** Milliseconds since the epoch; injectable for tests. Default `Date.now`. */
  now?(): number;
  /**
   * Life of the lock a miss takes on a shared store (Redis), in **milliseconds**, so that one instance
   * computes an entry while the others missing it wait for its value; 0 turns it off. Default
   * {@link defaultStampedeLockMs}. A waiter never waits longer than this, then computes for itself.
   */
  stampedeLockMs?: number;
  /**
   * Traces each lookup (span `cache.lookup <coordinate>`: `cache.tier` resolver, `cache.coordinate`,
   * `cache.status`) and each eviction (span `cache.evict`: `cache.namespaces` as families, `user:{id}`),
   * under the caller's current span. Absent: no tracing code runs.
   */
  tracer?: CacheTracer;
}

/** Default life of a miss's lock on a shared store, in milliseconds. */
export const defaultStampedeLockMs = 2000;
/** First pause of a waiter between two looks for the locked entry, in milliseconds; it grows to {@link maxLockPollMs}. */
const firstLockPollMs = 10;
const maxLockPollMs = 100;

/** One cached computation, as {@link ResolverCache.cached} takes it. */
export interface CachedCall<T> {
  /** Schema coordinate (`Query.users`) or another stable name of what is computed. */
  coordinate: string;
  scope: CacheScope;
  /** For PRIVATE scope: whose entry it is. */
  subject?: string | null;
  args: unknown;
  /**
   * More values the entry is keyed by (`@CacheControl({ key })`): strings, finite numbers, booleans or
   * null, at most `maxKeyPartsBytes` as JSON; `cached` rejects others. Absent: the key has no such segment.
   */
  keyParts?: readonly unknown[];
  namespaces: readonly string[];
  /** Seconds the entry is fresh. */
  maxAge: number;
  /**
   * Seconds after `maxAge` during which the expired entry is still answered at once (status `STALE`)
   * while one computation refreshes it in the background. Default 0. An evicted entry is never answered:
   * eviction changes the key itself.
   */
  staleWhileRevalidate?: number;
  /** Compute fresh and store, without reading (`Cache-Control: no-cache`). */
  bypass?: boolean;
  /** Answer a fresh entry, but compute (and wait for) a stale one: a background refresh of a whole response. */
  revalidate?: boolean;
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
  /** When the value was computed, epoch milliseconds. */
  storedAt: number;
  /**
   * The generation keys the value depends on (the epoch's and its namespaces') and the tokens they had
   * when the lookup read them, before any computation: what a whole-response entry built from this value
   * must check.
   */
  dependencies: Dependencies;
}

/** Generation keys and the tokens they had, pairwise. */
export interface Dependencies {
  keys: readonly string[];
  tokens: readonly string[];
}

/** How a computation of a missing entry ended: computed here, or found stored by another instance meanwhile. */
interface Computed {
  value: unknown;
  storedAt: number;
  /** Set when the value came from the store (another instance computed it while this one waited). */
  found?: Envelope;
}

interface Envelope {
  /** The plain value. */
  v: unknown;
  /** When it was stored, epoch milliseconds. */
  t: number;
}

/**
 * The cache's runtime: reads generations, builds keys, reads and writes entries, coalesces concurrent
 * misses, and evicts namespaces. A store failure is a miss, never a failed request.
 */
export class ResolverCache<TContext extends object = object> {
  readonly defaultMaxAge: number;
  readonly defaultStaleWhileRevalidate: number;
  readonly evictor: Evictor;
  private readonly keyPrefix: string;
  private readonly generations: NamespaceGenerations;
  private readonly maxEntryBytes: number;
  /** The store as given: evictions go there (the failover store tells which were durable). */
  private readonly store: CacheStore;
  /** The store for reads and writes: failures are misses, one tick's reads are one getMany. */
  private readonly shared: CacheStore;
  /** Where entries are read and written: the local tier in front of `shared`, when there is one. */
  private readonly entries: CacheStore;
  private readonly inFlight = new Map<string, Promise<Computed>>();
  /** Keys of stale entries being refreshed in the background (never joined by a miss: they may store nothing). */
  private readonly refreshing = new Set<string>();
  private readonly stampedeLockMs: number;
  /** When a bypass last stored each key (epoch ms): older computations of that key then store nothing. */
  private readonly refreshedAt = new LRUCache<string, number>({ max: 10_000 });
  /** Coordinates whose key function failed already: each is warned about once. */
  private readonly keyPartsWarned = new Set<string>();
  private readonly now: () => number;

  constructor(private readonly options: ResolverCacheOptions<TContext>) {
    this.defaultMaxAge = options.defaultMaxAge ?? 300;
    assertWholeNumber('defaultMaxAge', this.defaultMaxAge, 'seconds');
    this.defaultStaleWhileRevalidate = options.defaultStaleWhileRevalidate ?? 0;
    assertWholeNumber('defaultStaleWhileRevalidate', this.defaultStaleWhileRevalidate, 'seconds', 0);
    this.keyPrefix = options.keyPrefix ?? defaultKeyPrefix;
    assertKeyPrefix('keyPrefix', this.keyPrefix);
    this.maxEntryBytes = options.maxEntryBytes ?? defaultMaxEntryBytes;
    assertWholeNumber('maxEntryBytes', this.maxEntryBytes, 'bytes');
    this.now = options.now ?? Date.now;
    this.stampedeLockMs = options.stampedeLockMs ?? defaultStampedeLockMs;
    assertWholeNumber('stampedeLockMs', this.stampedeLockMs, 'milliseconds', 0);
    this.evictor = options.evictor ?? createEvictor({ keyPrefix: this.keyPrefix, logger: options.logger });
    this.generations = this.evictor.generations;
    this.store = options.store;
    this.shared = batchedReads(
      errorsAreMisses(options.store, (operation, error) => {
        this.emit({ type: 'store-error', operation, error });
        this.options.logger?.warn({ err: error, operation }, 'cache store call failed; treating it as a miss');
      }),
    );
    this.entries = options.local ? tiered(options.local, this.shared) : this.shared;
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
  cached<T>(call: CachedCall<T>, compute: () => Promise<T> | T): Promise<CachedResult> {
    return this.options.tracer ? this.traced(this.options.tracer, call, compute) : this.lookupOrCompute(call, compute);
  }

  /** {@link cached} in a span of its own. */
  private async traced<T>(
    tracer: CacheTracer,
    call: CachedCall<T>,
    compute: () => Promise<T> | T,
  ): Promise<CachedResult> {
    const span = tracer.startSpan(`cache.lookup ${call.coordinate}`, {
      attributes: { 'cache.tier': 'resolver', 'cache.coordinate': call.coordinate },
    });
    try {
      const result = await this.lookupOrCompute(call, compute);
      span.setAttribute('cache.status', result.status);
      return result;
    } catch (error) {
      span.setStatus({ code: 2 }); // ERROR; the error's message may hold argument values: not recorded
      throw error;
    } finally {
      span.end();
    }
  }

  private async lookupOrCompute<T>(call: CachedCall<T>, compute: () => Promise<T> | T): Promise<CachedResult> {
    const started = performance.now();
    const generations = await this.readGenerations(call.namespaces);
    const keyOf = (tokens: readonly string[]) =>
      buildCacheKey({
        prefix: this.keyPrefix,
        coordinate: call.coordinate,
        scope: call.scope,
        subject: call.subject ?? null,
        args: call.args,
        generations: tokens,
        keyParts: call.keyParts,
      });
    const key = keyOf(generations.tokens);
    const staleSeconds = call.staleWhileRevalidate ?? 0;
    const hit = call.bypass ? undefined : await this.lookup(key, call.maxAge, call.maxAge + staleSeconds);
    const answer = (envelope: Envelope, status: 'HIT' | 'STALE') =>
      this.finish(
        call,
        { value: envelope.v, status, age: this.ageOf(envelope), storedAt: envelope.t, dependencies: generations },
        started,
      );
    // A fresh hit returns before anything a computation needs is built: the hot path.
    if (hit && this.isFresh(hit, call.maxAge)) return answer(hit, 'HIT');

    const run = async (): Promise<Computed> => {
      const startedAt = this.now();
      const plain = (call.toPlain ?? jsonClone)(await compute());
      // A computation that started before a bypass stored its fresh value must not overwrite it.
      const superseded = !call.bypass && (this.refreshedAt.get(key) ?? -Infinity) >= startedAt;
      if (!superseded && (call.shouldStore?.(plain) ?? true)) {
        await this.put(key, plain, call.maxAge + staleSeconds, generations);
      }
      if (call.bypass) this.refreshedAt.set(key, this.now());
      return { value: plain, storedAt: startedAt };
    };
    // Callers that found the same tokens (made-up ones aside) join one computation.
    const flightKey = generations.created.length === 0 ? key : keyOf(withoutMadeUp(generations));
    if (hit && !call.revalidate) {
      // One refresh per key in this process; on a shared store, one across instances (the lock's holder).
      this.refreshInBackground(call, flightKey, key, run);
      return answer(hit, 'STALE');
    }
    // A bypass computes on its own: it must not be answered by a computation that started before it.
    const computed = call.bypass
      ? await run()
      : await this.singleFlight(flightKey, () =>
          generations.created.length === 0 ? this.computeOnce(key, call.maxAge, run) : run(),
        );
    const { found } = computed;
    const status = call.bypass ? 'BYPASS' : found ? 'HIT' : 'MISS';
    const age = found ? this.ageOf(found) : 0;
    return this.finish(
      call,
      { value: computed.value, status, age, storedAt: computed.storedAt, dependencies: generations },
      started,
    );
  }

  /**
   * Computes a missing entry, once across the instances sharing the store: the first to take the entry's
   * lock computes; the others look for its value until it is stored, the lock is free again (its holder
   * failed, or stored nothing), or the lock's life is over, and then compute for themselves. Never
   * waits longer than the lock's life, and never fails because of the store (a failed lock computes).
   */
  private async computeOnce(key: string, maxAge: number, run: () => Promise<Computed>): Promise<Computed> {
    if (this.stampedeLockMs === 0 || !this.store.tryLock) return run();
    const lockKey = `${key}:lock`;
    const deadline = performance.now() + this.stampedeLockMs;
    let token = await this.tryLock(lockKey);
    for (let pause = firstLockPollMs; token === undefined; pause = Math.min(pause * 2, maxLockPollMs)) {
      const left = deadline - performance.now();
      if (left <= 0) return run();
      await new Promise((resolve) => setTimeout(resolve, Math.min(pause, left)));
      const found = await this.lookup(key, maxAge);
      if (found) return { value: found.v, storedAt: found.t, found };
      token = await this.tryLock(lockKey);
    }
    try {
      // Another instance may have stored it and let the lock go between this one's miss and its lock.
      const found = token === null ? undefined : await this.lookup(key, maxAge);
      return found ? { value: found.v, storedAt: found.t, found } : await run();
    } finally {
      if (token !== null) this.unlock(lockKey, token);
    }
  }

  /** The lock's token, `undefined` while another holds it, `null` when the store could not say (compute then). */
  private async tryLock(lockKey: string): Promise<string | null | undefined> {
    try {
      return await this.store.tryLock!(lockKey, this.stampedeLockMs);
    } catch (error) {
      this.emit({ type: 'store-error', operation: 'tryLock', error });
      return null;
    }
  }

  private unlock(lockKey: string, token: string): void {
    this.store.unlock?.(lockKey, token).catch((error: unknown) => {
      this.emit({ type: 'store-error', operation: 'unlock', error });
    });
  }

  /**
   * Refreshes a stale entry without making anyone wait: once per key in this process (single flight)
   * and, on a shared store, once across instances (whoever takes the lock; the others keep answering
   * the stale value until the fresh one is stored).
   */
  private refreshInBackground(
    call: CachedCall<unknown>,
    flightKey: string,
    key: string,
    run: () => Promise<Computed>,
  ): void {
    if (this.refreshing.has(flightKey) || this.inFlight.has(flightKey)) return;
    this.refreshing.add(flightKey);
    const refresh = async () => {
      if (this.stampedeLockMs === 0 || !this.store.tryLock) return void (await run());
      const lockKey = `${key}:lock`;
      const token = await this.tryLock(lockKey);
      if (token === undefined) return; // another instance refreshes it
      try {
        const found = token === null ? undefined : await this.lookup(key, call.maxAge);
        if (!found) await run(); // else another instance refreshed it and let the lock go meanwhile
      } finally {
        if (token !== null) this.unlock(lockKey, token);
      }
    };
    refresh()
      .catch((error: unknown) => {
        this.options.logger?.warn(
          { err: error, coordinate: call.coordinate },
          'cache: a background refresh of a stale entry failed; the stale value is answered until it expires',
        );
      })
      .finally(() => this.refreshing.delete(flightKey));
  }

  /**
   * Evicts `namespaces`: a new generation for each, so what was cached under them is never read again.
   * Never throws: what the shared store could not take is journaled and replayed when it returns.
   * Call it after the change is committed, never before.
   */
  async evict(namespaces: readonly string[]): Promise<void> {
    if (namespaces.length === 0) return;
    const span = this.options.tracer?.startSpan('cache.evict', {
      attributes: {
        'cache.tier': 'resolver',
        'cache.namespaces': [...new Set(namespaces.map(namespaceFamily))],
        'cache.namespace_count': new Set(namespaces).size,
      },
    });
    try {
      await this.evictor.evict(this.store, namespaces);
    } finally {
      span?.end();
    }
    for (const namespace of new Set(namespaces)) this.emit({ type: 'evict', namespace });
  }

  private async readGenerations(namespaces: readonly string[]): Promise<GenerationRead & { keys: string[] }> {
    const keys = this.generations.keysOf(namespaces);
    return { keys, ...this.generations.fromValues(keys, await this.shared.getMany(keys)) };
  }

  /**
   * Tells that the key function of `coordinate` threw or returned invalid key parts, so its resolver ran
   * uncached: a `key-parts-error` event each time, a warning once per coordinate.
   */
  keyPartsFailed(coordinate: string, error: unknown): void {
    this.emit({ type: 'key-parts-error', coordinate, error });
    if (this.keyPartsWarned.has(coordinate)) return;
    this.keyPartsWarned.add(coordinate);
    this.options.logger?.warn(
      { err: error, coordinate },
      `@CacheControl key of ${coordinate} failed: its resolver runs uncached (warned once)`,
    );
  }

  /** The generation keys of `namespaces`, the epoch's first: what {@link ResolverCache.readTokens} reads. */
  generationKeys(namespaces: readonly string[]): string[] {
    return this.generations.keysOf(namespaces);
  }

  /** The current tokens under generation `keys` (`undefined` where none), from the shared store. */
  readTokens(keys: readonly string[]): Promise<unknown[]> {
    return this.shared.getMany(keys);
  }

  /** Whether `now` is injected: what the operation tier uses for ages, so both tiers agree. */
  clock(): number {
    return this.now();
  }

  /**
   * The entry under `key` if younger than `lifeSeconds` (its maxAge, plus its stale window if any). A
   * local copy past its maxAge is checked against the shared store, where another instance may have
   * stored a fresher one under the same key since (an expired entry recomputed, a stale one refreshed).
   */
  private async lookup(key: string, maxAge: number, lifeSeconds = maxAge): Promise<Envelope | undefined> {
    let envelope = asEnvelope(await this.entries.get<Envelope>(key));
    const { local } = this.options;
    if (local && envelope && !this.isFresh(envelope, maxAge)) {
      const far = asEnvelope(await this.shared.get<Envelope>(key));
      if (far && far.t > envelope.t) {
        envelope = far;
        await local.set(key, far, Math.max(1, Math.ceil(lifeSeconds - (this.now() - far.t) / 1000)));
      }
    }
    // The local tier may keep an entry a little past its own life: the entry's age decides.
    return envelope && this.now() - envelope.t < lifeSeconds * 1000 ? envelope : undefined;
  }

  private isFresh(envelope: Envelope, maxAge: number): boolean {
    return this.now() - envelope.t < maxAge * 1000;
  }

  private ageOf(envelope: Envelope): number {
    return Math.max(0, Math.floor((this.now() - envelope.t) / 1000));
  }

  /** Stores `plain` under `key` for `lifeSeconds` (maxAge plus any stale window). */
  private async put(key: string, plain: unknown, lifeSeconds: number, generations: GenerationRead): Promise<void> {
    const bytes = jsonBytes(plain); // measured by toPlain as it built the value, else serialised now
    if (bytes > this.maxEntryBytes) {
      this.emit({ type: 'oversized', bytes });
      return;
    }
    const envelope: Envelope = { v: plain, t: this.now() };
    // `{"v":…,"t":…}`: the memory store bounds itself by the same text, without serialising it again.
    if (plain !== undefined) rememberJsonBytes(envelope, bytes + 11 + String(envelope.t).length);
    await Promise.all([
      generations.created.length > 0 ? this.shared.addMany(generations.created) : undefined,
      this.entries.set(key, envelope, lifeSeconds),
    ]);
  }

  private async singleFlight(key: string, run: () => Promise<Computed>): Promise<Computed> {
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

  private emit(event: CacheEvent): void {
    try {
      this.options.onEvent?.(event);
    } catch {
      // an observer must never break a request
    }
  }
}

/**
 * The tokens a lookup found, with those it made up replaced by a mark: tokens made up for namespaces that
 * had none differ per caller, so callers that found the same tokens (absent ones included) join one
 * computation. After a cold start, fifty concurrent misses still compute once.
 */
function asEnvelope(value: unknown): Envelope | undefined {
  return value && typeof value === 'object' && typeof (value as Envelope).t === 'number'
    ? (value as Envelope)
    : undefined;
}

function withoutMadeUp({ tokens, created }: GenerationRead): string[] {
  const madeUp = new Map(created.map((e) => [e.value, e.key]));
  return tokens.map((token) => (madeUp.has(token) ? `(absent ${madeUp.get(token)})` : token));
}

/** Options of {@link createEvictor}. */
export interface CreateEvictorOptions {
  /** Must match the cache's `keyPrefix`. Default {@link defaultKeyPrefix}. */
  keyPrefix?: string;
  /** Seconds a namespace generation token lives. Default 7 days. */
  generationTtlSeconds?: number;
  /** Bound of the journal of evictions kept while the shared store is away, in namespaces. Default 10,000. */
  maxPendingEvictions?: number;
  /** Deadline of replaying that journal, in **milliseconds**. Default 1000. */
  replayTimeoutMs?: number;
  logger?: CacheLogger;
}

/** Creates the evictor a cache and its failover store share (build it first; see {@link ResolverCacheOptions.evictor}). */
export function createEvictor(options: CreateEvictorOptions = {}): Evictor {
  const keyPrefix = options.keyPrefix ?? defaultKeyPrefix;
  assertKeyPrefix('keyPrefix', keyPrefix);
  return new Evictor({
    generations: new NamespaceGenerations(keyPrefix, options.generationTtlSeconds),
    maxPending: options.maxPendingEvictions,
    replayTimeoutMs: options.replayTimeoutMs,
    logger: options.logger,
  });
}

/** Creates the cache runtime; hand it to {@link createCachePlugin} in Apollo and use `@CacheControl` on resolvers. */
export function createResolverCache<TContext extends object = object>(
  options: ResolverCacheOptions<TContext>,
): ResolverCache<TContext> {
  return new ResolverCache(options);
}
