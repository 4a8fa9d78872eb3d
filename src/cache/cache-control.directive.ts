import { DirectiveLocation, GraphQLBoolean, GraphQLDirective, GraphQLEnumType, GraphQLInt } from 'graphql';

/** `enum CacheControlScope { PUBLIC PRIVATE }`, as Apollo Server declares it. */
export const CacheControlScopeEnum = new GraphQLEnumType({
  name: 'CacheControlScope',
  values: { PUBLIC: { value: 'PUBLIC' }, PRIVATE: { value: 'PRIVATE' } },
});

/**
 * `@cacheControl(maxAge, scope, inheritMaxAge)`, declared exactly as Apollo Server expects it, so the
 * printed SDL parses elsewhere and Apollo's cache-control plugin reads the hints from field ASTs.
 * Pass it to `buildSchema({ directives: [...specifiedDirectives, cacheControlDirective] })`.
 */
export const cacheControlDirective = new GraphQLDirective({
  name: 'cacheControl',
  locations: [
    DirectiveLocation.FIELD_DEFINITION,
    DirectiveLocation.OBJECT,
    DirectiveLocation.INTERFACE,
    DirectiveLocation.UNION,
  ],
  args: {
    maxAge: { type: GraphQLInt },
    scope: { type: CacheControlScopeEnum },
    inheritMaxAge: { type: GraphQLBoolean },
  },
});
