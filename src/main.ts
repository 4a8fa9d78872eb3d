import 'reflect-metadata';
import 'dotenv/config';
import { createApp } from './app';
import { type Config, ConfigError, loadConfig, redactUrl } from './config';

/** The process entry: config -> app -> listen -> graceful shutdown on SIGTERM/SIGINT. */
async function main(): Promise<void> {
  let config: Config;
  try {
    config = loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(err.message);
      process.exit(2);
    }
    throw err;
  }
  const app = await createApp(config);
  const { url } = await app.listen();
  app.logger.info(
    {
      url,
      database: redactUrl(config.databaseUrl),
      cache: config.cache.enabled ? (config.cache.redis ? 'redis' : 'memory') : 'off',
    },
    `GraphQL API ready at ${url}`,
  );
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

function printSandboxHelp(url: string, firstAdminSecret: string | null, sandbox: boolean, seeded: boolean): void {
  if (!sandbox) return;
  const header = firstAdminSecret
    ? `{"Authorization": "Bearer ${firstAdminSecret}"}`
    : seeded
      ? '{"Authorization": "Bearer <the value of SEED_ADMIN_API_KEY>"}'
      : '{"Authorization": "Bearer <an API key>"}';
  const lines = [
    '',
    `  Apollo Sandbox: open ${url} in a browser.`,
    '  In its Headers tab, add:',
    `    ${header}`,
    ...(firstAdminSecret
      ? ['  (a first admin, admin@example.com, was created with this key: it is shown only this once)']
      : []),
    '  Then run:  query { me { id email role } }',
    '',
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
}

main().catch((err) => {
  console.error('failed to start:', err);
  process.exit(1);
});
