/** Who may share an entry: PRIVATE entries are keyed by the caller, PUBLIC ones by nobody. */
export type CacheScope = 'PUBLIC' | 'PRIVATE';

/**
 * How one cached resolver was answered: STALE is an expired entry answered within its
 * `staleWhileRevalidate` window while a background computation refreshes it.
 */
export type CacheFieldStatus = 'HIT' | 'STALE' | 'MISS' | 'BYPASS';

/**
 * The status of a whole response: HIT when every cached resolver hit, STALE when every one was answered
 * from the cache and at least one of them stale, MISS when all missed, PARTIAL for a mix (a miss with a
 * hit or a stale answer), BYPASS when the request asked for no-cache.
 */
export type CacheStatus = 'HIT' | 'STALE' | 'MISS' | 'PARTIAL' | 'BYPASS';

/** One cached resolver's line in `extensions.cache.fields`. */
export interface CacheFieldReport {
  /** Response path, e.g. `users` or `users.items.3.apiKeys`. */
  path: string;
  status: CacheFieldStatus;
  scope: CacheScope;
  /** Seconds the entry lives. */
  maxAge: number;
  /** Seconds since the entry was stored (0 on a miss). */
  age: number;
}

/** `extensions.cache` of a response. */
export interface CacheReport {
  status: CacheStatus;
  /** Present when the operation tier answered the whole response without executing it. */
  tier?: 'operation';
  /** Fields answered fresh from the cache. */
  hits: number;
  /** Fields computed (MISS or BYPASS). */
  misses: number;
  /** Fields answered stale (status STALE); present only when there were some. */
  stale?: number;
  fields: CacheFieldReport[];
}

/** The logger the cache writes to: a subset of pino's, so a pino logger fits as it is. */
export interface CacheLogger {
  debug?(obj: object, msg: string): void;
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error?(obj: object, msg: string): void;
}

/** What the cache tells observers (metrics, tests): one event per lookup, eviction or store failure. */
export type CacheEvent =
  | { type: 'lookup'; coordinate: string; status: CacheFieldStatus; ms: number }
  | { type: 'evict'; namespace: string }
  /** An entry was not stored: its value, as JSON text, is larger than the cache's `maxEntryBytes`. */
  | { type: 'oversized'; bytes: number }
  | { type: 'store-error'; operation: string; error: unknown }
  /** The `@CacheControl` key function of `coordinate` threw or returned invalid key parts: it ran uncached. */
  | { type: 'key-parts-error'; coordinate: string; error: unknown };

/** A span attribute's value: what OpenTelemetry accepts. */
export type CacheSpanAttributeValue = string | number | boolean | string[];

/** The part of an OpenTelemetry span the cache uses (`@opentelemetry/api`'s `Span` fits as it is). */
export interface CacheSpan {
  setAttribute(key: string, value: CacheSpanAttributeValue): unknown;
  /** `{ code: 2 }` is `SpanStatusCode.ERROR`. */
  setStatus(status: { code: number }): unknown;
  end(): void;
}

/**
 * The part of an OpenTelemetry tracer the cache uses (`@opentelemetry/api`'s `Tracer` fits as it is): the
 * cache depends on no tracing package, and without a tracer it does no tracing work at all. A span's
 * parent is whatever the tracer takes as current (OpenTelemetry's active context: the request's span).
 * Spans carry schema coordinates, statuses, tiers and namespace families: never a key, an argument, a
 * subject or a namespace's id.
 */
export interface CacheTracer {
  startSpan(name: string, options?: { attributes?: Record<string, CacheSpanAttributeValue> }): CacheSpan;
}
