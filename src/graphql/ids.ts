import { type MiddlewareFn, UseMiddleware } from 'type-graphql';
import { Errors } from './errors';

/** Largest row id: ids are 32-bit signed integers (PostgreSQL `integer`/`serial`). */
export const MAX_ID = 2 ** 31 - 1;

/** What a client is told of an `ID` argument that names no row. */
export const ID_MESSAGE = `must be a positive integer (1 to ${MAX_ID}, no sign, spaces or leading zeros)`;

/** GraphQL IDs are strings; rows have positive integer ids, written canonically. Anything else names no row. */
export function parseId(id: string | number | null | undefined): number | null {
  if (id === null || id === undefined) return null;
  const s = String(id);
  if (!/^[1-9]\d{0,9}$/.test(s)) return null;
  const n = Number(s);
  return n <= MAX_ID ? n : null;
}

/**
 * Refuses, with BAD_USER_INPUT naming the argument (`id: must be a positive integer …`), a call whose
 * `ID` arguments `names` (when given, not null) are not canonical row ids. A middleware, not a
 * validator: type-graphql validates arguments only after every middleware ran, and the caching
 * middleware of `@CacheControl` builds namespaces and keys from the arguments. Put it **above**
 * `@CacheControl` (type-graphql runs a method's middlewares top-down, after `@Authorized`), so a
 * made-up id is refused before the cache reads or writes anything for it.
 */
export function ValidIds(...names: string[]): MethodDecorator {
  const check: MiddlewareFn = ({ args }, next) => {
    const problems = names
      .filter((name) => args[name] !== null && args[name] !== undefined && parseId(args[name]) === null)
      .map((field) => ({ field, message: ID_MESSAGE }));
    if (problems.length > 0) throw Errors.badInput(problems);
    return next();
  };
  return UseMiddleware(check);
}
