import { randomBytes } from 'node:crypto';
import pino from 'pino';
import { CreateApiKeyDocument, CreateUserDocument } from '../../client/generated/graphql';
import { type App, type AppOptions, createApp } from '../../src/app';
import { loadConfig } from '../../src/config';
import { createScratchDatabase, type DatabaseKind, type ScratchDatabase } from './databases';
import { GraphQLClient } from './graphql-client';

export interface TestApp {
  app: App;
  url: string;
  baseUrl: string;
  /** The admin's secret (SEED_ADMIN_API_KEY). */
  adminKey: string;
  /** A client authenticated as the admin. */
  admin: GraphQLClient;
  /** A client with no key. */
  anonymous: GraphQLClient;
  client(key?: string): GraphQLClient;
  /** SQL statements sent by the ORM since the last reset. */
  sql: string[];
  resetSql(): void;
  /** Creates a user (as admin) and a key for them; returns the user's id and a client. */
  createUser(opts?: {
    role?: 'USER' | 'ADMIN';
    email?: string;
  }): Promise<{ id: string; email: string; key: string; client: GraphQLClient }>;
  close(): Promise<void>;
}

export interface TestAppOptions {
  database?: DatabaseKind;
  /** Reuse this database (several instances on one database); otherwise a scratch one is made and dropped. */
  databaseUrl?: string;
  env?: Record<string, string>;
  /** Collects the app's log lines (JSON) here instead of discarding them. */
  logLines?: string[];
  onCacheEvent?: AppOptions['onCacheEvent'];
  tracing?: AppOptions['tracing'];
}

let userCounter = 0;

/** The real HTTP server from createApp, on a free port, over a fresh database. */
export async function startTestApp(options: TestAppOptions = {}): Promise<TestApp> {
  const scratch: ScratchDatabase | null = options.databaseUrl
    ? null
    : await createScratchDatabase(options.database ?? 'sqlite');
  const adminKey = options.env?.SEED_ADMIN_API_KEY ?? `gqk_test_${randomBytes(24).toString('base64url')}`;
  const config = loadConfig({
    NODE_ENV: 'test',
    HOST: '127.0.0.1',
    DATABASE_URL: options.databaseUrl ?? scratch!.url,
    SEED_ADMIN_API_KEY: adminKey,
    ...options.env,
  });
  const sql: string[] = [];
  const logger = options.logLines
    ? pino({ level: 'info' }, { write: (line: string) => void options.logLines!.push(line) })
    : pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' });
  const app = await createApp(config, {
    logger,
    onQuery: (q) => sql.push(q),
    onCacheEvent: options.onCacheEvent,
    tracing: options.tracing,
  });
  const { url, port } = await app.listen(0);
  const client = (key?: string) => new GraphQLClient(url, key);
  const admin = client(adminKey);
  return {
    app,
    url,
    baseUrl: `http://127.0.0.1:${port}`,
    adminKey,
    admin,
    anonymous: client(),
    client,
    sql,
    resetSql: () => void sql.splice(0),
    async createUser({ role = 'USER', email } = {}) {
      const address = email ?? `u${process.pid}-${Date.now()}-${++userCounter}@example.com`;
      const created = await admin.ok(CreateUserDocument, { input: { email: address, fullName: 'Test User', role } });
      const id = created.createUser.id;
      const keyed = await admin.ok(CreateApiKeyDocument, { name: 'test', userId: id });
      const key = keyed.createApiKey.secret;
      return { id, email: address, key, client: client(key) };
    },
    async close() {
      await app.close();
      await scratch?.drop();
    },
  };
}
