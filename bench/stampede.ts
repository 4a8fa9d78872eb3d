/**
 * Stampede across instances: one hot cached field expiring under load, served by several instances of
 * our server that share one Redis. Measures how many times the field is recomputed per expiry, and the
 * latency of the requests that meet an expiry, with the cross-instance stampede lock on and off
 * (`CACHE_STAMPEDE_LOCK_MS`), side by side, interleaved over rounds. Writes its section of BENCHMARKS.md.
 *
 *   npm run bench:stampede                    # 3 rounds, 12 s measured per variant (about 2.5 minutes)
 *   npm run bench:stampede -- --quick         # 1 round, 6 s per variant
 *   npm run bench:stampede -- --rounds 5 --seconds 20 --connections 64 --no-write
 *
 * --rounds N          rounds; each runs both variants, the order alternating (default 3; --quick 1)
 * --seconds S         measured seconds per variant, after a warm-up of 1.5 s (default 12; --quick 6)
 * --connections C     concurrent requests over all instances (default 64)
 * --instances N       server instances (default 4)
 * --ttl S             CACHE_DEFAULT_TTL, the hot field's maxAge in seconds (default 2)
 * --lock-ms MS        CACHE_STAMPEDE_LOCK_MS of the "lock on" variant (default 2000)
 * --window-ms MS      a request is "during expiry" when it starts within MS after one (default 200)
 * --operation-tier B  CACHE_OPERATION_TIER, true or false (default true, the production default)
 * --redis-timeout-ms  REDIS_TIMEOUT_MS (default 1000, not production's 50: on a loaded 2-core machine a
 *                     50 ms deadline sends instances to their memory fallback, and each recovery evicts
 *                     the global epoch: a cold cache, not an expiry. Such recoveries are counted.)
 * --no-build          run dist/ as it is (else `npm run build` first, or the sources when it fails)
 * --no-write          print only; leave BENCHMARKS.md alone
 * --only ID           run one variant only (lock-on or lock-off), for debugging; nothing is written
 * --trace             print each expiry's writes (ms after the window's start) and the other keys written
 *
 * Set-up: one private redis-server on a free port (never a shared one), one SQLite file seeded as the
 * other benches do (`npm run seed`, then the admin key), shared by every instance (WAL). Each variant
 * of each round gets fresh instances, an empty Redis and a fresh copy of the seeded file.
 *
 * Counting: each instance's `/metrics` (graphql_cache_lookups_total by coordinate and status) gives the
 * MISS lookups; a MISS is counted for every caller, including those that joined an in-process single
 * flight, so it overstates computations. Computations are counted in Redis itself: keyspace notifications
 * (`notify-keyspace-events K$`) report every SET of the hot entry's key, and each computed value is
 * stored once (no bypass here, no superseded write). Writes less than a TTL after a group's first belong to
 * its expiry; the envelope's own `t` (when the value was computed) dates them. An
 * expiry's instant is the previous group's earliest `t` plus the TTL: the moment the first instance sees
 * the entry as stale. The server has no counter of database statements in /metrics.
 */
import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { cpus, loadavg, release, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { writeMarkedSection } from '../test/helpers/benchmarks-md';
import { startRedisServer, type TestRedisServer } from '../test/helpers/redis-server';
import { bearer, createClient } from './http';
import { BENCH_USERS, issueBenchKeys, runSeedScript } from './seed-db';
import { chooseOurServerArgs, OUR_SERVER, ROOT, type RunningTarget, startTarget, TARGETS } from './targets';

const { values } = parseArgs({
  options: {
    rounds: { type: 'string' },
    seconds: { type: 'string' },
    quick: { type: 'boolean', default: false },
    connections: { type: 'string', default: '64' },
    instances: { type: 'string', default: '4' },
    ttl: { type: 'string', default: '2' },
    'lock-ms': { type: 'string', default: '2000' },
    'window-ms': { type: 'string', default: '200' },
    'operation-tier': { type: 'string', default: 'true' },
    'redis-timeout-ms': { type: 'string', default: '1000' },
    'no-build': { type: 'boolean', default: false },
    'no-write': { type: 'boolean', default: false },
    trace: { type: 'boolean', default: false },
    only: { type: 'string' },
  },
});

const positive = (name: string, raw: string | undefined, fallback: number): number => {
  const n = raw === undefined ? fallback : Number(raw);
  if (!Number.isFinite(n) || n <= 0) throw new Error(`--${name} must be a positive number, got: ${raw}`);
  return n;
};
const QUICK = values.quick!;
const SETTINGS = {
  rounds: positive('rounds', values.rounds, QUICK ? 1 : 3),
  seconds: positive('seconds', values.seconds, QUICK ? 6 : 12),
  warmSeconds: 1.5,
  connections: positive('connections', values.connections, 64),
  instances: positive('instances', values.instances, 4),
  ttl: positive('ttl', values.ttl, 2),
  lockMs: Number(values['lock-ms']),
  windowMs: positive('window-ms', values['window-ms'], 200),
  operationTier: values['operation-tier'] !== 'false',
  redisTimeoutMs: positive('redis-timeout-ms', values['redis-timeout-ms'], 1000),
};
if (!Number.isInteger(SETTINGS.ttl)) throw new Error('--ttl must be whole seconds (CACHE_DEFAULT_TTL)');
/** The command, for the report (--trace prints more, and changes no figure). */
const ARGS = process.argv.slice(2).filter((a) => a !== '--trace');
const COMMAND = `npm run bench:stampede${ARGS.length ? ` -- ${ARGS.join(' ')}` : ''}`;
const ADMIN_KEY = 'gqk_bench-admin-key-not-secret-000000000000000';
/** The hot field: `Query.users` has no maxAge of its own, so CACHE_DEFAULT_TTL sets it. */
const HOT = 'Query.users';
const QUERY = `{ users(page: 1, size: ${BENCH_USERS}) { total items { id email fullName role createdAt } } }`;

const STARTED = Date.now();
const log = (line: string) =>
  console.log(`[${String(Math.round((Date.now() - STARTED) / 1000)).padStart(3)} s] ${line}`);

interface Variant {
  id: 'lock-on' | 'lock-off';
  label: string;
  lockMs: number;
}
const VARIANTS: Variant[] = (
  [
    { id: 'lock-on', label: `lock on (CACHE_STAMPEDE_LOCK_MS=${SETTINGS.lockMs})`, lockMs: SETTINGS.lockMs },
    { id: 'lock-off', label: 'lock off (CACHE_STAMPEDE_LOCK_MS=0)', lockMs: 0 },
  ] as const
).filter((v) => !values.only || v.id === values.only);
if (VARIANTS.length === 0) throw new Error(`--only must be lock-on or lock-off, got: ${values.only}`);

// ---------------------------------------------------------------------------------------------------
// Redis: every SET, by key, with the computed time of the value when it is a resolver entry.

interface Write {
  key: string;
  /** When the notification arrived here (epoch ms). */
  at: number;
  /** The envelope's `t` (epoch ms when the value was computed), when the value is a resolver entry. */
  t?: number;
}

/** The `t` of a resolver entry's envelope `{ v, t }`, wherever the store's serialisation put it. */
function envelopeTime(raw: unknown, depth = 0): number | undefined {
  if (depth > 4 || raw === null || raw === undefined) return undefined;
  if (typeof raw === 'string') {
    try {
      return envelopeTime(JSON.parse(raw), depth + 1);
    } catch {
      return undefined;
    }
  }
  if (typeof raw !== 'object') return undefined;
  const o = raw as Record<string, unknown>;
  if ('v' in o && typeof o.t === 'number') return o.t;
  for (const value of Object.values(o)) {
    const t = envelopeTime(value, depth + 1);
    if (t !== undefined) return t;
  }
  return undefined;
}

/** `gqlc:Query.users:public:…` -> `Query.users` (the key builder's layout, behind the store's namespace). */
/** The stampede lock of an entry: `<entry key>:lock` (src/cache/resolver-cache.ts), taken with SET NX PX. */
const isLock = (key: string) => key.endsWith(':lock');

/** The global epoch's generation key: written once when first read, and again by each recovery after an outage. */
const isEpoch = (key: string) => key.endsWith('gqlc:gen:*');

const coordinateOf = (key: string) => /(?:^|:)gqlc:([A-Za-z_]\w*\.[A-Za-z_]\w*):/.exec(key)?.[1];

async function watchWrites(redisUrl: string) {
  const { createClient: createRedisClient } = await import('@keyv/redis');
  const client = createRedisClient({ url: redisUrl });
  client.on('error', () => {}); // the run's own checks report a dead Redis
  await client.connect();
  await client.configSet('notify-keyspace-events', 'K$');
  const sub = client.duplicate();
  sub.on('error', () => {});
  await sub.connect();
  const writes: Write[] = [];
  const reads: Promise<void>[] = [];
  const prefix = '__keyspace@0__:';
  await sub.pSubscribe(`${prefix}*`, (message: string, channel: string) => {
    if (message !== 'set') return;
    const w: Write = { key: channel.slice(prefix.length), at: Date.now() };
    writes.push(w);
    if (coordinateOf(w.key) && !isLock(w.key))
      reads.push(
        client.get(w.key).then(
          (v) => {
            w.t = envelopeTime(v);
          },
          () => {},
        ),
      );
  });
  return {
    writes,
    async stop() {
      await Promise.allSettled(reads);
      await sub.pUnsubscribe().catch(() => {});
      sub.destroy();
      client.destroy();
    },
  };
}

interface Group {
  /** Earliest computed time in the group (epoch ms). */
  first: number;
  times: number[];
}

/**
 * Entry writes of one coordinate, grouped by expiry: a write a whole TTL or more after its group's first
 * starts the next group (the group's first value cannot expire sooner; later writes of the same expiry,
 * serialised behind a lock, stay in it).
 */
function groupWrites(writes: Write[], coordinate: string, ttlMs: number): Group[] {
  const times = writes
    .filter((w) => coordinateOf(w.key) === coordinate && w.t !== undefined)
    .map((w) => w.t!)
    .sort((a, b) => a - b);
  const groups: Group[] = [];
  for (const time of times) {
    const last = groups[groups.length - 1];
    if (last && time - last.first < ttlMs) last.times.push(time);
    else groups.push({ first: time, times: [time] });
  }
  return groups;
}

// ---------------------------------------------------------------------------------------------------
// Metrics of the instances.

type Counters = Map<string, number>;

/** The cache counters of one instance's /metrics: `lookups Query.users MISS` -> n, `store-errors` -> n, `backend` -> name. */
async function scrape(url: string): Promise<{ counters: Counters; backend: string }> {
  const res = await fetch(url.replace(/\/graphql$/, '/metrics'));
  if (!res.ok) throw new Error(`/metrics answered ${res.status}`);
  const counters: Counters = new Map();
  let backend = 'unknown';
  for (const line of (await res.text()).split('\n')) {
    const m = /^(graphql_cache_\w+)\{([^}]*)\} (\S+)$/.exec(line);
    if (!m) continue;
    const labels = Object.fromEntries([...m[2]!.matchAll(/(\w+)="([^"]*)"/g)].map((l) => [l[1]!, l[2]!]));
    const value = Number(m[3]);
    if (m[1] === 'graphql_cache_lookups_total') counters.set(`lookups ${labels.coordinate} ${labels.status}`, value);
    else if (m[1] === 'graphql_cache_store_errors_total')
      counters.set('store-errors', (counters.get('store-errors') ?? 0) + value);
    else if (m[1] === 'graphql_cache_backend' && value === 1) backend = labels.backend ?? backend;
  }
  return { counters, backend };
}

async function scrapeAll(targets: RunningTarget[]): Promise<{ counters: Counters; backends: string[] }> {
  const all = await Promise.all(targets.map((t) => scrape(t.url)));
  const counters: Counters = new Map();
  for (const { counters: c } of all) for (const [k, v] of c) counters.set(k, (counters.get(k) ?? 0) + v);
  return { counters, backends: all.map((a) => a.backend) };
}

const delta = (after: Counters, before: Counters, key: string) => (after.get(key) ?? 0) - (before.get(key) ?? 0);

// ---------------------------------------------------------------------------------------------------
// Load: a closed loop of `connections` concurrent requests, each sent to the next instance in turn.

interface Sample {
  /** Epoch ms when the request was sent. */
  start: number;
  ms: number;
}

async function drive(urls: string[], t0: number, t1: number) {
  const clients = urls.map((url) => createClient(url, SETTINGS.connections, 'fifo'));
  const body = JSON.stringify({ query: QUERY });
  const headers = bearer(ADMIN_KEY);
  const samples: Sample[] = [];
  const errors: string[] = [];
  let errorCount = 0;
  let next = 0;
  const fail = (message: string) => {
    errorCount++;
    if (errors.length < 5) errors.push(message);
  };
  const loop = async () => {
    while (Date.now() < t1) {
      const i = next++ % clients.length;
      const began = performance.now();
      const start = performance.timeOrigin + began;
      try {
        const reply = await clients[i]!.post(body, headers);
        const ms = performance.now() - began;
        if (reply.status !== 200) fail(`instance ${i + 1}: HTTP ${reply.status}: ${reply.text.slice(0, 300)}`);
        else if (reply.text.includes('"errors"') || !reply.text.includes('"items":['))
          fail(`instance ${i + 1}: ${reply.text.slice(0, 300)}`);
        else if (start >= t0) samples.push({ start, ms });
      } catch (err) {
        fail(`instance ${i + 1}: ${(err as Error).message}`);
      }
    }
  };
  try {
    await Promise.all(Array.from({ length: SETTINGS.connections }, loop));
  } finally {
    for (const c of clients) c.close();
  }
  return { samples, errors, errorCount };
}

/** The first answer of each instance, checked in full: 50 users and the total. */
async function checkAnswers(urls: string[]): Promise<void> {
  for (const [i, url] of urls.entries()) {
    const client = createClient(url, 1);
    try {
      const { status, json, text } = await client.graphql({ query: QUERY }, bearer(ADMIN_KEY));
      const page = json.data?.users as { total?: number; items?: unknown[] } | undefined;
      if (status !== 200 || json.errors || page?.items?.length !== BENCH_USERS || typeof page.total !== 'number')
        throw new Error(`instance ${i + 1} answered wrongly (HTTP ${status}): ${text.slice(0, 300)}`);
    } finally {
      client.close();
    }
  }
}

// ---------------------------------------------------------------------------------------------------
// One variant of one round.

interface RunResult {
  variant: Variant['id'];
  round: number;
  rps: number;
  requests: number;
  p50: number;
  p99: number;
  /** p99 of the requests started within windowMs after an expiry instant; and how many there were. */
  p99Expiry: number;
  expiryRequests: number;
  expiries: number;
  /** Computations of the hot field (its entry's writes in Redis) over the expiries of the window. */
  recomputations: number;
  maxPerExpiry: number;
  misses: number;
  /** Auth.apiKey (the admin key's cached lookup, on the same default TTL): computations and expiries. */
  authRecomputations: number;
  authExpiries: number;
  /** Stampede locks of the hot entry taken (a SET NX that succeeded). */
  locks: number;
  /** Other Redis writes (generation tokens, entries of other fields), epoch bumps and locks left out. */
  otherWrites: number;
  /**
   * Writes of the global epoch from the warm-up on: each is an instance back on Redis after a deadline
   * sent it to its memory fallback (a cold cache for every instance, not an expiry).
   */
  epochBumps: number;
  storeErrors: number;
  backends: string[];
  errorCount: number;
  errors: string[];
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

interface RunContext {
  dir: string;
  seededFile: string;
  ourArgs: string[];
  redis: TestRedisServer;
}

async function runVariant(variant: Variant, round: number, ctx: RunContext): Promise<RunResult> {
  await ctx.redis.restart(); // empty
  const dbFile = join(ctx.dir, `${variant.id}-${round}.db`);
  copyFileSync(ctx.seededFile, dbFile);
  const spec = TARGETS.find((t) => t.id === 'redis')!;
  const env = {
    CACHE_DEFAULT_TTL: String(SETTINGS.ttl),
    CACHE_STAMPEDE_LOCK_MS: String(variant.lockMs),
    CACHE_OPERATION_TIER: String(SETTINGS.operationTier),
    REDIS_TIMEOUT_MS: String(SETTINGS.redisTimeoutMs),
    // An expired entry is recomputed, not answered stale (the default; stated in case it changes).
    CACHE_STALE_WHILE_REVALIDATE: '0',
  };
  const targets: RunningTarget[] = [];
  try {
    // One at a time: four processes migrating one fresh file at once would only contend for its lock.
    for (let i = 0; i < SETTINGS.instances; i++)
      targets.push(
        await startTarget(spec, {
          ourArgs: ctx.ourArgs,
          dbFile,
          adminKey: ADMIN_KEY,
          redisUrl: ctx.redis.url,
          env,
        }),
      );
    const urls = targets.map((t) => t.url);
    const watcher = await watchWrites(ctx.redis.url); // before the checks: their write dates the first expiry
    await checkAnswers(urls);
    const t0 = Date.now() + SETTINGS.warmSeconds * 1000;
    const t1 = t0 + SETTINGS.seconds * 1000;
    let before: Counters | undefined;
    const snapshot = sleep(t0 - Date.now()).then(async () => {
      before = (await scrapeAll(targets)).counters;
    });
    const load = await drive(urls, t0, t1);
    await snapshot;
    const after = await scrapeAll(targets);
    await sleep(100); // the last notifications
    await watcher.stop();
    return summarize(variant, round, load, watcher.writes, before!, after, t0, t1);
  } finally {
    await Promise.all(targets.map((t) => t.stop()));
  }
}

function summarize(
  variant: Variant,
  round: number,
  load: Awaited<ReturnType<typeof drive>>,
  writes: Write[],
  before: Counters,
  after: { counters: Counters; backends: string[] },
  t0: number,
  t1: number,
): RunResult {
  const ttlMs = SETTINGS.ttl * 1000;
  const inWindow = (g: Group) => g.first >= t0 && g.first < t1;
  const groups = groupWrites(writes, HOT, ttlMs);
  const measured = groups.filter(inWindow);
  // The instant each measured group answers: the previous group's earliest value going stale.
  const instants = groups.flatMap((g, i) => (inWindow(g) && i > 0 ? [groups[i - 1]!.first + ttlMs] : []));
  const latencies = load.samples.map((s) => s.ms).sort((a, b) => a - b);
  const duringExpiry = load.samples
    .filter((s) => instants.some((e) => s.start >= e && s.start < e + SETTINGS.windowMs))
    .map((s) => s.ms)
    .sort((a, b) => a - b);
  const auth = groupWrites(writes, 'Auth.apiKey', ttlMs).filter(inWindow);
  if (values.trace) {
    for (const g of groups)
      console.log(`    ${HOT} computed at +${g.times.map((t) => Math.round(t - t0)).join(', +')} ms`);
    const others = new Map<string, number[]>();
    for (const w of writes) {
      if (w.t !== undefined) continue;
      const key = `${w.key.slice(0, 60)}${isLock(w.key) ? '…:lock' : ''}`;
      others.set(key, [...(others.get(key) ?? []), Math.round(w.at - t0)]);
    }
    for (const [key, at] of others) console.log(`    other SET ${key} at +${at.join(', +')} ms`);
  }
  return {
    variant: variant.id,
    round,
    requests: load.samples.length,
    rps: load.samples.length / SETTINGS.seconds,
    p50: percentile(latencies, 50),
    p99: percentile(latencies, 99),
    p99Expiry: percentile(duringExpiry, 99),
    expiryRequests: duringExpiry.length,
    expiries: measured.length,
    recomputations: measured.reduce((n, g) => n + g.times.length, 0),
    maxPerExpiry: Math.max(0, ...measured.map((g) => g.times.length)),
    misses: delta(after.counters, before, `lookups ${HOT} MISS`),
    authRecomputations: auth.reduce((n, g) => n + g.times.length, 0),
    authExpiries: auth.length,
    locks: writes.filter((w) => w.at >= t0 && w.at < t1 && isLock(w.key) && coordinateOf(w.key) === HOT).length,
    otherWrites: writes.filter((w) => w.at >= t0 && w.at < t1 && w.t === undefined && !isEpoch(w.key) && !isLock(w.key))
      .length,
    epochBumps: writes.filter((w) => w.at >= t0 - SETTINGS.warmSeconds * 1000 && isEpoch(w.key)).length,
    storeErrors: delta(after.counters, before, 'store-errors'),
    backends: after.backends,
    errorCount: load.errorCount,
    errors: load.errors,
  };
}

// ---------------------------------------------------------------------------------------------------
// Report.

const f1 = (n: number) => (Number.isFinite(n) ? n.toFixed(1) : '-');
const f0 = (n: number) => (Number.isFinite(n) ? n.toFixed(0) : '-');
const median = (xs: number[]) => {
  const s = xs.filter(Number.isFinite).sort((a, b) => a - b);
  if (s.length === 0) return NaN;
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};
const ratio = (a: number, b: number) => (b > 0 ? a / b : NaN);

function roundLine(r: RunResult): string {
  return [
    `${r.variant.padEnd(8)} round ${r.round}:`,
    `${f0(r.rps)} req/s`,
    `p50 ${f1(r.p50)} ms`,
    `p99 ${f1(r.p99)} ms`,
    `p99 during expiry ${f1(r.p99Expiry)} ms (${r.expiryRequests} req)`,
    `${HOT} computed ${r.recomputations} times over ${r.expiries} expiries (${f1(ratio(r.recomputations, r.expiries))}/expiry, max ${r.maxPerExpiry})`,
    `MISS lookups ${r.misses} (${f1(ratio(r.misses, r.expiries))}/expiry)`,
    `Auth.apiKey ${r.authRecomputations}/${r.authExpiries}`,
    `locks taken ${r.locks}`,
    `other Redis SETs ${r.otherWrites}`,
    `epoch bumps ${r.epochBumps}`,
    `store errors ${r.storeErrors}`,
    `errors ${r.errorCount}`,
  ].join('  ');
}

function table(results: RunResult[]): string {
  const header =
    '| variant | requests/s | recomputations per expiry (max) | MISS lookups per expiry | p50 ms | p99 ms | p99 during expiry ms | locks taken per expiry | Auth.apiKey computations per expiry | other Redis SETs per expiry | Redis fallbacks | store errors | errors |\n' +
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |';
  const rows = VARIANTS.map((v) => {
    const rs = results.filter((r) => r.variant === v.id);
    const sum = (pick: (r: RunResult) => number) => rs.reduce((n, r) => n + pick(r), 0);
    const mid = (pick: (r: RunResult) => number) => median(rs.map(pick));
    const perExpiry = (pick: (r: RunResult) => number) =>
      f1(
        ratio(
          sum(pick),
          sum((r) => r.expiries),
        ),
      );
    const cells = [
      v.label,
      f0(mid((r) => r.rps)),
      `${perExpiry((r) => r.recomputations)} (${Math.max(0, ...rs.map((r) => r.maxPerExpiry))})`,
      perExpiry((r) => r.misses),
      f1(mid((r) => r.p50)),
      f1(mid((r) => r.p99)),
      f1(mid((r) => r.p99Expiry)),
      perExpiry((r) => r.locks),
      f1(
        ratio(
          sum((r) => r.authRecomputations),
          sum((r) => r.authExpiries),
        ),
      ),
      perExpiry((r) => r.otherWrites),
      String(sum((r) => r.epochBumps)),
      String(sum((r) => r.storeErrors)),
      String(sum((r) => r.errorCount)),
    ];
    return `| ${cells.join(' | ')} |`;
  });
  return [header, ...rows].join('\n');
}

function machine(): string {
  const cpu = cpus();
  return `${cpu.length} CPUs (${cpu[0]?.model.trim() ?? 'unknown'}), ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}, Linux ${release()}`;
}

function markdown(results: RunResult[], ourCommand: string, lockRead: boolean): string {
  const s = SETTINGS;
  const perRound = results.map((r) => `- ${roundLine(r)}`).join('\n');
  return `## Stampede across instances (issue: scale out)

Run with \`${COMMAND}\` on ${new Date().toISOString().slice(0, 10)}: ${machine()} (load average ${loadavg()[0]!.toFixed(1)} at the end: the machine is shared, so only figures of one run compare).

Set-up: ${s.instances} instances of our server (${ourCommand}; NODE_ENV=production, rate limit off, \`REDIS_ENABLED=true\` on one private redis-server, one seeded SQLite file shared in WAL mode), \`CACHE_DEFAULT_TTL=${s.ttl}\`, operation tier ${s.operationTier ? 'on (the default: per instance, in front of the resolver tier; its misses reach the resolver tier, where the lock acts)' : 'off'}. ${s.connections} concurrent requests, each sent to the next instance in turn, all asking the ADMIN's \`${QUERY}\`: \`${HOT}\` has no maxAge of its own, so it lives ${s.ttl} s and expires about every ${s.ttl} s under load. Each variant: fresh instances, empty Redis, warm-up ${s.warmSeconds} s, then ${s.seconds} s measured; ${s.rounds} round(s), the two variants interleaved (order alternating).${lockRead ? '' : ' **This build does not read `CACHE_STAMPEDE_LOCK_MS`: both variants run the same code.**'}

${table(results)}

- Recomputations: writes of the hot entry's key in Redis (keyspace notifications), grouped by expiry (a write a whole TTL or more after its group's first starts the next group: that first value cannot expire sooner); "per expiry" is their total over the number of expiries in the measured seconds, "(max)" the largest group. MISS lookups, from the instances' \`graphql_cache_lookups_total\`, also count callers that joined an in-process single flight.
- "During expiry": requests sent within ${s.windowMs} ms after an expiry instant (the earliest computed time of the previous group plus the TTL); p50/p99 over all requests sent in the measured seconds; medians over rounds.
- Locks taken: SETs of the hot entry's \`…:lock\` key (a SET NX PX that won). \`Auth.apiKey\` (the admin key's cached lookup) uses the default TTL too, so it expires as often. "Other Redis SETs": generation tokens and entries of other fields.
- Redis fallbacks: writes of the global epoch after the start, i.e. an instance back on Redis after a deadline (\`REDIS_TIMEOUT_MS=${s.redisTimeoutMs}\`) sent it to its memory fallback; each makes the whole cache cold, and while on memory an instance takes no lock. Store errors: \`graphql_cache_store_errors_total\`.
- The server has no counter of database statements in /metrics: not counted here.

Per round:

${perRound}`;
}

// ---------------------------------------------------------------------------------------------------

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'gql-stampede-'));
  const seededFile = join(dir, 'seeded.db');
  const redis = await startRedisServer();
  const results: RunResult[] = [];
  try {
    const [our] = await Promise.all([
      values['no-build']
        ? { args: OUR_SERVER.compiled, description: `\`node ${OUR_SERVER.compiled.join(' ')}\`` }
        : chooseOurServerArgs(),
      runSeedScript(seededFile),
    ]);
    const entry = join(ROOT, our.args[our.args.length - 1]!.replace(/main\.(js|ts)$/, 'config.$1'));
    const lockRead = existsSync(entry) && readFileSync(entry, 'utf8').includes('CACHE_STAMPEDE_LOCK_MS');
    if (!lockRead) log('WARNING: this build does not read CACHE_STAMPEDE_LOCK_MS: both variants run the same code');
    log(`our server: ${our.description}`);
    await issueBenchKeys(seededFile, ADMIN_KEY, our.args);
    log('seeded');
    const ctx: RunContext = { dir, seededFile, ourArgs: our.args, redis };
    for (let round = 1; round <= SETTINGS.rounds; round++) {
      const order = round % 2 === 1 ? VARIANTS : [...VARIANTS].reverse();
      for (const variant of order) {
        log(`round ${round}/${SETTINGS.rounds}: ${variant.label}`);
        const r = await runVariant(variant, round, ctx);
        results.push(r);
        log(`  ${roundLine(r)}`);
        const problems = [
          ...r.errors,
          ...(r.errorCount > r.errors.length ? [`... ${r.errorCount - r.errors.length} more`] : []),
          ...(r.backends.some((b) => b !== 'redis')
            ? [`an instance left Redis: backends ${r.backends.join(', ')}`]
            : []),
          ...(r.expiries === 0 ? ['no expiry of the hot field was seen'] : []),
        ];
        if (problems.length > 0) {
          console.error(`round ${round} (${variant.label}) is invalid:\n  ${problems.join('\n  ')}`);
          process.exitCode = 1;
          return;
        }
      }
    }
    console.log(`\n${table(results)}\n`);
    if (values['no-write'] || values.only) return;
    writeMarkedSection('stampede', markdown(results, our.description, lockRead), join(ROOT, 'BENCHMARKS.md'));
    log('wrote BENCHMARKS.md (section "stampede")');
  } finally {
    await redis.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
