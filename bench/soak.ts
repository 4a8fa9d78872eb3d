/**
 * Memory soak: writes distinct cache entries through the API and records the server's memory while
 * it does, in four runs, each against a fresh server process:
 * - `inline`: `user(id)` with the id written in the query text (a distinct document per request);
 * - `variables`: the same with the id as a variable (one document);
 * - `pages`: every `users(page, size)` with 51 to 100 of 60,000 seeded users per page (about 10 KiB
 *   of JSON each), which fills the byte caps of both memory stores;
 * - `pages-capped`: the same with V8's old space capped at the documented live-heap bound.
 *
 *   npm run bench:soak                       # 200,000 entries per id shape, 41,269 pages (about 30 min)
 *   npm run bench:soak -- --quick            # 20,000 entries, 6,000 users (development)
 *   npm run bench:soak -- --entries 50000
 *   npm run bench:soak -- --shape pages      # one run only; the report is left as it was
 *
 * The server is the real entry point in its own process, NODE_ENV=production, memory cache with its
 * defaults, SQLite. Every few seconds: RSS and its peak (VmHWM) from /proc/<pid>/status, and the V8
 * heap from the server's own GET /metrics (prom-client's nodejs_heap_size_used_bytes); the live heap
 * from each full GC. Each run is checked against the bounds documented in the README ("Memory"): the
 * exit code is 1 when one is exceeded. Writes bench/soak.svg and the `soak` section of BENCHMARKS.md. */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { loadConfig } from '../src/config';
import { liveHeapBoundMiB } from '../src/memory-bound';
import { writeMarkedSection } from '../test/helpers/benchmarks-md';
import { freePort } from '../test/helpers/free-port';

const ROOT = join(__dirname, '..');
/**
 * How the server is started (from ROOT): as `npm start` and the image run it, compiled JavaScript with
 * no compiler in the process (main() compiles first when src/ changed).
 */
const SERVER_COMMAND: readonly string[] = [process.execPath, 'dist/src/main.js'];
/**
 * Node flags added in front of the script: V8 prints each garbage collection on stdout; the heap left
 * after each full (mark-compact) collection is the live heap, which heap-used samples (garbage
 * included) cannot tell apart from a leak.
 */
const argv = process.argv.slice(2);
const NODE_FLAGS: readonly string[] = ['--trace-gc'];

const QUICK = argv.includes('--quick');
const entriesArg = argv.indexOf('--entries');
const ENTRIES = entriesArg !== -1 ? Number(argv[entriesArg + 1]) : QUICK ? 20_000 : 200_000;
const CONCURRENCY = 8;
const SAMPLE_EVERY_MS = 2000;
const FIRST_ID = 1_000_000; // far beyond every existing user: each id caches a distinct null result
const ADMIN_KEY = 'gqk_soak-admin-key-not-secret-0000000000000000';
const SVG_FILE = join(ROOT, 'bench', 'soak.svg');

if (!Number.isInteger(ENTRIES) || ENTRIES < 1000)
  throw new Error(`--entries must be an integer >= 1000, got: ${argv[entriesArg + 1]}`);

type Shape = 'inline' | 'variables' | 'pages' | 'pages-capped';
const ALL_SHAPES: Shape[] = ['inline', 'variables', 'pages', 'pages-capped'];
const shapeArg = argv.indexOf('--shape');
/** `--shape pages` measures one shape only (development); the report is written only for all three. */
const SHAPES: Shape[] = shapeArg !== -1 ? ALL_SHAPES.filter((s) => s === argv[shapeArg + 1]) : ALL_SHAPES;
if (shapeArg !== -1 && !ALL_SHAPES.includes(argv[shapeArg + 1] as Shape))
  throw new Error(`--shape must be one of ${ALL_SHAPES.join(', ')}, got: ${argv[shapeArg + 1]}`);
const SHAPE_LABEL: Record<Shape, string> = {
  inline: 'id inline (a distinct document per request)',
  variables: 'id as a variable (one document)',
  pages: 'distinct pages of 51-100 users (fills the byte caps)',
  'pages-capped': 'the same pages, V8 old space capped at the live-heap bound',
};
const isPages = (shape: Shape) => shape === 'pages' || shape === 'pages-capped';

/** The documented bound of the live heap (README, "Memory") for the settings the soak runs with: the defaults. */
const LIVE_BOUND_MIB = liveHeapBoundMiB(loadConfig({ NODE_ENV: 'production' }));
/** With the old space capped at the live bound, what RSS adds: the young generation, code, native memory. */
const RSS_ABOVE_CAP_MIB = 150;
/** Users seeded for the `pages` shape: enough distinct pages to pass CACHE_MAX_BYTES on both memory stores. */
const PAGE_USERS = QUICK ? 6000 : 60_000;
/** Every (size, page) of `users` with 51 to 100 users per page: each a distinct, full page (about 10 KiB of JSON). */
const PAGES: readonly { size: number; page: number }[] = Array.from({ length: 50 }, (_, k) => 100 - k).flatMap((size) =>
  Array.from({ length: Math.floor(PAGE_USERS / size) }, (_, p) => ({ size, page: p + 1 })),
);
const entriesOf = (shape: Shape) => (isPages(shape) ? PAGES.length : ENTRIES);

interface Sample {
  ms: number;
  entries: number;
  rssMiB: number;
  hwmMiB: number;
  heapMiB: number | null;
}

/** A full collection: the live heap it left. */
interface FullGc {
  entries: number;
  afterMiB: number;
}

interface Result {
  shape: Shape;
  /** Distinct entries written (requests measured). */
  entries: number;
  samples: Sample[];
  fullGcs: FullGc[];
  seconds: number;
  errors: number;
  cacheStatuses: Record<string, number>;
}

const MiB = 1024 * 1024;

function procStatus(pid: number): { rssMiB: number; hwmMiB: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN);
  return { rssMiB: kb('VmRSS') / 1024, hwmMiB: kb('VmHWM') / 1024 };
}

async function heapUsedMiB(baseUrl: string): Promise<number | null> {
  try {
    const text = await (await fetch(`${baseUrl}/metrics`, { signal: AbortSignal.timeout(2000) })).text();
    const m = /^nodejs_heap_size_used_bytes(?:\{[^}]*\})? ([\d.e+]+)/m.exec(text);
    return m ? Number(m[1]) / MiB : null;
  } catch {
    return null;
  }
}

async function startServer(
  dbFile: string,
  nodeFlags: readonly string[],
  onStdout: (line: string) => void,
): Promise<{ child: ChildProcess; baseUrl: string }> {
  const port = await freePort();
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '',
    NODE_ENV: 'production',
    LOG_LEVEL: 'warn',
    HOST: '127.0.0.1',
    PORT: String(port),
    DATABASE_URL: `sqlite:${dbFile}`,
    SEED_ADMIN_API_KEY: ADMIN_KEY,
    CACHE_ENABLED: 'true',
    REDIS_ENABLED: 'false',
    RATE_LIMIT_ENABLED: 'false', // on by default in production: the soak is one client writing 200,000 entries
  };
  const [cmd, ...args] = SERVER_COMMAND;
  const child = spawn(cmd!, [...NODE_FLAGS, ...nodeFlags, ...args], {
    cwd: ROOT,
    env,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let pending = '';
  child.stdout!.on('data', (chunk: Buffer) => {
    const lines = (pending + chunk.toString()).split('\n');
    pending = lines.pop() ?? '';
    lines.forEach(onStdout);
  });
  const baseUrl = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 600; i++) {
    if (child.exitCode !== null) throw new Error(`the server exited with ${child.exitCode}`);
    try {
      if ((await fetch(`${baseUrl}/ready`)).ok) return { child, baseUrl };
    } catch {
      // not listening yet
    }
    await sleep(100);
  }
  child.kill('SIGKILL');
  throw new Error('the server did not become ready within 60 s');
}

async function stopServer(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  await Promise.race([exited, sleep(15_000).then(() => child.kill('SIGKILL'))]);
}

const PAGE_QUERY =
  'query SoakPage($page: Int!, $size: Int!) { users(page: $page, size: $size) { items { id email fullName role createdAt } total } }';

/** The i-th measured request of a shape (i < 0: warm-up requests, outside the measured entries). */
function bodyFor(shape: Shape, i: number): string {
  if (isPages(shape)) {
    // warm-up: small pages (sizes 1-10), which the measured run never asks for
    const variables = i < 0 ? { page: 1 + (-i % 20), size: 1 + (-i % 10) } : PAGES[i]!;
    return JSON.stringify({ query: PAGE_QUERY, variables });
  }
  const id = FIRST_ID + i; // below FIRST_ID for the warm-up
  return shape === 'inline'
    ? JSON.stringify({ query: `{ user(id: "${id}") { id email fullName } }` })
    : JSON.stringify({
        query: 'query SoakUser($id: ID!) { user(id: $id) { id email fullName } }',
        variables: { id: String(id) },
      });
}

/** Whether a response is the answer expected of the shape. */
function answered(shape: Shape, json: { data?: Record<string, any> | null; errors?: unknown[] }): boolean {
  if (json.errors) return false;
  return isPages(shape) ? (json.data?.users?.items?.length ?? 0) > 0 : json.data?.user === null;
}

/** `npm run seed`: migrations and `count` users with no keys (the `pages` shape reads them). */
function seedUsers(dbFile: string, count: number): void {
  execFileSync('npm', ['run', '--silent', 'seed', '--', '--users', String(count), '--keys', '0'], {
    cwd: ROOT,
    env: {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? '',
      NODE_ENV: 'development',
      DATABASE_URL: `sqlite:${dbFile}`,
    },
    stdio: 'ignore',
  });
}

async function soak(shape: Shape, dbFile: string): Promise<Result> {
  const total = entriesOf(shape);
  if (isPages(shape)) seedUsers(dbFile, PAGE_USERS);
  const fullGcs: FullGc[] = [];
  let next = 0;
  let done = 0;
  let measuring = false;
  const flags = shape === 'pages-capped' ? [`--max-old-space-size=${Math.ceil(LIVE_BOUND_MIB)}`] : [];
  const { child, baseUrl } = await startServer(dbFile, flags, (line) => {
    // e.g. "[123:0x55d]  5012 ms: Mark-Compact 180.2 (190.5) -> 95.1 (120.0) MB, ..."
    const m = /Mark-Compact[^\d]*[\d.]+ \([\d.]+\) -> ([\d.]+) \([\d.]+\) MB/.exec(line);
    if (m && measuring) fullGcs.push({ entries: done, afterMiB: Number(m[1]) });
  });
  const pid = child.pid!;
  const samples: Sample[] = [];
  const cacheStatuses: Record<string, number> = {};
  let errors = 0;
  const errorSamples: string[] = [];
  const started = Date.now();
  const sample = async () => {
    const { rssMiB, hwmMiB } = procStatus(pid);
    samples.push({ ms: Date.now() - started, entries: done, rssMiB, hwmMiB, heapMiB: await heapUsedMiB(baseUrl) });
  };
  try {
    // warm-up (JIT, first lookups): 200 requests on ids below the measured range, then the first sample
    for (let i = 0; i < 200; i++) {
      await fetch(`${baseUrl}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${ADMIN_KEY}` },
        body: bodyFor(shape, -1 - i),
      });
    }
    await sample();
    measuring = true;
    let sampling = true;
    const sampler = (async () => {
      while (sampling) {
        await sleep(SAMPLE_EVERY_MS);
        if (sampling) await sample();
      }
    })();
    const worker = async () => {
      for (;;) {
        const i = next++;
        if (i >= total) return;
        try {
          const res = await fetch(`${baseUrl}/graphql`, {
            method: 'POST',
            headers: { 'content-type': 'application/json', authorization: `Bearer ${ADMIN_KEY}` },
            body: bodyFor(shape, i),
          });
          const json = (await res.json()) as { data?: Record<string, any> | null; errors?: unknown[] };
          if (!res.ok || !answered(shape, json)) {
            errors++;
            if (errorSamples.length < 3) errorSamples.push(`HTTP ${res.status} ${JSON.stringify(json).slice(0, 300)}`);
          }
          const status = res.headers.get('x-cache') ?? 'none';
          cacheStatuses[status] = (cacheStatuses[status] ?? 0) + 1;
        } catch (err) {
          errors++;
          if (errorSamples.length < 3) errorSamples.push(`transport: ${(err as Error).message}`);
        }
        done++;
        if (done % 10_000 === 0)
          process.stdout.write(
            `  ${shape}: ${done.toLocaleString('en-US')} entries, RSS ${procStatus(pid).rssMiB.toFixed(0)} MiB\n`,
          );
      }
    };
    await Promise.all(Array.from({ length: CONCURRENCY }, worker));
    sampling = false;
    await sampler;
    await sleep(SAMPLE_EVERY_MS); // one last sample once the load is over
    await sample();
    if (errorSamples.length > 0) console.log(`  ${shape}: errors, e.g.\n    ${errorSamples.join('\n    ')}`);
    return { shape, entries: total, samples, fullGcs, seconds: (Date.now() - started) / 1000, errors, cacheStatuses };
  } finally {
    await stopServer(child);
  }
}

// ---------------------------------------------------------------------------------------------
// Output

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;');

function svg(results: Result[]): string {
  const W = 860;
  const PLOT_H = 440; // the chart; the legend goes below it
  const H = PLOT_H + results.length * 3 * 18 + 16;
  const m = { left: 64, right: 24, top: 48, bottom: 56 };
  const maxX = Math.max(...results.map((r) => r.entries));
  const rssBound = Math.ceil(LIVE_BOUND_MIB) + RSS_ABOVE_CAP_MIB;
  const maxY =
    Math.max(rssBound, ...results.flatMap((r) => r.samples.flatMap((s) => [s.rssMiB, s.heapMiB ?? 0]))) * 1.1;
  const x = (v: number) => m.left + (v / maxX) * (W - m.left - m.right);
  const y = (v: number) => PLOT_H - m.bottom - (v / maxY) * (PLOT_H - m.top - m.bottom);
  const colors: Record<Shape, string> = {
    inline: '#d62728',
    variables: '#1f77b4',
    pages: '#2ca02c',
    'pages-capped': '#9467bd',
  };
  const lines: string[] = [];
  const legend: string[] = [];
  let row = 0;
  const series = (r: Result): { label: string; dash: string; points: [number, number][] }[] => [
    { label: 'RSS', dash: '', points: r.samples.map((p) => [p.entries, p.rssMiB]) },
    {
      label: 'V8 heap used (garbage included)',
      dash: '6 4',
      points: r.samples.filter((p) => p.heapMiB !== null).map((p) => [p.entries, p.heapMiB as number]),
    },
    { label: 'live heap after each full GC', dash: '2 3', points: r.fullGcs.map((g) => [g.entries, g.afterMiB]) },
  ];
  for (const r of results) {
    for (const { label, dash, points } of series(r)) {
      if (points.length > 0) {
        lines.push(
          `<polyline fill="none" stroke="${colors[r.shape]}" stroke-width="2" ${dash ? `stroke-dasharray="${dash}" ` : ''}points="${points.map(([px, py]) => `${x(px).toFixed(1)},${y(py).toFixed(1)}`).join(' ')}"/>`,
        );
      }
      const ly = PLOT_H + 8 + row * 18;
      legend.push(
        `<line x1="${m.left + 12}" y1="${ly - 4}" x2="${m.left + 40}" y2="${ly - 4}" stroke="${colors[r.shape]}" stroke-width="2" ${dash ? `stroke-dasharray="${dash}"` : ''}/>`,
        `<text x="${m.left + 46}" y="${ly}" font-size="12">${esc(`${label}, ${SHAPE_LABEL[r.shape]}`)}</text>`,
      );
      row++;
    }
  }
  const grid: string[] = [];
  // The documented bounds, as horizontal lines: the live heap's, and RSS's with the old space capped at it.
  for (const [v, label] of [
    [LIVE_BOUND_MIB, `documented live-heap bound (${f0(LIVE_BOUND_MIB)} MiB)`],
    [rssBound, `RSS bound with --max-old-space-size=${Math.ceil(LIVE_BOUND_MIB)} (${rssBound} MiB)`],
  ] as const) {
    grid.push(
      `<line x1="${m.left}" y1="${y(v).toFixed(1)}" x2="${W - m.right}" y2="${y(v).toFixed(1)}" stroke="#555" stroke-width="1.5" stroke-dasharray="10 4"/>`,
      `<text x="${W - m.right - 4}" y="${(y(v) - 5).toFixed(1)}" font-size="11" text-anchor="end" fill="#333">${esc(label)}</text>`,
    );
  }
  const yStep = niceStep(maxY / 6);
  for (let v = 0; v <= maxY; v += yStep) {
    grid.push(
      `<line x1="${m.left}" y1="${y(v).toFixed(1)}" x2="${W - m.right}" y2="${y(v).toFixed(1)}" stroke="#ddd"/>`,
      `<text x="${m.left - 8}" y="${(y(v) + 4).toFixed(1)}" font-size="11" text-anchor="end">${v}</text>`,
    );
  }
  const xStep = niceStep(maxX / 8);
  for (let v = 0; v <= maxX; v += xStep) {
    grid.push(
      `<line x1="${x(v).toFixed(1)}" y1="${m.top}" x2="${x(v).toFixed(1)}" y2="${PLOT_H - m.bottom}" stroke="#eee"/>`,
      `<text x="${x(v).toFixed(1)}" y="${PLOT_H - m.bottom + 16}" font-size="11" text-anchor="middle">${v >= 1000 ? `${v / 1000}k` : v}</text>`,
    );
  }
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif">`,
    `<rect width="${W}" height="${H}" fill="white"/>`,
    `<text x="${W / 2}" y="24" font-size="15" text-anchor="middle">${esc(`Memory while writing distinct cache entries (memory store, defaults, ${new Date().toISOString().slice(0, 10)})`)}</text>`,
    ...grid,
    `<line x1="${m.left}" y1="${PLOT_H - m.bottom}" x2="${W - m.right}" y2="${PLOT_H - m.bottom}" stroke="#333"/>`,
    `<line x1="${m.left}" y1="${m.top}" x2="${m.left}" y2="${PLOT_H - m.bottom}" stroke="#333"/>`,
    `<text x="${(m.left + W - m.right) / 2}" y="${PLOT_H - 14}" font-size="12" text-anchor="middle">distinct entries written (requests)</text>`,
    `<text x="16" y="${(m.top + PLOT_H - m.bottom) / 2}" font-size="12" text-anchor="middle" transform="rotate(-90 16 ${(m.top + PLOT_H - m.bottom) / 2})">MiB</text>`,
    ...lines,
    ...legend,
    '</svg>',
    '',
  ].join('\n');
}

function niceStep(raw: number): number {
  const p = 10 ** Math.floor(Math.log10(raw));
  return [1, 2, 2.5, 5, 10].map((k) => k * p).find((s) => s >= raw) ?? 10 * p;
}

/** The sample nearest to a share of the run. */
const at = (r: Result, share: number) =>
  r.samples.reduce((best, s) =>
    Math.abs(s.entries - share * r.entries) < Math.abs(best.entries - share * r.entries) ? s : best,
  );

/** MiB per 10,000 entries over the second half (least squares): what keeps growing once the caches are full. */
function slope(points: readonly (readonly [number, number])[], entries: number): number {
  const pts = points.filter(([px]) => px >= entries / 2);
  if (pts.length < 2) return NaN;
  const n = pts.length;
  const mx = pts.reduce((a, [px]) => a + px, 0) / n;
  const my = pts.reduce((a, [, py]) => a + py, 0) / n;
  const num = pts.reduce((a, [px, py]) => a + (px - mx) * (py - my), 0);
  const den = pts.reduce((a, [px]) => a + (px - mx) ** 2, 0);
  return den === 0 ? NaN : (num / den) * 10_000;
}

const f0 = (n: number | null) => (n === null || !Number.isFinite(n) ? '–' : n.toFixed(0));
const f1 = (n: number) => (Number.isFinite(n) ? (n >= 0 ? '+' : '') + n.toFixed(1) : '–');

/** The largest live heap any full GC left. */
const maxLive = (r: Result) => Math.max(...r.fullGcs.map((g) => g.afterMiB));
const peakRss = (r: Result) => r.samples[r.samples.length - 1]!.hwmMiB;

/** Each run against the documented bounds: the live heap always; RSS where V8's old space was capped. */
function boundChecks(results: Result[]): { line: string; ok: boolean }[] {
  return results.flatMap((r) => {
    const live = maxLive(r);
    const checks = [
      {
        ok: Number.isFinite(live) && live <= LIVE_BOUND_MIB,
        line: `${SHAPE_LABEL[r.shape]}: largest live heap ${f0(live)} MiB, bound ${f0(LIVE_BOUND_MIB)} MiB`,
      },
    ];
    if (r.shape === 'pages-capped') {
      const rssBound = Math.ceil(LIVE_BOUND_MIB) + RSS_ABOVE_CAP_MIB;
      checks.push({
        ok: peakRss(r) <= rssBound,
        line: `${SHAPE_LABEL[r.shape]}: peak RSS ${f0(peakRss(r))} MiB, bound ${rssBound} MiB (old-space cap + ${RSS_ABOVE_CAP_MIB})`,
      });
    }
    return checks;
  });
}

function table(results: Result[]): string {
  const rows = results.map((r) => {
    const first = r.samples[0]!;
    const last = r.samples[r.samples.length - 1]!;
    const gcs = r.fullGcs;
    const live =
      gcs.length > 0
        ? `${f0(gcs[0]!.afterMiB)} → ${f0(gcs[gcs.length - 1]!.afterMiB)} (${gcs.length} GCs)`
        : '– (no full GC)';
    const rssSlope = slope(
      r.samples.map((p) => [p.entries, p.rssMiB] as const),
      r.entries,
    );
    const liveSlope = slope(
      gcs.map((g) => [g.entries, g.afterMiB] as const),
      r.entries,
    );
    return `| ${SHAPE_LABEL[r.shape]} | ${r.entries.toLocaleString('en-US')} | ${r.seconds.toFixed(0)} | ${(r.entries / r.seconds).toFixed(0)} | ${r.errors} | ${f0(first.rssMiB)} | ${f0(at(r, 0.25).rssMiB)} | ${f0(at(r, 0.5).rssMiB)} | ${f0(at(r, 0.75).rssMiB)} | ${f0(last.rssMiB)} | ${f0(last.hwmMiB)} | ${f0(first.heapMiB)} → ${f0(last.heapMiB)} | ${live} | ${f1(rssSlope)} / ${f1(liveSlope)} |`;
  });
  const statuses = results
    .map(
      (r) =>
        `${r.shape}: ${Object.entries(r.cacheStatuses)
          .map(([k, n]) => `${k} ${n}`)
          .join(', ')}`,
    )
    .join('; ');
  return [
    `Run with \`npm run bench:soak${QUICK ? ' -- --quick' : ''}\` on ${new Date().toISOString().slice(0, 10)}: ${cpus().length} cores, ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version} (load average ${loadavg()[0]!.toFixed(1)} at the end: the machine is shared).`,
    `One fresh server process per shape (\`${SERVER_COMMAND.slice(1).join(' ')}\`, NODE_ENV=production, SQLite, memory cache with its defaults:`,
    `\`CACHE_MAX_ITEMS\` 10000, \`CACHE_MAX_BYTES\` 64 MiB, \`DOCUMENT_CACHE_MAX_BYTES\` 16 MiB), ${CONCURRENCY} concurrent connections. The id shapes ask \`user(id)\` for an id no user has`,
    `(a distinct cached null result each: the entry count and the document cache fill up); the page shapes ask every \`users(page, size)\` with 51 to 100`,
    `of ${PAGE_USERS.toLocaleString('en-US')} users per page (about 10 KiB of JSON each: both stores' byte caps fill up), the last one with \`--max-old-space-size=${Math.ceil(LIVE_BOUND_MIB)}\`.`,
    `RSS and its peak (VmHWM) from /proc/<pid>/status and V8 heap used (garbage included) from the server's /metrics, every ${SAMPLE_EVERY_MS / 1000} s;`,
    `the live heap is what each full (mark-compact) GC left, from the server's \`--trace-gc\` output. Curve: [bench/soak.svg](bench/soak.svg).`,
    '',
    '| shape | entries | s | req/s | errors | RSS MiB start | at 25% | at 50% | at 75% | end | peak RSS | heap used MiB | live heap after full GC, MiB | second half, MiB per 10k entries (RSS / live heap) |',
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
    ...rows,
    '',
    `X-Cache answers: ${statuses}.`,
    '',
    ...results.map((r) => {
      const live = slope(
        r.fullGcs.map((g) => [g.entries, g.afterMiB] as const),
        r.entries,
      );
      const verdict = !Number.isFinite(live)
        ? 'too few full GCs in the second half to tell'
        : Math.abs(live) < 1
          ? `flat in the second half (${f1(live)} MiB per 10k entries): bounded once the caches are full`
          : isPages(r.shape)
            ? `${f1(live)} MiB per 10k entries in the second half: the pages shrink from 100 to 51 users along the run, so more and smaller entries fit in the same byte caps, each with its own overhead (the bound below still holds)`
            : `still growing in the second half: ${f1(live)} MiB per 10k entries`;
      return `- ${SHAPE_LABEL[r.shape]}: live heap ${verdict}; RSS above it is V8's headroom (garbage between full GCs).`;
    }),
    '',
    'Against the documented bounds (README, "Memory"):',
    '',
    ...boundChecks(results).map((c) => `- ${c.ok ? 'within' : '**EXCEEDED**'}: ${c.line}`),
  ].join('\n');
}

async function main(): Promise<void> {
  execFileSync(process.execPath, [join(ROOT, 'scripts', 'build-if-stale.js')], { cwd: ROOT, stdio: 'inherit' });
  const dir = mkdtempSync(join(tmpdir(), 'gql-soak-'));
  const results: Result[] = [];
  try {
    console.log(
      `soak: ${ENTRIES.toLocaleString('en-US')} entries per id shape, ${PAGES.length.toLocaleString('en-US')} pages, ${CONCURRENCY} connections; server: ${SERVER_COMMAND.join(' ')}`,
    );
    for (const shape of SHAPES) {
      results.push(await soak(shape, join(dir, `${shape}.db`)));
      const r = results[results.length - 1]!;
      console.log(
        `  ${shape}: ${r.seconds.toFixed(0)} s, ${r.errors} errors, RSS ${f0(r.samples[0]!.rssMiB)} -> ${f0(r.samples[r.samples.length - 1]!.rssMiB)} MiB`,
      );
      console.log(
        `  samples (entries: RSS / heap used MiB): ${r.samples.map((p) => `${p.entries}: ${f0(p.rssMiB)}/${f0(p.heapMiB)}`).join(', ')}`,
      );
      console.log(
        `  full GCs (entries: live heap MiB): ${r.fullGcs.map((g) => `${g.entries}: ${g.afterMiB.toFixed(0)}`).join(', ') || 'none'}`,
      );
    }
    const body = `## Memory soak\n\n${table(results)}`;
    if (SHAPES.length !== ALL_SHAPES.length) {
      console.log(`\n${body}\n\none shape only: BENCHMARKS.md and ${SVG_FILE} left as they were`);
      return;
    }
    if (boundChecks(results).some((c) => !c.ok)) process.exitCode = 1;
    if (results.some((r) => r.errors > 0)) {
      // A run with failed requests measured something else than writing entries: keep it out of the report.
      console.log(`\n${body}\n\nrequests failed: BENCHMARKS.md and ${SVG_FILE} left as they were`);
      process.exitCode = 1;
      return;
    }
    writeFileSync(SVG_FILE, svg(results));
    writeMarkedSection('soak', body);
    console.log(`\n${body}\n\nwrote ${SVG_FILE} and BENCHMARKS.md (soak section)`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
