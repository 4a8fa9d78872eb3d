import type { ApolloServerPlugin } from '@apollo/server';
import { unwrapResolverError } from '@apollo/server/errors';
import { GraphQLError } from 'graphql';
import type { Context } from '../context';
import { PUBLIC_ERROR_CODES } from '../graphql/errors';
import { type Logger, safeError } from '../logger';
import { persistedQueryErrorCode } from './format-error';

/** Logs, with the request id, every error that clients will only see as INTERNAL_SERVER_ERROR. */
export function errorLoggingPlugin(logger: Logger): ApolloServerPlugin<Context> {
  return {
    async requestDidStart() {
      return {
        async didEncounterErrors({ errors, contextValue }) {
          for (const error of errors) {
            if (persistedQueryErrorCode(error)) continue; // a client's mistake (or APQ's first round trip)
            const original = unwrapResolverError(error);
            const code = error.extensions?.code;
            const expected =
              original instanceof GraphQLError &&
              typeof code === 'string' &&
              code !== 'INTERNAL_SERVER_ERROR' &&
              PUBLIC_ERROR_CODES.has(code);
            if (!expected)
              logger.error(
                { err: safeError(original), path: error.path, requestId: contextValue?.requestId },
                'unexpected error in a GraphQL request',
              );
          }
        },
      };
    },
  };
}
