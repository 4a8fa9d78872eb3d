import 'reflect-metadata';
import { createServer, type IncomingMessage, type Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { expressMiddleware } from '@as-integrations/express5';
import { MikroORM } from '@mikro-orm/core';
import { hashApiKeySecret, secretFromHeaders } from './auth/api-key-secret';
import { Authenticator } from './auth/authenticator';
import type { Viewer } from './auth/viewer';
import { type CacheEvent, carryOperationCandidate } from './cache';
import { type AppCaching, setUpCaching } from './caching/app-caching';
import type { EvictionHelpers } from './caching/eviction-helpers';
import type { CacheStack } from './caching/stack';
import type { Config } from './config';
import { createContext } from './context';
import { createOrmOptions } from './db/mikro-orm.config';
import { prepareDatabase } from './db/prepare-database';
import { SqliteFileWatch } from './db/sqlite-file';
import { buildAppSchema } from './graphql/schema';
import { createApolloServer } from './http/apollo';
import { createExpressApp, GRAPHQL_BODY_LIMIT_BYTES } from './http/express-app';
import { createMetrics, type Metrics } from './http/metrics';
import { createOperationHandler } from './http/operation-handler';
import { createRateLimit, type RateLimitHandler } from './http/rate-limit';
import { createLogger, type Logger } from './logger';
import { setUpTracing, type TracingOptions } from './tracing';

export interface AppOptions {
  logger?: Logger;
  /** Called with every SQL statement the ORM sends (tests and benchmarks count them). */
  onQuery?: (sql: string) => void;
  /** Observes cache lookups, evictions and store errors. */
  onCacheEvent?: (event: CacheEvent) => void;
  /** Tracing's seam for tests: spans also go to this processor (tracing is on with it, endpoint or not). */
  tracing?: TracingOptions;
}

export interface App {
  readonly config: Config;
  readonly orm: MikroORM;
  readonly httpServer: Server;
  readonly logger: Logger;
  /** The cache as configured, when CACHE_ENABLED. */
  readonly cache: CacheStack | null;
  /** Prometheus metrics, served on /metrics. */
  readonly metrics: Metrics;
  /** Evict after writes the ORM cannot see (raw SQL, another service); no-ops with caching off. */
  readonly evictions: EvictionHelpers;
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
  const { database } = config;
  // A SQLite file: /ready asks the pool's watch whether the file is (still) at its path.
  const sqliteFile =
    database.driver === 'sqlite' && database.dbName !== ':memory:' ? new SqliteFileWatch(database.dbName) : null;
  const orm = await MikroORM.init(createOrmOptions({ database, sqliteFileWatch: sqliteFile ?? undefined }));
  if (options.onQuery) watchQueries(orm, options.onQuery);
  let shuttingDown = false;
  const metrics = createMetrics();
  if (config.nodeEnv === 'production' && !config.metricsToken)
    logger.warn('GET /metrics is open to anyone: set METRICS_TOKEN to require "Authorization: Bearer <token>".');
  let caching: AppCaching | null = null;
  let rateLimit: RateLimitHandler | null = null;
  // Null unless OTEL_EXPORTER_OTLP_ENDPOINT is set: the SDK is not even loaded then.
  const tracing = setUpTracing(config.tracing, options.tracing);
  try {
    caching = await setUpCaching({
      config,
      logger,
      orm,
      registry: metrics.registry,
      onEvent: options.onCacheEvent,
      tracer: tracing?.tracer,
    });
    const firstAdminSecret = await prepareDatabase(orm, {
      seedAdminApiKey: config.seedAdminApiKey,
      development: config.nodeEnv !== 'production',
    });
    const httpServer = createServer();
    const apollo = await createApolloServer({
      schema: await buildAppSchema(),
      httpServer,
      config,
      logger,
      plugins: caching.plugins,
      registry: metrics.registry,
    });
    const authenticator = new Authenticator(logger, caching.keyLookup, caching.keyUsed);
    const graphql = expressMiddleware(apollo, {
      context: async ({ req }) => {
        const context = await createContext(
          { em: orm.em, authenticator, logger },
          { get: (name) => headerOf(req.headers[name]) },
        );
        carryOperationCandidate(req, context);
        return context;
      },
    });
    const express = createExpressApp({
      graphql,
      logger,
      metrics,
      metricsToken: config.metricsToken,
      explorer: config.sandbox && { nodeEnv: config.nodeEnv, apiKey: firstAdminSecret ?? config.seedAdminApiKey },
      logRequests: config.logCategories.has('REQUESTS'),
      readiness: async () => ({
        // A SQLite file away from its path is not ready, even while an open connection still reads it;
        // problem() also has the pool retire such a connection before `select 1` runs on it.
        ready: !shuttingDown && !sqliteFile?.problem() && (await orm.isConnected()),
        database: config.database.driver,
        cache: caching!.backend(),
      }),
    });
    const { operationTier } = caching;
    const { rateLimit: limits } = config;
    if (limits.enabled) rateLimit = createRateLimit({ ...limits, redis: config.cache.redis, logger });
    type Listener = (req: IncomingMessage, res: ServerResponse) => void;
    const limited = (handler: Listener): Listener =>
      rateLimit ? (req, res) => rateLimit!(req, res, () => handler(req, res)) : handler;
    // With tracing, every request runs in its server span (the parent of every cache span it makes).
    const serve = (listener: Listener) => httpServer.on('request', tracing ? tracing.serverSpans(listener) : listener);
    if (operationTier) {
      const answerRepeats = createOperationHandler({
        tier: operationTier,
        bodyLimitBytes: GRAPHQL_BODY_LIMIT_BYTES,
        callerHashOf: (headers) => {
          const secret = secretFromHeaders({ get: (name) => headerOf(headers[name]) });
          return secret ? hashApiKeySecret(secret) : null;
        },
        onHit: (hit, ms, operationName) => {
          caching?.operationHit(hit, ms, operationName);
          authenticator.recordUse(hit.caller as Viewer, () => orm.em.fork());
        },
        // The request again, through Express and Apollo, into a response that goes nowhere (the client
        // already has the stale one): its execution stores the fresh entry.
        revalidate: (req) => express(req, new ServerResponse(req)),
        tracer: tracing?.tracer,
        backend: caching.backend,
      });
      serve(limited((req, res) => answerRepeats(req, res, () => express(req, res))));
    } else serve(limited(express));

    return {
      config,
      orm,
      httpServer,
      logger,
      cache: caching.stack,
      metrics,
      evictions: caching.evictions,
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
        await caching?.close();
        await rateLimit?.close();
        await tracing?.shutdown(); // last: sends the spans of the requests that just finished
      },
    };
  } catch (err) {
    await orm.close(true);
    await caching?.close();
    await rateLimit?.close();
    await tracing?.shutdown();
    throw err;
  }
}

function headerOf(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

function watchQueries(orm: MikroORM, onQuery: (sql: string) => void): void {
  const connection = orm.em.getConnection() as unknown as {
    getKnex(): { on(event: 'query', fn: (q: { sql: string }) => void): void };
  };
  connection.getKnex().on('query', (q) => onQuery(q.sql));
}
