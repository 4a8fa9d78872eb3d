import {
  type GraphQLArgument,
  type GraphQLInputType,
  getNamedType,
  isEnumType,
  isInputObjectType,
  isNonNullType,
  isObjectType,
  isScalarType,
} from 'graphql';
import { buildAppSchema } from '../../src/graphql/schema';
import { type AppOnRedis, startAppOnPrivateRedis } from '../helpers/app-on-redis';
import { cacheReport } from '../helpers/cache-report';
import type { GraphQLResponse } from '../helpers/graphql-client';
import { startTestApp, type TestApp } from '../helpers/test-app';
import { readyBackend } from '../helpers/wait';

// Audit: `ID` arguments are validated before any cache work: a canonical positive integer in
// 1..2^31-1, else BAD_USER_INPUT naming the argument; nothing is stored for a refused call.

const USER = 'query($id: ID!) { user(id: $id) { id } }';
const API_KEYS = 'query($userId: ID) { apiKeys(userId: $userId) { id } }';
const UPDATE = 'mutation($id: ID!) { updateUser(id: $id, input: { fullName: "X" }) { id } }';

const HUGE = '1'.repeat(900 * 1024);
const BAD_IDS = [HUGE, '-1', 'abc', '0', '007', '+1', ' 1', '1.0', '1e3', '2147483648', '99999999999999999999', ''];

/** Asserts a refusal with BAD_USER_INPUT that names `field`, without echoing the value. */
function expectBadId(res: GraphQLResponse<unknown>, field: string): void {
  const error = res.body.errors?.[0];
  expect(error?.extensions?.code).toBe('BAD_USER_INPUT');
  expect(error?.message).toContain(`${field}: must be a positive integer`);
  expect(res.text.length).toBeLessThan(2000);
}

/** Every refused call of the audit, as the admin. */
async function refuseBadIds(t: TestApp): Promise<void> {
  for (const id of BAD_IDS) {
    expectBadId(await t.admin.request(USER, { id }), 'id');
    expectBadId(await t.admin.request(API_KEYS, { userId: id }), 'userId');
  }
  expectBadId(await t.admin.request(API_KEYS, { userId: '1e9999' }), 'userId');
  expectBadId(await t.admin.request(UPDATE, { id: 'x' }), 'id');
}

describe('audit: ID arguments are validated before any cache work (memory)', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(async () => t?.close());

  it('a 900 KB, negative, non-numeric, non-canonical or out-of-range id is BAD_USER_INPUT naming the argument; nothing is stored', async () => {
    const u = await t.createUser(); // a signed-in USER is refused the same way
    // Both keys' lookups (and their first use) are stored before counting.
    for (const client of [t.admin, u.client]) await client.ok('{ me { id } }');
    const before = t.app.cache!.entryCount();
    await refuseBadIds(t);
    expectBadId(await u.client.request(USER, { id: HUGE }), 'id');
    expect(t.app.cache!.entryCount()).toBe(before);
  });

  it('a valid id of nobody is null (and cached), the largest id included', async () => {
    for (const id of ['999999', '2147483647']) {
      const res = await t.admin.request<{ user: null }>(USER, { id });
      expect(res.body.errors).toBeUndefined();
      expect(res.body.data?.user).toBeNull();
      expect(cacheReport(await t.admin.request(USER, { id }))?.status).toBe('HIT');
    }
  });

  it('every ID argument of every root field refuses "abc" with BAD_USER_INPUT naming it (schema walk)', async () => {
    const schema = await buildAppSchema();
    const checked: string[] = [];
    for (const [operation, type] of [
      ['query', schema.getQueryType()!],
      ['mutation', schema.getMutationType()!],
    ] as const) {
      for (const field of Object.values(type.getFields())) {
        for (const target of field.args.filter((a) => getNamedType(a.type).name === 'ID')) {
          const variables: Record<string, unknown> = {};
          const declared: string[] = [];
          for (const arg of field.args) {
            const value = arg === target ? 'abc' : sampleValue(arg);
            if (value === undefined) continue;
            variables[arg.name] = value;
            declared.push(`$${arg.name}: ${arg.type.toString()}`);
          }
          const passed = Object.keys(variables).map((name) => `${name}: $${name}`);
          const selection = isObjectType(getNamedType(field.type)) ? ' { __typename }' : '';
          const query = `${operation}(${declared.join(', ')}) { ${field.name}(${passed.join(', ')})${selection} }`;
          const res = await t.admin.request(query, variables);
          expect({
            at: `${type.name}.${field.name}(${target.name})`,
            code: res.body.errors?.[0]?.extensions?.code,
          }).toEqual({ at: `${type.name}.${field.name}(${target.name})`, code: 'BAD_USER_INPUT' });
          expect(res.body.errors?.[0]?.message).toContain(`${target.name}: must be a positive integer`);
          checked.push(`${type.name}.${field.name}(${target.name})`);
        }
      }
    }
    expect(checked).toEqual(
      expect.arrayContaining([
        'Query.user(id)',
        'Query.apiKeys(userId)',
        'Mutation.updateUser(id)',
        'Mutation.deleteUser(id)',
        'Mutation.createApiKey(userId)',
        'Mutation.revokeApiKey(id)',
      ]),
    );
  });
});

/** A value for a required argument (undefined for an optional one): enough to reach the resolver. */
function sampleValue(arg: GraphQLArgument): unknown {
  return isNonNullType(arg.type) ? sampleOf(arg.type.ofType) : undefined;
}

function sampleOf(type: GraphQLInputType): unknown {
  if (isNonNullType(type)) return sampleOf(type.ofType);
  if (isEnumType(type)) return type.getValues()[0]!.name;
  if (isInputObjectType(type)) {
    const value: Record<string, unknown> = {};
    for (const field of Object.values(type.getFields())) {
      if (isNonNullType(field.type)) value[field.name] = sampleOf(field.type);
    }
    return value;
  }
  if (isScalarType(type)) {
    return { String: 'sample', Int: 1, Float: 1, Boolean: true, ID: '1' }[type.name] ?? 'sample';
  }
  return [];
}

describe('audit: ID arguments are validated before any cache work (Redis)', () => {
  let app: AppOnRedis;
  beforeAll(async () => {
    app = await startAppOnPrivateRedis();
  });
  afterAll(async () => app?.close());

  it('refused ids leave DBSIZE unchanged; a valid id of nobody is null', async () => {
    const { t } = app;
    expect(await readyBackend(t)).toBe('redis');
    await t.admin.ok('{ me { id } }');
    const before = await app.dbSize();
    await refuseBadIds(t);
    expect(await app.dbSize()).toBe(before);
    expect((await t.admin.ok<{ user: null }>(USER, { id: '999999' })).user).toBeNull();
    expect(await app.dbSize()).toBeGreaterThan(before); // the valid null is stored
  });
});

describe('audit: an entry larger than CACHE_MAX_ENTRY_BYTES', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ env: { CACHE_MAX_ENTRY_BYTES: '400' } });
  });
  afterAll(async () => t?.close());

  async function oversizedTotal(): Promise<number> {
    const text = await (await fetch(`${t.baseUrl}/metrics`)).text();
    return Number(/^graphql_cache_oversized_total (\d+)/m.exec(text)?.[1] ?? 0);
  }

  it('is not stored, and graphql_cache_oversized_total counts it', async () => {
    for (let i = 0; i < 5; i++) await t.createUser();
    const USERS = '{ users(size: 20) { total items { id email fullName role createdAt updatedAt } } }';
    await t.admin.ok('{ me { id } }');
    const counted = await oversizedTotal();
    const stored = t.app.cache!.entryCount();
    const first = await t.admin.request(USERS);
    expect(first.body.errors).toBeUndefined();
    expect(JSON.stringify(first.body.data).length).toBeGreaterThan(400);
    expect(cacheReport(first)?.status).toBe('MISS');
    expect(cacheReport(await t.admin.request(USERS))?.status).toBe('MISS'); // never stored
    expect(t.app.cache!.entryCount()).toBe(stored);
    expect(await oversizedTotal()).toBeGreaterThanOrEqual(counted + 2);
  });
});
