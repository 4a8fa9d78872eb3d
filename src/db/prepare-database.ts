import type { EntityManager, MikroORM } from '@mikro-orm/core';
import { hashApiKeySecret } from '../auth/api-key-secret';
import { ApiKey } from '../modules/api-key/api-key.entity';
import { issueApiKey } from '../modules/api-key/api-key.service';
import { Role, User } from '../modules/user/user.entity';

export const SEED_ADMIN_EMAIL = 'admin@example.com';

async function findOrCreateAdmin(em: EntityManager): Promise<User> {
  const existing = await em.findOne(User, { email: SEED_ADMIN_EMAIL });
  if (existing) {
    if (existing.role !== Role.ADMIN) {
      existing.role = Role.ADMIN;
      await em.flush();
    }
    return existing;
  }
  const admin = em.create(User, { email: SEED_ADMIN_EMAIL, fullName: 'Admin', role: Role.ADMIN });
  await em.flush();
  return admin;
}

/**
 * SEED_ADMIN_API_KEY: makes sure admin@example.com exists, is an ADMIN, and owns a key whose secret is
 * exactly `secret`. Idempotent: running it again changes nothing.
 */
export async function ensureSeedAdmin(em: EntityManager, secret: string): Promise<User> {
  const admin = await findOrCreateAdmin(em);
  const key = await em.findOne(ApiKey, { secretHash: hashApiKeySecret(secret) });
  if (!key) await issueApiKey(em, admin, 'seed (SEED_ADMIN_API_KEY)', secret);
  else if (key.owner.id !== admin.id) {
    key.owner = em.getReference(User, admin.id) as never;
    await em.flush();
  }
  return admin;
}

/** Development only, on an empty database: the first admin and a random key, shown once. */
export async function createFirstAdmin(em: EntityManager): Promise<string | null> {
  if ((await em.count(User)) > 0) return null;
  const admin = await findOrCreateAdmin(em);
  const { secret } = await issueApiKey(em, admin, 'first admin key');
  return secret;
}

/**
 * Start-up work on the database: migrations, then SEED_ADMIN_API_KEY, then (development only) the
 * first admin. Returns the first admin's secret when one was created.
 */
export async function prepareDatabase(
  orm: MikroORM,
  options: { seedAdminApiKey?: string; development: boolean },
): Promise<string | null> {
  await orm.getMigrator().up();
  const em = orm.em.fork();
  if (options.seedAdminApiKey) await ensureSeedAdmin(em, options.seedAdminApiKey);
  return options.development && !options.seedAdminApiKey ? createFirstAdmin(em) : null;
}
