import type { EntityManager } from '@mikro-orm/core';
import { LRUCache } from 'lru-cache';
import type { Logger } from '../logger';
import { ApiKey } from '../modules/api-key/api-key.entity';
import { quotedNames, selectRows } from '../modules/plain-rows';
import { type Role, User } from '../modules/user/user.entity';
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

/**
 * Finds the owner of a key by the hash of its secret: one indexed query joining the owner, read as a plain
 * row (no entities to hydrate: it runs on every request that the cache does not answer).
 */
export async function lookupKeyByHash(em: EntityManager, secretHash: string): Promise<KeyLookup | null> {
  const k = quotedNames(em, ApiKey);
  const u = quotedNames(em, User);
  const [row] = await selectRows<{ id: number; lastUsedAt: Date | null; owner: number; role: Role }>(
    em,
    ApiKey,
    `select k.${k.column('id')}, k.${k.column('lastUsedAt')}, k.${k.column('owner')}, u.${u.column('role')}` +
      ` from ${k.table} k join ${u.table} u on u.${u.column('id')} = k.${k.column('owner')}` +
      ` where k.${k.column('secretHash')} = ?`,
    [secretHash],
  );
  if (!row) return null;
  return {
    viewer: { userId: row.owner, role: row.role, apiKeyId: row.id },
    lastUsedAt: row.lastUsedAt?.getTime() ?? null,
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
