/**
 * The cache namespaces of the API, and what each kind of change evicts. One place, so that the
 * resolvers that cache, the ORM subscriber that evicts, and the helpers for writes the ORM cannot see
 * can never disagree on a name.
 */
export const Namespaces = {
  /** `me` of that user. */
  user: (userId: number | string) => `user:${userId}`,
  /** `user(id)`. */
  userSingle: (userId: number | string) => `users:${userId}:single`,
  /** Every page of `users`. */
  usersList: 'users:list',
  /** `apiKeys(userId)` and `User.apiKeys` of that user. */
  apiKeys: (userId: number | string) => `apikeys:${userId}`,
  /** The authentication lookup of one key, by the hash of its secret. */
  auth: (secretHash: string) => `auth:${secretHash}`,
} as const;

/** The namespaces each change makes stale: the one map every eviction path reads. */
export const Evictions = {
  /**
   * A new user: every page of `users`, and the user's own namespaces too, which may hold what was
   * cached before the user existed (`user(id)` answered null, `apiKeys(userId)` answered an empty list).
   */
  userCreated: (userId: number | string) => [Namespaces.usersList, ...ownNamespaces(userId)],
  /** A changed user: `me`, `user(id)` and every page of `users`. */
  userUpdated: (userId: number | string) => [
    Namespaces.user(userId),
    Namespaces.userSingle(userId),
    Namespaces.usersList,
  ],
  /** A deleted user: everything that shows the user. */
  userDeleted: (userId: number | string) => [Namespaces.usersList, ...ownNamespaces(userId)],
  /**
   * A created, changed or removed key: its owner's key lists, their `me` (a client may select
   * `me { apiKeys }`), and the key's own authentication.
   */
  apiKeyChanged: (ownerId: number | string, secretHash: string) => [
    Namespaces.apiKeys(ownerId),
    Namespaces.user(ownerId),
    Namespaces.auth(secretHash),
  ],
  /** A key used: its `lastUsedAt` shows in its owner's key lists. */
  apiKeyUsed: (ownerId: number | string) => [Namespaces.apiKeys(ownerId)],
  /** A user's role changed: the role lives in the cached authentication of each of their keys. */
  roleChanged: (secretHashes: readonly string[]) => secretHashes.map(Namespaces.auth),
} as const;

function ownNamespaces(userId: number | string): string[] {
  return [Namespaces.user(userId), Namespaces.userSingle(userId), Namespaces.apiKeys(userId)];
}
