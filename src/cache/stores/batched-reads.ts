import DataLoader from 'dataloader';
import type { CacheStore } from './store';

/** Default most keys in one batched read. */
export const defaultMaxBatchSize = 1000;

/**
 * `store` with the reads issued in one tick sent as ONE `getMany`: the generations and entries of the
 * 50 `User.apiKeys` of a page cost one round trip, not a hundred, and the resolvers that miss still
 * reach their DataLoader in the same tick, so the database batch stays one query too.
 */
export function batchedReads<S extends CacheStore>(store: S, maxBatchSize = defaultMaxBatchSize): S {
  const loader = new DataLoader<string, unknown>((keys) => store.getMany(keys), { cache: false, maxBatchSize });
  const rethrow = (values: unknown[]) => {
    for (const v of values) if (v instanceof Error) throw v;
    return values;
  };
  return Object.assign(Object.create(store) as S, {
    get: <T>(key: string) => loader.load(key) as Promise<T | undefined>,
    getMany: <T>(keys: readonly string[]) => loader.loadMany(keys).then(rethrow) as Promise<(T | undefined)[]>,
  } satisfies Pick<CacheStore, 'get' | 'getMany'>);
}
