import { ChangeSetType, type ChangeSet, type EntityManager, type EventSubscriber, type FlushEventArgs, type TransactionEventArgs } from '@mikro-orm/core';
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

  constructor(private readonly evict: Evict) {}

  async onFlush({ em, uow }: FlushEventArgs): Promise<void> {
    const namespaces = this.pending.get(em) ?? new Set<string>();
    const rolesChanged: number[] = [];
    for (const changeSet of uow.getChangeSets()) {
      for (const ns of namespacesOf(changeSet)) namespaces.add(ns);
      if (changeSet.name === 'User' && changeSet.type === ChangeSetType.UPDATE && 'role' in (changeSet.payload ?? {})) {
        rolesChanged.push((changeSet.entity as UserLike).id);
      }
    }
    if (rolesChanged.length > 0) {
      const keys = await em.fork().find<ApiKeyLike>('ApiKey', { owner: { $in: rolesChanged } } as object, { fields: ['secretHash'] as never });
      for (const ns of Evictions.roleChanged(keys.map((k) => k.secretHash))) namespaces.add(ns);
    }
    if (namespaces.size > 0) this.pending.set(em, namespaces);
  }

  async afterTransactionCommit({ em }: TransactionEventArgs): Promise<void> {
    const namespaces = this.pending.get(em);
    if (!namespaces) return;
    this.pending.delete(em);
    await this.evict([...namespaces]);
  }

  async afterTransactionRollback({ em }: TransactionEventArgs): Promise<void> {
    this.pending.delete(em);
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
