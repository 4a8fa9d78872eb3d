import type { EntityManager } from '@mikro-orm/core';
import DataLoader from 'dataloader';
import { ApiKey } from './api-key.entity';

/** Each owner's API keys, by id, batched: the keys of N users cost one query, not N. */
export function createApiKeysByOwnerLoader(em: EntityManager): DataLoader<number, ApiKey[]> {
  return new DataLoader(async (ownerIds) => {
    const keys = await em.find(ApiKey, { owner: { $in: [...ownerIds] } }, { orderBy: { id: 'asc' } });
    const byOwner = new Map<number, ApiKey[]>(ownerIds.map((id) => [id, []]));
    for (const key of keys) byOwner.get(key.owner.id)?.push(key);
    return ownerIds.map((id) => byOwner.get(id)!);
  });
}
