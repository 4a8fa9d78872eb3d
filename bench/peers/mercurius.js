/**
 * Peer: Fastify 5 + Mercurius 16 with mercurius-cache, set up as its documentation says:
 * - a policy per field: the cache wraps each resolver, so a hit skips the resolver and the
 *   authorization inside it; every key therefore includes the caller (their key id), and a USER never
 *   gets an entry an ADMIN filled;
 * - `User.apiKeys` is cached too (per caller and user), so a cached page costs no SQL, as in the server;
 * - invalidation by references: reads tag their entries (`user:<id>`, `users`, `keys:<id>`), and
 *   `updateUser` invalidates the user's tag and the list's (storage with `invalidation: true`);
 * - `skip` for `Cache-Control: no-cache` (the miss path: the resolver runs, nothing is stored).
 */
const Fastify = require('fastify');
const mercurius = require('mercurius');
const mercuriusCache = require('mercurius-cache');
const { TTL_SECONDS, typeDefs, openStore, createContext, createResolvers, readConfig } = require('./common');

/** A key of the caller and the field's arguments (and parent, for a nested field). */
const callerKey =
  (parts) =>
  ({ ctx, arg, self }) =>
    [ctx.viewer?.keyId ?? '-', ...parts({ arg, self })].join('|');

// `references` receives the same `{ self, arg, ctx, info }` as the cached resolver, then the key and the result.
const policy = {
  Query: {
    me: {
      key: callerKey(() => []),
      references: (_, __, user) => (user ? [`user:${user.id}`] : []),
    },
    user: {
      key: callerKey(({ arg }) => [arg.id]),
      references: ({ arg }, __, user) => [`user:${user?.id ?? arg.id}`],
    },
    users: {
      key: callerKey(({ arg }) => [arg.page, arg.size]),
      references: (_, __, page) => ['users', ...(page?.items ?? []).map((u) => `user:${u.id}`)],
    },
    apiKeys: {
      key: callerKey(({ arg }) => [arg.userId ?? 'self']),
      references: ({ arg, ctx }) => [`keys:${arg.userId ?? ctx.viewer?.userId}`],
    },
  },
  User: {
    apiKeys: {
      key: callerKey(({ self }) => [self.id]),
      references: ({ self }) => [`keys:${self.id}`],
    },
  },
  Mutation: {
    updateUser: { invalidate: (_, arg) => [`user:${arg.id}`, 'users'] },
  },
};

async function main() {
  const { port, host, dbFile } = readConfig();
  const store = openStore(dbFile);
  const app = Fastify({ logger: false });
  await app.register(mercurius, {
    schema: typeDefs,
    resolvers: createResolvers(),
    context: (request) => createContext(store, request.headers),
  });
  await app.register(mercuriusCache, {
    ttl: TTL_SECONDS,
    storage: { type: 'memory', options: { size: 10_000, invalidation: true } },
    skip: (_, __, ctx) => ctx.noCache,
    policy,
  });
  await app.listen({ port, host });
  console.log(`mercurius peer ready at http://${host}:${port}/graphql`);
  process.once('SIGTERM', () => app.close().then(() => process.exit(0)));
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
