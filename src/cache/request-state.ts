import type { OperationCandidate, OperationCapture } from './operation-tier';
import { CacheReportCollector } from './report';
import type { ResolverCache } from './resolver-cache';

/** Where the plugin leaves the per-request cache state on the context object. */
export const CACHE_REQUEST = Symbol.for('graphql-resolver-cache.request');
/** Where the HTTP layer leaves an operation-tier candidate (on the request, then on the context). */
export const OPERATION_CANDIDATE = Symbol.for('graphql-resolver-cache.operation-candidate');

/** One request's view of the cache: the runtime, the report being collected, and the operation tier's capture. */
export interface CacheRequestState {
  readonly cache: ResolverCache<object>;
  readonly report: CacheReportCollector;
  /** Present when the response may be stored in the operation tier. */
  readonly capture?: OperationCapture;
  /** A background refresh of a stale whole response: stale entries are computed, not answered. */
  readonly revalidate: boolean;
}

export function attachRequestState(
  context: object,
  cache: ResolverCache<object>,
  bypass: boolean,
  capture?: OperationCapture,
  revalidate = false,
): CacheRequestState {
  const state: CacheRequestState = { cache, report: new CacheReportCollector(bypass), capture, revalidate };
  Object.defineProperty(context, CACHE_REQUEST, { value: state, enumerable: false, configurable: true });
  return state;
}

/** The request's cache state, or undefined when caching is off (no plugin installed). */
export function requestStateOf(context: unknown): CacheRequestState | undefined {
  return context && typeof context === 'object'
    ? (context as { [CACHE_REQUEST]?: CacheRequestState })[CACHE_REQUEST]
    : undefined;
}

/**
 * Leaves `candidate` on `holder` (the HTTP request, then the GraphQL context). Enumerable: Apollo hands
 * each operation a shallow copy of the context (`Object.assign`), which keeps only enumerable properties.
 */
export function setOperationCandidate(holder: object, candidate: OperationCandidate): void {
  Object.defineProperty(holder, OPERATION_CANDIDATE, { value: candidate, enumerable: true, configurable: true });
}

/** The candidate left on `holder`, if any. */
export function operationCandidateOf(holder: unknown): OperationCandidate | undefined {
  return holder && typeof holder === 'object'
    ? (holder as { [OPERATION_CANDIDATE]?: OperationCandidate })[OPERATION_CANDIDATE]
    : undefined;
}

/**
 * Carries the operation-tier candidate the HTTP layer found for a request over to its GraphQL context.
 * Call it where the context is built: `carryOperationCandidate(req, context)`.
 */
export function carryOperationCandidate(request: object, context: object): void {
  const candidate = operationCandidateOf(request);
  if (candidate) setOperationCandidate(context, candidate);
}

/**
 * Tells the operation tier that this request's response depends on who the caller is, beyond the
 * authorization class it shares entries by (an authorization rule that looked at the caller's identity,
 * say): the response is then stored, if at all, for this caller alone. A no-op with caching off.
 */
export function markCallerSpecific(context: unknown): void {
  const capture = requestStateOf(context)?.capture;
  if (capture) capture.callerSpecific = true;
}
