import {
  type ChangeSet,
  ChangeSetType,
  type EntityManager,
  type EventSubscriber,
  type FlushEventArgs,
  type TransactionEventArgs,
} from '@mikro-orm/core';
import { Evictions } from './namespaces';

/** Evicts namespaces; resolves once the eviction is done (or safely journaled). */
export type Evict = (namespaces: string[]) => Promise<void>;

/** The fields of the app's entities this subscriber reads. Entities are told apart by name, not imported. */
interface UserLike {
  id: number;
}
interface ApiKeyLike {
  owner: { id: number };
  secretHash: string;
}

/**
 * ORM-driven eviction, the one eviction path for every write the ORM sees: it maps each committed
 * change of a User or an ApiKey to the namespaces it makes stale ({@link Evictions}), so any write
 * path (a resolver, the seeder, a script) evicts exactly once.
 *
 * Namespaces are collected at flush time and evicted only after the transaction COMMITTED (never
 * before: a reader could otherwise cache the old rows under the new generation); a rollback evicts
 * nothing. MikroORM awaits this handler, so `flush()` (and the mutation's response) returns only after
 * the eviction finished: read-your-writes for the caller.
 */
export class CacheEvictionSubscriber implements EventSubscriber {
  private readonly pending = new WeakMap<EntityManager, Set<string>>();
  /** Entities created in the transaction: their ids exist only once the INSERT ran, so they are mapped at commit. */
  private readonly created = new WeakMap<EntityManager, ChangeSet<object>[]>();

  constructor(private readonly evict: Evict) {}

  async onFlush({ em, uow }: FlushEventArgs): Promise<void> {
    const namespaces = this.pending.get(em) ?? new Set<string>();
    const rolesChanged: number[] = [];
    const created = this.created.get(em) ?? [];
    for (const changeSet of uow.getChangeSets()) {
      if (changeSet.type === ChangeSetType.CREATE) {
        created.push(changeSet);
        continue;
      }
      for (const ns of namespacesOf(changeSet)) namespaces.add(ns);
      if (changeSet.name === 'User' && changeSet.type === ChangeSetType.UPDATE && 'role' in (changeSet.payload ?? {})) {
        rolesChanged.push((changeSet.entity as UserLike).id);
      }
    }
    if (rolesChanged.length > 0) {
      const keys = await em
        .fork()
        .find<ApiKeyLike>('ApiKey', { owner: { $in: rolesChanged } } as object, { fields: ['secretHash'] as never });
      for (const ns of Evictions.roleChanged(keys.map((k) => k.secretHash))) namespaces.add(ns);
    }
    if (namespaces.size > 0) this.pending.set(em, namespaces);
    if (created.length > 0) this.created.set(em, created);
  }

  async afterTransactionCommit({ em }: TransactionEventArgs): Promise<void> {
    const namespaces = this.pending.get(em) ?? new Set<string>();
    for (const changeSet of this.created.get(em) ?? []) for (const ns of namespacesOf(changeSet)) namespaces.add(ns);
    this.pending.delete(em);
    this.created.delete(em);
    if (namespaces.size > 0) await this.evict([...namespaces]);
  }

  async afterTransactionRollback({ em }: TransactionEventArgs): Promise<void> {
    this.pending.delete(em);
    this.created.delete(em);
  }
}

function namespacesOf(changeSet: ChangeSet<object>): string[] {
  if (changeSet.name === 'User') {
    const { id } = changeSet.entity as UserLike;
    if (changeSet.type === ChangeSetType.CREATE) return Evictions.userCreated(id);
    if (changeSet.type === ChangeSetType.DELETE) return Evictions.userDeleted(id);
    return Evictions.userUpdated(id);
  }
  if (changeSet.name === 'ApiKey') {
    const key = changeSet.entity as ApiKeyLike;
    return Evictions.apiKeyChanged(key.owner.id, key.secretHash);
  }
  return [];
}
