import type { EntityManager } from '@mikro-orm/core';
import DataLoader from 'dataloader';
import { placeholders, RowReader } from '../plain-rows';
import { ApiKey } from './api-key.entity';

/**
 * An API key as the read paths return it (see {@link RowReader}): plain values, never the secret's hash
 * (not even selected), and its owner as `{ id }`, what `ApiKey.owner`'s field resolver reads (an entity's
 * reference has it too).
 */
export interface ApiKeyRow {
  id: number;
  name: string;
  prefix: string;
  createdAt: Date;
  lastUsedAt: Date | null;
  owner: { id: number };
}

const apiKeys = new RowReader(ApiKey, ['id', 'name', 'prefix', 'createdAt', 'lastUsedAt', 'owner']);

/** Each owner's API keys, by id, batched: the keys of N users cost one query, not N. */
export function createApiKeysByOwnerLoader(em: EntityManager): DataLoader<number, ApiKeyRow[]> {
  return new DataLoader(async (ownerIds) => {
    // `owner` comes mapped as the foreign key's value: it becomes `{ id }` below.
    const rows = await apiKeys.read<Omit<ApiKeyRow, 'owner'> & { owner: unknown }>(
      em,
      `where {owner} in (${placeholders(ownerIds.length)}) order by {id} asc`,
      ownerIds,
    );
    const byOwner = new Map<number, ApiKeyRow[]>(ownerIds.map((id) => [id, []]));
    for (const row of rows) {
      const key = row as ApiKeyRow;
      key.owner = { id: row.owner as number };
      byOwner.get(key.owner.id)?.push(key);
    }
    return ownerIds.map((id) => byOwner.get(id)!);
  });
}
