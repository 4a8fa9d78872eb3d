import { UsersDocument } from '../../client/generated/graphql';
import { loadConfig } from '../../src/config';
import type { GraphQLResponse } from '../helpers/graphql-client';
import { startTestApp, type TestApp } from '../helpers/test-app';

/** `{ me { apiKeys { owner { apiKeys { … id } } } } }`, exactly `depth` field levels deep. */
function deepQuery(depth: number): string {
  let inner = 'id';
  for (let level = depth - 1; level >= 2; level--) inner = `${level % 2 === 0 ? 'apiKeys' : 'owner'} { ${inner} }`;
  return `{ me { ${inner} } }`;
}

const aliases = (n: number, field = (i: number) => `a${i}: me`) =>
  Array.from({ length: n }, (_, i) => `${field(i)} { id }`).join(' ');

/** A refusal before execution: HTTP 400, the limit's code and message, no data, no SQL, no cache. */
async function expectRefused(
  t: TestApp,
  send: () => Promise<GraphQLResponse>,
  code: string,
  message: string,
): Promise<GraphQLResponse & { ms: number }> {
  t.resetSql();
  const started = performance.now();
  const res = await send();
  const ms = performance.now() - started;
  expect(res.status).toBe(400);
  expect(res.body.errors?.[0]?.extensions?.code).toBe(code);
  expect(res.body.errors?.[0]?.message).toBe(message);
  expect(res.body.data).toBeUndefined();
  expect(res.body.extensions?.cache).toBeUndefined();
  expect(res.headers.get('x-cache')).toBeNull();
  expect(t.sql).toEqual([]);
  return { ...res, ms };
}

describe('query limits: the defaults', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
    await t.admin.ok('{ me { id } }'); // the admin's key is looked up (and its lastUsedAt written) once
  });
  afterAll(async () => t?.close());
  beforeEach(() => t.resetSql());

  it('admit a page of 100 users with their keys (complexity 3303) and the client Users query (5705)', async () => {
    const page = await t.admin.request('{ users(size: 100) { items { id email apiKeys { id name prefix } } total } }');
    expect(page.status).toBe(200);
    expect(page.body.errors).toBeUndefined();
    const users = await t.admin.request(UsersDocument, { page: 1, size: 100 });
    expect(users.body.errors).toBeUndefined();
  });

  it('refuse depth 11 with QUERY_TOO_DEEP, before any resolver or the cache, for the admin as for anyone', async () => {
    const deep = deepQuery(11);
    const message = 'Query depth 11 exceeds the limit of 10 (QUERY_MAX_DEPTH).';
    await expectRefused(t, () => t.admin.request(deep), 'QUERY_TOO_DEEP', message);
    await expectRefused(t, () => t.anonymous.request(deep), 'QUERY_TOO_DEEP', message);
    expect((await t.admin.request(deep)).body.errors?.[0]?.extensions).toEqual({
      code: 'QUERY_TOO_DEEP',
      limit: 10,
      value: 11,
    });
  });

  it('admit four full pages with keys in one request (22820), refuse two more hops of lists (122102)', async () => {
    const page =
      'users(size: 100) { items { id email fullName role createdAt updatedAt apiKeys { id name prefix createdAt lastUsedAt } } total page size }';
    const four = await t.admin.request(`{ a: ${page} b: ${page} c: ${page} d: ${page} }`);
    expect(four.body.errors).toBeUndefined();
    await expectRefused(
      t,
      () =>
        t.admin.request(
          '{ users(size: 100) { items { apiKeys { owner { apiKeys { owner { apiKeys { id } } } } } } } }',
        ),
      'QUERY_TOO_COMPLEX',
      'Query complexity 122102 exceeds the limit of 25000 (QUERY_MAX_COMPLEXITY).',
    );
  });

  it('refuse an 80-level deep query quickly', async () => {
    const { ms } = await expectRefused(
      t,
      () => t.anonymous.request(deepQuery(80)),
      'QUERY_TOO_DEEP',
      'Query depth 80 exceeds the limit of 10 (QUERY_MAX_DEPTH).',
    );
    expect(ms).toBeLessThan(10_000);
  });

  it('refuse a 1,000-alias query quickly: past 2000 tokens the parser stops (QUERY_TOO_LARGE)', async () => {
    const { ms } = await expectRefused(
      t,
      () => t.admin.request(`{ ${aliases(1000)} }`),
      'QUERY_TOO_LARGE',
      'Query size exceeds the limit of 2000 tokens (QUERY_MAX_TOKENS); parsing stopped at token 2001.',
    );
    expect(ms).toBeLessThan(10_000);
  });

  it('leave other validation errors as they were', async () => {
    const res = await t.admin.request('{ me { password } }');
    expect(res.body.errors?.[0]?.extensions?.code).toBe('GRAPHQL_VALIDATION_FAILED');
  });
});

describe('query limits: small limits from the environment, at the limit and one past it', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({
      env: { QUERY_MAX_DEPTH: '4', QUERY_MAX_ALIASES: '3', QUERY_MAX_COMPLEXITY: '52', QUERY_MAX_TOKENS: '40' },
    });
    await t.admin.ok('{ me { id } }');
  });
  afterAll(async () => t?.close());
  beforeEach(() => t.resetSql());

  it('QUERY_MAX_DEPTH: 4 levels pass, 5 do not', async () => {
    expect((await t.admin.request(deepQuery(4))).body.errors).toBeUndefined();
    await expectRefused(
      t,
      () => t.admin.request(deepQuery(5)),
      'QUERY_TOO_DEEP',
      'Query depth 5 exceeds the limit of 4 (QUERY_MAX_DEPTH).',
    );
  });

  it('QUERY_MAX_ALIASES: 3 aliases or root fields pass, 4 do not, at any depth and through fragments', async () => {
    expect((await t.admin.request(`{ ${aliases(3)} }`)).body.errors).toBeUndefined();
    expect((await t.admin.request('{ me { id } apiKeys { id } users { total } }')).body.errors).toBeUndefined();
    const message = 'Query aliases and root fields 4 exceed the limit of 3 (QUERY_MAX_ALIASES).';
    await expectRefused(t, () => t.admin.request(`{ ${aliases(4)} }`), 'QUERY_TOO_MANY_ALIASES', message);
    await expectRefused(
      t,
      () => t.admin.request('{ me { a: id b: id } x: me { id } }'),
      'QUERY_TOO_MANY_ALIASES',
      message,
    );
    await expectRefused(
      t,
      () => t.admin.request('{ me { id } apiKeys { id } users { total } __typename }'),
      'QUERY_TOO_MANY_ALIASES',
      message,
    );
    await expectRefused(
      t,
      () => t.admin.request(`{ ...F } fragment F on Query { ${aliases(4)} }`),
      'QUERY_TOO_MANY_ALIASES',
      message,
    );
  });

  it('QUERY_MAX_COMPLEXITY: a page of 50 costs 52 and passes, a page of 51 does not', async () => {
    expect((await t.admin.request('{ users(size: 50) { items { id } } }')).body.errors).toBeUndefined();
    await expectRefused(
      t,
      () => t.admin.request('{ users(size: 51) { items { id } } }'),
      'QUERY_TOO_COMPLEX',
      'Query complexity 53 exceeds the limit of 52 (QUERY_MAX_COMPLEXITY).',
    );
    // A size given as a variable counts as the largest accepted (100), whatever its value.
    await expectRefused(
      t,
      () => t.admin.request('query($n: Int!) { users(size: $n) { items { id } } }', { n: 1 }),
      'QUERY_TOO_COMPLEX',
      'Query complexity 102 exceeds the limit of 52 (QUERY_MAX_COMPLEXITY).',
    );
  });

  it('QUERY_MAX_TOKENS: 40 tokens pass, 41 do not', async () => {
    const ids = (n: number) => `{ me { ${'id '.repeat(n)}} }`; // 5 tokens and n
    expect((await t.admin.request(ids(35))).body.errors).toBeUndefined();
    const res = await expectRefused(
      t,
      () => t.admin.request(ids(36)),
      'QUERY_TOO_LARGE',
      'Query size exceeds the limit of 40 tokens (QUERY_MAX_TOKENS); parsing stopped at token 41.',
    );
    expect(res.body.errors?.[0]?.extensions).toEqual({ code: 'QUERY_TOO_LARGE', limit: 40, value: 41 });
  });

  it('every operation of a document must be within the limits, not only the one named', async () => {
    const res = await fetch(t.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${t.adminKey}` },
      body: JSON.stringify({ query: `query Small { me { id } } query Deep ${deepQuery(5)}`, operationName: 'Small' }),
    });
    expect(res.status).toBe(400);
    expect((await res.json()).errors[0].extensions.code).toBe('QUERY_TOO_DEEP');
  });
});

describe('query limits: a 1,000-alias query within the token limit', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ env: { QUERY_MAX_TOKENS: '100000' } });
  });
  afterAll(async () => t?.close());
  beforeEach(() => t.resetSql());

  it.each([
    ['distinct aliases', (i: number) => `a${i}: me`],
    ['one alias, repeated (quadratic for graphql-js field merging)', () => 'a: me'],
  ])('is refused quickly with QUERY_TOO_MANY_ALIASES: %s', async (_name, field) => {
    const { ms } = await expectRefused(
      t,
      () => t.anonymous.request(`{ ${aliases(1000, field)} }`),
      'QUERY_TOO_MANY_ALIASES',
      'Query aliases and root fields 1000 exceed the limit of 30 (QUERY_MAX_ALIASES).',
    );
    expect(ms).toBeLessThan(10_000);
  });
});

describe('query limits: configuration', () => {
  it('names the variable, what it must be and what it got', () => {
    expect(() => loadConfig({ QUERY_MAX_DEPTH: '0' })).toThrow(
      'QUERY_MAX_DEPTH must be a number of levels (1-1000), got: "0"',
    );
    expect(() => loadConfig({ QUERY_MAX_TOKENS: 'lots' })).toThrow(
      'QUERY_MAX_TOKENS must be a number of tokens (1-1000000), got: "lots"',
    );
    expect(loadConfig({}).queryLimits).toEqual({ maxDepth: 10, maxAliases: 30, maxComplexity: 25000, maxTokens: 2000 });
  });
});
