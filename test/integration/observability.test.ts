import { namespaceFamily } from '../../src/caching/cache-metrics';
import { startTestApp, type TestApp } from '../helpers/test-app';

function metricValue(text: string, name: string, labels: Record<string, string>): number {
  const wanted = Object.entries(labels).map(([k, v]) => `${k}="${v}"`);
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`)) continue;
    if (wanted.every((w) => line.includes(w))) return Number(line.split(' ').pop());
  }
  return 0;
}

describe('/metrics', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ env: { CACHE_OPERATION_TIER: 'false' } });
  });
  afterAll(async () => t?.close());
  const scrape = async () => {
    const res = await fetch(`${t.baseUrl}/metrics`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/text\/plain/);
    return res.text();
  };

  it('counts hits, misses, bypasses per coordinate, and evictions per namespace family', async () => {
    const before = await scrape();
    const u = await t.createUser();
    await u.client.request('{ me { id } }');
    await u.client.request('{ me { id } }');
    await u.client.request('{ me { id } }', undefined, { 'cache-control': 'no-cache' });
    await u.client.ok('mutation($id: ID!) { updateUser(id: $id, input: { fullName: "M" }) { id } }', { id: u.id });
    const after = await scrape();
    const delta = (name: string, labels: Record<string, string>) =>
      metricValue(after, name, labels) - metricValue(before, name, labels);
    expect(delta('graphql_cache_lookups_total', { coordinate: 'Query.me', status: 'MISS' })).toBe(1);
    expect(delta('graphql_cache_lookups_total', { coordinate: 'Query.me', status: 'HIT' })).toBe(1);
    expect(delta('graphql_cache_lookups_total', { coordinate: 'Query.me', status: 'BYPASS' })).toBe(1);
    expect(delta('graphql_cache_evictions_total', { namespace: 'user:{id}' })).toBeGreaterThanOrEqual(1);
    expect(delta('graphql_cache_evictions_total', { namespace: 'users:list' })).toBeGreaterThanOrEqual(1);
    expect(metricValue(after, 'graphql_cache_backend', { backend: 'memory' })).toBe(1);
    expect(metricValue(after, 'graphql_cache_backend', { backend: 'redis' })).toBe(0);
    expect(after).toMatch(/http_request_duration_seconds_count\{method="POST",route="\/graphql",status="200"\} \d+/);
    expect(after).toMatch(/process_cpu_user_seconds_total/);
    expect(after).toMatch(/graphql_cache_store_errors_total/);
    // what the memory stores hold, as the cache itself counts it
    const gauge = (name: string) => Number(new RegExp(`^${name} (\\d+)$`, 'm').exec(after)?.[1]);
    expect(gauge('graphql_cache_entries')).toBeGreaterThan(0);
    expect(gauge('graphql_cache_entries')).toBeLessThanOrEqual(t.app.cache!.entryCount());
    expect(gauge('graphql_cache_bytes')).toBeGreaterThan(0);
  });

  it('names namespace families without ids or hashes', () => {
    expect(namespaceFamily('user:7')).toBe('user:{id}');
    expect(namespaceFamily('users:12:single')).toBe('users:{id}:single');
    expect(namespaceFamily('users:list')).toBe('users:list');
    expect(namespaceFamily(`auth:${'ab'.repeat(32)}`)).toBe('auth:{hash}');
  });
});

describe('LOG_CATEGORIES=REQUESTS', () => {
  it('logs one line per HTTP request with its status and time, without headers or keys', async () => {
    const lines: string[] = [];
    const t = await startTestApp({ env: { LOG_CATEGORIES: 'REQUESTS' }, logLines: lines });
    try {
      lines.splice(0);
      await t.admin.request('{ me { id } }');
      const requests = lines.map((l) => JSON.parse(l)).filter((l) => l.category === 'REQUESTS');
      expect(requests).toHaveLength(1);
      expect(requests[0].msg).toMatch(/^POST \/graphql 200 \(\d+\.\d\dms\)$/);
      expect(lines.join('\n')).not.toContain(t.adminKey);
    } finally {
      await t.close();
    }
  });
});
