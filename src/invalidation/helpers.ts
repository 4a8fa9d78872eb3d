import type { ResolverCache } from '../cache';
import { Namespaces, userNamespaces } from '../modules/namespaces';

/**
 * The app's invalidation helpers, for code that changes data the ORM does not see (raw SQL, another
 * service). Call them after the change is committed. With caching off (`cache` null) they do nothing.
 */
export function createInvalidationHelpers(cache: ResolverCache<object> | null) {
  const evict = (namespaces: string[]) => (cache ? cache.invalidate(namespaces) : Promise.resolve());
  return {
    /** Any namespace. */
    invalidateNamespace: (namespace: string) => evict([namespace]),
    /** `me`, `user(id)` and every page of `users` that may show this user. */
    invalidateUserCache: (userId: number | string) => evict(userNamespaces(userId)),
    /** Every page of `users`. */
    invalidateUsersListCache: () => evict([Namespaces.usersList]),
    /** `apiKeys(userId)` and `User.apiKeys` of this user. */
    invalidateApiKeysCache: (userId: number | string) => evict([Namespaces.apiKeys(userId)]),
  };
}

export type InvalidationHelpers = ReturnType<typeof createInvalidationHelpers>;
