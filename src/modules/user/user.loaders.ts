import type { EntityManager } from '@mikro-orm/core';
import DataLoader from 'dataloader';
import { placeholders, quotedNames, RowReader, selectRows } from '../plain-rows';
import { User } from './user.entity';

/**
 * A user as the read paths return it: the values of its row under the entity's property names (dates as
 * `Date`, like the entity's), not a managed entity (see {@link RowReader}). Writes load entities.
 */
export type UserRow = Pick<User, 'id' | 'email' | 'fullName' | 'role' | 'createdAt' | 'updatedAt'>;

const users = new RowReader(User, ['id', 'email', 'fullName', 'role', 'createdAt', 'updatedAt']);

/** The users with these ids, in no particular order; absent ids are left out. */
export function findUsersByIds(em: EntityManager, ids: readonly number[]): Promise<UserRow[]> {
  if (ids.length === 0) return Promise.resolve([]);
  return users.read<UserRow>(em, `where {id} in (${placeholders(ids.length)})`, ids);
}

/** A page of users by id. */
export function findUserPage(em: EntityManager, limit: number, offset: number): Promise<UserRow[]> {
  return users.read<UserRow>(em, 'order by {id} asc limit ? offset ?', [limit, offset]);
}

/** How many users there are: one plain `count(*)` (PostgreSQL answers a bigint as a string). */
export async function countUsers(em: EntityManager): Promise<number> {
  const [row] = await selectRows<{ total: number | string }>(
    em,
    User,
    `select count(*) as total from ${quotedNames(em, User).table}`,
    [],
  );
  return Number(row?.total ?? 0);
}

/** Users by id, batched: N lookups in one tick cost one query. Absent ids load as null. */
export function createUserByIdLoader(em: EntityManager): DataLoader<number, UserRow | null> {
  return new DataLoader(async (ids) => {
    const byId = new Map((await findUsersByIds(em, ids)).map((u) => [u.id, u]));
    return ids.map((id) => byId.get(id) ?? null);
  });
}
