import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { loadConfig } from '../../src/config';

const ROOT = join(__dirname, '..', '..');
const envExample = readFileSync(join(ROOT, '.env.example'), 'utf8');
const knownVariables = new Set([...envExample.matchAll(/^([A-Z][A-Z0-9_]*)=/gm)].map((m) => m[1]));

describe('.env.example', () => {
  it('lists every variable of the contract', () => {
    for (const name of ['PORT', 'DATABASE_URL', 'CACHE_ENABLED', 'REDIS_ENABLED', 'REDIS_URL', 'REDIS_HOST', 'REDIS_PORT', 'REDIS_PASSWORD', 'REDIS_DB', 'CACHE_DEFAULT_TTL', 'LOG_CATEGORIES', 'SEED_ADMIN_API_KEY']) {
      expect(knownVariables).toContain(name);
    }
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
    for (const service of Object.values<Record<string, unknown>>(compose.services)) expect(service.healthcheck).toBeDefined();
    expect(compose.services.app.depends_on).toEqual({ postgres: { condition: 'service_healthy' }, redis: { condition: 'service_healthy' } });
  });

  it('sets only variables the configuration knows, with values it accepts', () => {
    const env: Record<string, string> = compose.services.app.environment;
    for (const name of Object.keys(env)) expect(knownVariables).toContain(name);
    const resolved = Object.fromEntries(Object.entries(env).map(([k, v]) => [k, String(v).replace(/\$\{[^}]*:-([^}]*)\}/g, '$1')]));
    const config = loadConfig(resolved);
    expect(config.database.driver).toBe('postgresql');
    expect(config.cache.redis?.url).toBe('redis://redis:6379/0');
  });
});
