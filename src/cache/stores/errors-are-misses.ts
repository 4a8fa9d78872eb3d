import type { CacheStore } from './store';

/**
 * `store` with every failure turned into a miss: a read that throws answers `undefined`, a write that
 * throws is dropped. `onError` hears each one (a log line, a metric). A request never fails because of
 * the cache.
 */
export function errorsAreMisses<S extends CacheStore>(
  store: S,
  onError: (operation: string, error: unknown) => void,
): S {
  const quietly = async <R>(operation: string, call: () => Promise<R>, miss: R): Promise<R> => {
    try {
      return await call();
    } catch (error) {
      try {
        onError(operation, error);
      } catch {
        // an observer must never break a request
      }
      return miss;
    }
  };
  return Object.assign(Object.create(store) as S, {
    get: (key) => quietly('get', () => store.get(key), undefined),
    getMany: (keys) =>
      quietly(
        'getMany',
        () => store.getMany(keys),
        keys.map(() => undefined),
      ),
    set: (key, value, ttl) => quietly('set', () => store.set(key, value, ttl), undefined),
    setMany: (entries) => quietly('setMany', () => store.setMany(entries), undefined),
    addMany: (entries) => quietly('addMany', () => store.addMany(entries), undefined),
    delete: (key) => quietly('delete', () => store.delete(key), undefined),
  } satisfies Pick<CacheStore, 'get' | 'getMany' | 'set' | 'setMany' | 'addMany' | 'delete'>);
}
