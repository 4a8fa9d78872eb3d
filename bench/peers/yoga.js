/**
 * Peer: GraphQL Yoga 5 with @envelop/response-cache, set up as its documentation says for per-user data:
 * - `session` is the caller's key (its hash), so every entry belongs to one caller and an ADMIN's page
 *   is never served to a USER; a request without a valid key has no session and fails before caching
 *   (results with errors are not cached);
 * - invalidation is the plugin's default `invalidateViaMutation`: a mutation's result names the
 *   entities it changed (`User:<id>`), and every cached result containing them is dropped;
 * - `enabled` is false for `Cache-Control: no-cache` (the miss path: the cache is neither read nor written).
 */
const { createServer } = require('node:http');
const { createSchema, createYoga } = require('graphql-yoga');
const { useResponseCache } = require('@envelop/response-cache');
const { TTL_SECONDS, typeDefs, openStore, createContext, createResolvers, readConfig } = require('./common');

function main() {
  const { port, host, dbFile } = readConfig();
  const store = openStore(dbFile);
  const yoga = createYoga({
    schema: createSchema({ typeDefs, resolvers: createResolvers() }),
    graphiql: false,
    landingPage: false,
    logging: 'warn',
    context: ({ request }) => createContext(store, Object.fromEntries(request.headers)),
    plugins: [
      useResponseCache({
        ttl: TTL_SECONDS * 1000,
        session: (context) => context.viewer?.keyHash ?? null,
        enabled: (context) => !context.noCache,
      }),
    ],
  });
  const server = createServer(yoga);
  server.listen(port, host, () => console.log(`yoga peer ready at http://${host}:${port}/graphql`));
  process.once('SIGTERM', () => server.close(() => process.exit(0)));
}

main();
