/**
 * Property-based isolation: random users with random roles, and random sequences of steps, each step
 * a few requests sent at once to two instances that share one private Redis and one database: every
 * query (aliases and fragments included), every mutation, key creation and revocation. A model of
 * what each caller may see (isolation-model.ts) is checked against every response:
 *
 * - no response holds another user's PRIVATE data (`me`, the keys of another user unless ADMIN);
 * - no USER ever gets an ADMIN-only result (`users`);
 * - a revoked key (or a deleted user's) is refused with UNAUTHENTICATED on the next request, on either instance;
 * - and, beyond isolation, every answer is what the model says once the step that wrote it is over
 *   (read-your-writes across instances), or, for requests sent together with a mutation, what the
 *   model says before or after it.
 *
 * `npm test` runs it with a fixed seed; FC_SEED / FC_RUNS change it (`npm run test:property:random`).
 * A failure prints the shrunk sequence, one line per step.
 */

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { startRedisServer, type TestRedisServer } from '../helpers/redis-server';
import { startTestApp, type TestApp } from '../helpers/test-app';
import {
  ABSENT_ID,
  type CallerRef,
  cloneModel,
  emailFor,
  expectMutation,
  expectQuery,
  keyOf,
  knownIds,
  type MField,
  type Model,
  matches,
  NEW,
  type Outcome,
  type QField,
  type Req,
  type Role,
  type RunInput,
  resolveTarget,
  type Step,
  type Style,
  secretOf,
  sortIds,
  type Target,
  type UsersView,
  viewerOf,
} from './isolation-model';
import { propertySettings, testTimeout, timeBoxed } from './settings';

const settings = propertySettings('isolation.test.ts', { seed: 20261129, numRuns: 150 });
const ADMIN_KEY = 'gqk_isolation-admin-key-not-secret-000000000000';

// ---------------------------------------------------------------------------------------------
// Arbitraries

const roleArb = fc.constantFrom<Role>('USER', 'ADMIN');
const targetArb: fc.Arbitrary<Target> = fc.oneof(
  { weight: 10, arbitrary: fc.nat(7).map((i): Target => ({ t: 'user', i })) },
  { weight: 1, arbitrary: fc.constant<Target>({ t: 'absent' }) },
  { weight: 1, arbitrary: fc.constantFrom('abc', '-1', '0', '1.5', '007').map((v): Target => ({ t: 'garbage', v })) },
);
const callerArb: fc.Arbitrary<CallerRef> = fc.oneof(
  { weight: 12, arbitrary: fc.nat(15).map((k): CallerRef => ({ c: 'key', k })) },
  { weight: 1, arbitrary: fc.constant<CallerRef>({ c: 'anonymous' }) },
  { weight: 1, arbitrary: fc.constant<CallerRef>({ c: 'bogus' }) },
);
const nameArb = fc
  .string({ unit: fc.constantFrom('a', 'b', 'Z', ' ', 'é', '名', '-', '😀'), minLength: 0, maxLength: 6 })
  .map((s) => `N${s}`);
const styleArb: fc.Arbitrary<Style> = fc.record({
  alias: fc.boolean(),
  fragments: fc.constantFrom<Style['fragments']>('none', 'spread', 'inline'),
  vars: fc.boolean(),
});

const qFieldArb: fc.Arbitrary<QField> = fc.oneof(
  fc.record({ f: fc.constant('me' as const), keys: fc.boolean() }),
  fc.record({ f: fc.constant('user' as const), target: targetArb, keys: fc.boolean() }),
  fc.record({
    f: fc.constant('users' as const),
    page: fc.integer({ min: 1, max: 3 }),
    size: fc.constantFrom(1, 2, 3, 5, 20, 100),
    keys: fc.boolean(),
  }),
  fc.record({ f: fc.constant('apiKeys' as const), target: fc.option(targetArb, { nil: null }) }),
);
const mFieldArb: fc.Arbitrary<MField> = fc.oneof(
  fc.record({
    f: fc.constant('createUser' as const),
    role: fc.option(roleArb, { nil: null }),
    name: nameArb,
    shout: fc.boolean(),
  }),
  fc
    .record({
      f: fc.constant('updateUser' as const),
      target: targetArb,
      name: fc.option(nameArb, { nil: null }),
      role: fc.option(roleArb, { nil: null, freq: 2 }),
    })
    .filter((m) => m.name !== null || m.role !== null),
  fc.record({ f: fc.constant('deleteUser' as const), target: targetArb }),
  fc.record({ f: fc.constant('createApiKey' as const), target: fc.option(targetArb, { nil: null }), name: nameArb }),
  fc.record({
    f: fc.constant('revokeApiKey' as const),
    key: fc.oneof(
      { weight: 8, arbitrary: fc.nat(15).map((k) => ({ k })) },
      { weight: 1, arbitrary: fc.constant({ absent: true as const }) },
    ),
  }),
);
const onArb = fc.constantFrom<0 | 1>(0, 1);
const queryReqArb: fc.Arbitrary<Req> = fc.record({
  on: onArb,
  as: callerArb,
  style: styleArb,
  kind: fc.constant('query' as const),
  fields: fc.array(qFieldArb, { minLength: 1, maxLength: 3 }),
});
const mutationReqArb: fc.Arbitrary<Req> = fc.record({
  on: onArb,
  as: callerArb,
  style: styleArb,
  kind: fc.constant('mutation' as const),
  field: mFieldArb,
});
const stepArb: fc.Arbitrary<Step> = fc
  .tuple(fc.option(mutationReqArb, { nil: null, freq: 3 }), fc.array(queryReqArb, { minLength: 0, maxLength: 2 }))
  .filter(([m, qs]) => m !== null || qs.length > 0)
  .map(([m, qs]) => (m ? [m, ...qs] : qs));

const runArb: fc.Arbitrary<RunInput> = fc
  .integer({ min: 2, max: 4 })
  .chain((n) =>
    fc.record({
      roles: fc.array(roleArb, { minLength: n, maxLength: n }),
      keysPerUser: fc.array(fc.integer({ min: 1, max: 2 }), { minLength: n, maxLength: n }),
      steps: fc.array(stepArb, { minLength: 1, maxLength: 8 }),
    }),
  )
  .map((run) => Object.assign(run, { [fc.toStringMethod]: () => describeRun(run) }));

// ---------------------------------------------------------------------------------------------
// Readable sequences (what a failure prints)

const showTarget = (t: Target | null) =>
  t === null
    ? '(caller)'
    : t.t === 'user'
      ? `user#${t.i}`
      : t.t === 'absent'
        ? `absent id ${ABSENT_ID}`
        : JSON.stringify(t.v);
const showCaller = (c: CallerRef) => (c.c === 'key' ? `key#${c.k}` : c.c === 'anonymous' ? 'no key' : 'an unknown key');
function showQ(q: QField): string {
  switch (q.f) {
    case 'me':
      return q.keys ? 'me{apiKeys}' : 'me';
    case 'user':
      return `user(${showTarget(q.target)})${q.keys ? '{apiKeys}' : ''}`;
    case 'users':
      return `users(page ${q.page}, size ${q.size})${q.keys ? '{items{apiKeys}}' : ''}`;
    case 'apiKeys':
      return `apiKeys(${q.target ? showTarget(q.target) : ''})`;
  }
}
function showM(m: MField): string {
  switch (m.f) {
    case 'createUser':
      return `createUser(role ${m.role ?? 'default'}, fullName ${JSON.stringify(m.name)}${m.shout ? ', upper-case email' : ''})`;
    case 'updateUser':
      return `updateUser(${showTarget(m.target)}${m.name !== null ? `, fullName ${JSON.stringify(m.name)}` : ''}${m.role ? `, role ${m.role}` : ''})`;
    case 'deleteUser':
      return `deleteUser(${showTarget(m.target)})`;
    case 'createApiKey':
      return `createApiKey(${JSON.stringify(m.name)} for ${showTarget(m.target)})`;
    case 'revokeApiKey':
      return `revokeApiKey(${'absent' in m.key ? 'absent id' : `key#${m.key.k}`})`;
  }
}
const showStyle = (s: Style) =>
  [s.alias && 'aliased', s.fragments !== 'none' && `${s.fragments} fragments`, s.vars && 'variables']
    .filter(Boolean)
    .join(', ');
const showReq = (r: Req) =>
  `${r.on === 0 ? 'A' : 'B'} as ${showCaller(r.as)}: ${r.kind === 'query' ? `{ ${r.fields.map(showQ).join(', ')} }` : `mutation ${showM(r.field)}`}${showStyle(r.style) ? ` [${showStyle(r.style)}]` : ''}`;
function describeRun(run: RunInput): string {
  const users = run.roles
    .map((r, i) => `user#${i} ${r} (${run.keysPerUser[i]} key${run.keysPerUser[i] === 1 ? '' : 's'})`)
    .join(', ');
  const steps = run.steps.map((s, i) => `  step ${i + 1}: ${s.map(showReq).join('  ‖  ')}`);
  return `\n  users: ${users}; keys are numbered in creation order (key#0 is user#0's first)\n${steps.join('\n')}`;
}

// ---------------------------------------------------------------------------------------------
// Documents

const USER_FIELDS = 'id email fullName role';
const KEY_FIELDS = 'id name prefix owner { id }';

class DocBuilder {
  readonly vars: string[] = [];
  readonly variables: Record<string, unknown> = {};
  fragments = new Set<string>();
  constructor(private readonly style: Style) {}
  arg(type: string, value: unknown, literal: string): string {
    if (!this.style.vars) return literal;
    const name = `v${this.vars.length}`;
    this.vars.push(`$${name}: ${type}`);
    this.variables[name] = value;
    return `$${name}`;
  }
  user(keys: boolean): string {
    const inner = this.sel('User', 'UserFields', USER_FIELDS);
    return keys ? `${inner} apiKeys { ${this.keys()} }` : inner;
  }
  keys(): string {
    return this.sel('ApiKey', 'KeyFields', KEY_FIELDS);
  }
  private sel(type: string, fragment: string, fields: string): string {
    if (this.style.fragments === 'spread') {
      this.fragments.add(`fragment ${fragment} on ${type} { ${fields} }`);
      return `...${fragment}`;
    }
    return this.style.fragments === 'inline' ? `... on ${type} { ${fields} }` : fields;
  }
  doc(op: 'query' | 'mutation', body: string): string {
    const vars = this.vars.length > 0 ? `(${this.vars.join(', ')})` : '';
    return [`${op} Iso${vars} { ${body} }`, ...this.fragments].join('\n');
  }
}

const str = (s: string) => JSON.stringify(s);

function aliases(names: string[], style: Style): string[] {
  return names.map((n, i) => (style.alias || names.indexOf(n) !== names.lastIndexOf(n) ? `${n}_${i}` : n));
}

function renderQuery(
  m: Model,
  req: Req & { kind: 'query' },
): { query: string; variables: Record<string, unknown>; keys: string[] } {
  const d = new DocBuilder(req.style);
  const keys = aliases(
    req.fields.map((q) => q.f),
    req.style,
  );
  const parts = req.fields.map((q, i): string => {
    const key = keys[i]!;
    const prefix = key === q.f ? '' : `${key}: `;
    if (q.f === 'apiKeys') {
      if (q.target === null) return `${prefix}apiKeys { ${d.keys()} }`;
      const id = resolveTarget(m, q.target).id;
      return `${prefix}apiKeys(userId: ${d.arg('ID', id, str(id))}) { ${d.keys()} }`;
    }
    switch (q.f) {
      case 'me':
        return `${prefix}me { ${d.user(q.keys)} }`;
      case 'user': {
        const id = resolveTarget(m, q.target).id;
        return `${prefix}user(id: ${d.arg('ID!', id, str(id))}) { ${d.user(q.keys)} }`;
      }
      default:
        return `${prefix}users(page: ${d.arg('Int!', q.page, String(q.page))}, size: ${d.arg('Int!', q.size, String(q.size))}) { total items { ${d.user(q.keys)} } }`;
    }
  });
  return { query: d.doc('query', parts.join(' ')), variables: d.variables, keys };
}

function renderMutation(
  m: Model,
  req: Req & { kind: 'mutation' },
): { query: string; variables: Record<string, unknown>; key: string } {
  const d = new DocBuilder(req.style);
  const mu = req.field;
  const key = req.style.alias ? `${mu.f}_0` : mu.f;
  const prefix = key === mu.f ? '' : `${key}: `;
  let body: string;
  switch (mu.f) {
    case 'createUser': {
      const input = { email: emailFor(m, mu.shout), fullName: mu.name, ...(mu.role ? { role: mu.role } : {}) };
      const literal = `{ email: ${str(input.email)}, fullName: ${str(input.fullName)}${mu.role ? `, role: ${mu.role}` : ''} }`;
      body = `${prefix}createUser(input: ${d.arg('CreateUserInput!', input, literal)}) { ${d.user(false)} }`;
      break;
    }
    case 'updateUser': {
      const id = resolveTarget(m, mu.target).id;
      const input = { ...(mu.name !== null ? { fullName: mu.name } : {}), ...(mu.role ? { role: mu.role } : {}) };
      const literal = `{ ${[mu.name !== null && `fullName: ${str(mu.name)}`, mu.role && `role: ${mu.role}`].filter(Boolean).join(', ')} }`;
      body = `${prefix}updateUser(id: ${d.arg('ID!', id, str(id))}, input: ${d.arg('UpdateUserInput!', input, literal)}) { ${d.user(false)} }`;
      break;
    }
    case 'deleteUser': {
      const id = resolveTarget(m, mu.target).id;
      body = `${prefix}deleteUser(id: ${d.arg('ID!', id, str(id))})`;
      break;
    }
    case 'createApiKey': {
      const userId = mu.target === null ? null : resolveTarget(m, mu.target).id;
      const owner = userId === null ? '' : `, userId: ${d.arg('ID', userId, str(userId))}`;
      body = `${prefix}createApiKey(name: ${d.arg('String!', mu.name, str(mu.name))}${owner}) { secret apiKey { ${d.keys()} } }`;
      break;
    }
    case 'revokeApiKey': {
      const id = 'absent' in mu.key ? ABSENT_ID : m.keys[mu.key.k % m.keys.length]!.id;
      body = `${prefix}revokeApiKey(id: ${d.arg('ID!', id, str(id))})`;
      break;
    }
  }
  return { query: d.doc('mutation', body), variables: d.variables, key };
}

// ---------------------------------------------------------------------------------------------
// Responses, normalised like the model's outcomes

interface Gql {
  data?: Record<string, any> | null;
  errors?: { message: string; path?: (string | number)[]; extensions?: { code?: string } }[];
}

function errorOutcome(body: Gql, key: string): Outcome | null {
  const errs = (body.errors ?? []).filter((e) => !e.path || e.path[0] === key);
  if (errs.length === 0) return null;
  const codes = [...new Set(errs.map((e) => e.extensions?.code ?? '(no code)'))].sort().join(',');
  const at = (errs[0]!.path ?? [])
    .slice(1)
    .filter((p) => typeof p === 'string')
    .join('.');
  return { error: codes, at };
}

const normKeys = (list: { id: string; owner?: { id: string } }[]) => ({
  ids: sortIds(list.map((k) => k.id)),
  owners: [...new Set(list.map((k) => k.owner?.id ?? '(none)'))].sort(),
});

function normUser(raw: any, keys: boolean): unknown {
  if (raw === null || raw === undefined) return raw ?? null;
  return {
    id: raw.id,
    email: raw.email,
    fullName: raw.fullName,
    role: raw.role,
    ...(keys ? { keys: Array.isArray(raw.apiKeys) ? normKeys(raw.apiKeys) : raw.apiKeys } : {}),
  };
}

function normUsers(raw: any, keys: boolean, m: Model, allowNew: boolean): UsersView {
  const items: Record<string, unknown> = {};
  for (const u of m.users) items[u.id] = 'absent';
  let base = 0;
  for (const item of raw?.items ?? []) {
    if (m.baseIds.includes(item.id)) base++;
    else if (m.users.some((u) => u.id === item.id)) items[item.id] = normUser(item, keys);
    else if (allowNew && !(NEW in items)) items[NEW] = normUser(item, keys);
    else items[`unexpected user ${item.id}`] = normUser(item, keys);
  }
  if (allowNew && !(NEW in items)) items[NEW] = 'absent';
  return { total: raw?.total, base, items };
}

// ---------------------------------------------------------------------------------------------
// Checks

/** Isolation invariants, stated on their own so a failure names what leaked. */
function isolationViolations(m0: Model, m1: Model, req: Req, body: Gql): string[] {
  const out: string[] = [];
  const v0 = viewerOf(m0, req.as);
  const v1 = viewerOf(m1, req.as);
  const data = JSON.stringify(body.data ?? null);
  if (!v0 && !v1) {
    if (body.data && Object.values(body.data).some((x) => x !== null))
      out.push(
        `UNAUTHENTICATED expected (${req.as.c === 'key' ? 'revoked key or deleted user' : 'no valid key'}) but data came back: ${data.slice(0, 300)}`,
      );
    if (!(body.errors ?? []).some((e) => e.extensions?.code === 'UNAUTHENTICATED'))
      out.push(`a request with ${showCaller(req.as)} (not valid) was not refused with UNAUTHENTICATED`);
    return out;
  }
  const viewers = [v0, v1].filter((v): v is NonNullable<typeof v> => v !== null);
  const users = [v0 && m0.users[v0.idx]!.id, v1 && m1.users[v1.idx]!.id].filter((id): id is string => !!id);
  const userOnly = viewers.every((v) => v.role === 'USER');
  // every ApiKey in the answer belongs to the caller, unless the caller is an ADMIN
  if (userOnly) {
    const owners = new Set<string>();
    const walk = (x: unknown) => {
      if (Array.isArray(x)) x.forEach(walk);
      else if (x && typeof x === 'object') {
        const o = x as Record<string, unknown>;
        if ('prefix' in o && o.owner && typeof o.owner === 'object')
          owners.add(String((o.owner as { id: unknown }).id));
        Object.values(o).forEach(walk);
      }
    };
    walk(body.data);
    const foreign = [...owners].filter((o) => !users.includes(o));
    if (foreign.length > 0)
      out.push(`PRIVATE LEAK: a USER (${users.join('/')}) got API keys of user(s) ${foreign.join(', ')}`);
    if (req.kind === 'query') {
      const keys = aliases(
        req.fields.map((q) => q.f),
        req.style,
      );
      req.fields.forEach((q, i) => {
        if (q.f === 'users' && body.data?.[keys[i]!])
          out.push(
            `ADMIN-ONLY LEAK: a USER (${users.join('/')}) got users(...): ${JSON.stringify(body.data[keys[i]!]).slice(0, 200)}`,
          );
      });
    }
  }
  if (req.kind === 'query') {
    const keys = aliases(
      req.fields.map((q) => q.f),
      req.style,
    );
    req.fields.forEach((q, i) => {
      const me = body.data?.[keys[i]!];
      if (q.f === 'me' && me && !users.includes(me.id))
        out.push(`PRIVATE LEAK: me answered user ${me.id} to user ${users.join('/')}`);
    });
  }
  return out;
}

function outcomeMatches(expected: Outcome[], actual: Outcome, known: ReadonlySet<string>): boolean {
  return expected.some((e) => matches(e, actual, known));
}

function checkQuery(m0: Model, m1: Model, req: Req & { kind: 'query' }, body: Gql): string[] {
  const problems: string[] = [];
  const keys = aliases(
    req.fields.map((q) => q.f),
    req.style,
  );
  const known = knownIds(m0);
  const anyError = (body.errors ?? []).length > 0;
  for (const [i, q] of req.fields.entries()) {
    const key = keys[i]!;
    // authenticated and read before the step's mutation, authenticated before and read after, or both after
    const expected = [expectQuery(m0, req.as, q), expectQuery(m1, req.as, q, m0), expectQuery(m1, req.as, q)];
    const error = errorOutcome(body, key);
    if (error) {
      if (!outcomeMatches(expected, error, known))
        problems.push(
          `${key}: got error ${JSON.stringify(error)}, model: ${[...new Set(expected.map((e) => JSON.stringify(e)))].join(' or ')}`,
        );
      continue;
    }
    if (!body.data) {
      // a sibling's error on a non-null field nulls the whole data
      // (graphql-js may then leave the sibling's own error out)
      if (!anyError) problems.push(`${key}: no data and no error`);
      continue;
    }
    const raw = body.data[key];
    if (q.f === 'users') {
      const values = expected.filter((e): e is { value: UsersView } => 'value' in e).map((e) => e.value);
      if (values.length === 0) {
        problems.push(`${key}: got data, model: ${JSON.stringify(expected[0])}`);
        continue;
      }
      const actual = normUsers(
        raw,
        q.keys,
        m0,
        values.some((v) => NEW in v.items),
      );
      const atoms = new Set([...Object.keys(actual.items), ...values.flatMap((v) => Object.keys(v.items))]);
      if (!values.some((v) => v.total === actual.total))
        problems.push(`${key}.total: got ${actual.total}, model: ${values.map((v) => v.total).join(' or ')}`);
      if (!values.some((v) => v.base === actual.base))
        problems.push(
          `${key}: ${actual.base} users outside the model in the page, model: ${values.map((v) => v.base).join(' or ')}`,
        );
      for (const atom of atoms) {
        const expectedItem = (v: UsersView) => v.items[atom] ?? 'absent';
        if (!values.some((v) => matches(expectedItem(v), actual.items[atom] ?? 'absent', known))) {
          problems.push(
            `${key}.items[${atom}]: got ${JSON.stringify(actual.items[atom] ?? 'absent')}, model: ${values.map((v) => JSON.stringify(expectedItem(v))).join(' or ')}`,
          );
        }
      }
      continue;
    }
    const normalized = q.f === 'apiKeys' ? (Array.isArray(raw) ? normKeys(raw) : raw) : normUser(raw, q.keys);
    if (!outcomeMatches(expected, { value: normalized }, known)) {
      problems.push(
        `${key}: got ${JSON.stringify(normalized)}, model: ${[...new Set(expected.map((e) => JSON.stringify(e)))].join(' or ')}`,
      );
    }
  }
  return problems;
}

function normalizeMutation(mu: MField, raw: any): unknown {
  switch (mu.f) {
    case 'createUser':
      return raw && { email: raw.email, fullName: raw.fullName, role: raw.role };
    case 'updateUser':
      return normUser(raw, false);
    case 'createApiKey':
      return raw && { owner: raw.apiKey?.owner?.id, name: raw.apiKey?.name };
    default:
      return raw;
  }
}

// ---------------------------------------------------------------------------------------------

describe('isolation between callers, two instances sharing Redis (property)', () => {
  let redis: TestRedisServer;
  let dir: string;
  let apps: [TestApp, TestApp];
  let baseIds: string[];
  let runs = 0;

  beforeAll(async () => {
    redis = await startRedisServer();
    dir = mkdtempSync(join(tmpdir(), 'gql-isolation-'));
    // A generous Redis deadline: a failover on a busy machine would bring in the documented limit of the
    // memory fallback (instances briefly not sharing evictions), which is not what this property is about.
    const env = {
      REDIS_ENABLED: 'true',
      REDIS_URL: redis.url,
      REDIS_TIMEOUT_MS: '2000',
      SEED_ADMIN_API_KEY: ADMIN_KEY,
    };
    const a = await startTestApp({ databaseUrl: `sqlite:${join(dir, 'app.db')}`, env });
    const b = await startTestApp({ databaseUrl: `sqlite:${join(dir, 'app.db')}`, env });
    apps = [a, b];
    const users = await a.admin.ok<{ users: { items: { id: string }[] } }>('{ users(size: 100) { items { id } } }');
    baseIds = users.users.items.map((u) => u.id);
  }, 60_000);

  afterAll(async () => {
    await apps?.[0]?.close();
    await apps?.[1]?.close();
    await redis?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  async function post(
    app: TestApp,
    secret: string | undefined,
    query: string,
    variables: Record<string, unknown>,
  ): Promise<{ status: number; body: Gql; text: string }> {
    const res = await fetch(app.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(secret ? { authorization: `Bearer ${secret}` } : {}) },
      body: JSON.stringify({ query, variables }),
    });
    const text = await res.text();
    return { status: res.status, body: JSON.parse(text) as Gql, text };
  }

  /** The run's users and keys, made by the seed admin in two requests. */
  async function setUp(run: RunInput): Promise<Model> {
    const m: Model = { users: [], keys: [], baseIds, nonce: `${process.pid}-${++runs}-${Date.now().toString(36)}` };
    const create = run.roles
      .map(
        (role, i) =>
          `u${i}: createUser(input: { email: ${str(`iso-${m.nonce}-${i}@example.com`)}, fullName: "init ${i}", role: ${role} }) { id email fullName role }`,
      )
      .join(' ');
    const created = await apps[0].admin.ok<Record<string, { id: string; email: string; fullName: string; role: Role }>>(
      `mutation { ${create} }`,
    );
    run.roles.forEach((_, i) => {
      const u = created[`u${i}`]!;
      m.users.push({ id: u.id, email: u.email, fullName: u.fullName, role: u.role, deleted: false });
    });
    const keyFields = m.users.flatMap((u, i) =>
      Array.from({ length: run.keysPerUser[i]! }, (_, j) => ({ i, j, alias: `k${i}_${j}`, userId: u.id })),
    );
    const keyed = await apps[0].admin.ok<Record<string, { secret: string; apiKey: { id: string; name: string } }>>(
      `mutation { ${keyFields.map((k) => `${k.alias}: createApiKey(name: "key ${k.i}.${k.j}", userId: ${str(k.userId)}) { secret apiKey { id name } }`).join(' ')} }`,
    );
    // key#n: in creation order, user by user
    for (const k of keyFields) {
      const r = keyed[k.alias]!;
      m.keys.push({ id: r.apiKey.id, secret: r.secret, owner: k.i, name: r.apiKey.name, revoked: false });
    }
    return m;
  }

  async function tearDown(m: Model): Promise<void> {
    const live = m.users.filter((u) => !u.deleted && u.id !== NEW);
    if (live.length === 0) return;
    await apps[0].admin.ok(`mutation { ${live.map((u, i) => `d${i}: deleteUser(id: ${str(u.id)})`).join(' ')} }`);
  }

  async function runSequence(run: RunInput): Promise<void> {
    const m = await setUp(run);
    try {
      for (const [s, step] of run.steps.entries()) {
        const mutation = step.find((r): r is Req & { kind: 'mutation' } => r.kind === 'mutation');
        const expectation = mutation ? expectMutation(m, mutation.as, mutation.field) : undefined;
        // the state concurrent queries may also see: after the mutation, with its new ids unknown yet
        const after = cloneModel(m);
        expectation?.apply?.(after, null);
        const rendered = step.map((r) => (r.kind === 'query' ? renderQuery(m, r) : renderMutation(m, r)));
        const responses = await Promise.all(
          step.map((r, i) => post(apps[r.on], secretOf(m, r.as), rendered[i]!.query, rendered[i]!.variables)),
        );
        const problems: string[] = [];
        step.forEach((r, i) => {
          const res = responses[i]!;
          const found: string[] = [];
          if (res.status >= 500) found.push(`HTTP ${res.status}`);
          found.push(...isolationViolations(m, r.kind === 'mutation' ? m : after, r, res.body));
          if (r.kind === 'query') found.push(...checkQuery(m, after, r, res.body));
          else {
            const key = (rendered[i] as { key: string }).key;
            const error = errorOutcome(res.body, key);
            const actual: Outcome = error ?? { value: normalizeMutation(r.field, res.body.data?.[key]) };
            if (!matches(expectation!.outcome, actual, knownIds(m)))
              found.push(`${key}: got ${JSON.stringify(actual)}, model: ${JSON.stringify(expectation!.outcome)}`);
            if (r.field.f === 'createApiKey' && 'value' in actual) {
              const raw = res.body.data?.[key];
              if (!/^gqk_/.test(raw?.secret ?? '') || !String(raw?.secret).startsWith(raw?.apiKey?.prefix ?? '\u0000'))
                found.push(`createApiKey: secret/prefix malformed: ${JSON.stringify(raw)}`);
            }
          }
          if (found.length > 0) {
            const viewer = viewerOf(m, r.as);
            const key = keyOf(m, r.as);
            problems.push(
              [
                `step ${s + 1}, ${showReq(r)}`,
                `  caller: ${viewer ? `user ${m.users[viewer.idx]!.id} (${viewer.role})` : 'not authenticated'}${key ? ` with key ${key.id}${key.revoked ? ' (revoked)' : ''}` : ''}`,
                `  sent: ${rendered[i]!.query.replace(/\s+/g, ' ')} ${JSON.stringify(rendered[i]!.variables)}`,
                `  got: HTTP ${res.status} ${res.text.slice(0, 600)}`,
                ...found.map((f) => `  - ${f}`),
              ].join('\n'),
            );
          }
        });
        if (problems.length > 0)
          throw new Error(
            `\n${problems.join('\n')}\n  model users: ${JSON.stringify(m.users)}\n  model keys: ${JSON.stringify(m.keys.map(({ secret: _s, ...k }) => k))}`,
          );
        if (mutation && expectation?.apply) {
          const i = step.indexOf(mutation);
          const key = (rendered[i] as { key: string }).key;
          const raw = responses[i]!.body.data?.[key];
          expectation.apply(m, mutation.field.f === 'createApiKey' ? { id: raw.apiKey.id, secret: raw.secret } : raw);
        }
      }
    } finally {
      await tearDown(m);
    }
  }

  it(
    `no caller ever sees what the model forbids, on either instance (${settings.label})`,
    async () => {
      const { property, stats } = timeBoxed(settings, runSequence);
      try {
        await fc.assert(fc.asyncProperty(runArb, property), { seed: settings.seed, numRuns: settings.numRuns });
      } finally {
        if (stats.skipped > 0)
          console.log(
            `isolation: time budget reached after ${stats.runs} of ${settings.numRuns} runs (seed ${settings.seed})`,
          );
      }
    },
    testTimeout(settings),
  );
});
