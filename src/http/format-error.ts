import type { GraphQLFormattedError } from 'graphql';
import { ErrorCode, PUBLIC_ERROR_CODES } from '../graphql/errors';

// graphql-js rejects a bad literal (`role: SUPERUSER`, `size: "x"`) at validation; for clients it is
// bad input like any other, so it gets the contract's BAD_USER_INPUT code.
const BAD_LITERAL = [
  /^Value ".*" does not exist in ".*" enum\./,
  /^Enum ".*" cannot represent/,
  /^Expected value of type ".*", found/,
  /cannot represent (a )?non/i,
];

/**
 * Apollo's `formatError`: codes of the contract pass through; anything else (a bug, a database error)
 * becomes INTERNAL_SERVER_ERROR with a generic message: no stack, SQL or secret reaches a client.
 * The original is logged server-side by the error-logging plugin.
 */
export function formatError(formatted: GraphQLFormattedError): GraphQLFormattedError {
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
