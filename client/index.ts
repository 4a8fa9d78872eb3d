/**
 * A small typed client for this API.
 *
 * Documents come from `client/generated` (GraphQL Code Generator, from `schema.graphql` and
 * `client/operations/*.graphql`): each is a `TypedDocumentNode<Result, Variables>`, so results and
 * variables are checked by TypeScript.
 *
 * @example
 * ```ts
 * import { createClient, UsersDocument, ForbiddenError } from '@graphql-resolver-cache/client'; // in this repository: './client'
 *
 * const client = createClient({ url: 'http://localhost:4000/graphql', apiKey: process.env.API_KEY });
 * const { data, cache } = await client.request(UsersDocument, { page: 1, size: 10 });
 * data.users.items[0]?.apiKeys; // typed
 * cache?.status;                // 'HIT' | 'STALE' | 'MISS' | 'PARTIAL' | 'BYPASS'
 * ```
 *
 * No dependency beyond `graphql` (for `print`) and the global `fetch` (Node >= 18, browsers).
 *
 * @packageDocumentation
 */
import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import { type DocumentNode, Kind, print } from 'graphql';

export * from './generated/graphql';
export type { TypedDocumentNode };

// ---------------------------------------------------------------------------------------------
// The cache report: `extensions.cache` of a response (see the README, "Monitoring")
// ---------------------------------------------------------------------------------------------

/**
 * Status of a whole response: HIT when every cached resolver hit, STALE when every one was answered from
 * the cache and at least one past its maxAge (stale-while-revalidate), MISS when all missed, PARTIAL for
 * a mix with a miss, BYPASS when the request asked for no-cache.
 */
export type CacheStatus = 'HIT' | 'STALE' | 'MISS' | 'PARTIAL' | 'BYPASS';

/** Status of one cached resolver: STALE is an expired entry answered while it is refreshed. */
export type CacheFieldStatus = 'HIT' | 'STALE' | 'MISS' | 'BYPASS';

/** Scope of a cached entry: PRIVATE entries are keyed by the authenticated user, PUBLIC ones are shared. */
export type CacheScope = 'PUBLIC' | 'PRIVATE';

/** One cached resolver's line in `extensions.cache.fields`. */
export interface CacheFieldReport {
  /** Response path, e.g. `users` or `users.items.3.apiKeys`. */
  path: string;
  status: CacheFieldStatus;
  scope: CacheScope;
  /** Seconds the entry lives. */
  maxAge: number;
  /** Seconds since the entry was stored (0 on a miss). */
  age: number;
}

/** `extensions.cache` of a response: present when at least one cached resolver ran (and caching is on). */
export interface CacheReport {
  status: CacheStatus;
  /** Present when the operation tier answered the whole response without executing it. */
  tier?: 'operation';
  hits: number;
  misses: number;
  /** Fields answered stale; present only when there were some. */
  stale?: number;
  fields: CacheFieldReport[];
}

// ---------------------------------------------------------------------------------------------
// Errors
// ---------------------------------------------------------------------------------------------

/** One entry of a GraphQL response's `errors`. */
export interface GraphQLErrorEntry {
  message: string;
  locations?: ReadonlyArray<{ line: number; column: number }>;
  path?: ReadonlyArray<string | number>;
  extensions?: { code?: string; [key: string]: unknown };
}

/** The error codes of the contract (`extensions.code`) that have their own exception class. */
export type ContractErrorCode = 'UNAUTHENTICATED' | 'FORBIDDEN' | 'BAD_USER_INPUT' | 'NOT_FOUND';

/** Base class of everything this client throws: catch it to handle any failure of a request. */
export class ClientError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** Details of a GraphQL error response, as given to {@link GraphQLRequestError}'s constructor. */
export interface GraphQLRequestErrorInit {
  errors: GraphQLErrorEntry[];
  status: number;
  headers: Headers;
  data?: unknown;
  extensions?: Record<string, unknown>;
}

/**
 * The server answered with GraphQL `errors` (any HTTP status below 500). Thrown even when part of the
 * data came back: the partial `data` is kept on the error. Subclasses by contract code:
 * {@link UnauthenticatedError}, {@link ForbiddenError}, {@link BadUserInputError}, {@link NotFoundError};
 * other codes (`GRAPHQL_VALIDATION_FAILED`, `INTERNAL_SERVER_ERROR`…) are this class itself.
 */
export class GraphQLRequestError extends ClientError {
  /** Every error of the response. */
  readonly errors: GraphQLErrorEntry[];
  /** HTTP status of the response (200 for most GraphQL errors, 400 for parse/validation errors). */
  readonly status: number;
  /** `extensions.code` of the first error, if any. */
  readonly code: string | undefined;
  /** Response headers. */
  readonly headers: Headers;
  /** `data` of the response, when the server returned some next to the errors (partial results). */
  readonly data: unknown;
  /** `extensions` of the response (e.g. `cache`). */
  readonly extensions: Record<string, unknown> | undefined;

  constructor(init: GraphQLRequestErrorInit) {
    const first = init.errors[0];
    const code = first?.extensions?.code;
    const more = init.errors.length > 1 ? ` (and ${init.errors.length - 1} more)` : '';
    super(`${code ? `${code}: ` : ''}${first?.message ?? 'GraphQL error'}${more}`);
    this.errors = init.errors;
    this.status = init.status;
    this.code = code;
    this.headers = init.headers;
    this.data = init.data;
    this.extensions = init.extensions;
  }
}

/** `UNAUTHENTICATED`: no key, or an unknown or revoked one. */
export class UnauthenticatedError extends GraphQLRequestError {}

/** `FORBIDDEN`: authenticated, but not allowed (e.g. a USER asking for `users`). */
export class ForbiddenError extends GraphQLRequestError {}

/** `BAD_USER_INPUT`: invalid input (bad email, size out of range, unknown role, duplicate email…). */
export class BadUserInputError extends GraphQLRequestError {
  /** The fields at fault, from `extensions.fields` of the first error, when the server named them. */
  get fields(): Array<{ field: string; message: string }> {
    const fields = this.errors[0]?.extensions?.fields;
    return Array.isArray(fields) ? (fields as Array<{ field: string; message: string }>) : [];
  }
}

/** `NOT_FOUND`: a write to an absent row (e.g. `updateUser` or `createApiKey` on an absent user). */
export class NotFoundError extends GraphQLRequestError {}

/** The request did not get an HTTP answer (connection refused, DNS failure, reset…); the cause is kept. */
export class NetworkError extends ClientError {
  constructor(
    /** The endpoint that could not be reached. */
    readonly url: string,
    cause: unknown,
  ) {
    super(`Network error calling ${url}: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
  }
}

/**
 * An HTTP answer that is not a usable GraphQL response: a 5xx status, a body that is not JSON, or JSON
 * with neither `data` nor `errors` (e.g. a proxy's error page).
 */
export class HttpError extends ClientError {
  constructor(
    /** HTTP status. */
    readonly status: number,
    /** The raw body (for diagnostics). */
    readonly body: string,
    /** Response headers. */
    readonly headers: Headers,
    /** GraphQL errors, when the body was a GraphQL response after all (e.g. a 500 with `errors`). */
    readonly errors: GraphQLErrorEntry[] = [],
  ) {
    super(`HTTP ${status}: ${errors[0]?.message ?? (body.slice(0, 200) || '(empty body)')}`);
  }
}

const ERROR_CLASSES: Record<ContractErrorCode, new (init: GraphQLRequestErrorInit) => GraphQLRequestError> = {
  UNAUTHENTICATED: UnauthenticatedError,
  FORBIDDEN: ForbiddenError,
  BAD_USER_INPUT: BadUserInputError,
  NOT_FOUND: NotFoundError,
};

/** The exception for a GraphQL error response: the subclass of its first error's code, else {@link GraphQLRequestError}. */
export function toGraphQLRequestError(init: GraphQLRequestErrorInit): GraphQLRequestError {
  const code = init.errors[0]?.extensions?.code;
  const Class =
    code && Object.hasOwn(ERROR_CLASSES, code) ? ERROR_CLASSES[code as ContractErrorCode] : GraphQLRequestError;
  return new Class(init);
}

// ---------------------------------------------------------------------------------------------
// The client
// ---------------------------------------------------------------------------------------------

/** Options of {@link createClient}. */
export interface ClientOptions {
  /** The GraphQL endpoint, e.g. `http://localhost:4000/graphql`. */
  url: string;
  /** API key, sent as `Authorization: Bearer <key>`. Without it, requests are anonymous. */
  apiKey?: string;
  /** The fetch to use (default: the global `fetch`). */
  fetch?: typeof fetch;
  /** Headers sent with every request (per-request headers win). */
  headers?: Record<string, string>;
}

/** Options of one request. */
export interface RequestOptions {
  /** Extra headers for this request (they win over the client's). */
  headers?: Record<string, string>;
  /** Sends `Cache-Control: no-cache`: every cached resolver runs fresh, and the report says `BYPASS`. */
  noCache?: boolean;
  /** Aborts the request. */
  signal?: AbortSignal;
}

/** A successful response. */
export interface ClientResponse<TData> {
  /** `data`, typed by the document. */
  data: TData;
  /** `extensions.cache`, when a cached resolver ran. */
  cache?: CacheReport;
  /** Every `extensions` of the response. */
  extensions?: Record<string, unknown>;
  /** Response headers (e.g. `x-cache`, `cache-control`). */
  headers: Headers;
  /** HTTP status. */
  status: number;
}

/**
 * The arguments after the document: variables are required when the operation has a required
 * variable, optional otherwise; then the request options. (The variables' type comes from the
 * document only: `NoInfer` keeps an object with unknown variables from widening it.)
 */
// biome-ignore lint/complexity/noBannedTypes: `{} extends T` is the test for "every property of T is optional"
export type RequestArgs<TVars> = {} extends TVars
  ? [variables?: TVars, options?: RequestOptions]
  : [variables: TVars, options?: RequestOptions];

/** The client made by {@link createClient}. */
export interface Client {
  /** The endpoint. */
  readonly url: string;
  /**
   * Runs an operation. Resolves with typed `data` (and the cache report), or rejects with a
   * {@link GraphQLRequestError} subclass when the server answered with GraphQL errors, a
   * {@link NetworkError} when it could not be reached, an {@link HttpError} for a 5xx or non-GraphQL answer.
   */
  request<TData, TVars>(
    document: TypedDocumentNode<TData, TVars>,
    ...args: RequestArgs<NoInfer<TVars>>
  ): Promise<ClientResponse<TData>>;
  /** The same client with another API key (or none). */
  withApiKey(apiKey: string | undefined): Client;
}

const printed = new WeakMap<DocumentNode, { query: string; operationName?: string }>();

function serialize(document: DocumentNode): { query: string; operationName?: string } {
  let entry = printed.get(document);
  if (!entry) {
    const operation = document.definitions.find((d) => d.kind === Kind.OPERATION_DEFINITION);
    const name = operation && operation.kind === Kind.OPERATION_DEFINITION ? operation.name?.value : undefined;
    entry = name ? { query: print(document), operationName: name } : { query: print(document) };
    printed.set(document, entry);
  }
  return entry;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Creates a typed client for the API at `options.url`. */
export function createClient(options: ClientOptions): Client {
  const doFetch = options.fetch ?? globalThis.fetch;
  if (typeof doFetch !== 'function') throw new TypeError('createClient: no fetch available; pass options.fetch');

  async function request<TData, TVars>(
    document: TypedDocumentNode<TData, TVars>,
    ...args: RequestArgs<NoInfer<TVars>>
  ): Promise<ClientResponse<TData>> {
    const [variables, requestOptions = {}] = args as [TVars | undefined, RequestOptions | undefined];
    const headers: Record<string, string> = {
      'content-type': 'application/json',
      accept: 'application/graphql-response+json, application/json',
      ...options.headers,
    };
    if (options.apiKey) headers.authorization = `Bearer ${options.apiKey}`;
    if (requestOptions.noCache) headers['cache-control'] = 'no-cache';
    Object.assign(headers, requestOptions.headers);

    const { query, operationName } = serialize(document);
    const body = JSON.stringify({
      query,
      ...(operationName ? { operationName } : {}),
      ...(variables !== undefined ? { variables } : {}),
    });

    let response: Response;
    try {
      response = await doFetch(options.url, { method: 'POST', headers, body, signal: requestOptions.signal });
    } catch (error) {
      if (requestOptions.signal?.aborted) throw error;
      throw new NetworkError(options.url, error);
    }

    let text: string;
    try {
      text = await response.text();
    } catch (error) {
      throw new NetworkError(options.url, error);
    }
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      throw new HttpError(response.status, text, response.headers);
    }
    if (!isObject(json)) throw new HttpError(response.status, text, response.headers);

    const errors = Array.isArray(json.errors) ? (json.errors as GraphQLErrorEntry[]) : [];
    const extensions = isObject(json.extensions) ? json.extensions : undefined;
    if (response.status >= 500) throw new HttpError(response.status, text, response.headers, errors);
    if (errors.length > 0) {
      throw toGraphQLRequestError({
        errors,
        status: response.status,
        headers: response.headers,
        data: json.data ?? undefined,
        extensions,
      });
    }
    if (!isObject(json.data)) throw new HttpError(response.status, text, response.headers);

    const result: ClientResponse<TData> = {
      data: json.data as TData,
      headers: response.headers,
      status: response.status,
    };
    if (extensions) result.extensions = extensions;
    if (isObject(extensions?.cache)) result.cache = extensions.cache as unknown as CacheReport;
    return result;
  }

  return {
    url: options.url,
    request,
    withApiKey: (apiKey) => createClient({ ...options, apiKey }),
  };
}
