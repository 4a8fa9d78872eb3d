import type { ApolloServerPlugin, BaseContext } from '@apollo/server';
import { attachRequestState } from './request-state';
import type { ResolverCache } from './resolver-cache';

/** Options of {@link createCachePlugin}. */
export interface CachePluginOptions {
  /** Response header carrying the status. Default `X-Cache`. */
  headerName?: string;
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
 */
export function createCachePlugin<TContext extends BaseContext>(
  cache: ResolverCache<object>,
  options: CachePluginOptions = {},
): ApolloServerPlugin<TContext> {
  const headerName = options.headerName ?? 'X-Cache';
  return {
    async requestDidStart({ contextValue, request }) {
      const state = attachRequestState(contextValue, cache, wantsBypass(request.http?.headers));
      return {
        async willSendResponse({ response }) {
          const report = state.report.toReport();
          if (!report) return;
          response.http.headers.set(headerName.toLowerCase(), report.status);
          // Entries may be shared (PUBLIC): a shared HTTP cache must still tell callers apart.
          const vary = response.http.headers.get('vary');
          if (!vary || !/authorization/i.test(vary))
            response.http.headers.set('vary', [vary, 'Authorization, X-API-Key'].filter(Boolean).join(', '));
          if (response.body.kind === 'single') {
            const result = response.body.singleResult;
            if (result.extensions && 'cache' in result.extensions) return; // someone else's key: leave it alone
            result.extensions = { ...result.extensions, cache: report };
          }
        },
      };
    },
  };
}
