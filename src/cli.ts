/**
 * The operator's CLI of the cache: `npm run cache -- <command>` in a checkout, `node dist/src/cli.js
 * <command>` in the image. It reads the server's configuration (the same environment and `.env`).
 *
 * - `stats`: the running server's /metrics, summed up.
 * - `evict <namespace>...` / `evict --all`: new generation tokens on Redis, like the server's evictions.
 * - `inspect <coordinate>`: the coordinate's keys on Redis (SCAN), with TTLs and sizes, never values.
 *
 * Exit codes: 0 ok, 1 runtime failure (server or Redis unreachable, refused), 2 usage or configuration error.
 */
import { parseArgs } from 'node:util';
import { config as loadDotenv } from 'dotenv';
import { CliError, EXIT, messageOf, usageError } from './cli/common';
import { type Config, ConfigError, loadConfig } from './config';

const COMMON = `Options of every command:
  --json             machine-readable output (one JSON document on stdout)
  --timeout <ms>     how long to wait for the server or Redis (default 5000)
  -h, --help         this help`;

const EXIT_CODES = `Exit codes: 0 ok; 1 runtime failure (server or Redis unreachable, refused, or a
token the server does not accept); 2 usage or configuration error (nothing was tried).`;

const HELP: Record<string, string> = {
  '': `Usage: npm run cache -- <command> [options]      (in the image: node dist/src/cli.js <command>)

Operates the resolver cache of a running server, with the server's own configuration
(environment variables and .env: HOST, PORT, METRICS_TOKEN, CACHE_ENABLED, REDIS_ENABLED,
REDIS_URL or REDIS_HOST/PORT/PASSWORD/DB, REDIS_CLUSTER_NODES).

Commands:
  stats                      backend, memory entries and bytes, hits and hit ratio per coordinate
                             (from the server's /metrics)
  evict <namespace>...       evicts namespaces (users:list, user:{id}, ...) on Redis, like the server
  evict --all                evicts everything: a new global epoch (never FLUSHDB)
  inspect <coordinate>       keys of a coordinate (Query.users) on Redis: scope, TTL, size; never values
                             (uses SCAN, see "inspect --help")
  help [command]             help of a command

${COMMON}

${EXIT_CODES}`,

  stats: `Usage: npm run cache -- stats [--url <url>] [--json] [--timeout <ms>]

Reads the running server's /metrics and prints: the backend in use (memory, redis, disabled),
the entries and bytes of the server process's memory stores (graphql_cache_entries/bytes:
the memory backend; on Redis, its local tier and fallback; Redis itself is not counted),
evictions, store errors, oversized entries, and per schema coordinate the lookups by status
(HIT, STALE, MISS, BYPASS) with the hit ratio (HIT + STALE) / (HIT + STALE + MISS).
Counters are one server process's, since it started: with several instances, ask each.

  --url <url>        the server (http://host:port) or its metrics URL; default
                     http://HOST:PORT/metrics (HOST 0.0.0.0 is read as 127.0.0.1)
Sends "Authorization: Bearer $METRICS_TOKEN" when METRICS_TOKEN is set; a missing or
wrong token is a runtime failure (exit 1).

${COMMON}

${EXIT_CODES}`,

  evict: `Usage: npm run cache -- evict <namespace>... [--json] [--timeout <ms>]
       npm run cache -- evict --all [--json] [--timeout <ms>]

Evicts the way the server does: a new generation token per namespace on Redis (one SET
each, with the tokens' TTL), so every instance stops reading the entries keyed by the old
token at once. Nothing is deleted: old entries expire by their own TTL.

Namespaces: users:list (every page of users), user:<id> (me of that user),
users:<id>:single (user(id)), apikeys:<userId> (API key lists), auth:<hash> (one key's
authentication).
  --all              a new global epoch: every entry of every coordinate becomes unreachable.
                     Never FLUSHDB: other keys in the database are left alone.

Needs Redis (REDIS_ENABLED=true). With the memory backend the cache lives inside the
server process: this command exits 2 (restart the server to empty a memory cache).

${COMMON}

${EXIT_CODES}`,

  inspect: `Usage: npm run cache -- inspect <coordinate> [--limit <n>] [--json] [--timeout <ms>]

Lists the keys of a schema coordinate (e.g. Query.users, Query.me, User.apiKeys) on Redis:
how many, PUBLIC or PRIVATE, TTL left (PTTL), size (MEMORY USAGE, else STRLEN), stampede
locks. It never reads a value (no GET): PRIVATE values cannot leak, PUBLIC ones are not
shown either. Keys: gqlc:{coordinate}:{subject}:{hash(args)}:{hash(generations)}, the
subject being "public" or a hash of the user id. Entries of evicted generations are listed
until their TTL ends.

Uses SCAN MATCH gqlc:<coordinate>:* COUNT 1000 (on every master of a cluster): it walks the
whole keyspace in steps, which costs Redis some work on a large database. The server itself
never uses KEYS or SCAN.
  --limit <n>        keys listed (default 50; counts cover all of them)

Needs Redis (REDIS_ENABLED=true): with the memory backend it exits 2.

${COMMON}

${EXIT_CODES}`,
};
HELP.help = HELP['']!;

const OPTIONS = {
  help: { type: 'boolean', short: 'h' },
  json: { type: 'boolean' },
  timeout: { type: 'string' },
  url: { type: 'string' },
  all: { type: 'boolean' },
  limit: { type: 'string' },
} as const;

/** The options each command takes, beyond help, json and timeout. */
const COMMAND_OPTIONS: Record<string, string[]> = { stats: ['url'], evict: ['all'], inspect: ['limit'], help: [] };

/** Runs the CLI on `argv`; resolves with the exit code. Output goes to `out` and `err`. */
export async function run(
  argv: readonly string[],
  env: Record<string, string | undefined>,
  out: (text: string) => void,
): Promise<number> {
  let parsed: ReturnType<typeof parse>;
  try {
    parsed = parse(argv);
  } catch (error) {
    throw usageError(`${messageOf(error)} (see --help)`);
  }
  const { values, positionals } = parsed;
  const [command = '', ...args] = positionals;
  if (!(command in HELP)) throw usageError(`unknown command ${JSON.stringify(command)} (see --help)`);
  if (command === 'help' || command === '' || values.help) {
    const topic = command === 'help' ? (args[0] ?? '') : command;
    if (!(topic in HELP)) throw usageError(`no help for ${JSON.stringify(topic)}: commands are stats, evict, inspect`);
    out(HELP[topic]!);
    return EXIT.ok;
  }
  for (const name of Object.keys(values)) {
    if (!['help', 'json', 'timeout', ...COMMAND_OPTIONS[command]!].includes(name))
      throw usageError(`${command} takes no --${name} (see ${command} --help)`);
  }
  const timeoutMs = positiveInt('--timeout', values.timeout, 5000);
  const config = loadServerConfig(env);
  const print = (result: unknown, text: (r: never) => string) =>
    out(values.json ? JSON.stringify(result, null, 2) : text(result as never));

  switch (command) {
    case 'stats': {
      if (args.length > 0) throw usageError(`stats takes no arguments, got: ${args.join(' ')}`);
      const { cacheStats, fetchMetrics, formatStats, metricsUrl } =
        require('./cli/stats') as typeof import('./cli/stats');
      const url = metricsUrl(config, values.url);
      const stats = cacheStats(url, await fetchMetrics(url, config.metricsToken, timeoutMs));
      print(stats, formatStats);
      return EXIT.ok;
    }
    case 'evict': {
      // Loaded only by the commands that talk to Redis.
      const { configuredRedis, evict, formatEvict, namespacesToEvict } =
        require('./cli/redis') as typeof import('./cli/redis');
      const namespaces = namespacesToEvict(args, values.all ?? false);
      print(await evict(configuredRedis(config, 'evict'), namespaces, timeoutMs), formatEvict);
      return EXIT.ok;
    }
    case 'inspect': {
      if (args.length !== 1) throw usageError('inspect takes one schema coordinate, e.g. inspect Query.users');
      const limit = positiveInt('--limit', values.limit, 50);
      const { configuredRedis, formatInspect, inspect } = require('./cli/redis') as typeof import('./cli/redis');
      print(await inspect(configuredRedis(config, 'inspect'), args[0]!, { timeoutMs, limit }), formatInspect);
      return EXIT.ok;
    }
  }
  throw usageError(`unknown command ${JSON.stringify(command)} (see --help)`);
}

function parse(argv: readonly string[]) {
  return parseArgs({ args: [...argv], options: OPTIONS, allowPositionals: true, strict: true });
}

function positiveInt(name: string, raw: string | undefined, fallback: number): number {
  if (raw === undefined) return fallback;
  if (!/^\d+$/.test(raw) || Number(raw) < 1) throw usageError(`${name} must be a whole number above 0, got: ${raw}`);
  return Number(raw);
}

/** The server's configuration; its errors are usage errors, said as the server says them. */
function loadServerConfig(env: Record<string, string | undefined>): Config {
  try {
    return loadConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) {
      const text = error.message.replace(/^Invalid configuration:\s*/, '').replace(/\s*\n\s*/g, '; ');
      throw usageError(`invalid configuration: ${text}`);
    }
    throw error;
  }
}

if (require.main === module) {
  // The server's .env too (quietly: --json output must stay JSON).
  loadDotenv({ quiet: true });
  run(process.argv.slice(2), process.env, (text) => process.stdout.write(`${text}\n`)).then(
    (code) => process.exit(code),
    (error: unknown) => {
      // One line, no stack trace: what failed and what to do.
      process.stderr.write(`cache: ${messageOf(error)}\n`);
      process.exit(error instanceof CliError ? error.code : EXIT.failure);
    },
  );
}
