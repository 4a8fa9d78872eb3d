import { randomUUID } from 'node:crypto';
import type { EntityManager } from '@mikro-orm/core';
import { secretFromHeaders } from './auth/api-key-secret';
import type { Authenticator } from './auth/authenticator';
import type { Viewer } from './auth/viewer';
import type { Logger } from './logger';
import { createApiKeysByOwnerLoader } from './modules/api-key/api-key.loaders';
import { createUserByIdLoader } from './modules/user/user.loaders';

/** Per-request batch loaders: N parents' relations cost one query, not N. */
export interface Loaders {
  userById: ReturnType<typeof createUserByIdLoader>;
  apiKeysByOwner: ReturnType<typeof createApiKeysByOwnerLoader>;
}

/**
 * Forgets what the loaders loaded: they hold plain rows, which a write does not update in place (entities in
 * the identity map it did), so a mutation calls this once it has flushed, and the fields it resolves after
 * (and the next mutations of the same document) read the rows as written.
 */
export function forgetLoaded(loaders: Loaders): void {
  loaders.userById.clearAll();
  loaders.apiKeysByOwner.clearAll();
}

/** What every resolver gets: one per request. */
export interface Context {
  readonly requestId: string;
  /** A fork of the EntityManager: its identity map lives as long as the request. */
  readonly em: EntityManager;
  /** The authenticated caller; null when the request carried no valid key. */
  readonly viewer: Viewer | null;
  readonly loaders: Loaders;
  readonly logger: Logger;
  /** Request headers, lower-cased names. */
  readonly headers: { get(name: string): string | undefined };
}

export interface ContextDeps {
  em: EntityManager;
  authenticator: Authenticator;
  logger: Logger;
}

export async function createContext(
  deps: ContextDeps,
  headers: { get(name: string): string | undefined },
): Promise<Context> {
  const em = deps.em.fork();
  const secret = secretFromHeaders(headers);
  const viewer = secret ? await deps.authenticator.authenticate(em, secret) : null;
  const requestId = headers.get('x-request-id') || randomUUID();
  return {
    requestId,
    em,
    viewer,
    loaders: { userById: createUserByIdLoader(em), apiKeysByOwner: createApiKeysByOwnerLoader(em) },
    logger: deps.logger,
    headers,
  };
}
