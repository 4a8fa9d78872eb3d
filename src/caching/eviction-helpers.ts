import { Evictions, Namespaces } from './namespaces';

/** Evicts namespaces; a no-op with caching off. */
type Evict = (namespaces: readonly string[]) => Promise<void>;

/**
 * The app's eviction helpers, for code that changes data the ORM does not see (raw SQL, another
 * service). Call them after the change is committed. With caching off (`evict` null) they do nothing.
 */
export function createEvictionHelpers(evict: Evict | null) {
  const run = (namespaces: readonly string[]) => (evict ? evict(namespaces) : Promise.resolve());
  return {
    /** Any namespaces, e.g. `['users:list']`. */
    evict: (namespaces: readonly string[]) => run(namespaces),
    /** `me`, `user(id)` and every page of `users` that may show this user. */
    evictUser: (userId: number | string) => run(Evictions.userUpdated(userId)),
    /** Every page of `users`. */
    evictUsersList: () => run([Namespaces.usersList]),
    /** `apiKeys(userId)` and `User.apiKeys` of this user. */
    evictApiKeys: (userId: number | string) => run([Namespaces.apiKeys(userId)]),
  };
}

export type EvictionHelpers = ReturnType<typeof createEvictionHelpers>;
