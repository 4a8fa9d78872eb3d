import type { GraphQLResolveInfo } from 'graphql';
import { type MiddlewareFn, UseMiddleware } from 'type-graphql';
import { requestStateOf } from './request-state';

/** What an `@Evicts` function receives: the mutation's args, its result, context and info. */
export interface EvictionData<TContext = any, TResult = any> {
  args: Record<string, any>;
  result: TResult;
  context: TContext;
  info: GraphQLResolveInfo;
}

/** Namespaces to evict: fixed strings, or a function of the mutation's args and result. */
export type EvictsOption<TContext = any, TResult = any> =
  | string
  | ((data: EvictionData<TContext, TResult>) => string | readonly (string | null | undefined)[] | null | undefined);

/**
 * Evicts namespaces after a mutation succeeded. The resolver has committed its transaction by the time
 * it returns, so eviction always comes after the commit; the response is sent only once the eviction
 * finished (read-your-writes for the caller). A mutation that throws evicts nothing.
 *
 * Writes the ORM sees are evicted by its subscriber anyway; `@Evicts` is for what it cannot see (a
 * computed namespace, another data source) and documents a mutation's effect where it is declared.
 *
 * @example
 * ```ts
 * @Mutation(() => User)
 * @Evicts('users:list', ({ args }) => [`user:${args.id}`, `users:${args.id}:single`])
 * updateUser(@Arg('id') id: string, ...) { … }
 * ```
 */
export function Evicts<TContext = any, TResult = any>(
  ...namespaces: EvictsOption<TContext, TResult>[]
): MethodDecorator {
  if (namespaces.length === 0) throw new TypeError('@Evicts needs at least one namespace or function');
  for (const ns of namespaces) {
    if (!(typeof ns === 'function' || (typeof ns === 'string' && ns.length > 0))) {
      throw new TypeError(`@Evicts takes non-empty strings or functions, got: ${JSON.stringify(ns)}`);
    }
  }
  const middleware: MiddlewareFn<any> = async ({ args, context, info }, next) => {
    const result = await next();
    const state = requestStateOf(context);
    if (!state) return result; // caching off
    const data = { args, result, context, info };
    const names = namespaces
      .flatMap((ns) => (typeof ns === 'function' ? [ns(data)].flat() : [ns]))
      .filter((n): n is string => typeof n === 'string' && n.length > 0);
    await state.cache.evict(names);
    return result;
  };
  return UseMiddleware(middleware) as MethodDecorator;
}
