import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import type { LoadResult } from './load';
import type { MixResult } from './mix';
import type { TargetSpec } from './targets';
import type { Verdict } from './verify';
import { HEADLINE, type Workload } from './workloads';

export interface TargetResults {
  spec: TargetSpec;
  /** By workload id, one entry per round. */
  loads: Record<string, LoadResult[]>;
  mixes: MixResult[];
  rssMiB: number[];
  verdict?: Verdict;
  /** Why the target was not (fully) measured. */
  failure?: string;
}

export interface RunInfo {
  command: string;
  date: string;
  machine: string;
  rounds: number;
  warmSeconds: number;
  seconds: number;
  mixSeconds: number;
  connections: number;
  ourCommand: string;
  dataset: string;
  /** Lines about our per-request costs (SQL statements, Redis commands). */
  costs: string[];
}

const START = '<!-- bench:start -->';
const END = '<!-- bench:end -->';

const median = (xs: number[]) => (xs.length ? [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]! : NaN);
const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);
const fmt = (n: number, digits = 0) => (Number.isFinite(n) ? n.toFixed(digits) : 'n/a');
const ratio = (a: number, b: number) => (Number.isFinite(a) && b > 0 ? `${(a / b).toFixed(2)}x` : 'n/a');

/** Median over rounds of req/s and latencies; errors added up. */
export function summarize(loads: LoadResult[] | undefined): LoadResult | undefined {
  if (!loads?.length) return undefined;
  const m = (f: (l: LoadResult) => number) => median(loads.map(f));
  return {
    rps: m((l) => l.rps),
    p50: m((l) => l.p50),
    p99: m((l) => l.p99),
    bytes: m((l) => l.bytes),
    errors: sum(loads.map((l) => l.errors)),
  };
}

function summarizeMix(mixes: MixResult[]): MixResult | undefined {
  if (!mixes.length) return undefined;
  const m = (f: (x: MixResult) => number) => median(mixes.map(f));
  const s = (f: (x: MixResult) => number) => sum(mixes.map(f));
  return {
    opsPerSec: m((x) => x.opsPerSec),
    p50: m((x) => x.p50),
    p99: m((x) => x.p99),
    reads: s((x) => x.reads),
    writes: s((x) => x.writes),
    stale: s((x) => x.stale),
    errors: s((x) => x.errors),
  };
}

/** The best median of the three peers (the ceiling is not a peer), for a value picked from each. */
function fastestPeer(results: TargetResults[], pick: (r: TargetResults) => number | undefined): number {
  return Math.max(0, ...results.filter((r) => r.spec.kind === 'peer').map((r) => pick(r) ?? 0));
}

function workloadSection(w: Workload, results: TargetResults[]): string[] {
  const rps = (r: TargetResults) => summarize(r.loads[w.id])?.rps;
  const best = fastestPeer(results, rps);
  const off = rps(results.find((r) => r.spec.id === 'off')!) ?? NaN;
  const rows = results.map((r) => {
    const s = summarize(r.loads[w.id]);
    if (!s) return `| ${r.spec.label} | not measured | | | | | | |`;
    return `| ${r.spec.label} | ${fmt(s.rps)} | ${ratio(s.rps, best)} | ${ratio(s.rps, off)} | ${fmt(s.p50)} | ${fmt(s.p99)} | ${s.errors} | ${fmt(s.bytes)} |`;
  });
  return [
    `### ${w.title}`,
    '',
    `\`${w.query}\` as ${w.caller}.`,
    '',
    '| target | req/s | vs fastest peer | vs ours, cache off | p50 ms | p99 ms | errors | bytes/response |',
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
    ...rows,
    '',
  ];
}

function mixSection(results: TargetResults[]): string[] {
  const ops = (r: TargetResults) => summarizeMix(r.mixes)?.opsPerSec;
  const best = fastestPeer(results, ops);
  const off = ops(results.find((r) => r.spec.id === 'off')!) ?? NaN;
  const rows = results.map((r) => {
    const s = summarizeMix(r.mixes);
    if (!s) return `| ${r.spec.label} | not measured | | | | | | | | |`;
    return `| ${r.spec.label} | ${fmt(s.opsPerSec)} | ${ratio(s.opsPerSec, best)} | ${ratio(s.opsPerSec, off)} | ${s.reads} | ${s.writes} | **${s.stale}** | ${s.errors} | ${fmt(s.p50, 1)} | ${fmt(s.p99, 1)} |`;
  });
  return [
    '### Read/update mix (95 % reads, 5 % updates) and stale reads',
    '',
    '`user(id)` over 10 users, read with the 10 USER keys in turn; `updateUser(id, { fullName })` as ADMIN, each update a new',
    'version of the name. A **stale read** started after an update of that user was acknowledged and still returned an older',
    "name. Driven by the script's own loop (node:http, 16 concurrent), since autocannon cannot check bodies; the ceiling",
    'answers the mix from a Map.',
    '',
    '| target | ops/s | vs fastest peer | vs ours, cache off | reads | updates | stale reads | errors | p50 ms | p99 ms |',
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
    ...rows,
    '',
  ];
}

function targetsSection(results: TargetResults[]): string[] {
  const rows = results.map((r) => {
    const checks = r.failure
      ? `**not measured**: ${r.failure}`
      : r.spec.kind === 'ceiling'
        ? 'replays our answers'
        : r.verdict
          ? ['passed', ...r.verdict.notes].join('; ')
          : '';
    return `| ${r.spec.label} | ${fmt(Math.max(...r.rssMiB))} | ${checks.replace(/\|/g, '\\|').replace(/\n/g, ' ')} |`;
  });
  return [
    '### Targets',
    '',
    '| target | peak RSS MiB (VmHWM) | correctness checks before measuring |',
    '| --- | ---: | --- |',
    ...rows,
    '',
  ];
}

/** How each peer's cache behaves where it matters for reading the tables. */
const NOTES = [
  "Apollo's response cache has no invalidation: an entry lives for its maxAge (300 s here, our default TTL), so in the mix a read after an update is stale until then. `no-cache` maps to `shouldReadFromCache: false` (the fresh result is still written).",
  'Envelop drops every cached result that contains an entity a mutation returned (`User:<id>`); `no-cache` maps to `enabled: false` (neither read nor written).',
  'mercurius-cache caches per field, like ours, with `references` invalidated by `updateUser`; `no-cache` maps to `skip` (neither read nor written).',
  'The peers authenticate with one indexed SQL lookup per request and do not record `lastUsedAt`; ours caches the key lookup and writes `lastUsedAt` at most once a minute per key.',
  'Ours adds its `extensions.cache` report to every cached answer (see bytes/response); the peers send data only. The ceiling sends our bytes.',
];

function headlineSentence(workloads: Workload[], results: TargetResults[]): string {
  const headline = workloads.find((w) => w.id === HEADLINE)!;
  const rps = (id: string) => summarize(results.find((r) => r.spec.id === id)?.loads[HEADLINE])?.rps ?? NaN;
  const peers = results.filter((r) => r.spec.kind === 'peer' && summarize(r.loads[HEADLINE]));
  const best = peers.sort((a, b) => summarize(b.loads[HEADLINE])!.rps - summarize(a.loads[HEADLINE])!.rps)[0];
  const vsPeer = best
    ? `, and **${ratio(rps('memory'), summarize(best.loads[HEADLINE])!.rps)}** those of the fastest peer (${best.spec.label})`
    : '';
  return `Headline (${headline.title.replace(/:.*/, '')}): our memory cache serves **${ratio(rps('memory'), rps('off'))}** the requests/s of our cache-off path${vsPeer}.`;
}

export function markdown(info: RunInfo, workloads: Workload[], results: TargetResults[], svgPath: string): string {
  return [
    '## Ours against the peers',
    '',
    `Generated by \`${info.command}\` on ${info.date}. Machine: ${info.machine}.`,
    headlineSentence(workloads, results),
    '',
    `- Dataset: ${info.dataset}. Every target reads its own copy of the same seeded SQLite file.`,
    `- Load: autocannon, ${info.connections} connections, ${info.seconds} s per workload (mix: ${info.mixSeconds} s), each after a ${info.warmSeconds} s warm-up with the same requests;`,
    info.rounds > 1
      ? `  ${info.rounds} rounds, each running every target in turn (interleaved), median shown; errors are added up. Each target runs alone.`
      : '  1 round. Each target runs alone.',
    `- Our server: ${info.ourCommand}, NODE_ENV=production, LOG_LEVEL=warn; Redis is a private \`redis-server\` on a free port.`,
    '- Peers: `node bench/peers/<name>.js` (pinned in `bench/package.json`), each with its cache configured as its documentation',
    '  recommends for per-user data (see the comment at the top of each file); the ceiling replays our cached bytes.',
    '- The machine is shared: compare ratios within one run, not absolute numbers across runs.',
    '',
    `![requests per second by workload and target](${svgPath})`,
    '',
    ...changeTargetsSection(workloads, results),
    ...workloads.flatMap((w) => workloadSection(w, results)),
    ...mixSection(results),
    ...targetsSection(results),
    '### Per-request costs of ours',
    '',
    ...info.costs.map((c) => `- ${c}`),
    '',
    '### Reading the tables',
    '',
    ...NOTES.map((n) => `- ${n}`),
    '',
  ].join('\n');
}

/**
 * The targets of the cost-of-change issue, each a ratio of this run's medians: the miss path against
 * the fastest peer and against ours with the cache off, the mix against the fastest peer with no stale
 * read (memory and Redis), Redis against memory on every cached workload, and peak RSS against the
 * leanest peer. A target whose run had errors is not a result, and says so.
 */
export function changeTargetsSection(workloads: Workload[], results: TargetResults[]): string[] {
  const byId = (id: string) => results.find((r) => r.spec.id === id);
  const rps = (r: TargetResults | undefined, w: string) => (r ? summarize(r.loads[w]) : undefined);
  const errorsIn = (r: TargetResults | undefined, w: string) => rps(r, w)?.errors ?? 0;
  const verdict = (value: number, goal: number, atMost = false) =>
    !Number.isFinite(value) ? 'n/a' : (atMost ? value <= goal : value >= goal) ? '**met**' : '**missed**';
  const row = (what: string, value: number, goal: string, met: string, errors: number) =>
    `| ${what} | ${Number.isFinite(value) ? `${value.toFixed(2)}x` : 'n/a'} | ${goal} | ${errors > 0 ? `not a result (${errors} errors)` : met} |`;
  const rows: string[] = [];
  const miss = (r: TargetResults | undefined) => rps(r, 'miss')?.rps ?? NaN;
  const peerMiss = fastestPeer(results, (r) => rps(r, 'miss')?.rps);
  const missErrors = errorsIn(byId('memory'), 'miss') + errorsIn(byId('off'), 'miss');
  const m1 = miss(byId('memory')) / peerMiss;
  rows.push(row('miss path, memory / fastest peer', m1, '>= 1.0x', verdict(m1, 1), missErrors));
  const m2 = miss(byId('memory')) / miss(byId('off'));
  rows.push(row('miss path, memory / ours with the cache off', m2, '>= 0.9x', verdict(m2, 0.9), missErrors));
  const mix = (r: TargetResults | undefined) => (r ? summarizeMix(r.mixes) : undefined);
  const cleanPeers = results.filter((r) => r.spec.kind === 'peer' && mix(r) && mix(r)!.stale === 0);
  const bestClean = Math.max(0, ...cleanPeers.map((r) => mix(r)!.opsPerSec));
  for (const id of ['memory', 'redis']) {
    const m = mix(byId(id));
    const value = (m?.opsPerSec ?? NaN) / bestClean;
    const met = m && m.stale > 0 ? `**missed** (${m.stale} stale reads)` : verdict(value, 1.5);
    rows.push(row(`95/5 mix, ${id} / fastest peer with 0 stale reads`, value, '>= 1.5x, 0 stale', met, m?.errors ?? 0));
  }
  for (const w of workloads.filter((x) => x.id !== 'miss')) {
    const value = (rps(byId('redis'), w.id)?.rps ?? NaN) / (rps(byId('memory'), w.id)?.rps ?? NaN);
    const errors = errorsIn(byId('redis'), w.id) + errorsIn(byId('memory'), w.id);
    rows.push(row(`Redis / memory hits, ${w.id}`, value, '>= 0.8x', verdict(value, 0.8), errors));
  }
  const peakRss = (r: TargetResults | undefined) => (r ? Math.max(...r.rssMiB.filter(Number.isFinite)) : NaN);
  const leanest = Math.min(
    ...results
      .filter((r) => r.spec.kind === 'peer')
      .map(peakRss)
      .filter(Number.isFinite),
  );
  for (const id of ['off', 'memory']) {
    const value = peakRss(byId(id)) / leanest;
    rows.push(row(`peak RSS, ours ${id} / leanest peer`, value, '<= 1.3x', verdict(value, 1.3, true), 0));
  }
  return [
    '### Targets: the cost of a change',
    '',
    'Ratios of the medians of this run (a peak RSS is the highest of the rounds).',
    '',
    '| target | this run | goal | verdict |',
    '| --- | ---: | --- | --- |',
    ...rows,
    '',
  ];
}

/** Sections other tools keep in BENCHMARKS.md between their own `<!-- name:start -->` / `<!-- name:end -->` markers. */
const MARKED_SECTION = /<!-- ([\w-]+):start -->[\s\S]*?<!-- \1:end -->/g;

/**
 * Replaces what lies between our markers and nothing else. The first time (no markers yet), the
 * file's unmarked content moves below a heading "Earlier measurements", and other tools' marked
 * sections stay as they are, between ours and that heading.
 */
export function writeBenchmarks(file: string, generated: string): void {
  const block = `${START}\n${generated}\n${END}`;
  const old = existsSync(file) ? readFileSync(file, 'utf8') : '';
  const from = old.indexOf(START);
  const to = from === -1 ? -1 : old.indexOf(END, from);
  if (to !== -1) {
    writeFileSync(file, old.slice(0, from) + block + old.slice(to + END.length));
    return;
  }
  const others = old.match(MARKED_SECTION) ?? [];
  const earlier = old
    .replace(MARKED_SECTION, '')
    .replace(/^# Benchmarks[ \t]*\n/, '')
    .trim();
  const parts = ['# Benchmarks', block, ...others, ...(earlier ? [`## Earlier measurements\n\n${earlier}`] : [])];
  writeFileSync(file, `${parts.join('\n\n')}\n`);
}

const COLORS: Record<string, string> = {
  off: '#9e9e9e',
  memory: '#1565c0',
  redis: '#42a5f5',
  apollo: '#6a1b9a',
  yoga: '#c2185b',
  mercurius: '#ef6c00',
  ceiling: '#2e7d32',
};
const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/**
 * Horizontal bars, one group per workload (req/s) and one for the mix (ops/s, with its stale reads),
 * each group on its own scale. The scale leaves the ceiling out, so that the servers stay readable:
 * its bar is cut at the edge when it is off the scale.
 */
export function svgChart(workloads: Workload[], results: TargetResults[]): string {
  const groups = [
    ...workloads.map((w) => ({
      title: `${w.title} (req/s)`,
      values: results.map((r) => ({ r, v: summarize(r.loads[w.id])?.rps, extra: '' })),
    })),
    {
      title: 'Read/update mix 95/5 (ops/s)',
      values: results.map((r) => {
        const m = summarizeMix(r.mixes);
        return { r, v: m?.opsPerSec, extra: m ? ` (${m.stale} stale)` : '' };
      }),
    },
  ];
  const bar = 16;
  const labelW = 250;
  const plotW = 520;
  const groupH = 28 + results.length * (bar + 4);
  const out: string[] = [];
  groups.forEach((g, gi) => {
    const top = 10 + gi * groupH;
    const max = Math.max(1, ...g.values.filter((x) => x.r.spec.kind !== 'ceiling').map((x) => x.v ?? 0));
    out.push(`<text x="10" y="${top + 16}" font-weight="bold">${esc(g.title.replace(/`/g, ''))}</text>`);
    g.values.forEach(({ r, v, extra }, i) => {
      const y = top + 24 + i * (bar + 4);
      const w = v ? Math.min(plotW, Math.max(1, (v / max) * plotW)) : 0;
      const offScale = v !== undefined && v > max ? ' (off scale)' : '';
      out.push(`<text x="${labelW - 6}" y="${y + 12}" text-anchor="end">${esc(r.spec.label)}</text>`);
      out.push(
        `<rect x="${labelW}" y="${y}" width="${w.toFixed(1)}" height="${bar}" fill="${COLORS[r.spec.id] ?? '#555'}"/>`,
      );
      out.push(`<text x="${labelW + w + 4}" y="${y + 12}">${v ? fmt(v) + extra + offScale : 'not measured'}</text>`);
    });
  });
  const height = 20 + groups.length * groupH;
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${labelW + plotW + 160}" height="${height}" font-family="sans-serif" font-size="12">`,
    `<rect width="100%" height="100%" fill="#fff"/>`,
    ...out,
    '</svg>',
    '',
  ].join('\n');
}
