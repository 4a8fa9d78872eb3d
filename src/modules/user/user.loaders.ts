import type { EntityManager } from '@mikro-orm/core';
import DataLoader from 'dataloader';
import { User } from './user.entity';

/** Users by id, batched: N lookups in one tick cost one query. Absent ids load as null. */
export function createUserByIdLoader(em: EntityManager): DataLoader<number, User | null> {
  return new DataLoader(async (ids) => {
    const users = await em.find(User, { id: { $in: [...ids] } });
    const byId = new Map(users.map((u) => [u.id, u]));
    return ids.map((id) => byId.get(id) ?? null);
  });
}
