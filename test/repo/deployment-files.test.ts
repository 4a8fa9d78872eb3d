import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { CONFIG_VARIABLES, loadConfig } from '../../src/config';

const ROOT = join(__dirname, '..', '..');
const envExample = readFileSync(join(ROOT, '.env.example'), 'utf8');
const knownVariables = new Set([...envExample.matchAll(/^([A-Z][A-Z0-9_]*)=/gm)].map((m) => m[1]));

describe('.env.example', () => {
  it('lists every variable of the contract', () => {
    for (const name of [
      'PORT',
      'DATABASE_URL',
      'CACHE_ENABLED',
      'REDIS_ENABLED',
      'REDIS_URL',
      'REDIS_HOST',
      'REDIS_PORT',
      'REDIS_PASSWORD',
      'REDIS_DB',
      'CACHE_DEFAULT_TTL',
      'LOG_CATEGORIES',
      'SEED_ADMIN_API_KEY',
    ]) {
      expect(knownVariables).toContain(name);
    }
  });

  it('lists exactly the variables the configuration reads, and the README documents each', () => {
    expect([...knownVariables].sort()).toEqual([...CONFIG_VARIABLES].sort());
    const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
    for (const name of CONFIG_VARIABLES) expect(readme).toContain(`\`${name}\``);
  });

  it('holds values the configuration accepts', () => {
    const env = Object.fromEntries([...envExample.matchAll(/^([A-Z][A-Z0-9_]*)=(.*)$/gm)].map((m) => [m[1], m[2]]));
    expect(() => loadConfig(env)).not.toThrow();
  });
});

describe('docker-compose.yml', () => {
  const compose = parse(readFileSync(join(ROOT, 'docker-compose.yml'), 'utf8'));

  it('is valid YAML with the app, PostgreSQL and Redis, each with a healthcheck', () => {
    expect(Object.keys(compose.services).sort()).toEqual(['app', 'postgres', 'redis']);
    for (const service of Object.values<Record<string, unknown>>(compose.services))
      expect(service.healthcheck).toBeDefined();
    expect(compose.services.app.depends_on).toEqual({
      postgres: { condition: 'service_healthy' },
      redis: { condition: 'service_healthy' },
    });
  });

  it('sets only variables the configuration knows, with values it accepts', () => {
    const env: Record<string, string> = compose.services.app.environment;
    for (const name of Object.keys(env)) expect(knownVariables).toContain(name);
    const resolved = Object.fromEntries(
      Object.entries(env).map(([k, v]) => [k, String(v).replace(/\$\{[^}]*:-([^}]*)\}/g, '$1')]),
    );
    const config = loadConfig(resolved);
    expect(config.database.driver).toBe('postgresql');
    expect(config.cache.redis?.url).toBe('redis://redis:6379/0');
  });
});

describe('Dockerfile', () => {
  const dockerfile = readFileSync(join(ROOT, 'Dockerfile'), 'utf8');
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));

  it('is multi-stage, installs from the lockfile, builds with tsc, keeps production dependencies only, runs as non-root with a HEALTHCHECK on /health', () => {
    expect(dockerfile.match(/^FROM /gm)).toHaveLength(2);
    expect(dockerfile).toContain('COPY package.json package-lock.json ./');
    expect(dockerfile).toMatch(/RUN npm run build && npm prune --omit=dev/);
    expect(pkg.scripts.build).toMatch(/^tsc /);
    expect(dockerfile).toMatch(/^USER node$/m);
    expect(dockerfile).toMatch(/^HEALTHCHECK [\s\S]*\/health/m);
  });

  it('starts with the command the README documents (npm run start:prod)', () => {
    const cmd = JSON.parse(/^CMD (\[.*\])$/m.exec(dockerfile)![1]!).join(' ');
    expect(pkg.scripts['start:prod']).toBe(cmd);
    expect(readme).toContain('npm run start:prod');
    expect(readme).toContain(cmd);
  });

  it('every ENV it sets is a variable the configuration knows', () => {
    const env = /^ENV (.*)$/m
      .exec(dockerfile)![1]!
      .split(/\s+/)
      .map((kv) => kv.split('=')[0]);
    for (const name of env) expect(knownVariables).toContain(name);
  });
});
