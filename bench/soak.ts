/**
 * Memory soak: writes 200,000 distinct cache entries through the API and records the server's memory
 * while it does, in two shapes: the id inline in the query text (a distinct document per request)
 * and the id as a variable (one document). Each shape runs against a fresh server process.
 *
 *   npm run bench:soak              # 200,000 entries per shape
 *   npm run bench:soak -- --quick   # 20,000 entries per shape (development)
 *   npm run bench:soak -- --entries 50000
 *
 * Entries: `user(id)` with ids beyond every existing user, so each request caches a distinct
 * (PUBLIC, null) result. The server is the real entry point in its own process, NODE_ENV=production,
 * memory cache with its defaults, SQLite. Every few seconds: RSS and its peak (VmHWM) from
 * /proc/<pid>/status, and the V8 heap from the server's own GET /metrics (prom-client's
 * nodejs_heap_size_used_bytes). Writes bench/soak.svg and the `soak` section of BENCHMARKS.md.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { writeMarkedSection } from '../test/helpers/benchmarks-md';
import { freePort } from '../test/helpers/free-port';

const ROOT = join(__dirname, '..');
/** How the server is started (from ROOT): the one place to change it, e.g. to `[process.execPath, 'dist/src/main.js']` after `npm run build`. */
const SERVER_COMMAND: readonly string[] = [process.execPath, '-r', '@swc-node/register', 'src/main.ts'];
/**
 * Node flags added in front of the script: V8 prints each garbage collection on stdout; the heap left
 * after each full (mark-compact) collection is the live heap, which heap-used samples (garbage
 * included) cannot tell apart from a leak.
 */
const NODE_FLAGS: readonly string[] = ['--trace-gc'];

const argv = process.argv.slice(2);
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

type Shape = 'inline' | 'variables';
const SHAPES: Shape[] = ['inline', 'variables'];
const SHAPE_LABEL: Record<Shape, string> = {
  inline: 'id inline (a distinct document per request)',
  variables: 'id as a variable (one document)',
};

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
  };
  const [cmd, ...args] = SERVER_COMMAND;
  const child = spawn(cmd!, [...NODE_FLAGS, ...args], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'inherit'] });
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

function bodyFor(shape: Shape, id: number): string {
  return shape === 'inline'
    ? JSON.stringify({ query: `{ user(id: "${id}") { id email fullName } }` })
    : JSON.stringify({
        query: 'query SoakUser($id: ID!) { user(id: $id) { id email fullName } }',
        variables: { id: String(id) },
      });
}

async function soak(shape: Shape, dbFile: string): Promise<Result> {
  const fullGcs: FullGc[] = [];
  let next = 0;
  let done = 0;
  let measuring = false;
  const { child, baseUrl } = await startServer(dbFile, (line) => {
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
        body: bodyFor(shape, FIRST_ID - 1 - i),
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
        if (i >= ENTRIES) return;
        try {
          const res = await fetch(`${baseUrl}/graphql`, {
            method: 'POST',
            headers: { 'content-type': 'application/json', authorization: `Bearer ${ADMIN_KEY}` },
            body: bodyFor(shape, FIRST_ID + i),
          });
          const json = (await res.json()) as { data?: { user: unknown }; errors?: unknown[] };
          if (!res.ok || json.errors || json.data?.user !== null) {
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
    return { shape, samples, fullGcs, seconds: (Date.now() - started) / 1000, errors, cacheStatuses };
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
  const maxX = ENTRIES;
  const maxY = Math.max(...results.flatMap((r) => r.samples.flatMap((s) => [s.rssMiB, s.heapMiB ?? 0]))) * 1.1;
  const x = (v: number) => m.left + (v / maxX) * (W - m.left - m.right);
  const y = (v: number) => PLOT_H - m.bottom - (v / maxY) * (PLOT_H - m.top - m.bottom);
  const colors: Record<Shape, string> = { inline: '#d62728', variables: '#1f77b4' };
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
    `<text x="${W / 2}" y="24" font-size="15" text-anchor="middle">${esc(`Memory while writing ${ENTRIES.toLocaleString('en-US')} distinct cache entries (memory store, ${new Date().toISOString().slice(0, 10)})`)}</text>`,
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
    Math.abs(s.entries - share * ENTRIES) < Math.abs(best.entries - share * ENTRIES) ? s : best,
  );

/** MiB per 10,000 entries over the second half (least squares): what keeps growing once the caches are full. */
function slope(points: readonly (readonly [number, number])[]): number {
  const pts = points.filter(([px]) => px >= ENTRIES / 2);
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

function table(results: Result[]): string {
  const rows = results.map((r) => {
    const first = r.samples[0]!;
    const last = r.samples[r.samples.length - 1]!;
    const gcs = r.fullGcs;
    const live =
      gcs.length > 0
        ? `${f0(gcs[0]!.afterMiB)} → ${f0(gcs[gcs.length - 1]!.afterMiB)} (${gcs.length} GCs)`
        : '– (no full GC)';
    const rssSlope = slope(r.samples.map((p) => [p.entries, p.rssMiB] as const));
    const liveSlope = slope(gcs.map((g) => [g.entries, g.afterMiB] as const));
    return `| ${SHAPE_LABEL[r.shape]} | ${ENTRIES.toLocaleString('en-US')} | ${r.seconds.toFixed(0)} | ${(ENTRIES / r.seconds).toFixed(0)} | ${r.errors} | ${f0(first.rssMiB)} | ${f0(at(r, 0.25).rssMiB)} | ${f0(at(r, 0.5).rssMiB)} | ${f0(at(r, 0.75).rssMiB)} | ${f0(last.rssMiB)} | ${f0(last.hwmMiB)} | ${f0(first.heapMiB)} → ${f0(last.heapMiB)} | ${live} | ${f1(rssSlope)} / ${f1(liveSlope)} |`;
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
    `\`CACHE_MAX_ITEMS\` 10000), ${CONCURRENCY} concurrent connections, each request \`user(id)\` for an id no user has (a distinct cached null result).`,
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
      const live = slope(r.fullGcs.map((g) => [g.entries, g.afterMiB] as const));
      const verdict = !Number.isFinite(live)
        ? 'too few full GCs in the second half to tell'
        : Math.abs(live) < 1
          ? `flat in the second half (${f1(live)} MiB per 10k entries): bounded once the caches are full`
          : `still growing in the second half: ${f1(live)} MiB per 10k entries`;
      return `- ${SHAPE_LABEL[r.shape]}: live heap ${verdict}; RSS above it is V8's headroom (garbage between full GCs).`;
    }),
  ].join('\n');
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'gql-soak-'));
  const results: Result[] = [];
  try {
    console.log(
      `soak: ${ENTRIES.toLocaleString('en-US')} entries per shape, ${CONCURRENCY} connections; server: ${SERVER_COMMAND.join(' ')}`,
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
    writeFileSync(SVG_FILE, svg(results));
    const body = `## Memory soak\n\n${table(results)}`;
    writeMarkedSection('soak', body);
    console.log(`\n${body}\n\nwrote ${SVG_FILE} and BENCHMARKS.md (soak section)`);
    if (results.some((r) => r.errors > 0)) process.exitCode = 1;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
