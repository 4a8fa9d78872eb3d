import type { ApolloServerPlugin, BaseContext } from '@apollo/server';
import { OperationCapture, type OperationTier } from './operation-tier';
import { attachRequestState, operationCandidateOf } from './request-state';
import type { ResolverCache } from './resolver-cache';
import type { CacheReport } from './types';

/** Options of {@link createCachePlugin}. */
export interface CachePluginOptions<TContext = BaseContext> {
  /** Response header carrying the status. Default `X-Cache`. */
  headerName?: string;
  /** Stores whole responses of repeated operations for the HTTP layer to answer before execution. */
  operationTier?: OperationTier;
  /** What an operation-tier hit needs to know of the caller (e.g. the key's id, to record its use). */
  callerOf?(context: TContext): unknown;
  /**
   * Set the HTTP `Cache-Control` header from the cache's own report, so that Apollo's cache-control
   * plugin (which wraps every field's resolver for its per-field hook) can be turned off with
   * `ApolloServerPluginCacheControlDisabled()`. The value is the one Apollo computes for a schema whose
   * object types inherit their maxAge: the smallest `maxAge` of the cached fields that ran, `private` when
   * any of them is PRIVATE, and `no-store` for a response with errors or no cached field. Default false.
   */
  cacheControlHeader?: boolean;
}

/** The `Cache-Control` value of a response, from its report (see {@link CachePluginOptions.cacheControlHeader}). */
export function cacheControlOf(report: CacheReport | null, hasErrors: boolean): string {
  if (!report || hasErrors || report.fields.length === 0) return 'no-store';
  let maxAge = Number.POSITIVE_INFINITY;
  let scope = 'public';
  for (const field of report.fields) {
    // A stale value is past its life: no HTTP cache may keep it (this server refreshes it meanwhile).
    maxAge = Math.min(maxAge, field.status === 'STALE' ? 0 : field.maxAge);
    if (field.scope === 'PRIVATE') scope = 'private';
  }
  return maxAge > 0 ? `max-age=${maxAge}, ${scope}` : 'no-store';
}

/** A request asks for fresh values with `Cache-Control: no-cache` (or `no-store`, or `Pragma: no-cache`). */
export function wantsBypass(headers: { get(name: string): string | undefined | null } | undefined): boolean {
  if (!headers) return false;
  return (
    /\bno-(cache|store)\b/i.test(headers.get('cache-control') ?? '') ||
    /\bno-cache\b/i.test(headers.get('pragma') ?? '')
  );
}

/**
 * The per-request report: gives each request its cache state (and notes `Cache-Control: no-cache`),
 * then writes `extensions.cache` and the `X-Cache` header when at least one cached resolver ran. Cache
 * keys are never shown. Install it only when caching is on: without it, `@CacheControl` resolvers run
 * as if undecorated.
 *
 * With an operation tier, a response is also stored whole when it may be: a query (never a mutation)
 * whose every selected field is cached or a plain property read (decided once per document), without
 * errors, not a `no-cache` request, for which the HTTP layer left a candidate (with the tokens of the
 * epoch and of the caller, read before authentication).
 */
export function createCachePlugin<TContext extends BaseContext>(
  cache: ResolverCache<object>,
  options: CachePluginOptions<TContext> = {},
): ApolloServerPlugin<TContext> {
  const headerName = (options.headerName ?? 'X-Cache').toLowerCase();
  const tier = options.operationTier;
  return {
    async serverWillStart({ schema }) {
      tier?.learnSchema(schema);
    },
    async requestDidStart({ contextValue, request }) {
      const bypass = wantsBypass(request.http?.headers);
      const candidate = tier && !bypass ? operationCandidateOf(contextValue) : undefined;
      const capture = candidate ? new OperationCapture() : undefined;
      const state = attachRequestState(contextValue, cache, bypass, capture, candidate?.revalidate === true);
      return {
        async didResolveOperation({ schema, document, operationName }) {
          if (capture && tier && !tier.isStorable(schema, document, operationName)) capture.storable = false;
        },
        async willSendResponse({ response, overallCachePolicy }) {
          const report = state.report.toReport();
          const single = response.body.kind === 'single' ? response.body.singleResult : undefined;
          if (options.cacheControlHeader) {
            response.http.headers.set('cache-control', cacheControlOf(report, !!single?.errors?.length));
          }
          if (!report) return;
          response.http.headers.set(headerName, report.status);
          // Entries may be shared (PUBLIC): a shared HTTP cache must still tell callers apart.
          const vary = response.http.headers.get('vary');
          if (!vary || !/authorization/i.test(vary))
            response.http.headers.set('vary', [vary, 'Authorization, X-API-Key'].filter(Boolean).join(', '));
          if (response.body.kind !== 'single') return;
          const result = response.body.singleResult;
          if (result.extensions && 'cache' in result.extensions) return; // someone else's key: leave it alone
          result.extensions = { ...result.extensions, cache: report };
          if (!tier || !candidate || !capture?.storable || result.errors?.length || result.data == null) return;
          // The header as sent: ours, or what Apollo's cache-control plugin sets after this hook.
          const policy = overallCachePolicy.policyIfCacheable();
          const headers: Record<string, string> = {
            vary: response.http.headers.get('vary') ?? '',
            'cache-control': options.cacheControlHeader
              ? cacheControlOf(report, false)
              : policy
                ? `max-age=${policy.maxAge}, ${policy.scope.toLowerCase()}`
                : 'no-store',
          };
          await tier.store(candidate, capture, {
            data: result.data,
            headers,
            caller: options.callerOf?.(contextValue),
          });
        },
      };
    },
  };
}
