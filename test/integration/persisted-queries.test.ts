import { createHash, randomBytes } from 'node:crypto';
import { startTestApp, type TestApp } from '../helpers/test-app';

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

interface Body {
  data?: Record<string, unknown> | null;
  errors?: { message: string; extensions?: Record<string, unknown> }[];
}

/** Automatic persisted queries (Apollo's APQ): the hash, and the query when registering it. */
describe('persisted queries', () => {
  let t: TestApp;
  const logLines: string[] = [];
  beforeAll(async () => {
    t = await startTestApp({ logLines });
  });
  afterAll(async () => t?.close());

  async function post(body: Record<string, unknown>): Promise<{ status: number; body: Body }> {
    const res = await fetch(t.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${t.adminKey}` },
      body: JSON.stringify(body),
    });
    return { status: res.status, body: (await res.json()) as Body };
  }
  const persisted = (sha256Hash: string, version = 1) => ({ persistedQuery: { version, sha256Hash } });
  /** Log lines at warn (40) or above written while `fn` ran. */
  async function warningsDuring(fn: () => Promise<void>): Promise<string[]> {
    const from = logLines.length;
    await fn();
    return logLines.slice(from).filter((line) => JSON.parse(line).level >= 40);
  }

  it('an unknown hash alone gets PERSISTED_QUERY_NOT_FOUND (HTTP 200, so clients send the query), no log', async () => {
    const warnings = await warningsDuring(async () => {
      const res = await post({ extensions: persisted(randomBytes(32).toString('hex')) });
      expect(res.status).toBe(200);
      expect(res.body.errors).toEqual([
        { message: 'PersistedQueryNotFound', extensions: { code: 'PERSISTED_QUERY_NOT_FOUND' } },
      ]);
    });
    expect(warnings).toEqual([]);
  });

  it('a hash that does not match its query gets HTTP 400 PERSISTED_QUERY_HASH_MISMATCH, unmasked, no log', async () => {
    const warnings = await warningsDuring(async () => {
      const res = await post({ query: '{ me { id } }', extensions: persisted(sha256('{ me { email } }')) });
      expect(res.status).toBe(400);
      expect(res.body.errors).toEqual([
        { message: 'provided sha does not match query', extensions: { code: 'PERSISTED_QUERY_HASH_MISMATCH' } },
      ]);
      expect(res.body.data).toBeUndefined();
    });
    expect(warnings).toEqual([]);
  });

  it('an unsupported protocol version gets HTTP 400 BAD_REQUEST, no log', async () => {
    const warnings = await warningsDuring(async () => {
      const res = await post({ query: '{ me { id } }', extensions: persisted(sha256('{ me { id } }'), 2) });
      expect(res.status).toBe(400);
      expect(res.body.errors).toEqual([
        { message: 'Unsupported persisted query version', extensions: { code: 'BAD_REQUEST' } },
      ]);
    });
    expect(warnings).toEqual([]);
  });

  it('round trip: unknown hash, then hash and query (registered, answered), then the hash alone', async () => {
    const query = `{ me { id email } } # ${randomBytes(8).toString('hex')}`;
    const hash = sha256(query);
    const first = await post({ extensions: persisted(hash) });
    expect(first.body.errors?.[0]?.extensions?.code).toBe('PERSISTED_QUERY_NOT_FOUND');
    const registered = await post({ query, extensions: persisted(hash) });
    expect(registered.status).toBe(200);
    expect(registered.body.errors).toBeUndefined();
    expect(registered.body.data).toEqual({ me: { id: expect.any(String), email: 'admin@example.com' } });
    const byHash = await post({ extensions: persisted(hash) });
    expect(byHash.status).toBe(200);
    expect(byHash.body).toMatchObject({ data: registered.body.data });
    expect(byHash.body.errors).toBeUndefined();
  });

  it('a query over a limit is refused when registered, and not stored under its hash', async () => {
    const query = `{ ${Array.from({ length: 31 }, (_, i) => `a${i}: me { id }`).join(' ')} }`;
    const hash = sha256(query);
    const refused = await post({ query, extensions: persisted(hash) });
    expect(refused.status).toBe(400);
    expect(refused.body.errors?.[0]?.extensions?.code).toBe('QUERY_TOO_MANY_ALIASES');
    const byHash = await post({ extensions: persisted(hash) });
    expect(byHash.body.errors?.[0]?.extensions?.code).toBe('PERSISTED_QUERY_NOT_FOUND');
  });
});
