import { createHash } from 'node:crypto';
import { startTestApp, type TestApp } from '../helpers/test-app';

/**
 * DOCUMENT_CACHE_MAX_BYTES bounds what Apollo keeps per distinct query text (parsed documents and
 * persisted-query texts): a flood of distinct documents, as clients that write ids inline send, never
 * keeps more than the budget alive.
 */
const BUDGET = 64 * 1024;

describe('the document cache, bounded by DOCUMENT_CACHE_MAX_BYTES', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ env: { DOCUMENT_CACHE_MAX_BYTES: String(BUDGET) } });
  });
  afterAll(async () => t?.close());

  async function gauges(): Promise<{ entries: number; bytes: number }> {
    const text = await (await fetch(`${t.baseUrl}/metrics`)).text();
    const read = (name: string) => {
      const m = new RegExp(`^${name} (\\d+)$`, 'm').exec(text);
      if (!m) throw new Error(`${name} is not in /metrics`);
      return Number(m[1]);
    };
    return { entries: read('graphql_document_cache_entries'), bytes: read('graphql_document_cache_bytes') };
  }

  it('keeps each validated document once, and reuses it for the same text', async () => {
    const before = await gauges();
    await t.admin.ok('{ me { id email } }');
    const once = await gauges();
    expect(once.entries).toBe(before.entries + 1);
    expect(once.bytes).toBeGreaterThan(before.bytes);
    await t.admin.ok('{ me { id email } }');
    expect(await gauges()).toEqual(once);
  });

  it('counts persisted-query texts in the same budget', async () => {
    const query = '{ me { id fullName } }';
    const sha256Hash = createHash('sha256').update(query).digest('hex');
    const before = await gauges();
    const res = await fetch(t.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${t.adminKey}` },
      body: JSON.stringify({ query, extensions: { persistedQuery: { version: 1, sha256Hash } } }),
    });
    expect(res.status).toBe(200);
    // the text (by its hash) and its parsed document
    expect((await gauges()).entries).toBe(before.entries + 2);
    const again = await fetch(t.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${t.adminKey}` },
      body: JSON.stringify({ extensions: { persistedQuery: { version: 1, sha256Hash } } }),
    });
    expect(((await again.json()) as { data: { me: { fullName: string } } }).data.me.fullName).toEqual(
      expect.any(String),
    );
  });

  it('holds at most its budget while 400 distinct documents go through, and still answers each', async () => {
    for (let i = 0; i < 400; i++) {
      const data = await t.admin.ok<{ user: null }>(`{ user(id: "${1_000_000 + i}") { id email fullName } }`);
      expect(data.user).toBeNull();
    }
    const { entries, bytes } = await gauges();
    expect(bytes).toBeGreaterThan(BUDGET / 2); // it is in use...
    expect(bytes).toBeLessThanOrEqual(BUDGET); // ...and bounded
    expect(entries).toBeLessThan(400);
  });
});
