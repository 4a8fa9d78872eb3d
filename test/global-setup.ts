import { redactUrl } from '../src/config';

/** The part of `pg` (MikroORM's PostgreSQL driver, which ships no types of its own) used here. */
interface PgClient {
  connect(): Promise<void>;
  query(sql: string): Promise<unknown>;
  end(): Promise<void>;
}
const { Client } = require('pg') as {
  Client: new (options: { connectionString: string; connectionTimeoutMillis: number }) => PgClient;
};

/** The PostgreSQL the suite tries when TEST_DATABASE_URL is not set: this machine's default server. */
const LOCAL_DEFAULT = 'postgres://postgres@127.0.0.1:5432/test';

/**
 * Decides, once per `npm test`, whether the PostgreSQL leg runs: with TEST_DATABASE_URL when set, else
 * with the local default when it answers. Test workers start after this and inherit the variable. A
 * skipped leg is printed, never silent.
 */
export default async function globalSetup(): Promise<void> {
  const url = process.env.TEST_DATABASE_URL || LOCAL_DEFAULT;
  const client = new Client({ connectionString: url, connectionTimeoutMillis: 2000 });
  try {
    await client.connect();
    await client.query('select 1');
    process.env.TEST_DATABASE_URL = url;
    process.stdout.write(`\nPostgreSQL leg: on (${redactUrl(url)})\n`);
  } catch (err) {
    delete process.env.TEST_DATABASE_URL;
    process.stdout.write(
      `\nNOTICE: PostgreSQL leg SKIPPED: no PostgreSQL answers at ${redactUrl(url)} (${(err as Error).message}). ` +
        'Set TEST_DATABASE_URL to run it; CI always does.\n',
    );
  } finally {
    await client.end().catch(() => undefined);
  }
}
