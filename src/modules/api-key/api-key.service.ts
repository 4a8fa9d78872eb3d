import type { EntityManager } from '@mikro-orm/core';
import { displayPrefix, generateApiKeySecret, hashApiKeySecret } from '../../auth/api-key-secret';
import type { User } from '../user/user.entity';
import { ApiKey } from './api-key.entity';

export interface IssuedApiKey {
  apiKey: ApiKey;
  /** Shown once; only its hash is stored. */
  secret: string;
}

/** Creates a key for `owner`. `secret` is for seeding only (SEED_ADMIN_API_KEY); otherwise it is random. */
export async function issueApiKey(
  em: EntityManager,
  owner: User,
  name: string,
  secret = generateApiKeySecret(),
): Promise<IssuedApiKey> {
  const apiKey = em.create(ApiKey, {
    name: name.trim(),
    prefix: displayPrefix(secret),
    secretHash: hashApiKeySecret(secret),
    owner,
  });
  await em.flush();
  return { apiKey, secret };
}
