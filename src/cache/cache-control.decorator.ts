import { Directive, Extensions, UseMiddleware } from 'type-graphql';
import { createCacheMiddleware, type NamespaceOption } from './cache.middleware';
import type { CacheScope } from './types';

/** Options of {@link CacheControl}. */
export interface CacheControlOptions<TContext = any> {
  /** Seconds an entry is fresh (and Apollo's HTTP `max-age`). Default: the cache's `defaultMaxAge` (`CACHE_DEFAULT_TTL`). */
  maxAge?: number;
  /**
   * Seconds after `maxAge` during which the expired entry is still answered at once, with status `STALE`,
   * while one background computation per key (one across instances on Redis) refreshes it. Default 0.
   * Expiry only: an entry whose namespace was evicted is never answered, stale or not. Default: the
   * cache's `defaultStaleWhileRevalidate` (`CACHE_STALE_WHILE_REVALIDATE`), 0 unless configured.
   */
  staleWhileRevalidate?: number;
  /**
   * PRIVATE (the default: a leak is worse than a miss): entries are keyed by the authenticated user.
   * PUBLIC: one entry shared by every caller allowed to run the resolver (authorization runs first).
   */
  scope?: CacheScope;
  /**
   * The namespace(s) the entry belongs to, e.g. `users:list`, or a function of the resolver's args,
   * parent and context, e.g. `({ root }) => \`apikeys:${root.id}\``. Evicting a namespace makes all its
   * entries unreachable at once.
   */
  namespace: NamespaceOption<TContext>;
}

/**
 * **Result caching** for a TypeGraphQL query or field resolver, not only Apollo's HTTP hint.
 *
 * It does two things:
 * 1. emits `@cacheControl(maxAge: …, scope: …)` into the SDL, so `schema.graphql` shows it and Apollo's
 *    cache-control plugin computes the HTTP `Cache-Control` header;
 * 2. wraps the resolver in the caching middleware: the result is stored as plain JSON under a key made
 *    of the schema coordinate, the user (PRIVATE), a stable hash of the arguments and the generations of
 *    its namespaces, and answered from there until it expires or a namespace is evicted.
 *
 * Authorization (`@Authorized`) always runs before the cache is read.
 *
 * @example
 * ```ts
 * @Query(() => UserPage)
 * @Authorized(Role.ADMIN)
 * @CacheControl({ maxAge: 60, scope: 'PUBLIC', namespace: 'users:list' })
 * users(@Args() args: UsersArgs) { … }
 * ```
 */
export function CacheControl<TContext = any>(options: CacheControlOptions<TContext>): MethodDecorator {
  const scope = options.scope ?? 'PRIVATE';
  if (scope !== 'PUBLIC' && scope !== 'PRIVATE')
    throw new TypeError(`@CacheControl scope must be PUBLIC or PRIVATE, got: ${JSON.stringify(options.scope)}`);
  if (options.maxAge !== undefined && (!Number.isInteger(options.maxAge) || options.maxAge < 0)) {
    throw new TypeError(
      `@CacheControl maxAge must be a whole number of seconds >= 0, got: ${JSON.stringify(options.maxAge)}`,
    );
  }
  const swr = options.staleWhileRevalidate;
  if (swr !== undefined && (!Number.isInteger(swr) || swr < 0)) {
    throw new TypeError(
      `@CacheControl staleWhileRevalidate must be a whole number of seconds >= 0, got: ${JSON.stringify(swr)}`,
    );
  }
  const ns = options.namespace;
  if (
    !(typeof ns === 'function' || (typeof ns === 'string' && ns.length > 0) || (Array.isArray(ns) && ns.length > 0))
  ) {
    throw new TypeError(
      `@CacheControl namespace must be a non-empty string, a list of them, or a function, got: ${JSON.stringify(ns)}`,
    );
  }
  const directive = `@cacheControl(${options.maxAge !== undefined ? `maxAge: ${options.maxAge}, ` : ''}scope: ${scope})`;
  const decorators = [
    Directive(directive),
    Extensions({ cacheControl: { maxAge: options.maxAge, scope, staleWhileRevalidate: swr } }),
    UseMiddleware(
      createCacheMiddleware<any>({ maxAge: options.maxAge, staleWhileRevalidate: swr, scope, namespace: ns }),
    ),
  ];
  return (target, propertyKey, descriptor) => {
    for (const decorate of decorators) (decorate as MethodDecorator)(target, propertyKey, descriptor);
  };
}
