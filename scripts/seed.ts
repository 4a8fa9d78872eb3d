/**
 * Loads the deterministic development dataset: `npm run seed -- --users 50 --keys 10`.
 * Uses DATABASE_URL (default sqlite:data/app.db) and migrates it first.
 */
import 'reflect-metadata';
import 'dotenv/config';
import { parseArgs } from 'node:util';
import { MikroORM } from '@mikro-orm/core';
import { ConfigError, loadConfig } from '../src/config';
import { createOrmOptions } from '../src/db/mikro-orm.config';
import { DatabaseSeeder, seededEmail, seededSecret } from '../src/db/seeders/DatabaseSeeder';

function count(name: string, raw: string | undefined, fallback: number): number {
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0 || n > 100_000)
    throw new ConfigError(`--${name} must be an integer from 0 to 100000, got: ${JSON.stringify(raw)}`);
  return n;
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { users: { type: 'string' }, keys: { type: 'string' } } });
  const options = { users: count('users', values.users, 50), keys: count('keys', values.keys, 10) };
  const config = loadConfig();
  const orm = await MikroORM.init(createOrmOptions({ database: config.database }));
  try {
    await orm.getMigrator().up();
    await new DatabaseSeeder(options).run(orm.em.fork());
    console.log(`seeded ${options.users} users with ${options.keys} keys each`);
    if (options.users > 0 && options.keys > 0) {
      console.log(
        `e.g. ${seededEmail(1)} authenticates with: Authorization: Bearer ${seededSecret(seededEmail(1), 1)}`,
      );
    }
  } finally {
    await orm.close(true);
  }
}

main().catch((err) => {
  console.error(err instanceof ConfigError ? err.message : err);
  process.exit(1);
});
