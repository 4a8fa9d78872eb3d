import type { KeyLookup, KeyLookupFn } from '../auth/authenticator';
import type { ResolverCache } from '../cache';
import { Namespaces } from './namespaces';

/**
 * The API-key lookup through the cache: a hit costs no SQL. The entry lives in the key's own namespace
 * (`auth:{hash}`), evicted when the key is revoked or deleted and when its owner's role changes. Unknown
 * keys are not stored, and leave nothing behind: a flood of random keys must not fill the cache.
 *
 * `isShared()` tells whether the cache is on its shared store right now: while it is not (Redis away,
 * the memory fallback serving), the lookup goes to the database, since a process-local entry cannot
 * see a revocation made on another instance.
 */
export function cachedKeyLookup(
  cache: ResolverCache<object>,
  maxAge: number,
  lookup: KeyLookupFn,
  isShared: () => boolean,
): KeyLookupFn {
  return async (em, secretHash) => {
    if (!isShared()) return lookup(em, secretHash);
    const result = await cache.cached(
      {
        coordinate: 'Auth.apiKey',
        scope: 'PUBLIC',
        args: { secretHash },
        namespaces: [Namespaces.auth(secretHash)],
        maxAge,
        shouldStore: (plain) => plain !== null,
      },
      () => lookup(em, secretHash),
    );
    return result.value as KeyLookup | null;
  };
}
