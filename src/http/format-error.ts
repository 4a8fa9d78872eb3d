import { GraphQLError, type GraphQLFormattedError } from 'graphql';
import { ErrorCode, PUBLIC_ERROR_CODES } from '../graphql/errors';
import { formatQueryLimitError } from '../graphql/query-limits';

// graphql-js rejects a bad literal (`role: SUPERUSER`, `size: "x"`) at validation; for clients it is
// bad input like any other, so it gets the contract's BAD_USER_INPUT code.
const BAD_LITERAL = [
  /^Value ".*" does not exist in ".*" enum\./,
  /^Enum ".*" cannot represent/,
  /^Expected value of type ".*", found/,
  /cannot represent (a )?non/i,
];

/**
 * Apollo's persisted-query errors with no code (masked as internal otherwise), by their fixed messages:
 * a hash that does not match its query gets the code Apollo Router uses; an unknown protocol version is
 * a bad request. Both are a client's mistake, and Apollo answers both with HTTP 400.
 */
const PERSISTED_QUERY_ERRORS = new Map([
  ['provided sha does not match query', 'PERSISTED_QUERY_HASH_MISMATCH'],
  ['Unsupported persisted query version', 'BAD_REQUEST'],
]);

/** The code of an error Apollo raised about a persisted query (given the raw error), else undefined. */
export function persistedQueryErrorCode(error: unknown): string | undefined {
  if (!(error instanceof GraphQLError) || error.path || error.originalError) return undefined;
  const code = error.extensions.code;
  if (typeof code === 'string' && code.startsWith('PERSISTED_QUERY_')) return code;
  return code === undefined ? PERSISTED_QUERY_ERRORS.get(error.message) : undefined;
}

/**
 * Apollo's `formatError`: codes of the contract pass through; anything else (a bug, a database error)
 * becomes INTERNAL_SERVER_ERROR with a generic message: no stack, SQL or secret reaches a client.
 * The original is logged server-side by the error-logging plugin.
 */
export function formatError(formatted: GraphQLFormattedError, error?: unknown): GraphQLFormattedError {
  const limit = formatQueryLimitError(formatted, error);
  if (limit) return limit;
  const persisted = persistedQueryErrorCode(error);
  if (persisted) return { message: formatted.message, extensions: { code: persisted } };
  const code = String(formatted.extensions?.code ?? ErrorCode.INTERNAL_SERVER_ERROR);
  if (code === ErrorCode.INTERNAL_SERVER_ERROR || !PUBLIC_ERROR_CODES.has(code)) {
    return {
      message: 'Internal server error',
      ...(formatted.locations ? { locations: formatted.locations } : {}),
      ...(formatted.path ? { path: formatted.path } : {}),
      extensions: { code: ErrorCode.INTERNAL_SERVER_ERROR },
    };
  }
  const { stacktrace: _stacktrace, exception: _exception, ...extensions } = formatted.extensions ?? {};
  const badLiteral = code === 'GRAPHQL_VALIDATION_FAILED' && BAD_LITERAL.some((re) => re.test(formatted.message));
  return { ...formatted, extensions: { ...extensions, code: badLiteral ? ErrorCode.BAD_USER_INPUT : code } };
}
