import type { EntityManager } from '@mikro-orm/core';
import DataLoader from 'dataloader';
import { ApiKey } from './modules/api-key/api-key.entity';
import { User } from './modules/user/user.entity';

/** Per-request batch loaders: N parents' relations cost one query, not N. */
export interface Loaders {
  userById: DataLoader<number, User | null>;
  apiKeysByOwner: DataLoader<number, ApiKey[]>;
}

export function createLoaders(em: EntityManager): Loaders {
  return {
    userById: new DataLoader(async (ids) => {
      const users = await em.find(User, { id: { $in: [...ids] } });
      const byId = new Map(users.map((u) => [u.id, u]));
      return ids.map((id) => byId.get(id) ?? null);
    }),
    apiKeysByOwner: new DataLoader(async (ownerIds) => {
      const keys = await em.find(ApiKey, { owner: { $in: [...ownerIds] } }, { orderBy: { id: 'asc' } });
      const byOwner = new Map<number, ApiKey[]>(ownerIds.map((id) => [id, []]));
      for (const key of keys) byOwner.get(key.owner.id)?.push(key);
      return ownerIds.map((id) => byOwner.get(id)!);
    }),
  };
}
