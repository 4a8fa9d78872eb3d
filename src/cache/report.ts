import type { CacheFieldReport, CacheReport, CacheStatus } from './types';

/** Collects, for one request, how each cached resolver was answered. */
export class CacheReportCollector {
  private readonly fields: CacheFieldReport[] = [];

  constructor(
    /** The request asked for fresh values (`Cache-Control: no-cache`). */
    readonly bypass: boolean,
  ) {}

  record(field: CacheFieldReport): void {
    this.fields.push(field);
  }

  /** The report of the request, or null when no cached resolver ran. */
  toReport(): CacheReport | null {
    if (this.fields.length === 0) return null;
    let hits = 0;
    let stale = 0;
    for (const f of this.fields) {
      if (f.status === 'HIT') hits++;
      else if (f.status === 'STALE') stale++;
    }
    const misses = this.fields.length - hits - stale;
    const status: CacheStatus = this.bypass
      ? 'BYPASS'
      : misses === 0
        ? stale === 0
          ? 'HIT'
          : 'STALE'
        : hits + stale === 0
          ? 'MISS'
          : 'PARTIAL';
    const report: CacheReport = { status, hits, misses, fields: [...this.fields] };
    if (stale > 0) report.stale = stale;
    return report;
  }
}
