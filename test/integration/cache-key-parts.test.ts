/**
 * Custom key parts (`@CacheControl({ key })`) through a real HTTP server: the operation tier's handler in
 * front of Express and Apollo, the real cache plugin, resolver cache and operation tier, on the memory
 * store and on a private redis-server. Two tenants (a request header the context reads) asking the same
 * PUBLIC field with the same arguments never get each other's value, on either tier.
 */
import { createHash } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { ApolloServer } from '@apollo/server';
import { ApolloServerPluginCacheControlDisabled } from '@apollo/server/plugin/disabled';
import { expressMiddleware } from '@as-integrations/express5';
import express from 'express';
import { specifiedDirectives } from 'graphql';
import { Arg, buildSchema, Ctx, Query, Resolver } from 'type-graphql';
import {
  CacheControl,
  type CacheEvent,
  type CacheReport,
  type CacheStore,
  cacheControlDirective,
  carryOperationCandidate,
  createCachePlugin,
  createMemoryStore,
  createOperationTier,
  createResolverCache,
  type ResolverCache,
} from '../../src/cache';
import { createRedisStore } from '../../src/cache/redis';
import { createOperationHandler } from '../../src/http/operation-handler';
import { startRedisServer, type TestRedisServer } from '../helpers/redis-server';

interface Viewer {
  id: string;
  role: string;
}

interface TenantContext {
  tenantId: string | null;
  viewer: Viewer | null;
}

/** How many times each resolver really ran. */
const runs = { greeting: 0, plain: 0, broken: 0 };
/** Milliseconds `greeting` takes, so that concurrent misses overlap. */
const slow = { ms: 0 };

/** What `broken`'s key function does, by its `how` argument. */
const badKeys: Record<string, () => unknown> = {
  throws: () => {
    throw new Error('no tenant here');
  },
  oversized: () => ['x'.repeat(2000)],
  nested: () => [{ tenant: 'a' }],
  notArray: () => 'tenant-a',
  nan: () => [Number.NaN],
  nothing: () => undefined,
};

@Resolver()
class TenantResolver {
  @Query(() => String)
  @CacheControl<TenantContext>({
    maxAge: 60,
    scope: 'PUBLIC',
    namespace: 'greetings',
    key: ({ context, args }) => [context.tenantId, args.locale],
  })
  async greeting(@Arg('locale', () => String) locale: string, @Ctx() { tenantId }: TenantContext): Promise<string> {
    const run = ++runs.greeting;
    if (slow.ms) await sleep(slow.ms);
    return `${locale} greeting of ${tenantId} #${run}`;
  }

  /** No key parts: the operation tier serves it as before. */
  @Query(() => String)
  @CacheControl({ maxAge: 60, scope: 'PUBLIC', namespace: 'plain' })
  plain(): string {
    return `plain #${++runs.plain}`;
  }

  @Query(() => String)
  @CacheControl<TenantContext>({
    maxAge: 60,
    scope: 'PUBLIC',
    namespace: 'broken',
    key: ({ args }) => badKeys[args.how as string]!() as never,
  })
  broken(@Arg('how', () => String) how: string, @Ctx() { tenantId }: TenantContext): string {
    return `${how} of ${tenantId} #${++runs.broken}`;
  }
}

const hashOf = (secret: string) => createHash('sha256').update(secret).digest('base64url');
const callerNamespace = (callerHash: string) => `auth:${callerHash}`;

interface Harness {
  url: string;
  cache: ResolverCache<TenantContext>;
  warnings: { obj: object; msg: string }[];
  events: CacheEvent[];
  close(): Promise<void>;
}

/** The app's wiring in small: operation handler -> Express -> Apollo, with the real cache pieces. */
async function startHarness(backend: 'memory' | 'redis'): Promise<Harness> {
  let redis: TestRedisServer | undefined;
  const memory = createMemoryStore();
  let store: CacheStore = memory;
  if (backend === 'redis') {
    redis = await startRedisServer();
    const onRedis = createRedisStore({ url: redis.url, timeoutMs: 1000 });
    for (let i = 0; ; i++) {
      try {
        await onRedis.ping();
        break;
      } catch (error) {
        if (i > 50) throw error;
        await sleep(50);
      }
    }
    store = onRedis;
  }
  const warnings: Harness['warnings'] = [];
  const events: CacheEvent[] = [];
  const cache = createResolverCache<TenantContext>({
    store,
    getSubject: (context) => context.viewer?.id,
    logger: { info: () => undefined, warn: (obj, msg) => void warnings.push({ obj, msg }) },
    onEvent: (event) => void events.push(event),
  });
  const tier = createOperationTier({
    cache,
    // On memory the tokens are read synchronously from the cache's own store; on Redis, from Redis.
    localTokens: backend === 'memory' ? memory : undefined,
    callerNamespace,
    sharing: { classOf: (viewer) => (viewer ? `role:${(viewer as Viewer).role}` : null), callerTtlSeconds: 60 },
  });
  const schema = await buildSchema({
    resolvers: [TenantResolver],
    directives: [...specifiedDirectives, cacheControlDirective],
  });
  const apollo = new ApolloServer<TenantContext>({
    schema,
    plugins: [
      createCachePlugin<TenantContext>(cache, {
        operationTier: tier,
        callerOf: (context) => context.viewer,
        cacheControlHeader: true,
      }),
      ApolloServerPluginCacheControlDisabled(),
    ],
  });
  await apollo.start();
  const app = express();
  app.use(
    '/graphql',
    express.json(),
    expressMiddleware(apollo, {
      context: async ({ req }) => {
        const key = req.headers['x-api-key'];
        const tenant = req.headers['x-tenant'];
        const context: TenantContext = {
          tenantId: typeof tenant === 'string' ? tenant : null,
          viewer: typeof key === 'string' ? { id: hashOf(key), role: 'USER' } : null,
        };
        carryOperationCandidate(req, context);
        return context;
      },
    }),
  );
  const handler = createOperationHandler({
    tier,
    callerHashOf: (headers) => (typeof headers['x-api-key'] === 'string' ? hashOf(headers['x-api-key']) : null),
    onHit: () => undefined,
    bodyLimitBytes: 1 << 20,
  });
  const server: Server = createServer((req, res) => handler(req, res, () => app(req, res)));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/graphql`,
    cache,
    warnings,
    events,
    async close() {
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await apollo.stop();
      await tier.close();
      await store.close();
      await redis?.stop();
    },
  };
}

interface Answer {
  data: Record<string, unknown> | undefined;
  errors: unknown;
  report: CacheReport | undefined;
}

let callers = 0;

describe.each(['memory', 'redis'] as const)('custom key parts (%s)', (backend) => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness(backend);
  });
  afterAll(async () => {
    await h?.close();
  });

  /** A caller (an API key) whose authentication tokens exist, so the operation tier may store for it. */
  async function newCaller(): Promise<string> {
    const key = `key-${backend}-${++callers}`;
    await h.cache.evict(['*', callerNamespace(hashOf(key))]);
    return key;
  }

  async function ask(key: string, tenant: string, query: string): Promise<Answer> {
    const res = await fetch(h.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-api-key': key, 'x-tenant': tenant },
      body: JSON.stringify({ query }),
    });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { data?: Record<string, unknown>; errors?: unknown; extensions?: any };
    return { data: body.data, errors: body.errors, report: body.extensions?.cache };
  }

  it('two tenants asking the same PUBLIC field with the same args get their own values on the resolver tier', async () => {
    const [a, b] = [await newCaller(), await newCaller()];
    const query = '{ greeting(locale: "en") }';
    const before = runs.greeting;
    const firstA = await ask(a, 'tenant-a', query);
    const firstB = await ask(b, 'tenant-b', query);
    expect(firstA.errors).toBeUndefined();
    expect(firstA.data?.greeting).toMatch(/^en greeting of tenant-a #\d+$/);
    expect(firstB.data?.greeting).toMatch(/^en greeting of tenant-b #\d+$/);
    expect(firstA.report?.status).toBe('MISS');
    expect(firstB.report?.status).toBe('MISS');
    for (let i = 0; i < 4; i++) {
      const [againA, againB] = [await ask(a, 'tenant-a', query), await ask(b, 'tenant-b', query)];
      expect(againA.data).toEqual(firstA.data);
      expect(againB.data).toEqual(firstB.data);
      // Answered by the resolver tier (the operation tier never stores a response with key parts).
      expect(againA.report).toMatchObject({ status: 'HIT', hits: 1 });
      expect(againA.report?.tier).toBeUndefined();
      expect(againB.report).toMatchObject({ status: 'HIT', hits: 1 });
      expect(againB.report?.tier).toBeUndefined();
    }
    expect(runs.greeting - before).toBe(2);
    // Another locale is another entry too.
    expect((await ask(a, 'tenant-a', '{ greeting(locale: "fr") }')).data?.greeting).toMatch(/^fr greeting of tenant-a/);
  });

  it('one caller switching tenants gets each tenant its own value (no operation-tier entry of its own either)', async () => {
    const a = await newCaller();
    const query = '{ greeting(locale: "de") }';
    const values = new Map<string, unknown>();
    for (let i = 0; i < 3; i++) {
      for (const tenant of ['tenant-a', 'tenant-b', 'tenant-c']) {
        const answer = await ask(a, tenant, query);
        expect(answer.data?.greeting).toMatch(new RegExp(`^de greeting of ${tenant} #\\d+$`));
        expect(answer.report?.tier).toBeUndefined();
        if (i === 0) values.set(tenant, answer.data?.greeting);
        else expect(answer.data?.greeting).toBe(values.get(tenant));
      }
    }
  });

  it('a response mixing a field with key parts and one without is not stored whole; the one without alone is, as before', async () => {
    const [a, b] = [await newCaller(), await newCaller()];
    const query = '{ plain greeting(locale: "it") }';
    for (let i = 0; i < 3; i++) {
      const [fromA, fromB] = [await ask(a, 'tenant-a', query), await ask(b, 'tenant-b', query)];
      expect(fromA.data?.greeting).toMatch(/^it greeting of tenant-a/);
      expect(fromB.data?.greeting).toMatch(/^it greeting of tenant-b/);
      expect(fromA.report?.tier).toBeUndefined();
      expect(fromB.report?.tier).toBeUndefined();
    }
    // Without key parts, the operation tier answers as before: the caller's repeat, then (shared by the
    // role) another caller's, once that caller has a record.
    const first = await ask(a, 'tenant-a', '{ plain }');
    expect(first.report).toMatchObject({ status: 'HIT' });
    expect(first.report?.tier).toBeUndefined();
    const repeat = await ask(a, 'tenant-a', '{ plain }');
    expect(repeat.report?.tier).toBe('operation');
    expect(repeat.data).toEqual(first.data);
    expect((await ask(b, 'tenant-b', '{ plain }')).report?.tier).toBeUndefined(); // writes b's record
    const shared = await ask(b, 'tenant-b', '{ plain }');
    expect(shared.report?.tier).toBe('operation');
    expect(shared.data).toEqual(first.data);
  });

  it('concurrent first misses of two tenants are never joined into one computation', async () => {
    slow.ms = 150;
    try {
      const [a, b] = [await newCaller(), await newCaller()];
      const query = '{ greeting(locale: "nl") }';
      const before = runs.greeting;
      const answers = await Promise.all([
        ask(a, 'tenant-a', query),
        ask(b, 'tenant-b', query),
        ask(a, 'tenant-a', query),
        ask(b, 'tenant-b', query),
      ]);
      expect(answers.map((x) => x.report?.status)).toEqual(['MISS', 'MISS', 'MISS', 'MISS']);
      expect(answers[0]!.data?.greeting).toMatch(/^nl greeting of tenant-a/);
      expect(answers[1]!.data?.greeting).toMatch(/^nl greeting of tenant-b/);
      // The same tenant still joins its own computation: one per tenant.
      expect(answers[2]!.data).toEqual(answers[0]!.data);
      expect(answers[3]!.data).toEqual(answers[1]!.data);
      expect(runs.greeting - before).toBe(2);
    } finally {
      slow.ms = 0;
    }
  });

  it.each(Object.keys(badKeys))(
    'a key function that fails (%s): the value is computed, never cached, and warned about',
    async (how) => {
      const a = await newCaller();
      const query = `{ broken(how: "${how}") }`;
      const before = runs.broken;
      const eventsBefore = h.events.length;
      const first = await ask(a, 'tenant-a', query);
      const second = await ask(a, 'tenant-a', query);
      const third = await ask(a, 'tenant-a', query);
      for (const answer of [first, second, third]) {
        expect(answer.errors).toBeUndefined();
        expect(answer.data?.broken).toMatch(new RegExp(`^${how} of tenant-a #\\d+$`));
        expect(answer.report).toBeUndefined(); // uncached: no field in the report, nor a tier
      }
      expect(new Set([first, second, third].map((x) => x.data?.broken)).size).toBe(3);
      expect(runs.broken - before).toBe(3);
      const failures = h.events.slice(eventsBefore).filter((e) => e.type === 'key-parts-error');
      expect(failures).toHaveLength(3);
      expect(failures[0]).toMatchObject({ coordinate: 'Query.broken' });
      // Warned once per coordinate, whatever the failure.
      const warned = h.warnings.filter((w) => w.msg.includes('Query.broken'));
      expect(warned).toHaveLength(1);
      expect(warned[0]!.msg).toBe('@CacheControl key of Query.broken failed: its resolver runs uncached (warned once)');
      expect((warned[0]!.obj as { err: unknown }).err).toBeInstanceOf(Error);
    },
  );
});
