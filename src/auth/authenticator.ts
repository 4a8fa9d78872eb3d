import type { EntityManager } from '@mikro-orm/core';
import { LRUCache } from 'lru-cache';
import type { Logger } from '../logger';
import { ApiKey } from '../modules/api-key/api-key.entity';
import { hashApiKeySecret } from './api-key-secret';
import type { Viewer } from './viewer';

/** `lastUsedAt` is written at most this often per key (milliseconds). */
export const LAST_USED_WRITE_INTERVAL_MS = 60_000;

/** What authentication needs to know about a key; small and plain, so it can be cached. */
export interface KeyLookup {
  viewer: Viewer;
  /** Epoch milliseconds, or null when never used. */
  lastUsedAt: number | null;
}

/** Finds the owner of a key by the hash of its secret (one indexed query). */
export async function lookupKeyByHash(em: EntityManager, secretHash: string): Promise<KeyLookup | null> {
  const key = await em.findOne(ApiKey, { secretHash }, { populate: ['owner'] });
  if (!key) return null;
  const owner = key.owner.getEntity();
  return {
    viewer: { userId: owner.id, role: owner.role, apiKeyId: key.id },
    lastUsedAt: key.lastUsedAt?.getTime() ?? null,
  };
}

export type KeyLookupFn = (em: EntityManager, secretHash: string) => Promise<KeyLookup | null>;

/**
 * Resolves a secret to a viewer and records `lastUsedAt`, at most once a minute per key: an in-process
 * LRU remembers the last write, and the UPDATE itself is conditional, so several instances together
 * still write about once a minute, never on every request.
 */
export class Authenticator {
  private readonly lastWrite = new LRUCache<number, number>({ max: 50_000 });

  constructor(
    private readonly logger: Logger,
    private readonly lookup: KeyLookupFn = lookupKeyByHash,
    /** Called after lastUsedAt was written (the key list of its owner changed). */
    private readonly onTouched: (viewer: Viewer) => Promise<void> = async () => {},
    private readonly now: () => number = () => Date.now(),
  ) {}

  async authenticate(em: EntityManager, secret: string): Promise<Viewer | null> {
    const found = await this.lookup(em, hashApiKeySecret(secret));
    if (!found) return null;
    await this.touch(em, found);
    return found.viewer;
  }

  /**
   * Records a use of `viewer`'s key for a request that was answered without authenticating (the
   * operation tier): the same once-a-minute rule, and a database session only when a write is due.
   */
  recordUse(viewer: Viewer, em: () => EntityManager): void {
    if (!this.isUseDue(viewer.apiKeyId, null)) return;
    void this.touch(em(), { viewer, lastUsedAt: null });
  }

  private isUseDue(apiKeyId: number, lastUsedAt: number | null): boolean {
    const last = Math.max(this.lastWrite.get(apiKeyId) ?? 0, lastUsedAt ?? 0);
    return this.now() - last >= LAST_USED_WRITE_INTERVAL_MS;
  }

  private async touch(em: EntityManager, { viewer, lastUsedAt }: KeyLookup): Promise<void> {
    const now = this.now();
    if (!this.isUseDue(viewer.apiKeyId, lastUsedAt)) return;
    this.lastWrite.set(viewer.apiKeyId, now);
    try {
      await em.nativeUpdate(
        ApiKey,
        {
          id: viewer.apiKeyId,
          $or: [{ lastUsedAt: null }, { lastUsedAt: { $lt: new Date(now - LAST_USED_WRITE_INTERVAL_MS) } }],
        },
        { lastUsedAt: new Date(now) },
      );
      await this.onTouched(viewer);
    } catch (err) {
      // Bookkeeping must never fail a request.
      this.logger.warn({ err, apiKeyId: viewer.apiKeyId }, 'could not record lastUsedAt');
    }
  }
}
