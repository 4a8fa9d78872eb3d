import 'reflect-metadata';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ApolloServer, type ApolloServerPlugin } from '@apollo/server';
import { ApolloServerPluginDrainHttpServer } from '@apollo/server/plugin/drainHttpServer';
import { ApolloServerPluginLandingPageDisabled } from '@apollo/server/plugin/disabled';
import { ApolloServerPluginLandingPageLocalDefault } from '@apollo/server/plugin/landingPage/default';
import { expressMiddleware } from '@as-integrations/express5';
import { MikroORM } from '@mikro-orm/core';
import { Authenticator, lookupKeyByHash, type KeyLookup, type KeyLookupFn } from './auth/authenticator';
import { createFirstAdmin, ensureSeedAdmin } from './bootstrap';
import { cachePlugin, type CacheEvent } from './cache';
import { createCacheStack, type CacheStack } from './cache-setup';
import type { Config } from './config';
import { createContext, type Context } from './context';
import { errorLoggingPlugin } from './http/error-logging.plugin';
import { createExpressApp } from './http/express-app';
import { formatError } from './http/format-error';
import { createMetrics, type Metrics } from './http/metrics';
import { createLogger, type Logger } from './logger';
import { CacheEvictionSubscriber } from './invalidation/eviction.subscriber';
import { createInvalidationHelpers, type InvalidationHelpers } from './invalidation/helpers';
import { createOrmOptions } from './mikro-orm.config';
import { Namespaces } from './modules/namespaces';
import { buildAppSchema } from './schema';

export interface AppOptions {
  logger?: Logger;
  /** Called with every SQL statement the ORM sends (tests and benchmarks count them). */
  onQuery?: (sql: string) => void;
  /** Observes cache lookups, evictions and store errors. */
  onCacheEvent?: (event: CacheEvent) => void;
}

export interface App {
  readonly config: Config;
  readonly orm: MikroORM;
  readonly httpServer: Server;
  readonly logger: Logger;
  /** The cache, when CACHE_ENABLED. */
  readonly cache: CacheStack | null;
  /** Prometheus metrics, served on /metrics. */
  readonly metrics: Metrics;
  /** Evict after writes the ORM cannot see (raw SQL, another service); no-ops with caching off. */
  readonly invalidation: InvalidationHelpers;
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
  let cache: CacheStack | null = null;
  const metrics = createMetrics(() => (cache ? cache.backend() : 'disabled'));
  const onCacheEvent = (event: CacheEvent) => {
    metrics.onCacheEvent(event);
    options.onCacheEvent?.(event);
  };
  try {
    if (config.cache.enabled) {
      cache = await createCacheStack({ config: config.cache, logger, logLookups: config.logCategories.has('CACHE'), onEvent: onCacheEvent });
      const { cache: runtime } = cache;
      // Every committed change of a User or an ApiKey evicts what it made stale, whatever wrote it.
      orm.em.getEventManager().registerSubscriber(new CacheEvictionSubscriber((namespaces) => runtime.invalidate(namespaces)));
    }
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
      ...(cache ? [cachePlugin<Context>(cache.cache)] : []),
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

    const authenticator = cache ? cachedAuthenticator(cache, logger, config.cache.defaultTtlSeconds) : new Authenticator(logger);
    const graphql = expressMiddleware(apollo, {
      context: async ({ req }) =>
        createContext({ em: orm.em, authenticator, logger }, { get: (name) => headerOf(req.headers[name]) }),
    });
    const express = createExpressApp({
      graphql,
      logger,
      metrics,
      logRequests: config.logCategories.has('REQUESTS'),
      readiness: async () => ({
        ready: !shuttingDown && (await orm.isConnected()),
        database: config.database.driver,
        cache: cache ? cache.backend() : 'disabled',
      }),
    });
    httpServer.on('request', express);

    return {
      config,
      orm,
      httpServer,
      logger,
      cache,
      metrics,
      invalidation: createInvalidationHelpers(cache?.cache ?? null),
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
        await cache?.close();
      },
    };
  } catch (err) {
    await orm.close(true);
    await cache?.close();
    throw err;
  }
}

/**
 * Authentication through the cache: a hit costs no SQL. The entry lives in the key's own namespace,
 * evicted when the key is revoked or deleted and when its owner's role changes. Unknown keys are not
 * stored (a flood of random keys must not fill the cache).
 */
function cachedAuthenticator(stack: CacheStack, logger: Logger, maxAge: number): Authenticator {
  const lookup: KeyLookupFn = async (em, secretHash) => {
    const result = await stack.cache.cached(
      { coordinate: 'Auth.apiKey', scope: 'PUBLIC', args: { secretHash }, namespaces: [Namespaces.auth(secretHash)], maxAge, shouldStore: (plain) => plain !== null },
      () => lookupKeyByHash(em, secretHash),
    );
    return result.value as KeyLookup | null;
  };
  return new Authenticator(logger, lookup, (viewer) => stack.cache.invalidate([Namespaces.apiKeys(viewer.userId)]));
}

function headerOf(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

function watchQueries(orm: MikroORM, onQuery: (sql: string) => void): void {
  const connection = orm.em.getConnection() as unknown as { getKnex(): { on(event: 'query', fn: (q: { sql: string }) => void): void } };
  connection.getKnex().on('query', (q) => onQuery(q.sql));
}
