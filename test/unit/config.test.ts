import { ConfigError, loadConfig, parseDatabaseUrl } from '../../src/config';

const messageOf = (env: Record<string, string>) => {
  try {
    loadConfig(env);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as Error).message;
  }
  throw new Error('expected a ConfigError');
};

describe('loadConfig', () => {
  it('has the contract defaults', () => {
    const c = loadConfig({});
    expect(c).toMatchObject({
      port: 4000,
      databaseUrl: 'sqlite:data/app.db',
      database: { driver: 'sqlite', dbName: 'data/app.db' },
      nodeEnv: 'development',
      sandbox: true,
      introspection: true,
      cache: { enabled: true, defaultTtlSeconds: 300, maxItems: 10_000, redis: undefined },
    });
    expect([...c.logCategories]).toEqual([]);
  });

  it('is frozen', () => {
    const c = loadConfig({});
    expect(Object.isFrozen(c)).toBe(true);
    expect(Object.isFrozen(c.cache)).toBe(true);
  });

  it.each([
    [{ PORT: 'abc' }, 'PORT must be a port number (0-65535), got: "abc"'],
    [{ PORT: '70000' }, 'PORT must be a port number (0-65535), got: "70000"'],
    [{ REDIS_PORT: 'abc' }, 'REDIS_PORT must be a port number (1-65535), got: "abc"'],
    [{ CACHE_ENABLED: 'maybe' }, 'CACHE_ENABLED must be a boolean (true/false), got: "maybe"'],
    [{ REDIS_ENABLED: 'yes please' }, 'REDIS_ENABLED must be a boolean (true/false), got: "yes please"'],
    [{ CACHE_DEFAULT_TTL: '-5' }, 'CACHE_DEFAULT_TTL must be a number of seconds (1-31536000), got: "-5"'],
    [{ CACHE_MAX_ITEMS: '0' }, 'CACHE_MAX_ITEMS must be an entry count (1-100000000), got: "0"'],
    [{ REDIS_DB: '16' }, 'REDIS_DB must be a database index (0-15), got: "16"'],
    [
      { DATABASE_URL: 'mysql://localhost/db' },
      'DATABASE_URL must start with "sqlite:" or "postgres://", got: "mysql://localhost/db"',
    ],
    [{ NODE_ENV: 'staging' }, 'NODE_ENV must be development, production or test, got: "staging"'],
    [{ LOG_LEVEL: 'loud' }, 'LOG_LEVEL must be one of'],
  ])('refuses %p naming the variable', (env, expected) => {
    expect(messageOf(env)).toContain(expected);
  });

  it('lists every bad variable at once', () => {
    const message = messageOf({ PORT: 'x', CACHE_ENABLED: 'x' });
    expect(message).toContain('PORT must be');
    expect(message).toContain('CACHE_ENABLED must be');
  });

  it('never echoes a database password', () => {
    expect(messageOf({ DATABASE_URL: 'mysql://u:hunter2@h/db' })).not.toContain('hunter2');
  });

  it('builds the Redis URL from its parts, with a password of any characters', () => {
    const c = loadConfig({
      REDIS_ENABLED: 'true',
      REDIS_HOST: 'cache',
      REDIS_PORT: '6380',
      REDIS_PASSWORD: 'p@ss:w/rd#1%',
      REDIS_DB: '2',
    });
    const url = new URL(c.cache.redis!.url!);
    expect(url.hostname).toBe('cache');
    expect(url.port).toBe('6380');
    expect(decodeURIComponent(url.password)).toBe('p@ss:w/rd#1%');
    expect(url.pathname).toBe('/2');
  });

  it('lets REDIS_URL win over the parts', () => {
    const c = loadConfig({ REDIS_ENABLED: 'true', REDIS_URL: 'redis://r:1234/3', REDIS_HOST: 'other' });
    expect(c.cache.redis!.url).toBe('redis://r:1234/3');
  });

  it('has no Redis unless REDIS_ENABLED', () => {
    expect(loadConfig({ REDIS_URL: 'redis://r:1234' }).cache.redis).toBeUndefined();
  });

  describe('REDIS_CLUSTER_NODES', () => {
    it('with REDIS_ENABLED: a Redis Cluster of those nodes (REDIS_PASSWORD included), no single-server URL', () => {
      const c = loadConfig({
        REDIS_ENABLED: 'true',
        REDIS_CLUSTER_NODES: ' 10.0.0.1:7000, redis-2:7001,[::1]:7002 ',
        REDIS_PASSWORD: 'p@ss:w/rd',
        REDIS_TIMEOUT_MS: '75',
      });
      expect(c.cache.redis).toEqual({
        url: undefined,
        cluster: { nodes: ['10.0.0.1:7000', 'redis-2:7001', '[::1]:7002'], password: 'p@ss:w/rd' },
        timeoutMs: 75,
      });
    });

    it('without a password: none', () => {
      const c = loadConfig({ REDIS_ENABLED: 'true', REDIS_CLUSTER_NODES: 'a:1' });
      expect(c.cache.redis?.cluster).toEqual({ nodes: ['a:1'], password: undefined });
    });

    it('needs REDIS_ENABLED, like REDIS_URL: the list alone turns nothing on', () => {
      expect(loadConfig({ REDIS_CLUSTER_NODES: 'a:7000,b:7001' }).cache.redis).toBeUndefined();
      expect(loadConfig({ REDIS_ENABLED: 'false', REDIS_CLUSTER_NODES: 'a:7000' }).cache.redis).toBeUndefined();
    });

    it.each([
      ['a:7000,b', 'bad: b'],
      ['a:0', 'bad: a:0'],
      ['a:70000', 'bad: a:70000'],
      ['redis://a:7000', 'bad: redis://a:7000'],
      ['::1:7000', 'bad: ::1:7000'],
    ])('refuses %p, even with Redis off, naming the bad entries', (nodes, bad) => {
      expect(messageOf({ REDIS_CLUSTER_NODES: nodes })).toBe(
        `Invalid configuration:\n  REDIS_CLUSTER_NODES must be a comma-separated list of host:port (IPv6 as [addr]:port), got: ${JSON.stringify(nodes)} (${bad})`,
      );
    });

    it('is an empty list when blank: one server then', () => {
      expect(loadConfig({ REDIS_ENABLED: 'true', REDIS_CLUSTER_NODES: ' , ' }).cache.redis).toMatchObject({
        url: 'redis://localhost:6379/0',
        cluster: undefined,
      });
    });

    it('cannot be combined with REDIS_URL, nor with a REDIS_DB other than 0', () => {
      expect(
        messageOf({ REDIS_ENABLED: 'true', REDIS_CLUSTER_NODES: 'a:7000', REDIS_URL: 'redis://r:6379' }),
      ).toContain('REDIS_CLUSTER_NODES and REDIS_URL are mutually exclusive');
      expect(messageOf({ REDIS_ENABLED: 'true', REDIS_CLUSTER_NODES: 'a:7000', REDIS_DB: '2' })).toContain(
        'REDIS_DB must be 0 (or unset) with REDIS_CLUSTER_NODES: a Redis Cluster has only database 0, got: 2',
      );
      expect(
        loadConfig({ REDIS_ENABLED: 'true', REDIS_CLUSTER_NODES: 'a:7000', REDIS_DB: '0' }).cache.redis?.cluster,
      ).toBeDefined();
    });
  });

  it('turns Sandbox and introspection off in production unless enabled', () => {
    expect(loadConfig({ NODE_ENV: 'production' })).toMatchObject({ sandbox: false, introspection: false });
    expect(
      loadConfig({ NODE_ENV: 'production', INTROSPECTION_ENABLED: 'true', SANDBOX_ENABLED: 'true' }),
    ).toMatchObject({ sandbox: true, introspection: true });
  });

  it('parses LOG_CATEGORIES case-insensitively', () => {
    expect([...loadConfig({ LOG_CATEGORIES: 'cache, Requests' }).logCategories]).toEqual(['CACHE', 'REQUESTS']);
  });

  it('refuses an unknown LOG_CATEGORIES name, listing the known ones', () => {
    expect(messageOf({ LOG_CATEGORIES: 'cache,sql' })).toBe(
      'Invalid configuration:\n  LOG_CATEGORIES must be a comma-separated list of CACHE, REQUESTS, got: "cache,sql" (unknown: SQL)',
    );
    // with the other bad variables, in one message
    const message = messageOf({ LOG_CATEGORIES: 'CACHE,REQUEST', PORT: 'x' });
    expect(message).toContain('PORT must be');
    expect(message).toContain('(unknown: REQUEST)');
  });
});

describe('tracing (OTEL_*)', () => {
  it('is off without OTEL_EXPORTER_OTLP_ENDPOINT (empty too), with the default service name', () => {
    expect(loadConfig({}).tracing).toEqual({ endpoint: undefined, serviceName: 'graphql-resolver-cache' });
    expect(loadConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: '' }).tracing.endpoint).toBeUndefined();
  });

  it('takes an http(s) endpoint and a service name', () => {
    expect(
      loadConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://localhost:4318', OTEL_SERVICE_NAME: 'api' }).tracing,
    ).toEqual({ endpoint: 'http://localhost:4318', serviceName: 'api' });
  });

  it('refuses an endpoint that is not an http(s) URL', () => {
    expect(messageOf({ OTEL_EXPORTER_OTLP_ENDPOINT: 'localhost:4318' })).toContain(
      'OTEL_EXPORTER_OTLP_ENDPOINT must be an http:// or https:// URL (e.g. http://localhost:4318), got: "localhost:4318"',
    );
  });

  it('checks OTEL_EXPORTER_OTLP_HEADERS without ever echoing a value', () => {
    expect(() => loadConfig({ OTEL_EXPORTER_OTLP_HEADERS: 'authorization=Bearer%20x,x-team=a' })).not.toThrow();
    const message = messageOf({ OTEL_EXPORTER_OTLP_HEADERS: 'authorization=ok,sekrit-token-value' });
    expect(message).toContain('OTEL_EXPORTER_OTLP_HEADERS must be a comma-separated list of name=value');
    expect(message).toContain('position 2');
    expect(message).not.toContain('sekrit');
  });
});

describe('parseDatabaseUrl', () => {
  it.each([
    ['sqlite:data/app.db', { driver: 'sqlite', dbName: 'data/app.db' }],
    ['sqlite:/var/lib/app.db', { driver: 'sqlite', dbName: '/var/lib/app.db' }],
    ['sqlite::memory:', { driver: 'sqlite', dbName: ':memory:' }],
    ['postgres://u:p@h:5432/db', { driver: 'postgresql', clientUrl: 'postgres://u:p@h:5432/db' }],
    ['postgresql://h/db', { driver: 'postgresql', clientUrl: 'postgresql://h/db' }],
  ])('%s', (url, expected) => {
    expect(parseDatabaseUrl(url)).toEqual(expected);
  });

  it('refuses an empty sqlite path', () => {
    expect(() => parseDatabaseUrl('sqlite:')).toThrow('DATABASE_URL must name a file');
  });
});
