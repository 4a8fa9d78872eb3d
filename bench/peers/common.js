/**
 * What the three peer servers share, so that they differ only in their framework and its cache:
 * the schema, the SQLite access (the same rows as the real server), API-key authentication by the same
 * hash, the authorization rules and the error codes. Configuration comes from the environment:
 * PORT, DB_FILE.
 */
const { createHash } = require('node:crypto');
const Database = require('libsql');
const DataLoader = require('dataloader');
const { GraphQLError } = require('graphql');

/** How long a cached entry lives (seconds): the real server's default TTL, so the comparison is like for like. */
const TTL_SECONDS = 300;

/**
 * The public contract's read and update operations. The @cacheControl hints are Apollo's vocabulary:
 * `users`, `me`, `apiKeys` and `User.apiKeys` depend on who asks, hence PRIVATE (a response cache
 * keyed by operation would otherwise hand an ADMIN-only page to a USER); `user(id)` is the same for
 * every authenticated caller.
 */
const typeDefs = /* GraphQL */ `
  directive @cacheControl(maxAge: Int, scope: CacheControlScope, inheritMaxAge: Boolean) on FIELD_DEFINITION | OBJECT | INTERFACE | UNION
  enum CacheControlScope { PUBLIC PRIVATE }
  enum Role { USER ADMIN }

  type User @cacheControl(inheritMaxAge: true) {
    id: ID!
    email: String!
    fullName: String!
    role: Role!
    createdAt: String!
    updatedAt: String!
    apiKeys: [ApiKey!]! @cacheControl(scope: PRIVATE, inheritMaxAge: true)
  }
  type ApiKey @cacheControl(inheritMaxAge: true) {
    id: ID!
    name: String!
    prefix: String!
    createdAt: String!
    lastUsedAt: String
  }
  type UserPage @cacheControl(inheritMaxAge: true) { items: [User!]! total: Int! page: Int! size: Int! }
  input UpdateUserInput { email: String fullName: String role: Role }

  type Query {
    me: User! @cacheControl(maxAge: ${TTL_SECONDS}, scope: PRIVATE)
    user(id: ID!): User @cacheControl(maxAge: ${TTL_SECONDS})
    users(page: Int! = 1, size: Int! = 20): UserPage! @cacheControl(maxAge: ${TTL_SECONDS}, scope: PRIVATE)
    apiKeys(userId: ID): [ApiKey!]! @cacheControl(maxAge: ${TTL_SECONDS}, scope: PRIVATE)
  }
  type Mutation {
    updateUser(id: ID!, input: UpdateUserInput!): User!
  }
`;

const fail = (code, message) => new GraphQLError(message, { extensions: { code } });

/** Rows as GraphQL objects; dates are stored as epoch milliseconds. */
const toUser = (r) => ({
  id: String(r.id),
  email: r.email,
  fullName: r.full_name,
  role: r.role,
  createdAt: iso(r.created_at),
  updatedAt: iso(r.updated_at),
});
const toKey = (r) => ({
  id: String(r.id),
  ownerId: r.owner_id,
  name: r.name,
  prefix: r.prefix,
  createdAt: iso(r.created_at),
  lastUsedAt: r.last_used_at === null ? null : iso(r.last_used_at),
});
const iso = (ms) => new Date(Number(ms)).toISOString();

/** Same rule as the server: a positive integer, else no row. */
function parseId(id) {
  const s = String(id ?? '');
  return /^[1-9]\d{0,15}$/.test(s) ? Number(s) : null;
}

/** `Authorization: Bearer <secret>` wins over `X-API-Key`; a malformed Authorization still names a (wrong) key. */
function secretFrom(headers) {
  const authorization = headers.authorization?.trim();
  if (authorization) return /^Bearer\s+(\S+)$/i.exec(authorization)?.[1] ?? authorization;
  return headers['x-api-key']?.trim() || undefined;
}

/** The client asked for fresh data (the server's miss path); each peer maps this onto its own "skip the cache" hook. */
const wantsNoCache = (headers) => /no-cache/i.test(headers['cache-control'] ?? '');

function openStore(file) {
  const db = new Database(file);
  db.pragma('busy_timeout = 5000');
  const sql = {
    keyByHash: db.prepare(
      'SELECT k.id AS key_id, u.id AS user_id, u.role FROM api_keys k JOIN users u ON u.id = k.owner_id WHERE k.secret_hash = ?',
    ),
    page: db.prepare('SELECT * FROM users ORDER BY id LIMIT ? OFFSET ?'),
    count: db.prepare('SELECT count(*) AS n FROM users'),
    update: db.prepare(
      'UPDATE users SET email = coalesce(?, email), full_name = coalesce(?, full_name), role = coalesce(?, role), updated_at = ? WHERE id = ?',
    ),
  };
  const inList = (table, column, ids) =>
    db.prepare(`SELECT * FROM ${table} WHERE ${column} IN (${ids.map(() => '?').join(',')}) ORDER BY id`).all(...ids);
  return {
    /** The viewer of a request, or null: one indexed lookup by the SHA-256 of the secret, as the server stores it. */
    authenticate(headers) {
      const secret = secretFrom(headers);
      if (!secret) return null;
      const hash = createHash('sha256').update(secret, 'utf8').digest('hex');
      const row = sql.keyByHash.get(hash);
      return row ? { userId: row.user_id, role: row.role, keyId: row.key_id, keyHash: hash } : null;
    },
    usersPage: (page, size) => ({
      items: sql.page.all(size, (page - 1) * size).map(toUser),
      total: Number(sql.count.get().n),
      page,
      size,
    }),
    usersByIds: (ids) => inList('users', 'id', ids).map(toUser),
    keysByOwners: (ids) => inList('api_keys', 'owner_id', ids).map(toKey),
    updateUser(id, input) {
      sql.update.run(
        input.email?.trim().toLowerCase() ?? null,
        input.fullName?.trim() ?? null,
        input.role ?? null,
        Date.now(),
        id,
      );
    },
  };
}

/** Per-request batching, so that a page of 50 users' keys costs one query, as in the server. */
function createLoaders(store) {
  return {
    user: new DataLoader(async (ids) => {
      const byId = new Map(store.usersByIds([...ids]).map((u) => [Number(u.id), u]));
      return ids.map((id) => byId.get(id) ?? null);
    }),
    keys: new DataLoader(async (ids) => {
      const byOwner = new Map(ids.map((id) => [id, []]));
      for (const key of store.keysByOwners([...ids])) byOwner.get(key.ownerId).push(key);
      return ids.map((id) => byOwner.get(id));
    }),
  };
}

function requireViewer(ctx) {
  if (!ctx.viewer) throw fail('UNAUTHENTICATED', 'a valid API key is required');
  return ctx.viewer;
}

function requireSelfOrAdmin(ctx, userId, what) {
  const viewer = requireViewer(ctx);
  if (viewer.role !== 'ADMIN' && viewer.userId !== userId)
    throw fail('FORBIDDEN', `only the user themself or an ADMIN may ${what}`);
  return viewer;
}

/**
 * Resolvers with the contract's rules. The context is `{ viewer, store, loaders }`. They are plain
 * functions: each peer wraps them with its own cache, which is the part being compared.
 */
function createResolvers() {
  return {
    Query: {
      me: async (_, __, ctx) => {
        const user = await ctx.loaders.user.load(requireViewer(ctx).userId);
        if (!user) throw fail('UNAUTHENTICATED', 'the key owner no longer exists');
        return user;
      },
      user: (_, { id }, ctx) => {
        requireViewer(ctx);
        const userId = parseId(id);
        return userId === null ? null : ctx.loaders.user.load(userId);
      },
      users: (_, { page, size }, ctx) => {
        if (requireViewer(ctx).role !== 'ADMIN') throw fail('FORBIDDEN', 'only an ADMIN may list users');
        if (page < 1 || size < 1 || size > 100) throw fail('BAD_USER_INPUT', 'page >= 1 and 1 <= size <= 100');
        return ctx.store.usersPage(page, size);
      },
      apiKeys: (_, { userId }, ctx) => {
        const ownerId = userId == null ? requireViewer(ctx).userId : parseId(userId);
        requireSelfOrAdmin(ctx, ownerId, "list another user's API keys");
        return ownerId === null ? [] : ctx.loaders.keys.load(ownerId);
      },
    },
    User: {
      apiKeys: (user, _, ctx) => {
        requireSelfOrAdmin(ctx, Number(user.id), "see a user's API keys");
        return ctx.loaders.keys.load(Number(user.id));
      },
    },
    Mutation: {
      updateUser: (_, { id, input }, ctx) => {
        const userId = parseId(id);
        const viewer = requireSelfOrAdmin(ctx, userId, 'update a user');
        if (input.role && viewer.role !== 'ADMIN') throw fail('FORBIDDEN', 'only an ADMIN may change a role');
        if (userId === null || ctx.store.usersByIds([userId]).length === 0) throw fail('NOT_FOUND', `no User ${id}`);
        ctx.store.updateUser(userId, input);
        return ctx.store.usersByIds([userId])[0];
      },
    },
  };
}

/** The per-request context every peer builds from the request headers (lower-cased names). */
function createContext(store, headers) {
  return { viewer: store.authenticate(headers), store, loaders: createLoaders(store), noCache: wantsNoCache(headers) };
}

function readConfig() {
  const port = Number(process.env.PORT);
  const dbFile = process.env.DB_FILE;
  if (!port || !dbFile) throw new Error('PORT and DB_FILE are required');
  return { port, host: '127.0.0.1', dbFile };
}

module.exports = { TTL_SECONDS, typeDefs, openStore, createContext, createResolvers, readConfig };
