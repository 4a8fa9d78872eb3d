import {
  type ConstDirectiveNode,
  type GraphQLField,
  type GraphQLSchema,
  isInterfaceType,
  isIntrospectionType,
  isObjectType,
  Kind,
} from 'graphql';
import { buildAppSchema } from '../../src/graphql/schema';

interface FieldOf {
  coordinate: string;
  field: GraphQLField<unknown, unknown>;
}

/** Every field of every object and interface type of the schema (introspection types aside). */
function fieldsOf(schema: GraphQLSchema): FieldOf[] {
  return Object.values(schema.getTypeMap())
    .filter((type) => (isObjectType(type) || isInterfaceType(type)) && !isIntrospectionType(type))
    .flatMap((type) =>
      Object.values((type as { getFields(): Record<string, GraphQLField<unknown, unknown>> }).getFields()).map(
        (field) => ({ coordinate: `${type.name}.${field.name}`, field }),
      ),
    );
}

/** The `@cacheControl` use on a field's SDL, if any. */
function cacheControlOf(field: GraphQLField<unknown, unknown>): ConstDirectiveNode | undefined {
  return field.astNode?.directives?.find((d) => d.name.value === 'cacheControl');
}

/** The `scope` and `maxAge` arguments of a `@cacheControl` use, as written. */
function argumentsOf(directive: ConstDirectiveNode): { scope?: string; maxAge?: number } {
  const out: { scope?: string; maxAge?: number } = {};
  for (const arg of directive.arguments ?? []) {
    if (arg.name.value === 'scope' && arg.value.kind === Kind.ENUM) out.scope = arg.value.value;
    if (arg.name.value === 'maxAge' && arg.value.kind === Kind.INT) out.maxAge = Number(arg.value.value);
  }
  return out;
}

describe('the app schema: @cacheControl in the SDL and extensions.cacheControl agree', () => {
  let fields: FieldOf[];
  beforeAll(async () => {
    fields = fieldsOf(await buildAppSchema());
  });

  it('the fields with @cacheControl are exactly the cached resolvers of the API', () => {
    const cached = fields.filter(({ field }) => cacheControlOf(field)).map(({ coordinate }) => coordinate);
    expect(cached.sort()).toEqual(['Query.apiKeys', 'Query.me', 'Query.user', 'Query.users', 'User.apiKeys']);
  });

  it('every field with @cacheControl carries extensions.cacheControl with the same scope (and maxAge when given)', () => {
    const seen: string[] = [];
    for (const { coordinate, field } of fields) {
      const directive = cacheControlOf(field);
      if (!directive) continue;
      seen.push(coordinate);
      const written = argumentsOf(directive);
      const extension = field.extensions.cacheControl as { scope?: string; maxAge?: number } | undefined;
      expect({ coordinate, extension }).toEqual({ coordinate, extension: expect.any(Object) });
      expect({ coordinate, scope: extension!.scope }).toEqual({ coordinate, scope: written.scope });
      expect(['PUBLIC', 'PRIVATE']).toContain(extension!.scope);
      expect({ coordinate, maxAge: extension!.maxAge }).toEqual({ coordinate, maxAge: written.maxAge });
    }
    expect(seen).toHaveLength(5);
  });

  it('the scopes are those the resolvers declare', () => {
    const scopes = Object.fromEntries(
      fields
        .filter(({ field }) => cacheControlOf(field))
        .map(({ coordinate, field }) => [coordinate, (field.extensions.cacheControl as { scope: string }).scope]),
    );
    expect(scopes).toEqual({
      'Query.me': 'PRIVATE',
      'Query.user': 'PUBLIC',
      'Query.users': 'PUBLIC',
      'Query.apiKeys': 'PRIVATE',
      'User.apiKeys': 'PUBLIC',
    });
  });

  it('fields without @cacheControl have no extensions.cacheControl', () => {
    const stray = fields
      .filter(({ field }) => !cacheControlOf(field) && field.extensions.cacheControl !== undefined)
      .map(({ coordinate }) => coordinate);
    expect(stray).toEqual([]);
    // the schema is not empty of uncached fields: mutations, scalars, ApiKey.owner...
    expect(fields.filter(({ field }) => !cacheControlOf(field)).length).toBeGreaterThan(20);
  });
});
