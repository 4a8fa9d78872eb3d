import { printSchemaWithDirectives } from '@graphql-tools/utils';
import { type GraphQLSchema, lexicographicSortSchema, specifiedDirectives } from 'graphql';
import { buildSchema } from 'type-graphql';
import { authChecker } from '../auth/auth-checker';
import { cacheControlDirective } from '../cache/cache-control.directive';
import { ApiKeyResolver } from '../modules/api-key/api-key.resolver';
import { UserResolver } from '../modules/user/user.resolver';
import { DateTimeISO } from './date-time';
import { validateArgs } from './validation';

export const resolvers = [UserResolver, ApiKeyResolver] as const;

/** The executable schema: type-graphql's, with the `@cacheControl` directive declared. */
export async function buildAppSchema(): Promise<GraphQLSchema> {
  return buildSchema({
    resolvers,
    authChecker,
    authMode: 'error',
    validateFn: validateArgs,
    directives: [...specifiedDirectives, cacheControlDirective],
    scalarsMap: [{ type: Date, scalar: DateTimeISO }],
  });
}

/**
 * The SDL committed as schema.graphql. Printed here rather than by type-graphql's emitSchemaFile,
 * which drops directive uses on fields (the @cacheControl hints).
 */
export function printAppSchema(schema: GraphQLSchema): string {
  return `${printSchemaWithDirectives(lexicographicSortSchema(schema))}\n`;
}
