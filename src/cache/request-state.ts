import { CacheReportCollector } from './report';
import type { ResolverCache } from './resolver-cache';

/** Where the plugin leaves the per-request cache state on the context object. */
export const CACHE_REQUEST = Symbol.for('graphql-resolver-cache.request');

/** One request's view of the cache: the runtime, and the report being collected. */
export interface CacheRequestState {
  readonly cache: ResolverCache<object>;
  readonly report: CacheReportCollector;
}

export function attachRequestState(context: object, cache: ResolverCache<object>, bypass: boolean): CacheRequestState {
  const state: CacheRequestState = { cache, report: new CacheReportCollector(bypass) };
  Object.defineProperty(context, CACHE_REQUEST, { value: state, enumerable: false, configurable: true });
  return state;
}

/** The request's cache state, or undefined when caching is off (no plugin installed). */
export function requestStateOf(context: unknown): CacheRequestState | undefined {
  return context && typeof context === 'object'
    ? (context as { [CACHE_REQUEST]?: CacheRequestState })[CACHE_REQUEST]
    : undefined;
}
