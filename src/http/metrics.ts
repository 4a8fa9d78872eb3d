import type { RequestHandler } from 'express';
import { collectDefaultMetrics, Histogram, Registry } from 'prom-client';

export interface Metrics {
  readonly registry: Registry;
  /** Times every HTTP request. */
  requestTimer: RequestHandler;
  /** `GET /metrics` in Prometheus' text format. */
  handler: RequestHandler;
}

/**
 * Prometheus metrics of one app (its own registry, so several apps in one process stay apart): HTTP
 * request durations and the default process metrics. The cache registers its own in the same registry.
 */
export function createMetrics(): Metrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const requests = new Histogram({
    name: 'http_request_duration_seconds',
    help: 'HTTP request duration, by method, route and status code.',
    labelNames: ['method', 'route', 'status'] as const,
    buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [registry],
  });

  return {
    registry,
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
