import 'reflect-metadata';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ApolloServer, type ApolloServerPlugin } from '@apollo/server';
import { ApolloServerPluginDrainHttpServer } from '@apollo/server/plugin/drainHttpServer';
import { ApolloServerPluginLandingPageDisabled } from '@apollo/server/plugin/disabled';
import { ApolloServerPluginLandingPageLocalDefault } from '@apollo/server/plugin/landingPage/default';
import { expressMiddleware } from '@as-integrations/express5';
import { MikroORM } from '@mikro-orm/core';
import { Authenticator } from './auth/authenticator';
import { createFirstAdmin, ensureSeedAdmin } from './bootstrap';
import type { Config } from './config';
import { createContext, type Context } from './context';
import { errorLoggingPlugin } from './http/error-logging.plugin';
import { createExpressApp } from './http/express-app';
import { formatError } from './http/format-error';
import { createLogger, type Logger } from './logger';
import { createOrmOptions } from './mikro-orm.config';
import { buildAppSchema } from './schema';

export interface AppOptions {
  logger?: Logger;
  /** Called with every SQL statement the ORM sends (tests and benchmarks count them). */
  onQuery?: (sql: string) => void;
}

export interface App {
  readonly config: Config;
  readonly orm: MikroORM;
  readonly httpServer: Server;
  readonly logger: Logger;
  /** Set when this start created the first admin (development, empty database): its secret, shown once. */
  readonly firstAdminSecret: string | null;
  /** Listens on `port` (default: config.port; 0 picks a free one) and resolves with the URL of /graphql. */
  listen(port?: number): Promise<{ port: number; url: string }>;
  /** Stops accepting, lets requests in flight finish, closes the database (and cache) connections. */
  close(): Promise<void>;
}

/** The composition root: config -> database -> schema -> Apollo -> HTTP. Tests reuse it as it is. */
export async function createApp(config: Config, options: AppOptions = {}): Promise<App> {
  const logger = options.logger ?? createLogger({ level: config.logLevel, pretty: config.nodeEnv === 'development' });
  const orm = await MikroORM.init(createOrmOptions({ database: config.database }));
  if (options.onQuery) watchQueries(orm, options.onQuery);
  let shuttingDown = false;
  try {
    await orm.getMigrator().up();
    const em = orm.em.fork();
    if (config.seedAdminApiKey) await ensureSeedAdmin(em, config.seedAdminApiKey);
    const firstAdminSecret = config.nodeEnv === 'development' && !config.seedAdminApiKey ? await createFirstAdmin(em) : null;

    const schema = await buildAppSchema();
    const httpServer = createServer();
    const plugins: ApolloServerPlugin<Context>[] = [
      ApolloServerPluginDrainHttpServer({ httpServer, stopGracePeriodMillis: config.shutdownTimeoutSeconds * 1000 }),
      config.sandbox ? ApolloServerPluginLandingPageLocalDefault({ embed: true, includeCookies: false }) : ApolloServerPluginLandingPageDisabled(),
      errorLoggingPlugin(logger),
    ];
    const apollo = new ApolloServer<Context>({
      schema,
      plugins,
      introspection: config.introspection,
      includeStacktraceInErrorResponses: false,
      stopOnTerminationSignals: false, // main.ts owns the signals and the order of shutdown
      formatError,
    });
    await apollo.start();

    const authenticator = new Authenticator(logger);
    const graphql = expressMiddleware(apollo, {
      context: async ({ req }) =>
        createContext({ em: orm.em, authenticator, logger }, { get: (name) => headerOf(req.headers[name]) }),
    });
    const express = createExpressApp({
      graphql,
      logger,
      logRequests: config.logCategories.has('REQUESTS'),
      readiness: async () => ({
        ready: !shuttingDown && (await orm.isConnected()),
        database: config.database.driver,
        cache: config.cache.enabled ? 'memory' : 'disabled',
      }),
    });
    httpServer.on('request', express);

    return {
      config,
      orm,
      httpServer,
      logger,
      firstAdminSecret,
      async listen(port = config.port) {
        await new Promise<void>((resolve, reject) => {
          httpServer.once('error', reject);
          httpServer.listen(port, config.host, () => {
            httpServer.off('error', reject);
            resolve();
          });
        });
        const actual = (httpServer.address() as AddressInfo).port;
        const host = config.host === '0.0.0.0' || config.host === '::' ? 'localhost' : config.host;
        return { port: actual, url: `http://${host}:${actual}/graphql` };
      },
      async close() {
        if (shuttingDown) return;
        shuttingDown = true;
        await apollo.stop(); // drains the HTTP server first
        await orm.close(true);
      },
    };
  } catch (err) {
    await orm.close(true);
    throw err;
  }
}

function headerOf(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

function watchQueries(orm: MikroORM, onQuery: (sql: string) => void): void {
  const connection = orm.em.getConnection() as unknown as { getKnex(): { on(event: 'query', fn: (q: { sql: string }) => void): void } };
  connection.getKnex().on('query', (q) => onQuery(q.sql));
}
