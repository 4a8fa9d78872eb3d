import { bearer, createClient } from './http';
import { runCommand, startTarget, TARGETS } from './targets';

/** The benchmark's dataset: 50 users with 10 keys each (the seeder's defaults), the admin, 10 USER keys. */
export const BENCH_USERS = 50;
export const BENCH_KEYS_PER_USER = 10;
export const USER_KEY_COUNT = 10;

export interface Dataset {
  /** The seeded SQLite file; every target gets a copy. */
  file: string;
  adminKey: string;
  /** A key issued for each of the first USER_KEY_COUNT users, in the order of `userIds`. */
  userKeys: string[];
  userIds: string[];
}

/*
 * The dataset is made only through the project's public entry points, so that moving code inside
 * src/ never breaks the benchmark: `npm run seed` (migrations, the deterministic users and keys), then
 * our server itself, which creates the admin from SEED_ADMIN_API_KEY and issues the USER keys through
 * `createApiKey` (the only way to learn a secret).
 */

/** Step 1: migrations, users and keys (it needs no build, so it can run while our server builds). */
export async function runSeedScript(file: string): Promise<void> {
  const env = {
    PATH: process.env.PATH ?? '',
    HOME: process.env.HOME ?? '',
    NODE_ENV: 'development',
    DATABASE_URL: `sqlite:${file}`,
  };
  const seeded = await runCommand(
    'npm',
    ['run', '--silent', 'seed', '--', '--users', String(BENCH_USERS), '--keys', String(BENCH_KEYS_PER_USER)],
    env,
  );
  if (!seeded.ok) throw new Error(`npm run seed failed:\n${seeded.output}`);
}

/** Step 2: the admin and the USER keys, through our server started with `ourArgs`. */
export async function issueBenchKeys(file: string, adminKey: string, ourArgs: string[]): Promise<Dataset> {
  // With the cache off: no Redis needed, whatever URL it is given.
  const server = await startTarget(TARGETS.find((t) => t.id === 'off')!, {
    ourArgs,
    dbFile: file,
    adminKey,
    redisUrl: 'redis://127.0.0.1:1',
  });
  const client = createClient(server.url, 1);
  try {
    const first = await client.graphql(
      { query: `{ users(page: 1, size: ${USER_KEY_COUNT}) { items { id role } } }` },
      bearer(adminKey),
    );
    const items = ((first.json.data?.users as { items?: { id: string; role: string }[] })?.items ?? []).filter(
      (u) => u.role === 'USER',
    );
    if (items.length < USER_KEY_COUNT)
      throw new Error(`expected ${USER_KEY_COUNT} seeded USERs first, got: ${first.text.slice(0, 300)}`);
    const userKeys: string[] = [];
    for (const { id } of items) {
      const created = await client.graphql(
        { query: 'mutation($id: ID!) { createApiKey(name: "bench", userId: $id) { secret } }', variables: { id } },
        bearer(adminKey),
      );
      const secret = (created.json.data?.createApiKey as { secret?: string } | undefined)?.secret;
      if (!secret) throw new Error(`createApiKey for user ${id} failed: ${created.text.slice(0, 300)}`);
      userKeys.push(secret);
    }
    return { file, adminKey, userKeys, userIds: items.map((u) => u.id) };
  } finally {
    client.close();
    await server.stop();
  }
}
