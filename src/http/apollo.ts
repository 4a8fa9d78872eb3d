import type { Server } from 'node:http';
import { ApolloServer, type ApolloServerPlugin } from '@apollo/server';
import { ApolloServerPluginLandingPageDisabled } from '@apollo/server/plugin/disabled';
import { ApolloServerPluginDrainHttpServer } from '@apollo/server/plugin/drainHttpServer';
import { ApolloServerPluginLandingPageLocalDefault } from '@apollo/server/plugin/landingPage/default';
import type { GraphQLSchema } from 'graphql';
import type { Config } from '../config';
import type { Context } from '../context';
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
}

/** Apollo Server, started: drain on stop, Sandbox or no landing page, masked errors, the cache report. */
export async function createApolloServer({
  schema,
  httpServer,
  config,
  logger,
  plugins: extra,
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
  });
  await apollo.start();
  return apollo;
}
