import { randomBytes } from 'node:crypto';
import { loadConfig } from '../../src/config';
import { startTestApp, type TestApp } from '../helpers/test-app';

const WARNING = 'GET /metrics is open to anyone: set METRICS_TOKEN to require "Authorization: Bearer <token>".';

describe('/metrics with METRICS_TOKEN', () => {
  const token = randomBytes(24).toString('base64url');
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ env: { METRICS_TOKEN: token } });
  });
  afterAll(async () => t?.close());
  const scrape = (authorization?: string) =>
    fetch(`${t.baseUrl}/metrics`, { headers: authorization === undefined ? {} : { authorization } });

  it('answers the right bearer token with the metrics', async () => {
    for (const authorization of [`Bearer ${token}`, `bearer ${token}`]) {
      const res = await scrape(authorization);
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toMatch(/text\/plain/);
      expect(await res.text()).toContain('http_request_duration_seconds');
    }
  });

  it.each([
    ['no Authorization header', undefined],
    ['a wrong token', `Bearer ${randomBytes(24).toString('base64url')}`],
    ['the token with one more character', `Bearer ${token}x`],
    ['a prefix of the token', `Bearer ${token.slice(0, -1)}`],
    ['another scheme', `Basic ${Buffer.from(`x:${token}`).toString('base64')}`],
    ['the bare token', token],
    ['an empty bearer', 'Bearer '],
  ])('refuses %s with a JSON 401', async (_name, authorization) => {
    const res = await scrape(authorization);
    expect(res.status).toBe(401);
    expect(res.headers.get('content-type')).toMatch(/application\/json/);
    expect(res.headers.get('www-authenticate')).toBe('Bearer realm="metrics"');
    const body = await res.json();
    expect(body).toEqual({
      errors: [
        {
          message: 'Unauthorized: /metrics needs "Authorization: Bearer <METRICS_TOKEN>".',
          extensions: { code: 'UNAUTHENTICATED' },
        },
      ],
    });
    expect(JSON.stringify(body)).not.toContain(token);
  });

  it('leaves /health, /ready and /graphql as they were', async () => {
    expect((await fetch(`${t.baseUrl}/health`)).status).toBe(200);
    expect((await fetch(`${t.baseUrl}/ready`)).status).toBe(200);
    expect((await t.admin.ok<{ me: { id: string } }>('{ me { id } }')).me.id).toBeDefined();
  });
});

describe('/metrics without METRICS_TOKEN', () => {
  it('is open, and in production the server warns once at start', async () => {
    const logLines: string[] = [];
    const t = await startTestApp({ env: { NODE_ENV: 'production' }, logLines });
    try {
      expect((await fetch(`${t.baseUrl}/metrics`)).status).toBe(200);
      const warnings = logLines.map((line) => JSON.parse(line)).filter((line) => line.level === 40);
      expect(warnings.filter((line) => line.msg === WARNING)).toHaveLength(1);
    } finally {
      await t.close();
    }
  });

  it('does not warn in production when a token is set, nor outside production', async () => {
    const envs: Record<string, string>[] = [
      { NODE_ENV: 'production', METRICS_TOKEN: 'x'.repeat(16) },
      { NODE_ENV: 'development' },
    ];
    for (const env of envs) {
      const logLines: string[] = [];
      const t = await startTestApp({ env, logLines });
      await t.close();
      expect(logLines.filter((line) => line.includes('METRICS_TOKEN'))).toEqual([]);
    }
  });
});

describe('METRICS_TOKEN configuration', () => {
  it('is at least 16 characters, and a refusal shows its length, never its value', () => {
    expect(() => loadConfig({ METRICS_TOKEN: 'short-secret' })).toThrow(
      'METRICS_TOKEN must be at least 16 characters, got: 12',
    );
    expect(() => loadConfig({ METRICS_TOKEN: 'short-secret' })).not.toThrow(/short-secret/);
    expect(loadConfig({ METRICS_TOKEN: 'x'.repeat(16) }).metricsToken).toBe('x'.repeat(16));
    expect(loadConfig({ METRICS_TOKEN: '' }).metricsToken).toBeUndefined();
  });
});
