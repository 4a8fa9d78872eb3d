import { GraphQLError } from 'graphql';

/** The error codes of the public contract (`extensions.code`), plus NOT_FOUND for writes to absent rows. */
export const ErrorCode = {
  UNAUTHENTICATED: 'UNAUTHENTICATED',
  FORBIDDEN: 'FORBIDDEN',
  BAD_USER_INPUT: 'BAD_USER_INPUT',
  NOT_FOUND: 'NOT_FOUND',
  INTERNAL_SERVER_ERROR: 'INTERNAL_SERVER_ERROR',
} as const;

export interface FieldProblem {
  field: string;
  message: string;
}

/** Errors clients see, built by factories so messages stay consistent and say how to fix the problem. */
export const Errors = {
  unauthenticated: () =>
    new GraphQLError(
      'Not authenticated: send a valid API key as "Authorization: Bearer <key>" or "X-API-Key: <key>".',
      {
        extensions: { code: ErrorCode.UNAUTHENTICATED, http: { status: 200 } },
      },
    ),
  forbidden: (why: string) => new GraphQLError(`Forbidden: ${why}`, { extensions: { code: ErrorCode.FORBIDDEN } }),
  badInput: (problems: FieldProblem[]) =>
    new GraphQLError(`Invalid input: ${problems.map((p) => `${p.field}: ${p.message}`).join('; ')}`, {
      extensions: { code: ErrorCode.BAD_USER_INPUT, fields: problems },
    }),
  notFound: (what: string, id: string | number) =>
    new GraphQLError(`${what} ${JSON.stringify(String(id))} does not exist.`, {
      extensions: { code: ErrorCode.NOT_FOUND },
    }),
};

/** Codes that may reach clients as they are; anything else is masked as INTERNAL_SERVER_ERROR. */
export const PUBLIC_ERROR_CODES: ReadonlySet<string> = new Set([
  ...Object.values(ErrorCode),
  'GRAPHQL_PARSE_FAILED',
  'GRAPHQL_VALIDATION_FAILED',
  'BAD_REQUEST',
  'OPERATION_RESOLUTION_FAILURE',
  'PERSISTED_QUERY_NOT_FOUND',
  'PERSISTED_QUERY_NOT_SUPPORTED',
]);
