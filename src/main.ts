import 'reflect-metadata';
import 'dotenv/config';
import { createServer } from 'node:net';
import { type Config, ConfigError, loadConfig, redactUrl } from './config';
import { checkDatabase, DatabaseUnreachableError } from './db/prepare-database';
import { createLogger } from './logger';
import { heapLimitMiB, liveHeapBoundMiB } from './memory-bound';

/** Exit code of a configuration error: the process will not start until a setting changes. */
const EXIT_CONFIG = 2;

/** The process entry: config -> database check -> app -> listen -> graceful shutdown on SIGTERM/SIGINT. */
async function main(): Promise<void> {
  const config = loadConfig();
  const logger = createLogger({ level: config.logLevel, pretty: config.nodeEnv === 'development' });
  // Before the app: MikroORM would create a missing database silently, and a busy port would be found
  // only after the first admin was created (its key, shown once, then lost).
  await checkPort(config);
  await checkDatabase(config.database, {
    production: config.nodeEnv === 'production',
    log: (fields, message) => logger.info(fields, message),
  });
  // Loaded only now (the schema, Apollo, the cache: most of the start-up time), so that a bad setting is
  // reported at once.
  const { createApp } = require('./app') as typeof import('./app');
  const app = await createApp(config, { logger });
  const { url } = await app.listen().catch((err) => {
    throw listenError(err, config) ?? err;
  });
  const memory = { liveHeapBoundMiB: liveHeapBoundMiB(config), heapLimitMiB: heapLimitMiB() };
  app.logger.info(
    {
      url,
      database: redactUrl(config.databaseUrl),
      // What /ready says (`memory` while Redis does not answer yet), and what was asked for.
      cache: app.cache?.backend() ?? 'disabled',
      configured: config.cache.enabled ? (config.cache.redis ? 'redis' : 'memory') : 'disabled',
      ...memory,
    },
    `GraphQL API ready at ${url}`,
  );
  if (memory.heapLimitMiB < memory.liveHeapBoundMiB) {
    app.logger.warn(
      memory,
      `The caches may keep up to ${memory.liveHeapBoundMiB} MiB alive, above this process's heap limit of ${memory.heapLimitMiB} MiB: lower CACHE_MAX_BYTES or DOCUMENT_CACHE_MAX_BYTES, or raise --max-old-space-size (see "Memory" in the README).`,
    );
  }
  printSandboxHelp(url, app.firstAdminSecret, config.sandbox, !!config.seedAdminApiKey);

  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    app.logger.info({ signal }, 'shutting down: finishing requests in flight');
    const force = setTimeout(
      () => {
        app.logger.error('shutdown took too long; exiting');
        process.exit(1);
      },
      (config.shutdownTimeoutSeconds + 2) * 1000,
    );
    force.unref();
    app.close().then(
      () => {
        app.logger.info('stopped');
        process.exit(0);
      },
      (err) => {
        app.logger.error({ err }, 'error during shutdown');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}

/** Fails early, before the database is touched, when PORT cannot be listened on. */
async function checkPort(config: Config): Promise<void> {
  if (config.port === 0) return;
  await new Promise<void>((resolve, reject) => {
    const probe = createServer();
    probe.once('error', (err) => reject(listenError(err, config) ?? err));
    probe.listen(config.port, config.host, () => probe.close(() => resolve()));
  });
}

/** A listen error that a setting can fix, as a ConfigError naming it. */
function listenError(err: unknown, config: Config): ConfigError | undefined {
  const code = (err as NodeJS.ErrnoException).code;
  const where = `${config.host}:${config.port}`;
  if (code === 'EADDRINUSE')
    return new ConfigError(
      `PORT ${config.port} is already in use (another process listens on ${where}): stop that process, or set PORT to a free port (PORT=0 picks one).`,
    );
  if (code === 'EACCES')
    return new ConfigError(
      `PORT ${config.port} may not be used by this user (${where}: EACCES; ports below 1024 need privileges): set PORT to 1024 or above, e.g. PORT=4000.`,
    );
  if (code === 'EADDRNOTAVAIL' || code === 'ENOTFOUND')
    return new ConfigError(
      `HOST ${JSON.stringify(config.host)} is not an address of this machine (${code}): set HOST=0.0.0.0 (every interface) or HOST=127.0.0.1.`,
    );
  return undefined;
}

/**
 * The first-start banner. The header is printed the way the Sandbox's Headers tab asks for it: a
 * header key (name) and a value, typed into two fields.
 */
function printSandboxHelp(url: string, firstAdminSecret: string | null, sandbox: boolean, seeded: boolean): void {
  if (!sandbox) return;
  const value = firstAdminSecret
    ? `Bearer ${firstAdminSecret}`
    : seeded
      ? 'Bearer <the value of SEED_ADMIN_API_KEY>'
      : 'Bearer <an API key>';
  const lines = [
    '',
    `  Apollo Sandbox: open ${url} in a browser.`,
    '  In its Headers tab, click "New header" and fill in:',
    '    header key:  Authorization',
    `    value:       ${value}`,
    ...(firstAdminSecret
      ? ['  (a first admin, admin@example.com, was created with this key: it is shown only this once)']
      : seeded
        ? []
        : ['  (no key to show: set SEED_ADMIN_API_KEY in .env and restart, or run `npm run seed`, which prints one)']),
    '  Then run:  query { me { id email role } }',
    '',
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
}

main().catch((err) => {
  if (err instanceof ConfigError) {
    // One message, no stack trace: the variable, what is wrong, what to do.
    const text = err.message.startsWith('Invalid configuration:')
      ? err.message
      : `Invalid configuration:\n  ${err.message}`;
    console.error(text);
    process.exit(EXIT_CONFIG);
  }
  if (err instanceof DatabaseUnreachableError) {
    console.error(`Cannot start:\n  ${err.message}`);
    process.exit(1);
  }
  console.error('failed to start:', err);
  process.exit(1);
});
