import { randomUUID } from 'node:crypto';
import { withDeadline } from './deadline';
import { EPOCH_NAMESPACE, type NamespaceGenerations } from './namespaces';
import type { CacheStore } from './store';
import type { CacheLogger } from './types';

/** Default bound of the outage journal, in namespaces; past it, one epoch bump stands for all of them. */
export const defaultMaxPendingEvictions = 10_000;

export interface EvictionJournalOptions {
  generations: NamespaceGenerations;
  /** Bound of the journal, in namespaces. Default {@link defaultMaxPendingEvictions}. */
  maxPending?: number;
  /** Deadline of the replay, in **milliseconds**. */
  replayTimeoutMs: number;
  logger?: CacheLogger;
}

/**
 * Evictions that could not reach the shared store (Redis down, paused or partitioned) are kept here and
 * replayed when it answers again, BEFORE it serves reads (the failover store awaits `replay` in its
 * `onRecover`). The journal is bounded: on overflow it is dropped and replaced by one bump of the global
 * epoch, which makes every entry unreachable: a cold cache, never a stale one.
 */
export class EvictionJournal {
  private readonly pending = new Set<string>();
  private epochBumpNeeded = false;
  private overflowLogged = false;
  private readonly maxPending: number;

  constructor(private readonly options: EvictionJournalOptions) {
    this.maxPending = options.maxPending ?? defaultMaxPendingEvictions;
  }

  /** Namespaces waiting for the shared store (the epoch counts as one when an overflow happened). */
  get size(): number {
    return this.epochBumpNeeded ? 1 : this.pending.size;
  }

  /** Evicts now (on whatever store serves), and remembers what the shared store did not acknowledge. */
  async evict(namespaces: readonly string[]): Promise<void> {
    let durable = false;
    try {
      durable = await this.options.generations.bump(namespaces);
    } catch (error) {
      this.options.logger?.warn({ err: error }, 'cache: eviction failed; it will be replayed when the store answers');
    }
    if (!durable) this.remember(namespaces);
  }

  /** Writes what is pending straight to the shared store; throws (and keeps it) when that fails. */
  async replay(primary: CacheStore): Promise<void> {
    if (this.size === 0) return;
    const namespaces = this.epochBumpNeeded ? [EPOCH_NAMESPACE] : [...this.pending];
    const entries = namespaces.map((ns) => ({ key: this.options.generations.keyOf(ns), value: randomUUID(), ttlSeconds: this.options.generations.ttlSeconds }));
    const write = primary.setMany ? primary.setMany(entries) : Promise.all(entries.map((e) => primary.set(e.key, e.value, e.ttlSeconds))).then(() => undefined);
    await withDeadline(write, this.options.replayTimeoutMs, 'redis eviction replay');
    // Only what was replayed is forgotten: evictions journaled meanwhile stay for the next replay.
    if (this.epochBumpNeeded && namespaces[0] === EPOCH_NAMESPACE) this.epochBumpNeeded = false;
    for (const ns of namespaces) this.pending.delete(ns);
    this.overflowLogged = false;
    this.options.logger?.info({ namespaces: namespaces.length }, 'cache: evictions made during the outage were replayed');
  }

  private remember(namespaces: readonly string[]): void {
    if (this.epochBumpNeeded) return;
    for (const ns of namespaces) this.pending.add(ns);
    if (this.pending.size > this.maxPending) {
      this.pending.clear();
      this.epochBumpNeeded = true;
      if (!this.overflowLogged) this.options.logger?.warn({ maxPending: this.maxPending }, 'cache: too many evictions during the outage; the whole cache will be invalidated on return');
      this.overflowLogged = true;
    }
  }
}
