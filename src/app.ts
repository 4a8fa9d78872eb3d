import 'reflect-metadata';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { expressMiddleware } from '@as-integrations/express5';
import { MikroORM } from '@mikro-orm/core';
import { Authenticator } from './auth/authenticator';
import { cachedKeyLookup } from './auth/cached-lookup';
import { prepareDatabase } from './bootstrap';
import type { CacheEvent } from './cache';
import { createCacheStack, type CacheStack } from './cache-setup';
import type { Config } from './config';
import { createContext } from './context';
import { createApolloServer } from './http/apollo';
import { createExpressApp } from './http/express-app';
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
    const firstAdminSecret = await prepareDatabase(orm, { seedAdminApiKey: config.seedAdminApiKey, development: config.nodeEnv !== 'production' });
    const httpServer = createServer();
    const apollo = await createApolloServer({ schema: await buildAppSchema(), httpServer, config, logger, cache: cache?.cache ?? null });
    const runtime = cache?.cache;
    const authenticator = runtime
      ? new Authenticator(logger, cachedKeyLookup(runtime, config.cache.defaultTtlSeconds), (viewer) => runtime.invalidate([Namespaces.apiKeys(viewer.userId)]))
      : new Authenticator(logger);
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


function headerOf(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

function watchQueries(orm: MikroORM, onQuery: (sql: string) => void): void {
  const connection = orm.em.getConnection() as unknown as { getKnex(): { on(event: 'query', fn: (q: { sql: string }) => void): void } };
  connection.getKnex().on('query', (q) => onQuery(q.sql));
}
