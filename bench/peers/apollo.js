/**
 * Peer: Apollo Server 5 with its full-response cache (@apollo/server-plugin-response-cache), set up as
 * its documentation says for per-user data:
 * - `sessionId` identifies the caller (by the hash of their key), and the schema's PRIVATE hints keep
 *   `users`, `me`, `apiKeys` and `User.apiKeys` per session; the plugin reads the cache before any
 *   resolver runs, so an ADMIN's page must never be a shared (PUBLIC) entry;
 * - `shouldReadFromCache` is false for a request without a valid key (it must reach the resolvers and
 *   fail) and for `Cache-Control: no-cache` (the miss path; the fresh result is still written);
 * - invalidation: the plugin has none. Entries live for their maxAge, so updates are seen late.
 */
const { ApolloServer } = require('@apollo/server');
const { startStandaloneServer } = require('@apollo/server/standalone');
const responseCachePlugin = require('@apollo/server-plugin-response-cache').default;
const { typeDefs, openStore, createContext, createResolvers, readConfig } = require('./common');

async function main() {
  const { port, host, dbFile } = readConfig();
  const store = openStore(dbFile);
  const server = new ApolloServer({
    typeDefs,
    resolvers: createResolvers(),
    plugins: [
      responseCachePlugin({
        sessionId: async ({ contextValue }) => contextValue.viewer?.keyHash ?? null,
        shouldReadFromCache: async ({ contextValue }) => contextValue.viewer !== null && !contextValue.noCache,
      }),
    ],
  });
  const { url } = await startStandaloneServer(server, {
    listen: { port, host },
    context: async ({ req }) => createContext(store, req.headers),
  });
  console.log(`apollo peer ready at ${url}`);
  process.once('SIGTERM', () => server.stop().then(() => process.exit(0)));
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
