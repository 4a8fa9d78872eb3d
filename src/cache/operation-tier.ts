import { createHash } from 'node:crypto';
import {
  type DocumentNode,
  type FragmentDefinitionNode,
  type GraphQLCompositeType,
  type GraphQLField,
  type GraphQLSchema,
  getNamedType,
  isCompositeType,
  isObjectType,
  Kind,
  type SelectionSetNode,
} from 'graphql';
import { canonicalJson } from './cache-key';
import type { CachedResult, ResolverCache } from './resolver-cache';
import { createMemoryStore, type MemoryStore } from './stores/memory';
import type { CacheReport, CacheScope } from './types';

/** Options of {@link createOperationTier}. */
export interface OperationTierOptions {
  /** The resolver cache whose namespace generations decide whether an entry still holds. */
  cache: ResolverCache<any>;
  /** Where whole-response entries live: an in-process LRU bounded by count and bytes. Default a new one. */
  entries?: MemoryStore;
  /**
   * The memory store that holds the generation tokens, when there is no shared store: tokens are then
   * read synchronously, and a hit costs no promise at all. Leave it out on Redis: tokens come from there.
   */
  localTokens?: MemoryStore;
  /**
   * Whether tokens come from the store every instance shares right now (on Redis: false while the memory
   * fallback serves). While false, nothing is served: authentication must reach the database then.
   */
  isShared?: () => boolean;
  /** The namespace that a caller's authentication is cached under, by the hash of the key it presented. */
  callerNamespace(callerHash: string): string;
  /**
   * Shares entries between callers of one authorization class (see {@link OperationSharing}). Without
   * it, every entry belongs to the caller whose request built it.
   */
  sharing?: OperationSharing;
}

/**
 * How callers share whole responses. A response is shared by every caller of the class of the caller
 * whose request built it when every cached field in it is PUBLIC (the same value for whoever may read it),
 * and nothing in its execution depended on who the caller is beyond that class: no PRIVATE field, and no
 * authorization rule that looked at the caller's identity (the app reports those with
 * {@link markCallerSpecific}). Each caller still needs a record of its own, stored when one of its
 * requests ran: its class and the tokens of the epoch and of its authentication namespace, read before
 * it was authenticated. So a revoked key, a changed role or a deleted user (each evicts the caller's
 * authentication namespace) is never answered from the tier, on any instance.
 */
export interface OperationSharing {
  /** The class of an authenticated caller (e.g. `role:USER`); null: this caller shares nothing. */
  classOf(caller: unknown): string | null;
  /** Seconds a caller's record lives (it is checked against its tokens on every use). */
  callerTtlSeconds: number;
}

/** What identifies a repeated operation: who asks, and what. */
export interface OperationRequest {
  /** Hash of the credential the caller presented (never the secret itself). */
  callerHash: string;
  /** The query text; or, for a persisted query sent without it, its hash. */
  query?: string;
  persistedQueryHash?: string;
  operationName?: string | null;
  variables?: unknown;
}

/** One field of a stored response, as the report shows it. */
interface StoredField {
  path: string;
  scope: CacheScope;
  maxAge: number;
  /** When the field's value was computed, epoch milliseconds. */
  storedAt: number;
}

/** A stored whole response. */
export interface OperationEntry {
  /** `data` as the JSON text the miss sent. */
  data: string;
  /** The response headers that depend on it (`cache-control`, `vary`). */
  headers: Readonly<Record<string, string>>;
  fields: readonly StoredField[];
  /** Generation keys and the tokens they had when the response was built. */
  keys: readonly string[];
  tokens: readonly string[];
  /** What the app needs to know of the caller on a hit (e.g. the key's id, to record its use). */
  caller: unknown;
  /**
   * Until when (epoch ms) every field is fresh. Past it, the entry lives on only for the shortest
   * `staleWhileRevalidate` window of its fields, answered as STALE while one background execution refreshes it.
   */
  freshUntil: number;
}

/** What {@link OperationTier.keyOf} answers: the caller's and the operation's parts of an entry's key. */
export interface OperationKey {
  callerHash: string;
  /** Hash of the operation: text (or persisted-query hash), operation name, canonical variables. */
  operation: string;
}

/** What a lookup found: the entry, and the caller it is served to (whose record or entry vouched for it). */
export interface OperationHit {
  entry: OperationEntry;
  /** What the app stored of the caller (e.g. its key's id, to record its use). */
  caller: unknown;
  /** Whether the entry is shared by the caller's class. */
  shared: boolean;
  /** Past its fresh life, within its stale window: answer it as STALE and refresh it in the background. */
  stale: boolean;
}

/** A caller's record, for shared entries: its class, and the tokens its authentication held. */
interface CallerRecord {
  callerClass: string;
  keys: readonly string[];
  tokens: readonly string[];
  caller: unknown;
}

/** A candidate for storing: what the HTTP layer learnt before the request reached GraphQL execution. */
export interface OperationCandidate {
  key: OperationKey;
  /** The epoch's and the caller's generation keys, and their tokens read BEFORE authentication. */
  keys: readonly string[];
  tokens: readonly string[];
  /** A background refresh of a stale entry: its execution computes stale resolver entries instead of answering them. */
  revalidate?: boolean;
}

/** What a request's execution gathers for the operation tier. */
export class OperationCapture {
  /** False once anything made the response unfit to store. */
  storable = true;
  /** True once anything made the response depend on who the caller is (a PRIVATE field, an identity rule). */
  callerSpecific = false;
  readonly fields: StoredField[] = [];
  private readonly deps = new Map<string, string>();
  /** The shortest fresh life of the fields, and the shortest life including their stale windows (epoch ms). */
  private freshUntil = Number.POSITIVE_INFINITY;
  private expiresAt = Number.POSITIVE_INFINITY;

  /** One cached resolver's result: its dependencies, its life, its line in the report. */
  record(path: string, scope: CacheScope, maxAge: number, result: CachedResult, staleWhileRevalidate = 0): void {
    const { keys, tokens } = result.dependencies;
    for (let i = 0; i < keys.length; i++) this.depend(keys[i]!, tokens[i]!);
    const freshUntil = result.storedAt + maxAge * 1000;
    this.freshUntil = Math.min(this.freshUntil, freshUntil);
    this.expiresAt = Math.min(this.expiresAt, freshUntil + staleWhileRevalidate * 1000);
    if (scope !== 'PUBLIC') this.callerSpecific = true;
    this.fields.push({ path, scope, maxAge, storedAt: result.storedAt });
  }

  depend(key: string, token: string): void {
    const seen = this.deps.get(key);
    // Two reads of one namespace disagreed: an eviction ran mid-request, so the response mixes generations.
    if (seen !== undefined && seen !== token) this.storable = false;
    this.deps.set(key, token);
  }

  /**
   * Seconds the entry may live at `now`: the shortest remaining life of what it was built from, stale
   * windows included (not rounded: an entry never outlives a field); 0 when any field is already past its
   * fresh life (a response holding a stale value is never stored).
   */
  ttlSeconds(now: number): number {
    if (this.freshUntil <= now) return 0;
    return (this.expiresAt - now) / 1000;
  }

  /** Until when (epoch ms) every field is fresh. */
  freshUntilMs(): number {
    return this.freshUntil;
  }

  dependencies(): { keys: string[]; tokens: string[] } {
    const keys: string[] = [];
    const tokens: string[] = [];
    for (const [key, token] of this.deps) {
      keys.push(key);
      tokens.push(token);
    }
    return { keys, tokens };
  }
}

/**
 * The operation tier: whole responses of repeated operations, answered before GraphQL execution.
 *
 * An entry is keyed by the caller (the hash of the credential it presented) and the operation (query
 * text or persisted-query hash, operation name, canonical variables). It stores the response's `data`
 * as sent, the headers that depend on it, the per-field report, and its dependencies: every generation
 * key of every resolver entry it was built from, plus the epoch and the caller's authentication
 * namespace, with the tokens they had. A lookup answers only when every one of those tokens is still
 * current: an eviction anywhere (any instance) makes the entry unreachable, as for resolver entries.
 */
export class OperationTier {
  private readonly entries: MemoryStore;
  private readonly refreshing = new WeakSet<OperationEntry>();
  private readonly storable = new WeakMap<DocumentNode, Map<string, boolean>>();
  /** Whether each field of the schema has a resolver of its own, as built (before anyone wrapped it). */
  private readonly hasLogic = new WeakMap<GraphQLField<unknown, unknown>, boolean>();

  constructor(private readonly options: OperationTierOptions) {
    this.entries = options.entries ?? createMemoryStore();
  }

  /** The key of an operation asked by a caller; null when there is nothing to key it by. */
  keyOf(request: OperationRequest): OperationKey | null {
    const text = request.query ?? (request.persistedQueryHash ? `#${request.persistedQueryHash}` : undefined);
    if (text === undefined) return null;
    const vars = request.variables && typeof request.variables === 'object' ? canonicalJson(request.variables) : '{}';
    const operation = createHash('sha256')
      .update(`${request.operationName ?? ''}\n${vars}\n${text}`)
      .digest('base64url');
    return { callerHash: request.callerHash, operation };
  }

  /** Whether the tier may answer now (see {@link OperationTierOptions.isShared}). */
  serving(): boolean {
    return this.options.isShared?.() ?? true;
  }

  /**
   * The entry for `key` when all its dependencies still hold: the caller's own, else the one its class
   * shares (with the caller's record still holding too). Synchronous when tokens live in local memory;
   * one batched read of the shared store otherwise.
   */
  lookup(key: OperationKey): OperationHit | undefined | Promise<OperationHit | undefined> {
    const own = this.entries.peek<OperationEntry>(ownKey(key));
    const record = this.options.sharing ? this.entries.peek<CallerRecord>(callerKey(key.callerHash)) : undefined;
    const shared = record && this.entries.peek<OperationEntry>(sharedKey(record.callerClass, key.operation));
    if (!own && !shared) return undefined;
    const local = this.options.localTokens;
    if (local) {
      const holds = (d: Dependencies) => d.keys.every((k, i) => local.peek(k) === d.tokens[i]);
      return pick(own, record, shared, holds, this.options.cache.clock());
    }
    // One read for every token involved; the epoch's is in each of them, and is read once.
    const keys = [...new Set([...(own?.keys ?? []), ...(shared ? [...record!.keys, ...shared.keys] : [])])];
    return this.options.cache.readTokens(keys).then((values) => {
      const current = new Map<string, unknown>();
      for (let i = 0; i < keys.length; i++) current.set(keys[i]!, values[i]);
      const holds = (d: Dependencies) => d.keys.every((k, i) => current.get(k) === d.tokens[i]);
      return pick(own, record, shared, holds, this.options.cache.clock());
    });
  }

  /** Reads, before the request is authenticated or executed, the tokens of the epoch and of the caller. */
  async begin(key: OperationKey): Promise<OperationCandidate> {
    const keys = this.options.cache.generationKeys([this.options.callerNamespace(key.callerHash)]);
    const values = await this.options.cache.readTokens(keys);
    // An absent token cannot be depended on (it is made up by whoever stores first): store nothing then.
    const tokens = values.map((v) => (typeof v === 'string' ? v : ''));
    return { key, keys, tokens };
  }

  /**
   * Stores a response built under `candidate` whose execution gathered `capture`: shared by the caller's
   * class when it may be (see {@link OperationSharing}), with the caller's record; else the caller's own.
   */
  async store(
    candidate: OperationCandidate,
    capture: OperationCapture,
    response: { data: unknown; headers: Record<string, string>; caller: unknown },
  ): Promise<void> {
    if (!capture.storable || capture.fields.length === 0 || candidate.tokens.includes('')) return;
    // What the response was built from, before the caller's own dependencies join it.
    const built = capture.dependencies();
    for (let i = 0; i < candidate.keys.length; i++) capture.depend(candidate.keys[i]!, candidate.tokens[i]!);
    if (!capture.storable) return;
    const ttl = capture.ttlSeconds(this.options.cache.clock());
    if (ttl <= 0) return;
    const { sharing } = this.options;
    const callerClass = sharing ? sharing.classOf(response.caller) : null;
    const entry = (deps: Dependencies, caller: unknown): OperationEntry => ({
      data: JSON.stringify(response.data),
      headers: response.headers,
      fields: capture.fields,
      keys: deps.keys,
      tokens: deps.tokens,
      caller,
      freshUntil: capture.freshUntilMs(),
    });
    if (callerClass === null || !sharing) {
      await this.entries.set(ownKey(candidate.key), entry(capture.dependencies(), response.caller), ttl);
      return;
    }
    // Every stored response of a caller (re)writes its record: from then on, it may read what its class shares.
    const record: CallerRecord = {
      callerClass,
      keys: candidate.keys,
      tokens: candidate.tokens,
      caller: response.caller,
    };
    const writes = [this.entries.set(callerKey(candidate.key.callerHash), record, sharing.callerTtlSeconds)];
    if (capture.callerSpecific) {
      writes.push(this.entries.set(ownKey(candidate.key), entry(capture.dependencies(), response.caller), ttl));
    } else {
      // The caller's own entry of this operation, if any, would be found first: it goes.
      writes.push(this.entries.delete(ownKey(candidate.key)));
      writes.push(this.entries.set(sharedKey(callerClass, candidate.key.operation), entry(built, null), ttl));
    }
    await Promise.all(writes);
  }

  /** The report of a hit: each field a HIT of the operation tier (or STALE, past its maxAge), with its age now. */
  reportOf(entry: OperationEntry): CacheReport {
    const now = this.options.cache.clock();
    let stale = 0;
    const fields = entry.fields.map((f) => {
      const fresh = now - f.storedAt < f.maxAge * 1000;
      if (!fresh) stale++;
      return {
        path: f.path,
        status: fresh ? ('HIT' as const) : ('STALE' as const),
        scope: f.scope,
        maxAge: f.maxAge,
        age: Math.max(0, Math.floor((now - f.storedAt) / 1000)),
      };
    });
    const report: CacheReport = {
      status: stale === 0 ? 'HIT' : 'STALE',
      tier: 'operation',
      hits: fields.length - stale,
      misses: 0,
      fields,
    };
    if (stale > 0) report.stale = stale;
    return report;
  }

  /**
   * Takes the background refresh of a stale entry: true for its first caller in this process, false ever
   * after (the refresh stores a new entry; if it cannot, the stale one expires at the end of its window).
   */
  startRefresh(entry: OperationEntry): boolean {
    if (this.refreshing.has(entry)) return false;
    this.refreshing.add(entry);
    return true;
  }

  /**
   * Notes which fields of `schema` have a resolver of their own. Call it before the schema serves (the
   * plugin does, in `serverWillStart`): Apollo Server then wraps every field's resolver for its own
   * per-field hooks, after which a plain property read can no longer be told from a resolver.
   */
  learnSchema(schema: GraphQLSchema): void {
    for (const type of Object.values(schema.getTypeMap())) {
      if (!isObjectType(type) || type.name.startsWith('__')) continue;
      for (const field of Object.values(type.getFields())) this.hasLogic.set(field, field.resolve !== undefined);
    }
  }

  /**
   * Whether every field `operationName` of `document` may select is answered from the cache or is a
   * plain property read: decided once per document from the schema (`@CacheControl` fields carry
   * `extensions.cacheControl`; a plain property has no resolver of its own) and remembered for as long
   * as the document lives.
   */
  isStorable(schema: GraphQLSchema, document: DocumentNode, operationName: string | null | undefined): boolean {
    let perOperation = this.storable.get(document);
    if (!perOperation) {
      perOperation = new Map();
      this.storable.set(document, perOperation);
    }
    const name = operationName ?? '';
    let decision = perOperation.get(name);
    if (decision === undefined) {
      decision = decideStorable(schema, document, operationName, this.hasLogic);
      perOperation.set(name, decision);
    }
    return decision;
  }

  close(): Promise<void> {
    return this.entries.close();
  }
}

interface Dependencies {
  keys: readonly string[];
  tokens: readonly string[];
}

const ownKey = (key: OperationKey) => `op:${key.operation}:${key.callerHash}`;
const sharedKey = (callerClass: string, operation: string) => `op:${operation}:class:${callerClass}`;
const callerKey = (callerHash: string) => `caller:${callerHash}`;

/** The caller's own entry when it holds; else the shared one, when both it and the caller's record hold. */
function pick(
  own: OperationEntry | undefined,
  record: CallerRecord | undefined,
  shared: OperationEntry | undefined,
  holds: (d: Dependencies) => boolean,
  now: number,
): OperationHit | undefined {
  if (own && holds(own)) return { entry: own, caller: own.caller, shared: false, stale: now >= own.freshUntil };
  if (shared && record && holds(record) && holds(shared)) {
    return { entry: shared, caller: record.caller, shared: true, stale: now >= shared.freshUntil };
  }
  return undefined;
}

type LogicMap = WeakMap<GraphQLField<unknown, unknown>, boolean>;

function decideStorable(
  schema: GraphQLSchema,
  document: DocumentNode,
  operationName: string | null | undefined,
  hasLogic: LogicMap,
): boolean {
  const operations = document.definitions.filter((d) => d.kind === Kind.OPERATION_DEFINITION);
  const operation = operationName ? operations.find((o) => o.name?.value === operationName) : operations[0];
  const queryType = schema.getQueryType();
  if (operation?.operation !== 'query' || !queryType) return false;
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const d of document.definitions) if (d.kind === Kind.FRAGMENT_DEFINITION) fragments.set(d.name.value, d);
  return selectionIsStorable(schema, queryType, operation.selectionSet, fragments, new Set(), hasLogic);
}

function selectionIsStorable(
  schema: GraphQLSchema,
  parent: GraphQLCompositeType,
  selectionSet: SelectionSetNode,
  fragments: Map<string, FragmentDefinitionNode>,
  visiting: Set<string>,
  hasLogic: LogicMap,
): boolean {
  for (const selection of selectionSet.selections) {
    if (selection.kind === Kind.FIELD) {
      const name = selection.name.value;
      if (name === '__typename') continue;
      if (!('getFields' in parent)) return false; // a union: only __typename is plain
      const field = parent.getFields()[name];
      if (!field) return false;
      const cached = field.extensions?.cacheControl !== undefined;
      if (!cached && hasLogic.get(field) !== false) return false; // logic of its own (or unknown), not cached
      if (selection.selectionSet) {
        const type = getNamedType(field.type);
        if (
          !isCompositeType(type) ||
          !selectionIsStorable(schema, type, selection.selectionSet, fragments, visiting, hasLogic)
        )
          return false;
      }
    } else {
      const fragment = selection.kind === Kind.FRAGMENT_SPREAD ? fragments.get(selection.name.value) : selection;
      if (!fragment) return false;
      if (selection.kind === Kind.FRAGMENT_SPREAD) {
        if (visiting.has(selection.name.value)) return false;
        visiting.add(selection.name.value);
      }
      const condition = fragment.typeCondition ? schema.getType(fragment.typeCondition.name.value) : parent;
      if (!condition || !isCompositeType(condition)) return false;
      const ok = selectionIsStorable(schema, condition, fragment.selectionSet, fragments, visiting, hasLogic);
      if (selection.kind === Kind.FRAGMENT_SPREAD) visiting.delete(selection.name.value);
      if (!ok) return false;
    }
  }
  return true;
}

/** Creates the operation tier over a resolver cache. */
export function createOperationTier(options: OperationTierOptions): OperationTier {
  return new OperationTier(options);
}
