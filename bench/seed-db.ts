import { MikroORM } from '@mikro-orm/core';
import { ensureSeedAdmin } from '../src/bootstrap';
import { createOrmOptions } from '../src/mikro-orm.config';
import { DatabaseSeeder } from '../src/seeders/DatabaseSeeder';

/** The benchmark's dataset: the admin, and 200 users with 5 keys each (the seeder's, deterministic). */
export async function seedBenchDatabase(file: string, adminKey: string): Promise<void> {
  const orm = await MikroORM.init(createOrmOptions({ database: { driver: 'sqlite', dbName: file } }));
  try {
    await orm.getMigrator().up();
    await ensureSeedAdmin(orm.em.fork(), adminKey);
    await new DatabaseSeeder({ users: 200, keys: 5 }).run(orm.em.fork());
  } finally {
    await orm.close(true);
  }
}
