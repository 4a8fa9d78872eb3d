import { ApolloServer, type GraphQLResponse, HeaderMap } from '@apollo/server';
import { type GraphQLSchema, graphql, specifiedDirectives } from 'graphql';
import { buildSchema, Ctx, Field, FieldResolver, ID, ObjectType, Query, Resolver, Root } from 'type-graphql';
import {
  CacheControl,
  type CacheReport,
  cacheControlDirective,
  createCachePlugin,
  createMemoryStore,
  createResolverCache,
  type ResolverCache,
} from '../../src/cache';

interface TestContext {
  /** Whom PRIVATE entries are keyed by; null when anonymous. */
  subject: string | null;
}

/** What the resolvers answer; the tests change it to tell a fresh value from a cached one. */
const backend = {
  names: new Map<string, string>([
    ['1', 'one'],
    ['2', 'two'],
  ]),
  detailsVersion: 1,
  profileVersion: 1,
};
/** How many times each resolver really ran. */
const runs = { items: 0, profile: 0, details: 0, serverTime: 0 };

@ObjectType()
class Item {
  @Field(() => ID)
  id!: string;

  @Field()
  name!: string;
}

@Resolver(() => Item)
class ItemResolver {
  @Query(() => [Item])
  @CacheControl({ maxAge: 30, scope: 'PUBLIC', namespace: 'items' })
  items(): Item[] {
    runs.items++;
    return [...backend.names].map(([id, name]) => Object.assign(new Item(), { id, name }));
  }

  @Query(() => String)
  @CacheControl<TestContext>({ scope: 'PRIVATE', namespace: ({ context }) => `profile:${context.subject}` })
  profile(@Ctx() { subject }: TestContext): string {
    runs.profile++;
    return `profile of ${subject ?? 'nobody'} v${backend.profileVersion}`;
  }

  /** Not cached. */
  @Query(() => Number)
  serverTime(): number {
    runs.serverTime++;
    return runs.serverTime;
  }

  @FieldResolver(() => String)
  @CacheControl({ maxAge: 120, scope: 'PUBLIC', namespace: ({ root }) => `item:${(root as Item).id}` })
  details(@Root() item: Item): string {
    runs.details++;
    return `details of ${item.id} v${backend.detailsVersion}`;
  }
}

const ITEMS = '{ items { id name details } }';
const PROFILE = '{ profile }';

let schema: GraphQLSchema;
const clock = { ms: 1_700_000_000_000 };
let cache: ResolverCache<TestContext>;
let server: ApolloServer<TestContext>;
let uncached: ApolloServer<TestContext>;

beforeAll(async () => {
  schema = await buildSchema({
    resolvers: [ItemResolver],
    directives: [...specifiedDirectives, cacheControlDirective],
  });
  cache = createResolverCache<TestContext>({
    store: createMemoryStore(),
    defaultMaxAge: 45,
    getSubject: (context) => context.subject,
    now: () => clock.ms,
  });
  server = new ApolloServer<TestContext>({ schema, plugins: [createCachePlugin<TestContext>(cache)] });
  uncached = new ApolloServer<TestContext>({ schema });
  await Promise.all([server.start(), uncached.start()]);
});
afterAll(async () => {
  await Promise.all([server?.stop(), uncached?.stop()]);
});

interface Answer {
  data: Record<string, unknown> | null | undefined;
  errors: unknown;
  report: CacheReport | undefined;
  xCache: string | undefined;
  vary: string | undefined;
}

/** One operation through Apollo (no HTTP), with a fresh context and the given request headers. */
async function run(
  query: string,
  subject: string | null = null,
  headers: Record<string, string> = {},
  on: ApolloServer<TestContext> = server,
): Promise<Answer> {
  const response: GraphQLResponse = await on.executeOperation(
    { query, http: { method: 'POST', headers: new HeaderMap(Object.entries(headers)), search: '', body: {} } },
    { contextValue: { subject } },
  );
  if (response.body.kind !== 'single') throw new Error('expected a single result');
  const { data, errors, extensions } = response.body.singleResult;
  return {
    data,
    errors,
    report: extensions?.cache as CacheReport | undefined,
    xCache: response.http.headers.get('x-cache'),
    vary: response.http.headers.get('vary'),
  };
}

const byPath = (report: CacheReport | undefined) =>
  [...(report?.fields ?? [])].sort((a, b) => a.path.localeCompare(b.path));

describe('the caching middleware through Apollo (createCachePlugin)', () => {
  it('MISS, then HIT with the same data: extensions.cache, X-Cache and Vary', async () => {
    const before = { ...runs };
    const miss = await run(ITEMS);
    expect(miss.errors).toBeUndefined();
    expect(miss.data).toEqual({
      items: [
        { id: '1', name: 'one', details: 'details of 1 v1' },
        { id: '2', name: 'two', details: 'details of 2 v1' },
      ],
    });
    expect(miss.report).toMatchObject({ status: 'MISS', hits: 0, misses: 3 });
    expect(byPath(miss.report)).toEqual([
      { path: 'items', status: 'MISS', scope: 'PUBLIC', maxAge: 30, age: 0 },
      { path: 'items.0.details', status: 'MISS', scope: 'PUBLIC', maxAge: 120, age: 0 },
      { path: 'items.1.details', status: 'MISS', scope: 'PUBLIC', maxAge: 120, age: 0 },
    ]);
    expect(miss.xCache).toBe('MISS');
    expect(miss.vary).toBe('Authorization, X-API-Key');
    expect(runs.items - before.items).toBe(1);
    expect(runs.details - before.details).toBe(2);

    clock.ms += 7_500;
    const hit = await run(ITEMS);
    expect(hit.data).toEqual(miss.data);
    expect(hit.report).toMatchObject({ status: 'HIT', hits: 3, misses: 0 });
    expect(byPath(hit.report)).toEqual([
      { path: 'items', status: 'HIT', scope: 'PUBLIC', maxAge: 30, age: 7 },
      { path: 'items.0.details', status: 'HIT', scope: 'PUBLIC', maxAge: 120, age: 7 },
      { path: 'items.1.details', status: 'HIT', scope: 'PUBLIC', maxAge: 120, age: 7 },
    ]);
    expect(hit.xCache).toBe('HIT');
    expect(runs.items - before.items).toBe(1);
    expect(runs.details - before.details).toBe(2);
  });

  it('each cached resolver has its own entry and namespace: evicting one item gives a PARTIAL response', async () => {
    await run(ITEMS);
    backend.detailsVersion++;
    await cache.evict(['item:1']);
    const partial = await run(ITEMS);
    expect(partial.report).toMatchObject({ status: 'PARTIAL', hits: 2, misses: 1 });
    expect(byPath(partial.report).map((f) => [f.path, f.status])).toEqual([
      ['items', 'HIT'],
      ['items.0.details', 'MISS'],
      ['items.1.details', 'HIT'],
    ]);
    expect(partial.xCache).toBe('PARTIAL');
    const items = (partial.data as { items: { details: string }[] }).items;
    expect(items.map((i) => i.details)).toEqual([
      `details of 1 v${backend.detailsVersion}`,
      `details of 2 v${backend.detailsVersion - 1}`,
    ]);
  });

  it('a PRIVATE entry is never shared between two subjects; its maxAge is the cache default', async () => {
    const before = runs.profile;
    const alice = await run(PROFILE, 'alice');
    expect(alice.data).toEqual({ profile: `profile of alice v${backend.profileVersion}` });
    expect(alice.report).toEqual({
      status: 'MISS',
      hits: 0,
      misses: 1,
      fields: [{ path: 'profile', status: 'MISS', scope: 'PRIVATE', maxAge: 45, age: 0 }],
    });
    expect((await run(PROFILE, 'alice')).report?.status).toBe('HIT');

    const bob = await run(PROFILE, 'bob');
    expect(bob.report?.status).toBe('MISS');
    expect(bob.data).toEqual({ profile: `profile of bob v${backend.profileVersion}` });
    expect(runs.profile - before).toBe(2);

    const both = await run('{ profile serverTime }', 'alice');
    expect(both.data).toMatchObject({ profile: `profile of alice v${backend.profileVersion}` });
    expect((await run(PROFILE, 'bob')).data).toEqual(bob.data);
    expect(runs.profile - before).toBe(2);
  });

  it('a PRIVATE field with no subject is not cached (runs every time, no report)', async () => {
    const before = runs.profile;
    for (let i = 0; i < 3; i++) {
      const anonymous = await run(PROFILE, null);
      expect(anonymous.data).toEqual({ profile: `profile of nobody v${backend.profileVersion}` });
      expect(anonymous.report).toBeUndefined();
      expect(anonymous.xCache).toBeUndefined();
    }
    expect(runs.profile - before).toBe(3);
    // Alongside a cached field, it is simply left out of the report.
    const mixed = await run('{ profile items { id } }', null);
    expect(mixed.report?.fields.map((f) => f.path)).toEqual(['items']);
  });

  it('a plain field is never reported, and runs every time', async () => {
    const before = runs.serverTime;
    const plain = await run('{ serverTime }', 'alice');
    expect(plain.report).toBeUndefined();
    expect(plain.xCache).toBeUndefined();
    await run('{ serverTime }', 'alice');
    expect(runs.serverTime - before).toBe(2);
  });

  it('Cache-Control: no-cache runs every cached resolver fresh, reports BYPASS, and refreshes the entries', async () => {
    await run(PROFILE, 'carol');
    expect((await run(PROFILE, 'carol')).report?.status).toBe('HIT');
    backend.profileVersion++;
    const before = runs.profile;
    const bypass = await run(PROFILE, 'carol', { 'cache-control': 'no-cache' });
    expect(bypass.data).toEqual({ profile: `profile of carol v${backend.profileVersion}` });
    expect(bypass.report).toEqual({
      status: 'BYPASS',
      hits: 0,
      misses: 1,
      fields: [{ path: 'profile', status: 'BYPASS', scope: 'PRIVATE', maxAge: 45, age: 0 }],
    });
    expect(bypass.xCache).toBe('BYPASS');
    expect(runs.profile - before).toBe(1);

    const after = await run(PROFILE, 'carol');
    expect(after.report?.status).toBe('HIT');
    expect(after.data).toEqual(bypass.data);
    expect(runs.profile - before).toBe(1);

    const itemsBypass = await run(ITEMS, null, { pragma: 'no-cache' });
    expect(itemsBypass.report?.fields.map((f) => f.status)).toEqual(['BYPASS', 'BYPASS', 'BYPASS']);
  });

  it('caching off (no plugin): the resolvers run as if undecorated, with no report and no header', async () => {
    const before = { ...runs };
    for (let i = 0; i < 2; i++) {
      const items = await run(ITEMS, 'alice', {}, uncached);
      expect(items.errors).toBeUndefined();
      expect((items.data as { items: unknown[] }).items).toHaveLength(2);
      expect(items.report).toBeUndefined();
      expect(items.xCache).toBeUndefined();
      const profile = await run(PROFILE, 'alice', {}, uncached);
      expect(profile.data).toEqual({ profile: `profile of alice v${backend.profileVersion}` });
      expect(profile.report).toBeUndefined();
    }
    expect(runs.items - before.items).toBe(2);
    expect(runs.details - before.details).toBe(4);
    expect(runs.profile - before.profile).toBe(2);
  });

  it('graphql() of graphql-js, with no Apollo at all: the middleware is inert', async () => {
    const before = { ...runs };
    for (let i = 0; i < 2; i++) {
      const result = await graphql({ schema, source: ITEMS, contextValue: { subject: 'alice' } });
      expect(result.errors).toBeUndefined();
      expect(result.extensions).toBeUndefined();
      expect(result.data).toEqual({
        items: [
          { id: '1', name: 'one', details: `details of 1 v${backend.detailsVersion}` },
          { id: '2', name: 'two', details: `details of 2 v${backend.detailsVersion}` },
        ],
      });
      const profile = await graphql({ schema, source: PROFILE, contextValue: { subject: 'alice' } });
      expect(profile.errors).toBeUndefined();
      expect(profile.data).toEqual({ profile: `profile of alice v${backend.profileVersion}` });
    }
    expect(runs.items - before.items).toBe(2);
    expect(runs.details - before.details).toBe(4);
    expect(runs.profile - before.profile).toBe(2);
  });
});
