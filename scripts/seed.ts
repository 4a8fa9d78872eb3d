/**
 * Loads the deterministic development dataset: `npm run seed -- --users 50 --keys 10`, then the admin
 * (admin@example.com) with a key, so that the README's ADMIN steps work on a seeded database.
 * Uses DATABASE_URL (default sqlite:data/app.db) and migrates it first. Refuses NODE_ENV=production:
 * every seeded key, the admin's too, can be computed by anyone who reads this repository.
 */
import 'reflect-metadata';
import 'dotenv/config';
import { parseArgs } from 'node:util';
import { type EntityManager, MikroORM } from '@mikro-orm/core';
import { displayPrefix, hashApiKeySecret } from '../src/auth/api-key-secret';
import { ConfigError, loadConfig } from '../src/config';
import { createOrmOptions } from '../src/db/mikro-orm.config';
import { checkDatabase, ensureSeedAdmin, SEED_ADMIN_EMAIL } from '../src/db/prepare-database';
import { DatabaseSeeder, seededEmail, seededSecret } from '../src/db/seeders/DatabaseSeeder';
import { ApiKey } from '../src/modules/api-key/api-key.entity';
import { Role, User } from '../src/modules/user/user.entity';

function count(name: string, raw: string | undefined, fallback: number): number {
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0 || n > 100_000)
    throw new ConfigError(`--${name} must be an integer from 0 to 100000, got: ${JSON.stringify(raw)}`);
  return n;
}

/** The seeder's date: the dataset is the same on every run. */
const SEEDED_AT = new Date(Date.UTC(2026, 0, 1));

/**
 * admin@example.com, an ADMIN, with a key whose secret is `secret` (SEED_ADMIN_API_KEY when set, else
 * derived like the users' keys). After the users, so that they keep the first ids; idempotent like
 * them. An existing admin@example.com (the first admin of a development start) is kept and made ADMIN.
 */
async function seedAdmin(em: EntityManager, secret: string): Promise<void> {
  const admin =
    (await em.findOne(User, { email: SEED_ADMIN_EMAIL })) ??
    em.create(User, {
      email: SEED_ADMIN_EMAIL,
      fullName: 'Admin',
      role: Role.ADMIN,
      createdAt: SEEDED_AT,
      updatedAt: SEEDED_AT,
    });
  const secretHash = hashApiKeySecret(secret);
  if (!(await em.findOne(ApiKey, { secretHash })))
    em.create(ApiKey, {
      name: 'admin key',
      prefix: displayPrefix(secret),
      secretHash,
      owner: admin,
      createdAt: SEEDED_AT,
    });
  await em.flush();
  await ensureSeedAdmin(em, secret); // the ADMIN role, and the key's owner, whatever was there
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { users: { type: 'string' }, keys: { type: 'string' } } });
  const options = { users: count('users', values.users, 50), keys: count('keys', values.keys, 10) };
  const config = loadConfig();
  if (config.nodeEnv === 'production')
    throw new ConfigError(
      'NODE_ENV is production: npm run seed refuses it (its keys, an ADMIN key among them, are derived from the e-mail addresses, so anyone can compute them). Seed a development database, or set SEED_ADMIN_API_KEY to get an admin in production.',
    );
  await checkDatabase(config.database, { production: false, log: (_fields, message) => console.log(message) });
  const orm = await MikroORM.init(createOrmOptions({ database: config.database }));
  try {
    await orm.getMigrator().up();
    await new DatabaseSeeder(options).run(orm.em.fork());
    const adminSecret = config.seedAdminApiKey ?? seededSecret(SEED_ADMIN_EMAIL, 1);
    await seedAdmin(orm.em.fork(), adminSecret);
    console.log(`seeded ${options.users} users with ${options.keys} keys each, and the admin ${SEED_ADMIN_EMAIL}`);
    const show = config.seedAdminApiKey ? '<the value of SEED_ADMIN_API_KEY>' : adminSecret;
    console.log(`  ${SEED_ADMIN_EMAIL} (ADMIN) authenticates with: Authorization: Bearer ${show}`);
    if (options.users > 0 && options.keys > 0) {
      console.log(
        `  ${seededEmail(1)} (USER) authenticates with: Authorization: Bearer ${seededSecret(seededEmail(1), 1)}`,
      );
    }
    console.log('  In Apollo Sandbox\'s Headers tab: header key "Authorization", value "Bearer <the key>".');
  } finally {
    await orm.close(true);
  }
}

main().catch((err) => {
  if (err instanceof ConfigError) {
    console.error(err.message);
    process.exit(2);
  }
  console.error(err);
  process.exit(1);
});
