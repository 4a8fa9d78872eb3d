/**
 * The cache namespaces of the API (see README, "Key structure and namespaces"). One place, so that the
 * resolvers that cache and the code that evicts can never disagree on a name.
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

/** What changing a user makes stale. */
export function userNamespaces(userId: number | string): string[] {
  return [Namespaces.user(userId), Namespaces.userSingle(userId), Namespaces.usersList];
}
