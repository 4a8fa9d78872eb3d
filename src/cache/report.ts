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
    const hits = this.fields.filter((f) => f.status === 'HIT').length;
    const misses = this.fields.length - hits;
    const status: CacheStatus = this.bypass ? 'BYPASS' : hits === 0 ? 'MISS' : misses === 0 ? 'HIT' : 'PARTIAL';
    return { status, hits, misses, fields: [...this.fields] };
  }
}
