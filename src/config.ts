import { z } from 'zod';
import { parseTrustProxy, type TrustProxy } from './http/client-ip';

/**
 * Environment -> one typed, validated, frozen Config.
 *
 * Every variable the README's configuration table lists. Invalid values
 * fail fast with a message that names the variable, what it must be, and what it got, e.g.
 * `REDIS_PORT must be a port number (1-65535), got: "abc"`.
 */
export interface Config {
  readonly nodeEnv: 'development' | 'production' | 'test';
  readonly host: string;
  /** HTTP port; the endpoint is `/graphql`. */
  readonly port: number;
  readonly databaseUrl: string;
  readonly database: DatabaseConfig;
  readonly seedAdminApiKey: string | undefined;
  /** Apollo Sandbox landing page on `GET /graphql`. */
  readonly sandbox: boolean;
  readonly introspection: boolean;
  readonly logLevel: string;
  /** Upper-case log categories, among {@link LOG_CATEGORY_NAMES}. */
  readonly logCategories: ReadonlySet<string>;
  readonly cache: CacheConfig;
  /** Seconds to wait for in-flight requests on SIGTERM before closing anyway. */
  readonly shutdownTimeoutSeconds: number;
  /** Limits on each operation, checked before it runs (src/graphql/query-limits.ts). */
  readonly queryLimits: QueryLimitsConfig;
  /** Estimated heap bytes of parsed documents and persisted-query texts kept for repeated queries. */
  readonly documentCacheMaxBytes: number;
  /** When set, `GET /metrics` needs `Authorization: Bearer <token>`. */
  readonly metricsToken: string | undefined;
  /** Requests per API key (or per client IP without one) on `/graphql` (src/http/rate-limit.ts). */
  readonly rateLimit: RateLimitConfig;
  /** OpenTelemetry tracing (src/tracing.ts): on when an OTLP endpoint is set. */
  readonly tracing: TracingConfig;
}

export interface TracingConfig {
  /** OTEL_EXPORTER_OTLP_ENDPOINT: the collector's base URL (spans go to `{endpoint}/v1/traces`); unset: tracing off. */
  readonly endpoint: string | undefined;
  /** OTEL_SERVICE_NAME: the `service.name` of every span. */
  readonly serviceName: string;
}

export interface RateLimitConfig {
  readonly enabled: boolean;
  /** Requests allowed per window. */
  readonly points: number;
  readonly windowSeconds: number;
  /** Proxies trusted to name the client (X-Forwarded-For), for the per-IP budget: hops or addresses. */
  readonly trustProxy: TrustProxy;
}

export interface QueryLimitsConfig {
  readonly maxDepth: number;
  readonly maxAliases: number;
  readonly maxComplexity: number;
  readonly maxTokens: number;
}

export type DatabaseConfig =
  | { readonly driver: 'sqlite'; readonly dbName: string }
  | { readonly driver: 'postgresql'; readonly clientUrl: string };

export interface CacheConfig {
  /** Master switch: false installs no cache middleware and no report at all. */
  readonly enabled: boolean;
  /** Seconds, for a `@CacheControl` with no `maxAge`. */
  readonly defaultTtlSeconds: number;
  /** Whole-response entries for repeated operations, served before execution. */
  readonly operationTier: boolean;
  /** Upper bound of entries held by the memory store (LRU by entry count). */
  readonly maxItems: number;
  /** Upper bound of bytes held by each memory store (keys and values as JSON text). */
  readonly maxBytes: number;
  /** A larger entry (bytes of JSON text) is not stored, on any backend. */
  readonly maxEntryBytes: number;
  /**
   * Milliseconds of the lock a miss takes on Redis so that one instance computes an entry while the
   * others wait for it (at most this long); 0 turns it off.
   */
  readonly stampedeLockMs: number;
  /**
   * Seconds after its maxAge during which an expired entry of a `@CacheControl` without a
   * `staleWhileRevalidate` of its own is still answered (STALE) while it is refreshed; 0: never.
   */
  readonly staleWhileRevalidateSeconds: number;
  readonly redis: RedisConfig | undefined;
}

export interface RedisConfig {
  /** One Redis server (REDIS_URL, or built from REDIS_HOST/PORT/PASSWORD/DB); undefined with a cluster. */
  readonly url: string | undefined;
  /** A Redis Cluster (REDIS_CLUSTER_NODES) instead of one server. */
  readonly cluster: RedisClusterConfig | undefined;
  /** Deadline, in milliseconds, for every single Redis call. */
  readonly timeoutMs: number;
}

export interface RedisClusterConfig {
  /** `host:port` of the nodes to discover the cluster from (IPv6 as `[addr]:port`). */
  readonly nodes: readonly string[];
  /** REDIS_PASSWORD: `requirepass` of every node. */
  readonly password: string | undefined;
}

export class ConfigError extends Error {
  override name = 'ConfigError';
}

type Env = Record<string, string | undefined>;

const TRUE = ['true', '1', 'yes', 'on'];
const FALSE = ['false', '0', 'no', 'off'];

const bool = (name: string, fallback: boolean) =>
  z
    .string()
    .optional()
    .transform((raw, ctx) => {
      if (raw === undefined || raw.trim() === '') return fallback;
      const v = raw.trim().toLowerCase();
      if (TRUE.includes(v)) return true;
      if (FALSE.includes(v)) return false;
      ctx.addIssue({ code: 'custom', message: `${name} must be a boolean (true/false), got: ${JSON.stringify(raw)}` });
      return z.NEVER;
    });

const int = (name: string, fallback: number, min: number, max: number, what = 'an integer') =>
  z
    .string()
    .optional()
    .transform((raw, ctx) => {
      if (raw === undefined || raw.trim() === '') return fallback;
      const n = Number(raw.trim());
      if (!/^-?\d+$/.test(raw.trim()) || !Number.isSafeInteger(n) || n < min || n > max) {
        ctx.addIssue({
          code: 'custom',
          message: `${name} must be ${what} (${min}-${max}), got: ${JSON.stringify(raw)}`,
        });
        return z.NEVER;
      }
      return n;
    });

const str = (fallback?: string) =>
  z
    .string()
    .optional()
    .transform((raw) => (raw === undefined || raw === '' ? fallback : raw));

/** The names `LOG_CATEGORIES` accepts: one line per cache lookup, one line per HTTP request. */
export const LOG_CATEGORY_NAMES = ['CACHE', 'REQUESTS'] as const;

const envSchema = z.object({
  NODE_ENV: z
    .string()
    .optional()
    .transform((raw, ctx) => {
      const v = (raw ?? '').trim() || 'development';
      if (v === 'development' || v === 'production' || v === 'test') return v;
      ctx.addIssue({
        code: 'custom',
        message: `NODE_ENV must be development, production or test, got: ${JSON.stringify(raw)}`,
      });
      return z.NEVER;
    }),
  HOST: str('0.0.0.0'),
  PORT: int('PORT', 4000, 0, 65535, 'a port number'),
  DATABASE_URL: str('sqlite:data/app.db'),
  SEED_ADMIN_API_KEY: str(undefined),
  SANDBOX_ENABLED: z.string().optional(),
  INTROSPECTION_ENABLED: z.string().optional(),
  LOG_LEVEL: z
    .string()
    .optional()
    .transform((raw, ctx) => {
      const v = (raw ?? '').trim() || 'info';
      if (['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].includes(v)) return v;
      ctx.addIssue({
        code: 'custom',
        message: `LOG_LEVEL must be one of fatal, error, warn, info, debug, trace, silent, got: ${JSON.stringify(raw)}`,
      });
      return z.NEVER;
    }),
  LOG_CATEGORIES: z
    .string()
    .optional()
    .transform((raw, ctx) => {
      const names = (raw ?? '')
        .split(',')
        .map((c) => c.trim().toUpperCase())
        .filter(Boolean);
      const unknown = names.filter((n) => !(LOG_CATEGORY_NAMES as readonly string[]).includes(n));
      if (unknown.length === 0) return names;
      ctx.addIssue({
        code: 'custom',
        message: `LOG_CATEGORIES must be a comma-separated list of ${LOG_CATEGORY_NAMES.join(', ')}, got: ${JSON.stringify(raw)} (unknown: ${unknown.join(', ')})`,
      });
      return z.NEVER;
    }),
  CACHE_ENABLED: bool('CACHE_ENABLED', true),
  CACHE_DEFAULT_TTL: int('CACHE_DEFAULT_TTL', 300, 1, 31_536_000, 'a number of seconds'),
  CACHE_OPERATION_TIER: bool('CACHE_OPERATION_TIER', true),
  CACHE_MAX_ITEMS: int('CACHE_MAX_ITEMS', 10_000, 1, 100_000_000, 'an entry count'),
  CACHE_MAX_BYTES: int('CACHE_MAX_BYTES', 64 * 1024 * 1024, 1024, 2 ** 40, 'a number of bytes'),
  CACHE_MAX_ENTRY_BYTES: int('CACHE_MAX_ENTRY_BYTES', 1024 * 1024, 64, 512 * 1024 * 1024, 'a number of bytes'),
  CACHE_STALE_WHILE_REVALIDATE: int('CACHE_STALE_WHILE_REVALIDATE', 0, 0, 31_536_000, 'a number of seconds'),
  CACHE_STAMPEDE_LOCK_MS: int('CACHE_STAMPEDE_LOCK_MS', 2000, 0, 10_000, 'a number of milliseconds'),
  REDIS_ENABLED: bool('REDIS_ENABLED', false),
  REDIS_URL: str(undefined),
  REDIS_HOST: str('localhost'),
  REDIS_PORT: int('REDIS_PORT', 6379, 1, 65535, 'a port number'),
  REDIS_PASSWORD: str(''),
  REDIS_DB: int('REDIS_DB', 0, 0, 15, 'a database index'),
  REDIS_CLUSTER_NODES: z
    .string()
    .optional()
    .transform((raw, ctx) => {
      const nodes = (raw ?? '')
        .split(',')
        .map((n) => n.trim())
        .filter(Boolean);
      const bad = nodes.filter((n) => {
        const m = /^(?:\[[^\]]+\]|[^:\s[\]]+):(\d{1,5})$/.exec(n);
        return !m || Number(m[1]) < 1 || Number(m[1]) > 65535;
      });
      if (bad.length === 0) return nodes.length > 0 ? nodes : undefined;
      ctx.addIssue({
        code: 'custom',
        message: `REDIS_CLUSTER_NODES must be a comma-separated list of host:port (IPv6 as [addr]:port), got: ${JSON.stringify(raw)} (bad: ${bad.join(', ')})`,
      });
      return z.NEVER;
    }),
  REDIS_TIMEOUT_MS: int('REDIS_TIMEOUT_MS', 50, 1, 60_000, 'a number of milliseconds'),
  SHUTDOWN_TIMEOUT: int('SHUTDOWN_TIMEOUT', 8, 0, 3600, 'a number of seconds'),
  QUERY_MAX_DEPTH: int('QUERY_MAX_DEPTH', 10, 1, 1000, 'a number of levels'),
  QUERY_MAX_ALIASES: int('QUERY_MAX_ALIASES', 30, 1, 100_000, 'a number of fields'),
  QUERY_MAX_COMPLEXITY: int('QUERY_MAX_COMPLEXITY', 25_000, 1, 1_000_000_000, 'a cost'),
  QUERY_MAX_TOKENS: int('QUERY_MAX_TOKENS', 2000, 1, 1_000_000, 'a number of tokens'),
  DOCUMENT_CACHE_MAX_BYTES: int('DOCUMENT_CACHE_MAX_BYTES', 16 * 1024 * 1024, 65_536, 2 ** 40, 'a number of bytes'),
  METRICS_TOKEN: str(undefined).transform((raw, ctx) => {
    if (raw === undefined || raw.length >= 16) return raw;
    // A secret: its length is shown, never its value.
    ctx.addIssue({ code: 'custom', message: `METRICS_TOKEN must be at least 16 characters, got: ${raw.length}` });
    return z.NEVER;
  }),
  RATE_LIMIT_ENABLED: z.string().optional(),
  RATE_LIMIT_POINTS: int('RATE_LIMIT_POINTS', 600, 1, 1_000_000_000, 'a number of requests'),
  TRUST_PROXY: str(undefined),
  RATE_LIMIT_WINDOW_SECONDS: int('RATE_LIMIT_WINDOW_SECONDS', 60, 1, 86_400, 'a number of seconds'),
  OTEL_EXPORTER_OTLP_ENDPOINT: str(undefined).transform((raw, ctx) => {
    if (raw === undefined) return raw;
    const url = raw.trim();
    if (/^https?:\/\//i.test(url) && URL.canParse(url)) return url;
    ctx.addIssue({
      code: 'custom',
      message: `OTEL_EXPORTER_OTLP_ENDPOINT must be an http:// or https:// URL (e.g. http://localhost:4318), got: ${JSON.stringify(redactUrl(raw))}`,
    });
    return z.NEVER;
  }),
  OTEL_SERVICE_NAME: str('graphql-resolver-cache'),
  // Read by the OTLP exporter itself; checked here so that a typo fails at start-up. Its values are secrets:
  // a message names the bad entry's position, never its text.
  OTEL_EXPORTER_OTLP_HEADERS: str(undefined).transform((raw, ctx) => {
    if (raw === undefined) return raw;
    const bad = raw
      .split(',')
      .map((entry, i) => ({ entry: entry.trim(), i }))
      .filter(({ entry }) => entry !== '' && !/^[^=\s]+\s*=/.test(entry));
    if (bad.length === 0) return raw;
    ctx.addIssue({
      code: 'custom',
      message: `OTEL_EXPORTER_OTLP_HEADERS must be a comma-separated list of name=value, got a malformed entry at position ${bad.map((b) => b.i + 1).join(', ')}`,
    });
    return z.NEVER;
  }),
});

/** Every environment variable the configuration reads. */
export const CONFIG_VARIABLES: readonly string[] = Object.freeze(Object.keys(envSchema.shape));

/** Parses `DATABASE_URL`: `sqlite:<path>` (or `sqlite::memory:`) or `postgres(ql)://…`. */
export function parseDatabaseUrl(url: string): DatabaseConfig {
  if (url.startsWith('sqlite:')) {
    const path = url.slice('sqlite:'.length).replace(/^\/\/(?=\/)/, '');
    if (path === '')
      throw new ConfigError(`DATABASE_URL must name a file after "sqlite:", got: ${JSON.stringify(url)}`);
    return { driver: 'sqlite', dbName: path };
  }
  if (/^postgres(ql)?:\/\//.test(url)) {
    try {
      new URL(url);
    } catch {
      throw new ConfigError(`DATABASE_URL must be a valid postgres:// URL, got: ${JSON.stringify(redactUrl(url))}`);
    }
    return { driver: 'postgresql', clientUrl: url };
  }
  throw new ConfigError(
    `DATABASE_URL must start with "sqlite:" or "postgres://", got: ${JSON.stringify(redactUrl(url))}`,
  );
}

/** Hides the password of a URL for messages and logs. */
export function redactUrl(url: string): string {
  return url.replace(/(\/\/[^:/@]*:)[^@]*@/, '$1***@');
}

/**
 * One Redis, or a Redis Cluster when REDIS_CLUSTER_NODES lists its nodes (REDIS_ENABLED still turns Redis
 * on: the list alone does not, like REDIS_URL). A cluster takes REDIS_PASSWORD; REDIS_URL, which names one
 * server, cannot be combined with it, nor can a REDIS_DB other than 0 (a cluster has only database 0).
 */
function redisFrom(env: z.infer<typeof envSchema>): RedisConfig {
  const nodes = env.REDIS_CLUSTER_NODES;
  if (!nodes) return { url: redisUrlFrom(env), cluster: undefined, timeoutMs: env.REDIS_TIMEOUT_MS };
  if (env.REDIS_URL) {
    throw new ConfigError(
      'Invalid configuration:\n  REDIS_CLUSTER_NODES and REDIS_URL are mutually exclusive: set REDIS_CLUSTER_NODES for a Redis Cluster, REDIS_URL for one server',
    );
  }
  if (env.REDIS_DB !== 0) {
    throw new ConfigError(
      `Invalid configuration:\n  REDIS_DB must be 0 (or unset) with REDIS_CLUSTER_NODES: a Redis Cluster has only database 0, got: ${env.REDIS_DB}`,
    );
  }
  return {
    url: undefined,
    cluster: { nodes, password: env.REDIS_PASSWORD || undefined },
    timeoutMs: env.REDIS_TIMEOUT_MS,
  };
}

function redisUrlFrom(env: z.infer<typeof envSchema>): string {
  if (env.REDIS_URL) {
    if (!/^rediss?:\/\//.test(env.REDIS_URL)) {
      throw new ConfigError(
        `REDIS_URL must start with redis:// or rediss://, got: ${JSON.stringify(redactUrl(env.REDIS_URL))}`,
      );
    }
    return env.REDIS_URL;
  }
  // The password may hold any character (@, :, /, #…): percent-encode it into the URL.
  const auth = env.REDIS_PASSWORD ? `:${encodeURIComponent(env.REDIS_PASSWORD)}@` : '';
  const host = env.REDIS_HOST!.includes(':') ? `[${env.REDIS_HOST}]` : env.REDIS_HOST;
  return `redis://${auth}${host}:${env.REDIS_PORT}/${env.REDIS_DB}`;
}

/** Reads and validates the environment. Throws a {@link ConfigError} listing every bad variable. */
export function loadConfig(env: Env = process.env): Config {
  const parsed = envSchema.safeParse(env);
  if (!parsed.success) {
    throw new ConfigError(`Invalid configuration:\n  ${parsed.error.issues.map((i) => i.message).join('\n  ')}`);
  }
  const e = parsed.data;
  const dev = e.NODE_ENV !== 'production';
  const flag = (name: 'SANDBOX_ENABLED' | 'INTROSPECTION_ENABLED' | 'RATE_LIMIT_ENABLED', fallback: boolean) => {
    const r = bool(name, fallback).safeParse(e[name]);
    if (!r.success) throw new ConfigError(`Invalid configuration:\n  ${r.error.issues[0]!.message}`);
    return r.data;
  };
  const introspection = flag('INTROSPECTION_ENABLED', dev);
  const config: Config = {
    nodeEnv: e.NODE_ENV,
    host: e.HOST!,
    port: e.PORT,
    databaseUrl: e.DATABASE_URL!,
    database: parseDatabaseUrl(e.DATABASE_URL!),
    seedAdminApiKey: e.SEED_ADMIN_API_KEY,
    // The Sandbox needs introspection to be of any use.
    sandbox: flag('SANDBOX_ENABLED', dev) && introspection,
    introspection,
    logLevel: e.LOG_LEVEL,
    logCategories: new Set(e.LOG_CATEGORIES),
    cache: {
      enabled: e.CACHE_ENABLED,
      defaultTtlSeconds: e.CACHE_DEFAULT_TTL,
      operationTier: e.CACHE_OPERATION_TIER,
      maxItems: e.CACHE_MAX_ITEMS,
      maxBytes: e.CACHE_MAX_BYTES,
      maxEntryBytes: e.CACHE_MAX_ENTRY_BYTES,
      stampedeLockMs: e.CACHE_STAMPEDE_LOCK_MS,
      staleWhileRevalidateSeconds: e.CACHE_STALE_WHILE_REVALIDATE,
      redis: e.REDIS_ENABLED ? redisFrom(e) : undefined,
    },
    shutdownTimeoutSeconds: e.SHUTDOWN_TIMEOUT,
    queryLimits: {
      maxDepth: e.QUERY_MAX_DEPTH,
      maxAliases: e.QUERY_MAX_ALIASES,
      maxComplexity: e.QUERY_MAX_COMPLEXITY,
      maxTokens: e.QUERY_MAX_TOKENS,
    },
    documentCacheMaxBytes: e.DOCUMENT_CACHE_MAX_BYTES,
    metricsToken: e.METRICS_TOKEN,
    rateLimit: {
      enabled: flag('RATE_LIMIT_ENABLED', !dev),
      points: e.RATE_LIMIT_POINTS,
      windowSeconds: e.RATE_LIMIT_WINDOW_SECONDS,
      trustProxy: trustProxyFrom(e.TRUST_PROXY),
    },
    tracing: { endpoint: e.OTEL_EXPORTER_OTLP_ENDPOINT, serviceName: e.OTEL_SERVICE_NAME! },
  };
  return deepFreeze(config);
}

function trustProxyFrom(raw: string | undefined): TrustProxy {
  try {
    return parseTrustProxy(raw);
  } catch (err) {
    throw new ConfigError(`Invalid configuration:\n  ${(err as Error).message}`);
  }
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value as object)) deepFreeze(v);
  }
  return value;
}
