import type { CacheStore, StoreEntry } from '../cache';

type BatchedWrite = 'setMany' | 'addMany';

interface Batch {
  entries: StoreEntry[];
  settle: { resolve(): void; reject(error: unknown): void }[];
}

/**
 * `store` with the `set` and `addMany` calls of one turn of the event loop sent as ONE `setMany` and ONE
 * `addMany`. Resolvers that miss together store together: a query of 1,000 aliased fields that all miss
 * costs two calls, each bounded by a deadline that grows with its size (the failover store's), not 2,000
 * calls of one key, each racing its own short deadline while the process is busy sending the others.
 * Every other call (`setMany` and `setManyDurably` of evictions, reads, `delete`) passes through at once.
 */
export function batchedWrites<S extends CacheStore>(store: S): S {
  const batches: Record<BatchedWrite, Batch | null> = { setMany: null, addMany: null };
  const enqueue = (kind: BatchedWrite, entries: readonly StoreEntry[]) =>
    new Promise<void>((resolve, reject) => {
      let batch = batches[kind];
      if (!batch) {
        const next: Batch = { entries: [], settle: [] };
        batches[kind] = batch = next;
        setImmediate(() => {
          batches[kind] = null;
          store[kind](next.entries).then(
            () => {
              for (const s of next.settle) s.resolve();
            },
            (error: unknown) => {
              for (const s of next.settle) s.reject(error);
            },
          );
        });
      }
      batch.entries.push(...entries);
      batch.settle.push({ resolve, reject });
    });
  return Object.assign(Object.create(store) as S, {
    set: (key: string, value: unknown, ttlSeconds: number) => enqueue('setMany', [{ key, value, ttlSeconds }]),
    addMany: (entries: readonly StoreEntry[]) => enqueue('addMany', entries),
  } satisfies Pick<CacheStore, 'set' | 'addMany'>);
}
