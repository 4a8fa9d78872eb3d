import type { Server } from 'node:http';
import { ApolloServer, type ApolloServerPlugin } from '@apollo/server';
import { ApolloServerPluginLandingPageDisabled } from '@apollo/server/plugin/disabled';
import { ApolloServerPluginDrainHttpServer } from '@apollo/server/plugin/drainHttpServer';
import { ApolloServerPluginLandingPageLocalDefault } from '@apollo/server/plugin/landingPage/default';
import type { GraphQLSchema } from 'graphql';
import { Gauge, type Registry } from 'prom-client';
import type { Config } from '../config';
import type { Context } from '../context';
import { createDocumentCache } from '../graphql/document-cache';
import { queryLimitsRule } from '../graphql/query-limits';
import type { Logger } from '../logger';
import { errorLoggingPlugin } from './error-logging.plugin';
import { formatError } from './format-error';

export interface ApolloOptions {
  schema: GraphQLSchema;
  httpServer: Server;
  config: Config;
  logger: Logger;
  /** More plugins (the cache report, when caching is on). */
  plugins: ApolloServerPlugin<Context>[];
  /** Where the document cache's gauges go. */
  registry: Registry;
}

/** Apollo Server, started: drain on stop, Sandbox or no landing page, masked errors, the cache report. */
export async function createApolloServer({
  schema,
  httpServer,
  config,
  logger,
  plugins: extra,
  registry,
}: ApolloOptions): Promise<ApolloServer<Context>> {
  const plugins: ApolloServerPlugin<Context>[] = [
    ApolloServerPluginDrainHttpServer({ httpServer, stopGracePeriodMillis: config.shutdownTimeoutSeconds * 1000 }),
    config.sandbox
      ? ApolloServerPluginLandingPageLocalDefault({ embed: true, includeCookies: false })
      : ApolloServerPluginLandingPageDisabled(),
    errorLoggingPlugin(logger),
    ...extra,
  ];
  const apollo = new ApolloServer<Context>({
    schema,
    plugins,
    introspection: config.introspection,
    includeStacktraceInErrorResponses: false,
    stopOnTerminationSignals: false, // main.ts owns the signals and the order of shutdown
    formatError,
    // Refused before execution: the parser stops past maxTokens, one rule measures depth, aliases, cost.
    parseOptions: { maxTokens: config.queryLimits.maxTokens },
    validationRules: [queryLimitsRule(config.queryLimits)],
    // Parsed documents and persisted-query texts share one budget in estimated heap bytes
    // (DOCUMENT_CACHE_MAX_BYTES), instead of Apollo's two defaults of 30 MiB of JSON text each.
    ...documentCaching(config.documentCacheMaxBytes, registry),
  });
  await apollo.start();
  return apollo;
}

/** Apollo's `documentStore` and `cache` (persisted-query texts) over one byte-bounded LRU. */
function documentCaching(maxBytes: number, registry: Registry) {
  const cache = createDocumentCache(maxBytes);
  new Gauge({
    name: 'graphql_document_cache_entries',
    help: 'Parsed documents and persisted-query texts kept for repeated queries.',
    registers: [registry],
    collect() {
      this.set(cache.size);
    },
  });
  new Gauge({
    name: 'graphql_document_cache_bytes',
    help: 'Estimated heap bytes of the kept documents and texts (bounded by DOCUMENT_CACHE_MAX_BYTES).',
    registers: [registry],
    collect() {
      this.set(cache.bytes);
    },
  });
  return { documentStore: cache.documents, cache: cache.persistedQueries };
}
