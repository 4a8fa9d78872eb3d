import { ChangeSetType, type ChangeSet, type EntityManager, type EventSubscriber, type FlushEventArgs, type TransactionEventArgs } from '@mikro-orm/core';
import { ApiKey } from '../modules/api-key/api-key.entity';
import { Namespaces, userNamespaces } from '../modules/namespaces';
import { User } from '../modules/user/user.entity';

/** Evicts namespaces; resolves once the eviction is done (or safely queued). */
export type Evict = (namespaces: string[]) => Promise<void>;

/**
 * ORM-driven eviction: maps every committed change of User and ApiKey to the namespaces it makes stale,
 * so any write path (a resolver, the seeder, a script) evicts, decorated or not.
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
      if (changeSet.entity instanceof User && changeSet.type === ChangeSetType.UPDATE && 'role' in (changeSet.payload ?? {})) {
        rolesChanged.push(changeSet.entity.id);
      }
    }
    // A role lives in the cached authentication of each of the user's keys.
    if (rolesChanged.length > 0) {
      const keys = await em.fork().find(ApiKey, { owner: { $in: rolesChanged } }, { fields: ['secretHash'] });
      for (const key of keys) namespaces.add(Namespaces.auth(key.secretHash));
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
  const entity = changeSet.entity;
  if (entity instanceof User) {
    if (changeSet.type === ChangeSetType.CREATE) return [Namespaces.usersList];
    if (changeSet.type === ChangeSetType.DELETE) return [...userNamespaces(entity.id), Namespaces.apiKeys(entity.id)];
    return userNamespaces(entity.id);
  }
  if (entity instanceof ApiKey) {
    const ownerId = entity.owner.id;
    // `me` does not show keys, but a client may select `me { apiKeys }`: that field is cached under apikeys:{id}.
    return [Namespaces.apiKeys(ownerId), Namespaces.user(ownerId), Namespaces.auth(entity.secretHash)];
  }
  return [];
}
