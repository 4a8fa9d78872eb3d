import { loadConfig } from '../../src/config';
import { startRedisServer, type TestRedisServer } from '../helpers/redis-server';
import { startTestApp, type TestApp } from '../helpers/test-app';

const ME = '{ me { id email } }';
const LIMITED = { RATE_LIMIT_ENABLED: 'true', RATE_LIMIT_POINTS: '5', RATE_LIMIT_WINDOW_SECONDS: '60' };

function expectRefused(res: { status: number; headers: Headers; body: { errors?: unknown[] } }) {
  expect(res.status).toBe(429);
  const retryAfter = Number(res.headers.get('retry-after'));
  expect(retryAfter).toBeGreaterThanOrEqual(1);
  expect(retryAfter).toBeLessThanOrEqual(60);
  expect(res.body.errors).toEqual([
    {
      message: expect.stringMatching(/^Too many requests: .* retry after \d+ s\.$/),
      extensions: { code: 'RATE_LIMITED', retryAfter },
    },
  ]);
}

describe('rate limiting (memory)', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startTestApp({ env: LIMITED });
  });
  afterAll(() => t.close());

  it('refuses the 6th request of a key with 429, leaves another key alone, limits cached answers too', async () => {
    // The admin's budget is 5: the repeated query is answered by the operation tier from the 3rd on.
    const served = [];
    for (let i = 0; i < 5; i++) served.push(await t.admin.request(ME));
    expect(served.map((r) => r.status)).toEqual([200, 200, 200, 200, 200]);
    expect(served.some((r) => r.headers.get('x-cache') === 'HIT')).toBe(true);
    expectRefused(await t.admin.request(ME));

    // Another key (even an unknown one) has its own budget.
    const other = await t.client('gqk_some_other_key').request(ME);
    expect(other.status).not.toBe(429);

    // Health, readiness and metrics are never limited.
    for (let i = 0; i < 8; i++) {
      expect((await fetch(`${t.baseUrl}/health`)).status).toBe(200);
      expect((await fetch(`${t.baseUrl}/metrics`)).status).toBe(200);
    }
  });

  it('limits requests without a key per client IP', async () => {
    const statuses = [];
    for (let i = 0; i < 5; i++) statuses.push((await t.anonymous.request('{ __typename }')).status);
    expect(statuses).not.toContain(429);
    expectRefused(await t.anonymous.request('{ __typename }'));
    // GET /graphql from the same address counts against the same budget.
    const get = await fetch(`${t.url}?query=${encodeURIComponent('{ __typename }')}`, {
      headers: { 'apollo-require-preflight': 'true' },
    });
    expect(get.status).toBe(429);
    // Without TRUST_PROXY, X-Forwarded-For is the client's own word: it does not buy a new budget.
    const spoofed = await t.anonymous.request('{ __typename }', undefined, { 'x-forwarded-for': '203.0.113.77' });
    expect(spoofed.status).toBe(429);
  });
});

describe('rate limiting behind a trusted proxy (TRUST_PROXY)', () => {
  let t: TestApp;
  beforeAll(async () => {
    // The test client connects over loopback: loopback plays the load balancer.
    t = await startTestApp({ env: { ...LIMITED, TRUST_PROXY: 'loopback' } });
  });
  afterAll(() => t.close());

  it('gives each client named by the proxy its own budget', async () => {
    const from = (ip: string) => t.anonymous.request('{ __typename }', undefined, { 'x-forwarded-for': ip });
    const statuses = [];
    for (let i = 0; i < 5; i++) statuses.push((await from('203.0.113.1')).status);
    expect(statuses).not.toContain(429);
    expectRefused(await from('203.0.113.1'));
    // another client behind the same proxy (the same socket address) is still served
    expect((await from('203.0.113.2')).status).toBe(200);
    // a client that prepends its own X-Forwarded-For entry is still known by what the proxy appended
    expectRefused(await from('198.51.100.9, 203.0.113.1'));
  });
});

describe('the defaults', () => {
  it('are off outside production, on in production, 600 requests per 60 s', () => {
    expect(loadConfig({ NODE_ENV: 'test' }).rateLimit).toEqual({
      enabled: false,
      points: 600,
      windowSeconds: 60,
      trustProxy: 0,
    });
    expect(loadConfig({ NODE_ENV: 'development' }).rateLimit.enabled).toBe(false);
    expect(loadConfig({ NODE_ENV: 'production' }).rateLimit.enabled).toBe(true);
    expect(loadConfig({ NODE_ENV: 'production', RATE_LIMIT_ENABLED: 'false' }).rateLimit.enabled).toBe(false);
  });
});

describe('TRUST_PROXY', () => {
  it('is a number of hops, or addresses and subnets; anything else is a configuration error', () => {
    const trust = (value: string) => loadConfig({ NODE_ENV: 'test', TRUST_PROXY: value }).rateLimit.trustProxy;
    expect(trust('')).toBe(0);
    expect(trust('1')).toBe(1);
    expect(trust('loopback, 10.0.0.0/8')).toEqual(['loopback', '10.0.0.0/8']);
    expect(() => trust('not-an-address')).toThrow(/TRUST_PROXY must be a number of hops or comma-separated addresses/);
    expect(() => trust('1000')).toThrow(/TRUST_PROXY must be a number of hops \(0-100\)/);
  });
});

describe('rate limiting on Redis', () => {
  let redis: TestRedisServer;
  let a: TestApp;
  let b: TestApp;

  beforeAll(async () => {
    redis = await startRedisServer();
    const env = { ...LIMITED, REDIS_ENABLED: 'true', REDIS_URL: redis.url, REDIS_TIMEOUT_MS: '500' };
    a = await startTestApp({ env });
    b = await startTestApp({
      databaseUrl: a.app.config.databaseUrl,
      env: { ...env, SEED_ADMIN_API_KEY: a.adminKey },
    });
  });
  afterAll(async () => {
    await b?.close();
    await a?.close();
    await redis?.stop();
  });

  it('shares one budget between instances: 3 on A and 3 on B, the 6th is refused', async () => {
    for (let i = 0; i < 3; i++) expect((await a.admin.request(ME)).status).toBe(200);
    for (let i = 0; i < 2; i++) expect((await b.admin.request(ME)).status).toBe(200);
    expectRefused(await b.admin.request(ME));
  });

  it('keeps serving while Redis is down: the insurance limiter counts, the outage refuses nothing', async () => {
    await redis.kill();
    const user = a.admin;
    const statuses = [];
    for (let i = 0; i < 5; i++) statuses.push((await user.request('{ __typename }')).status);
    expect(statuses).toEqual([200, 200, 200, 200, 200]);
    // Still a limit, per process, from the insurance limiter.
    expect((await user.request('{ __typename }')).status).toBe(429);
  });
});
