import { withDeadline } from './deadline';
import { EPOCH_NAMESPACE, type NamespaceGenerations } from './namespaces';
import type { CacheStore } from './stores/store';
import type { CacheLogger } from './types';

/** Default bound of the outage journal, in namespaces; past it, one epoch eviction stands for all of them. */
export const defaultMaxPendingEvictions = 10_000;

/** Options of {@link Evictor}. */
export interface EvictorOptions {
  generations: NamespaceGenerations;
  /** Bound of the journal, in namespaces. Default {@link defaultMaxPendingEvictions}. */
  maxPending?: number;
  /** Deadline of the replay, in **milliseconds**. Default 1000. */
  replayTimeoutMs?: number;
  logger?: CacheLogger;
}

/**
 * Evicts namespaces (a new generation token for each) and keeps a journal of the evictions the shared
 * store did not acknowledge (Redis down, paused or partitioned), to replay them when it answers again,
 * BEFORE it serves reads (the failover store awaits {@link Evictor.replay} in its `onRecover`).
 *
 * It holds no store: the cache hands it the store to evict on, and the failover store the primary to
 * replay on, so it can be built before either. The journal is bounded: on overflow it is dropped and
 * replaced by one eviction of the global epoch, which makes every entry unreachable: a cold cache,
 * never a stale one.
 */
export class Evictor {
  private readonly pending = new Set<string>();
  private epochPending = false;
  private overflowLogged = false;
  private readonly maxPending: number;

  /** How namespaces name their token keys. */
  readonly generations: NamespaceGenerations;

  constructor(private readonly options: EvictorOptions) {
    this.generations = options.generations;
    this.maxPending = options.maxPending ?? defaultMaxPendingEvictions;
  }

  /** Namespaces waiting for the shared store (the epoch counts as one when an overflow happened). */
  get pendingCount(): number {
    return this.epochPending ? 1 : this.pending.size;
  }

  /**
   * Evicts `namespaces` on `store` now, and remembers what the shared store did not acknowledge. Never
   * throws. Call it after the change is committed, never before.
   */
  async evict(store: CacheStore, namespaces: readonly string[]): Promise<void> {
    if (namespaces.length === 0) return;
    const entries = this.generations.bumpEntries(namespaces);
    let durable = false;
    try {
      if (store.setManyDurably) durable = await store.setManyDurably(entries);
      else {
        await store.setMany(entries);
        durable = true;
      }
    } catch (error) {
      this.options.logger?.warn({ err: error }, 'cache: eviction failed; it will be replayed when the store answers');
    }
    if (!durable) this.remember(namespaces);
  }

  /**
   * Writes what is pending straight to the shared store; throws (and keeps it) when that fails.
   *
   * After an outage (`afterOutage`), it evicts the global epoch instead, whatever this instance
   * journaled: another instance may have journaled evictions it will never replay (it died, or it is
   * still cut off), and entries in the shared store may be older than those writes. A cold cache after
   * an outage, never a stale read (a revoked key included).
   */
  readonly replay = async (primary: CacheStore, recovery: { afterOutage?: boolean } = {}): Promise<void> => {
    if (recovery.afterOutage) {
      this.pending.clear();
      this.epochPending = true;
    }
    if (this.pendingCount === 0) return;
    const namespaces = this.epochPending ? [EPOCH_NAMESPACE] : [...this.pending];
    const write = primary.setMany(this.generations.bumpEntries(namespaces));
    await withDeadline(write, this.options.replayTimeoutMs ?? 1000, 'redis eviction replay');
    // Only what was replayed is forgotten: evictions journaled meanwhile stay for the next replay.
    if (namespaces[0] === EPOCH_NAMESPACE) this.epochPending = false;
    for (const ns of namespaces) this.pending.delete(ns);
    this.overflowLogged = false;
    this.options.logger?.info(
      { namespaces: namespaces.length },
      'cache: evictions made during the outage were replayed',
    );
  };

  private remember(namespaces: readonly string[]): void {
    if (this.epochPending) return;
    for (const ns of namespaces) this.pending.add(ns);
    if (this.pending.size > this.maxPending) {
      this.pending.clear();
      this.epochPending = true;
      if (!this.overflowLogged) {
        this.options.logger?.warn(
          { maxPending: this.maxPending },
          'cache: too many evictions during the outage; the whole cache will be evicted on return',
        );
      }
      this.overflowLogged = true;
    }
  }
}
