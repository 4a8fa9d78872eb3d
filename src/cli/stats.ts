import type { Config } from '../config';
import { CliError, formatBytes, messageOf, table, usageError } from './common';

/** The lookups of one schema coordinate, as counted by the server since it started. */
export interface CoordinateStats {
  coordinate: string;
  HIT: number;
  STALE: number;
  MISS: number;
  BYPASS: number;
  /** (HIT + STALE) / (HIT + STALE + MISS); null before any such lookup. BYPASS (asked for by the client) is left out. */
  hitRatio: number | null;
}

/** What `stats` reports: one server's view (each instance counts its own lookups). */
export interface CacheStats {
  url: string;
  backend: string;
  /** Entries and bytes of the server process's memory stores; null when the server does not expose them. */
  memory: { entries: number; bytes: number } | null;
  evictions: number;
  storeErrors: number;
  oversized: number;
  coordinates: CoordinateStats[];
  total: Omit<CoordinateStats, 'coordinate'>;
}

/** `http://HOST:PORT/metrics` of the configured server, or `--url` (a base URL gets `/metrics`). */
export function metricsUrl(config: Config, url: string | undefined): string {
  if (url !== undefined) {
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      throw usageError(`--url must be an http(s) URL such as http://127.0.0.1:4000, got: ${JSON.stringify(url)}`);
    }
    if (!['http:', 'https:'].includes(parsed.protocol))
      throw usageError(`--url must be an http(s) URL such as http://127.0.0.1:4000, got: ${JSON.stringify(url)}`);
    if (parsed.pathname === '/' || parsed.pathname === '') parsed.pathname = '/metrics';
    return parsed.toString();
  }
  if (config.port === 0) throw usageError('PORT is 0 (a port picked at start-up): pass --url with the server address');
  const host = config.host;
  // An address the server listens on for every interface is reached on the loopback.
  const reach = host === '0.0.0.0' ? '127.0.0.1' : host === '::' ? '::1' : host;
  return `http://${reach.includes(':') ? `[${reach}]` : reach}:${config.port}/metrics`;
}

/** Reads `/metrics` (with `Authorization: Bearer <METRICS_TOKEN>` when one is configured). */
export async function fetchMetrics(url: string, token: string | undefined, timeoutMs: number): Promise<string> {
  let res: Response;
  try {
    res = await fetch(url, {
      headers: token ? { authorization: `Bearer ${token}` } : {},
      signal: AbortSignal.timeout(timeoutMs),
    });
  } catch (error) {
    const cause = (error as { cause?: unknown }).cause;
    const reason =
      (error as Error).name === 'TimeoutError' ? `no answer within ${timeoutMs} ms` : messageOf(cause ?? error);
    throw new CliError(`cannot read ${url}: ${reason} (is the server running? set --url, or HOST and PORT)`);
  }
  if (res.status === 401 || res.status === 403) {
    throw new CliError(
      `${url} answered ${res.status}: ${
        token ? 'METRICS_TOKEN is not the server’s' : 'the server requires a token: set METRICS_TOKEN'
      }`,
    );
  }
  if (!res.ok) throw new CliError(`${url} answered ${res.status} ${res.statusText}`);
  return res.text();
}

interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** Samples of Prometheus' text format (comments skipped). */
export function parseMetrics(text: string): Sample[] {
  const samples: Sample[] = [];
  for (const line of text.split('\n')) {
    const m = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})?\s+(\S+)/.exec(line);
    if (!m) continue;
    const labels: Record<string, string> = {};
    for (const l of (m[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) {
      labels[l[1]!] = l[2]!.replace(/\\(.)/g, (_, c: string) => (c === 'n' ? '\n' : c));
    }
    samples.push({ name: m[1]!, labels, value: Number(m[3]) });
  }
  return samples;
}

/** The cache's figures from a `/metrics` text. */
export function cacheStats(url: string, text: string): CacheStats {
  const samples = parseMetrics(text);
  const of = (name: string) => samples.filter((s) => s.name === name);
  const sum = (name: string) => of(name).reduce((total, s) => total + s.value, 0);
  const backends = of('graphql_cache_backend');
  if (backends.length === 0)
    throw new CliError(`${url} has no graphql_cache_backend metric: is it this API's /metrics?`);
  const entries = of('graphql_cache_entries')[0];
  const bytes = of('graphql_cache_bytes')[0];
  const byCoordinate = new Map<string, CoordinateStats>();
  const blank = (coordinate: string): CoordinateStats => ({
    coordinate,
    HIT: 0,
    STALE: 0,
    MISS: 0,
    BYPASS: 0,
    hitRatio: null,
  });
  for (const s of of('graphql_cache_lookups_total')) {
    const coordinate = s.labels.coordinate ?? '?';
    const status = s.labels.status as 'HIT' | 'STALE' | 'MISS' | 'BYPASS';
    if (!['HIT', 'STALE', 'MISS', 'BYPASS'].includes(status)) continue;
    const row = byCoordinate.get(coordinate) ?? blank(coordinate);
    row[status] += s.value;
    byCoordinate.set(coordinate, row);
  }
  const total = blank('TOTAL');
  const coordinates = [...byCoordinate.values()].sort((a, b) => a.coordinate.localeCompare(b.coordinate));
  for (const row of coordinates) {
    row.hitRatio = ratio(row);
    for (const k of ['HIT', 'STALE', 'MISS', 'BYPASS'] as const) total[k] += row[k];
  }
  total.hitRatio = ratio(total);
  const { coordinate: _, ...totals } = total;
  return {
    url,
    backend: backends.find((s) => s.value === 1)?.labels.backend ?? 'unknown',
    memory: entries && bytes ? { entries: entries.value, bytes: bytes.value } : null,
    evictions: sum('graphql_cache_evictions_total'),
    storeErrors: sum('graphql_cache_store_errors_total'),
    oversized: sum('graphql_cache_oversized_total'),
    coordinates,
    total: totals,
  };
}

function ratio(row: CoordinateStats): number | null {
  const answered = row.HIT + row.STALE;
  const counted = answered + row.MISS;
  return counted === 0 ? null : answered / counted;
}

/** The table `stats` prints. */
export function formatStats(stats: CacheStats): string {
  const percent = (r: number | null) => (r === null ? '-' : `${(r * 100).toFixed(1)}%`);
  const row = (name: string, r: Omit<CoordinateStats, 'coordinate'>) => [
    name,
    String(r.HIT),
    String(r.STALE),
    String(r.MISS),
    String(r.BYPASS),
    percent(r.hitRatio),
  ];
  const lines = [
    `Server:       ${stats.url}`,
    `Backend:      ${stats.backend}`,
    stats.memory
      ? `Memory:       ${stats.memory.entries} entries, ${formatBytes(stats.memory.bytes)} (this process's memory stores${
          stats.backend === 'redis' ? ': local tier and fallback; Redis not counted' : ''
        })`
      : 'Memory:       not exposed by this server (no graphql_cache_entries metric)',
    `Evictions:    ${stats.evictions}   Store errors: ${stats.storeErrors}   Oversized: ${stats.oversized}`,
    '',
    stats.coordinates.length === 0
      ? 'No cached lookups yet.'
      : table(
          ['COORDINATE', 'HIT', 'STALE', 'MISS', 'BYPASS', 'HIT RATIO'],
          [...stats.coordinates.map((c) => row(c.coordinate, c)), row('TOTAL', stats.total)],
          [1, 2, 3, 4, 5],
        ),
    '',
    'Counted by this server process since it started; hit ratio = (HIT + STALE) / (HIT + STALE + MISS).',
  ];
  return lines.join('\n');
}
