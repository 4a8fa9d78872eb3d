import { startTestApp, type TestApp } from '../helpers/test-app';

/**
 * The HTTP Cache-Control header is computed from the cache's own report (Apollo's cache-control plugin,
 * which wraps every field's resolver, is off). These are the values Apollo's plugin sent for the same
 * requests before (measured on the same schema): they must not change.
 */
const CASES: [string, string, Record<string, string>][] = [
  ['{ users(page: 1, size: 50) { items { id email apiKeys { id owner { id } } } total } }', 'max-age=300, public', {}],
  ['{ me { id apiKeys { id } } user(id: "1") { id } }', 'max-age=300, private', {}],
  ['{ user(id: "999") { id } }', 'max-age=300, public', {}],
  ['{ apiKeys(userId: "1") { id lastUsedAt } }', 'max-age=300, private', {}],
  ['{ __typename }', 'no-store', {}],
  ['mutation { updateUser(id: "1", input: { fullName: "Admin" }) { id } }', 'no-store', {}],
  ['{ nope }', 'no-store', {}],
  ['{ me { id } }', 'max-age=300, private', { 'cache-control': 'no-cache' }],
];

describe('Cache-Control from the cache report', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(async () => {
    await t?.close();
  });

  it.each(CASES)(
    '%s -> %s (on a miss, a resolver-tier hit and an operation-tier hit alike)',
    async (query, expected, headers) => {
      for (let i = 0; i < 3; i++) {
        const res = await t.admin.request(query, undefined, headers);
        expect(res.headers.get('cache-control')).toBe(expected);
      }
    },
  );

  it('a request refused for its caller says no-store', async () => {
    expect((await t.anonymous.request('{ me { id } }')).headers.get('cache-control')).toBe('no-store');
    const u = await t.createUser();
    const forbidden = await u.client.request('{ users { total } }');
    expect(forbidden.body.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    expect(forbidden.headers.get('cache-control')).toBe('no-store');
  });
});
