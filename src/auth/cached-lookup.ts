import type { ResolverCache } from '../cache';
import { Namespaces } from '../modules/namespaces';
import { lookupKeyByHash, type KeyLookup, type KeyLookupFn } from './authenticator';

/**
 * The API-key lookup through the cache: a hit costs no SQL. The entry lives in the key's own namespace
 * (`auth:{hash}`), evicted when the key is revoked or deleted and when its owner's role changes. Unknown
 * keys are not stored: a flood of random keys must not fill the cache.
 */
export function cachedKeyLookup(cache: ResolverCache<object>, maxAge: number): KeyLookupFn {
  return async (em, secretHash) => {
    const result = await cache.cached(
      { coordinate: 'Auth.apiKey', scope: 'PUBLIC', args: { secretHash }, namespaces: [Namespaces.auth(secretHash)], maxAge, shouldStore: (plain) => plain !== null },
      () => lookupKeyByHash(em, secretHash),
    );
    return result.value as KeyLookup | null;
  };
}
