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
  const compose = parse(readFileSync(join(ROOT, 'docker-compose.yml'), 'utf8'), { merge: true });
  type Service = Record<string, unknown> & { profiles?: string[]; environment?: Record<string, string> };
  const services = compose.services as Record<string, Service>;
  const inProfile = (profile?: string) =>
    Object.keys(services)
      .filter((name) => (profile ? services[name]!.profiles?.includes(profile) : !services[name]!.profiles))
      .sort();
  /** The configuration an app service's environment gives, with `${VAR:-default}` resolved to its default. */
  const configOf = (service: string) => {
    const env = services[service]!.environment!;
    for (const name of Object.keys(env)) expect(knownVariables).toContain(name);
    return loadConfig(
      Object.fromEntries(Object.entries(env).map(([k, v]) => [k, String(v).replace(/\$\{[^}]*:-([^}]*)\}/g, '$1')])),
    );
  };

  it('is valid YAML with the app, PostgreSQL and Redis by default, each with a healthcheck', () => {
    expect(inProfile()).toEqual(['app', 'postgres', 'redis']);
    for (const name of inProfile()) expect(services[name]!.healthcheck).toBeDefined();
    expect(compose.services.app.depends_on).toEqual({
      postgres: { condition: 'service_healthy' },
      redis: { condition: 'service_healthy' },
    });
  });

  it('sets only variables the configuration knows, with values it accepts', () => {
    const config = configOf('app');
    expect(config.database.driver).toBe('postgresql');
    expect(config.cache.redis?.url).toBe('redis://redis:6379/0');
  });

  describe('the cluster profile', () => {
    const nodes = Array.from({ length: 6 }, (_, i) => `redis-node-${i + 1}`);

    it('has 6 cluster-enabled Redis nodes with healthchecks, a one-shot init, and app-cluster', () => {
      expect(inProfile('cluster')).toEqual(['app-cluster', ...nodes, 'redis-cluster-init'].sort());
      for (const name of nodes) {
        const command = services[name]!.command as string[];
        expect(command.join(' ')).toContain('--cluster-enabled yes');
        expect(services[name]!.healthcheck).toBeDefined();
      }
      const init = services['redis-cluster-init']!;
      expect(init.restart).toBe('no');
      expect(Object.keys(init.depends_on as object).sort()).toEqual(nodes);
      const script = (init.command as string[]).join(' ');
      expect(script).toContain('redis-cli --cluster create');
      expect(script).toContain('--cluster-replicas 1');
      for (let i = 1; i <= 6; i++) expect(script.replace('$$i', String(i))).toMatch(/redis-node-/);
    });

    it('app-cluster: REDIS_CLUSTER_NODES lists every node, accepted by the configuration; it waits for the init', () => {
      const config = configOf('app-cluster');
      expect(config.cache.redis?.cluster?.nodes).toEqual(nodes.map((n) => `${n}:6379`));
      expect(config.cache.redis?.url).toBeUndefined();
      expect(services['app-cluster']!.depends_on).toEqual({
        postgres: { condition: 'service_healthy' },
        'redis-cluster-init': { condition: 'service_completed_successfully' },
      });
      // Both apps on the same environment otherwise.
      const { REDIS_URL: _url, ...app } = services.app!.environment!;
      const { REDIS_CLUSTER_NODES: _nodes, ...cluster } = services['app-cluster']!.environment!;
      expect(cluster).toEqual(app);
    });
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
