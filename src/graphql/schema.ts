import { lexicographicSortSchema, specifiedDirectives, type GraphQLSchema } from 'graphql';
import { printSchemaWithDirectives } from '@graphql-tools/utils';
import { buildSchema, type MiddlewareFn } from 'type-graphql';
import { authChecker } from '../auth/auth-checker';
import { cacheControlDirective } from '../cache/cache-control.directive';
import type { Context } from '../context';
import { ApiKeyResolver } from '../modules/api-key/api-key.resolver';
import { UserResolver } from '../modules/user/user.resolver';
import { validateArgs } from './validation';

export const resolvers = [UserResolver, ApiKeyResolver] as const;

export interface SchemaOptions {
  /** Run around every resolver, after authorization (the cache installs itself here). */
  globalMiddlewares?: MiddlewareFn<Context>[];
}

export async function buildAppSchema({ globalMiddlewares = [] }: SchemaOptions = {}): Promise<GraphQLSchema> {
  return buildSchema({
    resolvers,
    authChecker,
    authMode: 'error',
    validateFn: validateArgs,
    directives: [...specifiedDirectives, cacheControlDirective],
    globalMiddlewares,
  });
}

/**
 * The SDL committed as schema.graphql. Printed here rather than by type-graphql's emitSchemaFile,
 * which drops directive uses on fields (the @cacheControl hints).
 */
export function printAppSchema(schema: GraphQLSchema): string {
  return `${printSchemaWithDirectives(lexicographicSortSchema(schema))}\n`;
}
