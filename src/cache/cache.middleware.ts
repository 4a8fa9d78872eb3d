import { cacheControlFromInfo } from '@apollo/cache-control-types';
import type { GraphQLResolveInfo, ResponsePath } from 'graphql';
import type { MiddlewareFn } from 'type-graphql';
import { requestStateOf } from './request-state';
import { toPlain } from './to-plain';
import type { CacheScope } from './types';

/** What a namespace function receives: the resolver's data. */
export interface NamespaceData<TContext = any> {
  args: Record<string, any>;
  root: any;
  context: TContext;
  info: GraphQLResolveInfo;
}

/** One namespace, several, or a function of the resolver's data that names them. */
export type NamespaceOption<TContext = any> =
  | string
  | readonly string[]
  | ((data: NamespaceData<TContext>) => string | readonly string[]);

/** The options of one cached resolver, defaults applied. */
export interface ResolvedCacheControl<TContext = any> {
  /** Seconds; undefined: the cache's default (`CACHE_DEFAULT_TTL`). */
  maxAge: number | undefined;
  /** Seconds an expired entry is still answered (STALE) while it is refreshed; undefined: the cache's default. */
  staleWhileRevalidate: number | undefined;
  scope: CacheScope;
  namespace: NamespaceOption<TContext>;
}

export function resolveNamespaces<TContext>(
  option: NamespaceOption<TContext>,
  data: NamespaceData<TContext>,
): string[] {
  const named = typeof option === 'function' ? option(data) : option;
  const list = typeof named === 'string' ? [named] : [...named];
  for (const ns of list) {
    if (typeof ns !== 'string' || ns.length === 0) {
      throw new TypeError(
        `@CacheControl namespace of ${data.info.parentType.name}.${data.info.fieldName} must be a non-empty string, got: ${JSON.stringify(ns)}`,
      );
    }
  }
  return list;
}

function pathOf(path: ResponsePath | undefined): string {
  const parts: (string | number)[] = [];
  for (let p = path; p; p = p.prev) parts.unshift(p.key);
  return parts.join('.');
}

/**
 * The caching middleware of one resolver. Runs after type-graphql's authorization (which always runs
 * first), so nothing is read from the cache for a caller who may not run the resolver. Inert when the
 * request carries no cache state (caching off: the plugin is not installed).
 */
export function createCacheMiddleware<TContext extends object>(
  options: ResolvedCacheControl<TContext>,
): MiddlewareFn<TContext> {
  return async ({ root, args, context, info }, next) => {
    const state = requestStateOf(context);
    if (!state) return next();
    const { cache, report } = state;
    const maxAge = options.maxAge ?? cache.defaultMaxAge;
    const staleWhileRevalidate = options.staleWhileRevalidate ?? cache.defaultStaleWhileRevalidate;
    if (options.maxAge === undefined) setDynamicHint(info, maxAge, options.scope);
    const subject = options.scope === 'PRIVATE' ? cache.subjectOf(context) : null;
    if (maxAge === 0 || (options.scope === 'PRIVATE' && subject === null)) {
      // Not cached (nobody to key a PRIVATE entry by): the whole response cannot be stored either.
      if (state.capture) state.capture.storable = false;
      return next();
    }

    const namespaces = resolveNamespaces(options.namespace, { root, args, context, info });
    const result = await cache.cached(
      {
        coordinate: `${info.parentType.name}.${info.fieldName}`,
        scope: options.scope,
        subject,
        args,
        namespaces,
        maxAge,
        staleWhileRevalidate,
        bypass: report.bypass,
        revalidate: state.revalidate,
        toPlain: (value) => toPlain(value, info.returnType),
      },
      () => next(),
    );
    const path = pathOf(info.path);
    report.record({ path, status: result.status, scope: options.scope, maxAge, age: result.age });
    state.capture?.record(path, options.scope, maxAge, result, staleWhileRevalidate);
    return result.value;
  };
}

/** Apollo's HTTP cache hint for a resolver whose maxAge comes from configuration, not from its directive. */
function setDynamicHint(info: GraphQLResolveInfo, maxAge: number, scope: CacheScope): void {
  // Without Apollo's cache-control plugin (off when the cache plugin sets the header itself, or outside
  // Apollo Server) there is no hint to set; checked first, as a thrown error per field costs a stack trace.
  if (!('cacheControl' in info)) return;
  cacheControlFromInfo(info).setCacheHint({ maxAge, scope });
}
