import type { RequestHandler } from 'express';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { CacheEvent } from '../cache';

/** A namespace with its ids and hashes replaced, so a metric's labels stay few: `user:7` -> `user:{id}`. */
export function namespaceFamily(namespace: string): string {
  return namespace
    .split(':')
    .map((part) => (/^\d+$/.test(part) ? '{id}' : /^[0-9a-f]{16,}$/i.test(part) ? '{hash}' : part))
    .join(':');
}

export interface Metrics {
  readonly registry: Registry;
  /** Feed it the cache's events. */
  onCacheEvent(event: CacheEvent): void;
  /** Times every HTTP request. */
  requestTimer: RequestHandler;
  /** `GET /metrics` in Prometheus' text format. */
  handler: RequestHandler;
}

/**
 * Prometheus metrics of one app (its own registry, so several apps in one process stay apart):
 * cache lookups per schema coordinate and status, evictions per namespace family, store errors, the
 * backend in use, HTTP request durations, and the default process metrics.
 */
export function createMetrics(backend: () => string): Metrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const lookups = new Counter({
    name: 'graphql_cache_lookups_total',
    help: 'Cached resolver lookups, by schema coordinate and status (HIT, MISS, BYPASS).',
    labelNames: ['coordinate', 'status'] as const,
    registers: [registry],
  });
  const lookupSeconds = new Histogram({
    name: 'graphql_cache_lookup_duration_seconds',
    help: 'Time of a cached resolver, lookup included (a miss includes the resolver).',
    labelNames: ['status'] as const,
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1],
    registers: [registry],
  });
  const evictions = new Counter({
    name: 'graphql_cache_evictions_total',
    help: 'Namespace evictions, by namespace family (ids replaced by {id}).',
    labelNames: ['namespace'] as const,
    registers: [registry],
  });
  const storeErrors = new Counter({
    name: 'graphql_cache_store_errors_total',
    help: 'Cache store calls that failed (each served as a miss).',
    labelNames: ['operation'] as const,
    registers: [registry],
  });
  new Gauge({
    name: 'graphql_cache_backend',
    help: 'The cache backend in use: 1 for the current one (memory, redis, or disabled).',
    labelNames: ['backend'] as const,
    registers: [registry],
    collect() {
      const current = backend();
      for (const b of ['memory', 'redis', 'disabled']) this.set({ backend: b }, b === current ? 1 : 0);
    },
  });
  const requests = new Histogram({
    name: 'http_request_duration_seconds',
    help: 'HTTP request duration, by method, route and status code.',
    labelNames: ['method', 'route', 'status'] as const,
    buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [registry],
  });

  return {
    registry,
    onCacheEvent(event) {
      if (event.type === 'lookup') {
        lookups.inc({ coordinate: event.coordinate, status: event.status });
        lookupSeconds.observe({ status: event.status }, event.ms / 1000);
      } else if (event.type === 'evict') evictions.inc({ namespace: namespaceFamily(event.namespace) });
      else storeErrors.inc({ operation: event.operation });
    },
    requestTimer(req, res, next) {
      const end = requests.startTimer({ method: req.method });
      const path = req.path; // read now: a mounted router rewrites it later
      res.on('finish', () => {
        const route = ['/graphql', '/health', '/ready', '/metrics'].includes(path) ? path : 'other';
        end({ route, status: String(res.statusCode) });
      });
      next();
    },
    async handler(_req, res) {
      res.setHeader('content-type', registry.contentType);
      res.send(await registry.metrics());
    },
  };
}
