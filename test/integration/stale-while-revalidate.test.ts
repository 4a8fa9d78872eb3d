import { cacheReport } from '../helpers/cache-report';
import type { DatabaseKind } from '../helpers/databases';
import type { Backend } from '../helpers/instance-pair';
import { useInstancePair } from '../helpers/instance-pair';

/**
 * Stale-while-revalidate through the real server: every resolver here takes the configured default
 * (`CACHE_DEFAULT_TTL=1`, `CACHE_STALE_WHILE_REVALIDATE=30`), so an entry is fresh for 1 s, then answered
 * STALE for 30 s more while one background computation refreshes it. Eviction is never answered stale.
 */
const USER = 'query One($id: ID!) { user(id: $id) { id fullName } }';
/**
 * A caller's own whole response (PRIVATE): served from the operation tier on its own authority. (A
 * response shared by role also needs the caller's record, which lives as long as its authentication's
 * entry: `CACHE_DEFAULT_TTL`, 1 s here.)
 */
const ME = '{ me { id fullName } }';
const UPDATE = 'mutation($id: ID!, $input: UpdateUserInput!) { updateUser(id: $id, input: $input) { id fullName } }';
const env = { CACHE_DEFAULT_TTL: '1', CACHE_STALE_WHILE_REVALIDATE: '30' };
const legs: [Backend, DatabaseKind][] = [
  ['memory', 'sqlite'],
  ['redis', 'sqlite'],
];

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** Past the 1 s maxAge of everything stored so far. */
const expire = () => sleep(1150);

describe.each(legs)('stale-while-revalidate (%s, %s)', (backend, kind) => {
  const pair = useInstancePair(backend, kind, env);

  /** A user, its own `me` and the admin's read of it warmed into both tiers. */
  async function warmed() {
    const u = await pair.a.createUser();
    const variables = { id: u.id };
    for (const read of [() => u.client.request(ME), () => pair.a.admin.request(USER, variables)]) {
      await read();
      expect(cacheReport(await read())).toMatchObject({ status: 'HIT', tier: 'operation' });
    }
    return { ...u, variables };
  }

  /** Reads `me` until the operation tier answers a fresh HIT (the background refresh stored it). */
  async function untilFresh(client: Awaited<ReturnType<typeof warmed>>['client']) {
    for (let i = 0; i < 100; i++) {
      const res = await client.request(ME);
      const report = cacheReport(res);
      if (report?.status === 'HIT') return { res, report, reads: i + 1 };
      expect(report?.status).toBe('STALE');
      await sleep(20);
    }
    throw new Error('the stale entry was never refreshed');
  }

  it('the operation tier answers an expired response at once as STALE (report and X-Cache), then the refreshed one', async () => {
    const { client } = await warmed();
    await expire();
    const stale = await client.request(ME);
    expect(stale.status).toBe(200);
    expect(stale.headers.get('x-cache')).toBe('STALE');
    expect(stale.headers.get('cache-control')).toBe('no-store'); // no HTTP cache keeps a stale value
    expect(cacheReport(stale)).toMatchObject({
      status: 'STALE',
      tier: 'operation',
      hits: 0,
      misses: 0,
      stale: 1,
      fields: [{ path: 'me', status: 'STALE', scope: 'PRIVATE', maxAge: 1 }],
    });
    expect(cacheReport(stale)!.fields[0]!.age).toBeGreaterThanOrEqual(1);
    const metrics = await (await fetch(`${pair.a.baseUrl}/metrics`)).text();
    expect(metrics).toMatch(/graphql_cache_lookups_total\{coordinate="\(operation\)",status="STALE"\} [1-9]/);
    const { res, report } = await untilFresh(client);
    expect(report).toMatchObject({ status: 'HIT', tier: 'operation', fields: [{ status: 'HIT', age: 0 }] });
    expect(res.body.data).toEqual(stale.body.data);
    expect(res.headers.get('cache-control')).toBe('max-age=1, private');
  });

  it('many stale reads at once cost one background execution, as one stale read does', async () => {
    const sqlOfOneStaleCycle = async (readers: number) => {
      const { client } = await warmed();
      await expire();
      pair.a.resetSql();
      const reads = await Promise.all(Array.from({ length: readers }, () => client.request(ME)));
      // Each answered at once by the tier: stale, or already refreshed by the one background execution.
      for (const r of reads)
        expect(cacheReport(r)).toMatchObject({ status: expect.stringMatching(/^(STALE|HIT)$/), tier: 'operation' });
      expect(reads.some((r) => cacheReport(r)?.status === 'STALE')).toBe(true);
      await untilFresh(client);
      return pair.a.sql.length;
    };
    const one = await sqlOfOneStaleCycle(1);
    const eight = await sqlOfOneStaleCycle(8);
    expect(one).toBeGreaterThan(0); // the refresh did reach the database
    expect(eight).toBe(one);
  });

  it('the resolver tier answers a stale field as STALE when the operation tier has no entry', async () => {
    const { variables } = await warmed();
    await expire();
    // Another operation text: the operation tier has nothing for it; the resolver entry is stale.
    const res = await pair.a.admin.request(`${USER} # another text`, variables);
    expect(cacheReport(res)).toMatchObject({ status: 'STALE', stale: 1, fields: [{ path: 'user', status: 'STALE' }] });
    expect(cacheReport(res)).not.toHaveProperty('tier');
    expect(res.headers.get('x-cache')).toBe('STALE');
    expect(res.headers.get('cache-control')).toBe('no-store');
    const metrics = await (await fetch(`${pair.a.baseUrl}/metrics`)).text();
    expect(metrics).toMatch(/graphql_cache_lookups_total\{coordinate="Query.user",status="STALE"\} [1-9]/);
  });

  it('never after eviction: an update (on the other instance) within the stale window is read at once, never STALE', async () => {
    const { id, variables, client } = await warmed();
    await expire();
    const renamed = `Renamed ${Date.now()}`;
    await pair.b.admin.ok(UPDATE, { id, input: { fullName: renamed } });
    const reads = [
      [() => client.request(ME), { me: { id, fullName: renamed } }],
      [() => pair.a.admin.request(USER, variables), { user: { id, fullName: renamed } }],
      [() => pair.a.admin.request(`${USER} # another text`, variables), { user: { id, fullName: renamed } }],
    ] as const;
    for (const [read, expected] of reads) {
      const res = await read();
      expect(res.body.data).toEqual(expected);
      expect(cacheReport(res)?.status).not.toBe('STALE');
      expect(res.headers.get('x-cache')).not.toBe('STALE');
    }
  });
});
