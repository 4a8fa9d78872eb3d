import {
  type ASTNode,
  type ASTVisitor,
  type DocumentNode,
  type FieldNode,
  type FragmentDefinitionNode,
  GraphQLError,
  type GraphQLField,
  type GraphQLFormattedError,
  type GraphQLNamedType,
  type GraphQLSchema,
  getNamedType,
  getNullableType,
  isInterfaceType,
  isListType,
  isObjectType,
  Kind,
  type OperationDefinitionNode,
  type SelectionSetNode,
  type ValidationContext,
  type ValidationRule,
} from 'graphql';
import { MAX_PAGE_SIZE } from '../modules/user/user.inputs';

/**
 * Limits on the shape of an operation, enforced before it runs: the parser stops past `maxTokens`
 * (Apollo's `parseOptions`), and one validation rule measures every operation of the document in one
 * pass over it (fragments measured once each) before any other rule walks it:
 *
 * - depth: nested field levels; `{ me { id } }` is 2. Fragments and inline fragments add no level.
 * - aliases: every aliased field, at any depth, plus every root field, aliased or not (each root field
 *   is a resolver and a cache lookup of its own). A fragment counts where it is spread.
 * - complexity: each field costs 1; the fields under a list cost once per element. A field with a `size`
 *   argument is a page: the list it returns, or the lists directly inside it (`UserPage.items`), hold
 *   `size` elements (its default when absent, {@link CostModel.variableSize} when it is a variable);
 *   any other list (`User.apiKeys`) counts as {@link CostModel.listEstimate} elements.
 *
 * Introspection (`__schema`, `__type`) counts as one field: the standard introspection query of
 * Sandbox and codegen is 13 levels deep, and graphql-js' own MaxIntrospectionDepthRule already bounds
 * its lists. It is off in production unless INTROSPECTION_ENABLED.
 */
export interface QueryLimits {
  readonly maxDepth: number;
  readonly maxAliases: number;
  readonly maxComplexity: number;
  readonly maxTokens: number;
}

export interface CostModel {
  /** The argument that sets how many elements a page holds. */
  readonly sizeArgument: string;
  /** Elements assumed when the size is a variable (not known at validation): the largest accepted. */
  readonly variableSize: number;
  /** Elements assumed for a list with no size argument. */
  readonly listEstimate: number;
}

export const DEFAULT_COST_MODEL: CostModel = Object.freeze({
  sizeArgument: 'size',
  variableSize: MAX_PAGE_SIZE,
  listEstimate: 10,
});

export const QueryLimitCode = {
  TOO_DEEP: 'QUERY_TOO_DEEP',
  TOO_MANY_ALIASES: 'QUERY_TOO_MANY_ALIASES',
  TOO_COMPLEX: 'QUERY_TOO_COMPLEX',
  TOO_LARGE: 'QUERY_TOO_LARGE',
} as const;
export type QueryLimitCode = (typeof QueryLimitCode)[keyof typeof QueryLimitCode];

/** A refusal by one of the limits; `formatQueryLimitError` turns it into the response's error. */
export class QueryLimitError extends GraphQLError {
  constructor(
    message: string,
    readonly code: QueryLimitCode,
    readonly limit: number,
    readonly value: number,
    node?: ASTNode,
  ) {
    super(message, { nodes: node, extensions: { code, limit, value } });
    this.name = 'QueryLimitError';
  }
}

export interface QueryMeasure {
  depth: number;
  aliases: number;
  complexity: number;
}

const EMPTY: QueryMeasure = Object.freeze({ depth: 0, aliases: 0, complexity: 0 });
const INTROSPECTION = new Set(['__schema', '__type']);

/** Measures one operation's selection set; fragments are measured once per context and remembered. */
class Measurer {
  private readonly memo = new Map<string, QueryMeasure>();
  private readonly active = new Set<string>();

  constructor(
    private readonly schema: GraphQLSchema,
    private readonly fragments: ReadonlyMap<string, FragmentDefinitionNode>,
    private readonly model: CostModel,
  ) {}

  /** `pageSize`: the size of the page field this selection set belongs to, for the lists directly in it. */
  selectionSet(
    set: SelectionSetNode,
    parent: GraphQLNamedType | undefined,
    root: boolean,
    pageSize: number | undefined,
  ): QueryMeasure {
    const total = { depth: 0, aliases: 0, complexity: 0 };
    const spread = new Set<string>();
    for (const selection of set.selections) {
      let m: QueryMeasure;
      if (selection.kind === Kind.FIELD) m = this.field(selection, parent, root, pageSize);
      else if (selection.kind === Kind.INLINE_FRAGMENT) {
        const type = selection.typeCondition ? this.schema.getType(selection.typeCondition.name.value) : parent;
        m = this.selectionSet(selection.selectionSet, type, root, pageSize);
      } else {
        // As the executor does, a fragment spread twice in one selection set is collected once.
        if (spread.has(selection.name.value)) continue;
        spread.add(selection.name.value);
        m = this.fragment(selection.name.value, root, pageSize);
      }
      total.depth = Math.max(total.depth, m.depth);
      total.aliases += m.aliases;
      total.complexity += m.complexity;
    }
    return total;
  }

  private field(
    node: FieldNode,
    parent: GraphQLNamedType | undefined,
    root: boolean,
    pageSize: number | undefined,
  ): QueryMeasure {
    const aliases = root || node.alias ? 1 : 0;
    if (!node.selectionSet || INTROSPECTION.has(node.name.value)) return { depth: 1, aliases, complexity: 1 };
    // Unknown fields (other rules refuse them later) still count, as objects.
    const def = isObjectType(parent) || isInterfaceType(parent) ? parent.getFields()[node.name.value] : undefined;
    const size = def && this.sizeOf(node, def);
    const list = def !== undefined && isListType(getNullableType(def.type));
    const elements = list ? (size ?? pageSize ?? this.model.listEstimate) : 1;
    const inner = this.selectionSet(node.selectionSet, def && getNamedType(def.type), false, list ? undefined : size);
    return {
      depth: 1 + inner.depth,
      aliases: aliases + inner.aliases,
      complexity: 1 + elements * inner.complexity,
    };
  }

  private sizeOf(node: FieldNode, def: GraphQLField<unknown, unknown>): number | undefined {
    const name = this.model.sizeArgument;
    const arg = def.args.find((a) => a.name === name);
    if (!arg) return undefined;
    const given = node.arguments?.find((a) => a.name.value === name)?.value;
    if (given === undefined)
      return typeof arg.defaultValue === 'number' ? Math.max(0, arg.defaultValue) : this.model.variableSize;
    // An invalid literal is refused later by another rule; until then, count it as the worst case.
    return given.kind === Kind.INT ? Math.max(0, Number(given.value)) : this.model.variableSize;
  }

  private fragment(name: string, root: boolean, pageSize: number | undefined): QueryMeasure {
    const def = this.fragments.get(name);
    // Unknown fragments and cycles are refused by graphql-js' own rules, after this one.
    if (!def || this.active.has(name)) return EMPTY;
    const key = `${name}\u0000${root}\u0000${pageSize ?? ''}`;
    const known = this.memo.get(key);
    if (known) return known;
    this.active.add(name);
    const m = this.selectionSet(def.selectionSet, this.schema.getType(def.typeCondition.name.value), root, pageSize);
    this.active.delete(name);
    this.memo.set(key, m);
    return m;
  }
}

/** Depth, aliases and complexity of each operation of a document, in order. */
export function measureOperations(
  schema: GraphQLSchema,
  document: DocumentNode,
  model: CostModel = DEFAULT_COST_MODEL,
): { name: string | undefined; measure: QueryMeasure; node: OperationDefinitionNode }[] {
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const def of document.definitions) if (def.kind === Kind.FRAGMENT_DEFINITION) fragments.set(def.name.value, def);
  const measurer = new Measurer(schema, fragments, model);
  const results: { name: string | undefined; measure: QueryMeasure; node: OperationDefinitionNode }[] = [];
  for (const def of document.definitions) {
    if (def.kind !== Kind.OPERATION_DEFINITION) continue;
    const rootType = schema.getRootType(def.operation) ?? undefined;
    results.push({
      name: def.name?.value,
      measure: measurer.selectionSet(def.selectionSet, rootType, true, undefined),
      node: def,
    });
  }
  return results;
}

const count = (n: number) => (Number.isSafeInteger(n) ? String(n) : `more than ${Number.MAX_SAFE_INTEGER}`);

/**
 * The validation rule: every operation of the document must be within the limits (the one a request
 * names and any other). It runs on the Document node, before the other rules walk it; on a refusal it
 * returns null, which in graphql-js' `visit` removes the node: no rule walks a refused document at all.
 */
export function queryLimitsRule(limits: QueryLimits, model: CostModel = DEFAULT_COST_MODEL): ValidationRule {
  return (context: ValidationContext): ASTVisitor => ({
    Document(document) {
      const errors: QueryLimitError[] = [];
      for (const { measure, node } of measureOperations(context.getSchema(), document, model)) {
        if (measure.depth > limits.maxDepth)
          errors.push(
            new QueryLimitError(
              `Query depth ${measure.depth} exceeds the limit of ${limits.maxDepth} (QUERY_MAX_DEPTH).`,
              QueryLimitCode.TOO_DEEP,
              limits.maxDepth,
              measure.depth,
              node,
            ),
          );
        if (measure.aliases > limits.maxAliases)
          errors.push(
            new QueryLimitError(
              `Query aliases and root fields ${measure.aliases} exceed the limit of ${limits.maxAliases} (QUERY_MAX_ALIASES).`,
              QueryLimitCode.TOO_MANY_ALIASES,
              limits.maxAliases,
              measure.aliases,
              node,
            ),
          );
        if (measure.complexity > limits.maxComplexity)
          errors.push(
            new QueryLimitError(
              `Query complexity ${count(measure.complexity)} exceeds the limit of ${limits.maxComplexity} (QUERY_MAX_COMPLEXITY).`,
              QueryLimitCode.TOO_COMPLEX,
              limits.maxComplexity,
              measure.complexity,
              node,
            ),
          );
      }
      for (const error of errors) context.reportError(error);
      return errors.length > 0 ? null : undefined;
    },
  });
}

// graphql-js' parser, past `maxTokens`: "Syntax Error: Document contains more that N tokens. Parsing aborted."
// (16.x spells it "that").
const TOO_MANY_TOKENS = /Document contains more tha[nt] (\d+) tokens\. Parsing aborted\./;

/**
 * For Apollo's `formatError`: the response's error for a refusal by a limit (code, message, `limit`,
 * `value`), or undefined for any other error. Apollo reports validation errors as
 * GRAPHQL_VALIDATION_FAILED and parse errors as GRAPHQL_PARSE_FAILED; the limit's own code replaces it.
 */
export function formatQueryLimitError(
  formatted: GraphQLFormattedError,
  error: unknown,
): GraphQLFormattedError | undefined {
  const locations = formatted.locations ? { locations: formatted.locations } : {};
  const original = error instanceof GraphQLError ? error.originalError : undefined;
  if (original instanceof QueryLimitError)
    return {
      message: original.message,
      ...locations,
      extensions: { code: original.code, limit: original.limit, value: original.value },
    };
  const tokens = formatted.extensions?.code === 'GRAPHQL_PARSE_FAILED' && TOO_MANY_TOKENS.exec(formatted.message);
  if (tokens) {
    const limit = Number(tokens[1]);
    return {
      message: `Query size exceeds the limit of ${limit} tokens (QUERY_MAX_TOKENS); parsing stopped at token ${limit + 1}.`,
      ...locations,
      extensions: { code: QueryLimitCode.TOO_LARGE, limit, value: limit + 1 },
    };
  }
  return undefined;
}
