import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InMemorySpanExporter, type ReadableSpan, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { hashApiKeySecret } from '../../src/auth/api-key-secret';
import { GraphQLClient } from '../helpers/graphql-client';
import { startMain } from '../helpers/main-process';
import { startTestApp, type TestApp } from '../helpers/test-app';
import { eventually } from '../helpers/wait';

const ME = '{ me { id email fullName apiKeys { id name prefix } } }';
const USER = 'query One($id: ID!) { user(id: $id) { id fullName } }';
const UPDATE =
  'mutation($id: ID!, $input: UpdateUserInput!) { updateUser(id: $id, input: $input) { id fullName role } }';
/** An argument value that must never show in a span. */
const SECRET_NAME = `Zebulon-${randomBytes(6).toString('hex')}`;

const ids = () => ({ traceId: randomBytes(16).toString('hex'), spanId: randomBytes(8).toString('hex') });

describe('tracing (OpenTelemetry), through createApp with an in-memory exporter', () => {
  const exporter = new InMemorySpanExporter();
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ tracing: { spanProcessor: new SimpleSpanProcessor(exporter) } });
  });
  afterAll(() => t?.close());

  /**
   * Sends `query` in a trace of its own (a `traceparent` from the test) and answers the spans of that
   * trace, once the request's server span has ended.
   */
  async function traced(
    client: GraphQLClient,
    query: string,
    variables?: Record<string, unknown>,
    headers: Record<string, string> = {},
  ) {
    const parent = ids();
    const res = await client.request(query, variables, {
      traceparent: `00-${parent.traceId}-${parent.spanId}-01`,
      ...headers,
    });
    const ofTrace = () => exporter.getFinishedSpans().filter((s) => s.spanContext().traceId === parent.traceId);
    await eventually(async () => ofTrace().some((s) => s.name === 'POST /graphql'), 5000);
    const spans = ofTrace();
    const request = spans.find((s) => s.name === 'POST /graphql')!;
    return { res, parent, spans, request, children: spans.filter((s) => s !== request) };
  }

  const parentOf = (s: ReadableSpan) => s.parentSpanContext?.spanId;
  const attr = (s: ReadableSpan, name: string) => s.attributes[name];

  it('a miss: the request span, the operation tier MISS, then one resolver span per cached field (MISS), all children of the request', async () => {
    const u = await t.createUser();
    const { spans, request, children } = await traced(u.client, ME);
    expect(request.kind).toBe(1); // SERVER
    expect(request.attributes).toMatchObject({
      'http.request.method': 'POST',
      'http.route': '/graphql',
      'http.response.status_code': 200,
    });
    for (const s of children) expect(parentOf(s)).toBe(request.spanContext().spanId);
    const operation = spans.find((s) => attr(s, 'cache.tier') === 'operation');
    expect(operation?.name).toBe('cache.lookup operation');
    expect(operation?.attributes).toMatchObject({ 'cache.status': 'MISS', 'cache.backend': 'memory' });
    const resolver = spans.filter((s) => attr(s, 'cache.tier') === 'resolver' && s.name.startsWith('cache.lookup'));
    const byCoordinate = Object.fromEntries(
      resolver.map((s) => [attr(s, 'cache.coordinate'), attr(s, 'cache.status')]),
    );
    expect(byCoordinate).toMatchObject({ 'Query.me': 'MISS', 'User.apiKeys': 'MISS' });
    for (const s of resolver) {
      expect(s.name).toBe(`cache.lookup ${attr(s, 'cache.coordinate')}`);
      expect(attr(s, 'cache.backend')).toBe('memory');
    }
  });

  it('then a hit: the operation tier answers (HIT span under the request), no resolver span at all', async () => {
    const u = await t.createUser();
    let last: Awaited<ReturnType<typeof traced>> | undefined;
    // An entry is stored from a caller's second run on (operation-tier.test.ts, `warm`).
    for (let i = 0; i < 3; i++) {
      last = await traced(u.client, ME);
      if (last.spans.some((s) => attr(s, 'cache.tier') === 'operation' && attr(s, 'cache.status') === 'HIT')) break;
    }
    const { request, children, res } = last!;
    expect(res.headers.get('x-cache')).toBe('HIT');
    const lookups = children.filter((s) => s.name.startsWith('cache.lookup'));
    expect(lookups.map((s) => [s.name, attr(s, 'cache.status')])).toEqual([['cache.lookup operation', 'HIT']]);
    expect(parentOf(lookups[0]!)).toBe(request.spanContext().spanId);
    expect(attr(lookups[0]!, 'cache.shared')).toBe(false);
  });

  it('Cache-Control: no-cache: BYPASS on both tiers', async () => {
    const u = await t.createUser();
    await u.client.request(USER, { id: u.id });
    const { spans } = await traced(u.client, USER, { id: u.id }, { 'cache-control': 'no-cache' });
    const statuses = spans
      .filter((s) => s.name.startsWith('cache.lookup') && attr(s, 'cache.coordinate') !== 'Auth.apiKey')
      .map((s) => [attr(s, 'cache.tier'), attr(s, 'cache.coordinate'), attr(s, 'cache.status')]);
    expect(statuses).toEqual(
      expect.arrayContaining([
        ['operation', '(operation)', 'BYPASS'],
        ['resolver', 'Query.user', 'BYPASS'],
      ]),
    );
  });

  it("an eviction span (namespace families only) under the mutation's request span", async () => {
    const u = await t.createUser();
    const { request, children } = await traced(t.admin, UPDATE, { id: u.id, input: { fullName: SECRET_NAME } });
    const evict = children.find((s) => s.name === 'cache.evict');
    expect(evict).toBeDefined();
    expect(parentOf(evict!)).toBe(request.spanContext().spanId);
    expect(evict!.attributes).toMatchObject({
      'cache.tier': 'resolver',
      'cache.backend': 'memory',
      'cache.namespaces': ['user:{id}', 'users:{id}:single', 'users:list'],
      'cache.namespace_count': 3,
    });
  });

  it('continues the trace of an incoming W3C traceparent: same trace id, the request span a child of the given span', async () => {
    const { parent, request, spans } = await traced(t.admin, '{ me { id } }');
    expect(request.spanContext().traceId).toBe(parent.traceId);
    expect(parentOf(request)).toBe(parent.spanId);
    expect(request.parentSpanContext?.isRemote).toBe(true);
    expect(spans.length).toBeGreaterThan(1);
    for (const s of spans) expect(s.spanContext().traceId).toBe(parent.traceId);
  });

  it('without traceparent, the request span starts a trace (no parent)', async () => {
    const before = exporter.getFinishedSpans().length;
    await fetch(`${t.baseUrl}/health`);
    await eventually(
      async () =>
        exporter
          .getFinishedSpans()
          .slice(before)
          .some((s) => s.name === 'GET /health'),
      5000,
    );
    const health = exporter.getFinishedSpans().find((s) => s.name === 'GET /health')!;
    expect(parentOf(health)).toBeUndefined();
    expect(health.attributes['http.response.status_code']).toBe(200);
  });

  it('no span name or attribute holds an API key, its hash, a user id, an email or an argument value (every span so far)', async () => {
    const u = await t.createUser();
    await traced(u.client, USER, { id: u.id });
    await traced(u.client, USER, { id: u.id });
    await traced(t.admin, UPDATE, { id: u.id, input: { fullName: SECRET_NAME } });
    const spans = exporter.getFinishedSpans();
    expect(spans.length).toBeGreaterThan(20);
    const forbidden = [t.adminKey, hashApiKeySecret(t.adminKey), u.key, hashApiKeySecret(u.key), u.email, SECRET_NAME];
    const texts = spans.flatMap((s) => [
      s.name,
      ...Object.entries(s.attributes).flatMap(([k, v]) => [k, ...(Array.isArray(v) ? v.map(String) : [String(v)])]),
    ]);
    for (const text of texts) {
      for (const secret of forbidden) expect(text).not.toContain(secret);
      // Ids (numbers as namespace segments, hex hashes) never appear: only families like `user:{id}`.
      expect(text).not.toMatch(/:\d+(:|$)/);
      expect(text).not.toMatch(/[0-9a-f]{16,}/i);
      expect(text).not.toMatch(new RegExp(`(^|\\D)${u.id}(\\D|$)`));
    }
    // Attribute values are few and known: coordinates, statuses, tiers, backends, families, HTTP basics.
    const coordinates = new Set(spans.map((s) => attr(s, 'cache.coordinate')).filter(Boolean));
    for (const c of coordinates) expect(c).toMatch(/^([A-Z]\w*\.\w+|\(operation\))$/);
  });
});

describe('tracing switched by OTEL_EXPORTER_OTLP_ENDPOINT, in the real process (npm start)', () => {
  const probe = join(__dirname, '..', 'helpers', 'loaded-packages-probe.js');
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'gql-tracing-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  /** Starts main with `env`, sends one query, stops it with SIGTERM: the OpenTelemetry packages it loaded. */
  async function runOnce(env: Record<string, string>, name: string): Promise<string[]> {
    const key = `gqk_test_${randomBytes(24).toString('base64url')}`;
    const main = startMain({
      NODE_ENV: 'test',
      HOST: '127.0.0.1',
      PORT: '0',
      DATABASE_URL: `sqlite:${join(dir, `${name}.db`)}`,
      SEED_ADMIN_API_KEY: key,
      LOG_LEVEL: 'info',
      NODE_OPTIONS: `--require ${probe}`,
      ...env,
    });
    try {
      const [, url] = await main.waitFor(/ready at (http:\/\/[^\s"]+\/graphql)/, 30_000);
      await new GraphQLClient(url!.replace('localhost', '127.0.0.1'), key).ok('{ me { id } }');
      main.child.kill('SIGTERM');
      expect(await main.exited()).toBe(0);
      const [, loaded] = main.output().match(/OPENTELEMETRY_PACKAGES_LOADED (\[.*\])/) ?? [];
      return JSON.parse(loaded!) as string[];
    } finally {
      main.kill();
    }
  }

  it('unset: neither the SDK nor the exporter is loaded', async () => {
    const loaded = await runOnce({}, 'off');
    // The API alone (its no-op globals, a few kB): no SDK, exporter, resource or context manager.
    expect(loaded.filter((p) => p !== '@opentelemetry/api')).toEqual([]);
  }, 60_000);

  it('set: spans are exported over OTLP/HTTP (POST /v1/traces, with OTEL_EXPORTER_OTLP_HEADERS and the service name)', async () => {
    const received: { url?: string; method?: string; headers: Record<string, unknown>; body: string }[] = [];
    const collector = createServer((req, res) => {
      let body = '';
      req.on('data', (c) => (body += c));
      req.on('end', () => {
        received.push({ url: req.url, method: req.method, headers: req.headers, body });
        res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
      });
    });
    await new Promise<void>((resolve) => collector.listen(0, '127.0.0.1', resolve));
    try {
      const port = (collector.address() as AddressInfo).port;
      const loaded = await runOnce(
        {
          OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${port}`,
          OTEL_EXPORTER_OTLP_HEADERS: 'x-collector-token=abc123',
          OTEL_SERVICE_NAME: 'tracing-test',
        },
        'on',
      );
      expect(loaded).toEqual(
        expect.arrayContaining(['@opentelemetry/sdk-trace-node', '@opentelemetry/exporter-trace-otlp-http']),
      );
      const posts = received.filter((r) => r.method === 'POST' && r.url === '/v1/traces');
      expect(posts.length).toBeGreaterThan(0);
      expect(posts[0]!.headers['x-collector-token']).toBe('abc123');
      const all = posts.map((p) => p.body).join('\n');
      expect(all).toContain('tracing-test');
      expect(all).toContain('POST /graphql');
      expect(all).toContain('cache.lookup');
    } finally {
      collector.close();
    }
  }, 60_000);
});
