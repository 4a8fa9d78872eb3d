import { createHash, timingSafeEqual } from 'node:crypto';
import express, { type ErrorRequestHandler, type RequestHandler } from 'express';
import type { Logger } from '../logger';
import { createExplorer, type ExplorerOptions } from './explorer';

export interface ReadinessReport {
  ready: boolean;
  database: string;
  cache: string;
}

/** Largest JSON body of a GraphQL request, in bytes (1 MiB), for Express's parser and the operation tier alike. */
export const GRAPHQL_BODY_LIMIT_BYTES = 1024 * 1024;

export interface ExpressAppOptions {
  graphql: RequestHandler;
  readiness: () => Promise<ReadinessReport>;
  logger: Logger;
  /** Logs one line per HTTP request (LOG_CATEGORIES=REQUESTS). */
  logRequests: boolean;
  /** Maximum JSON body size, in bytes. Default {@link GRAPHQL_BODY_LIMIT_BYTES}. */
  bodyLimit?: number;
  metrics?: { requestTimer: RequestHandler; handler: RequestHandler };
  /** When set, `/metrics` needs `Authorization: Bearer <token>` (METRICS_TOKEN). */
  metricsToken?: string;
  /** Serves `/` (links) and `/graphiql` (GraphiQL from node_modules, no CDN); off when absent or false. */
  explorer?: ExplorerOptions | false;
}

/** Malformed JSON and oversized bodies answer like GraphQL errors, never as an HTML 500. */
const jsonErrors: ErrorRequestHandler = (err, _req, res, next) => {
  if (res.headersSent) return next(err);
  const status = typeof err?.status === 'number' && err.status >= 400 && err.status < 500 ? err.status : 500;
  const message =
    err?.type === 'entity.parse.failed'
      ? 'The request body is not valid JSON.'
      : err?.type === 'entity.too.large'
        ? 'The request body is too large.'
        : status < 500
          ? 'Bad request.'
          : 'Internal server error';
  res
    .status(status)
    .json({ errors: [{ message, extensions: { code: status < 500 ? 'BAD_REQUEST' : 'INTERNAL_SERVER_ERROR' } }] });
};

/** 401 unless the request carries `Authorization: Bearer <token>`, compared in constant time. */
export function requireBearer(token: string): RequestHandler {
  const digest = (s: string) => createHash('sha256').update(s).digest(); // equal lengths for timingSafeEqual
  const expected = digest(token);
  return (req, res, next) => {
    const given = /^Bearer +(\S+) *$/i.exec(req.headers.authorization ?? '')?.[1];
    if (given !== undefined && timingSafeEqual(digest(given), expected)) return next();
    res
      .status(401)
      .set('www-authenticate', 'Bearer realm="metrics"')
      .json({
        errors: [
          {
            message: 'Unauthorized: /metrics needs "Authorization: Bearer <METRICS_TOKEN>".',
            extensions: { code: 'UNAUTHENTICATED' },
          },
        ],
      });
  };
}

export function createExpressApp(options: ExpressAppOptions): express.Express {
  const app = express();
  app.disable('x-powered-by');
  if (options.metrics) app.use(options.metrics.requestTimer);
  if (options.logRequests) {
    app.use((req, res, next) => {
      const start = process.hrtime.bigint();
      const path = req.path; // read now: a mounted router rewrites it later
      res.on('finish', () => {
        const ms = Number(process.hrtime.bigint() - start) / 1e6;
        options.logger.info(
          { category: 'REQUESTS', method: req.method, path, status: res.statusCode, ms: Math.round(ms * 100) / 100 },
          `${req.method} ${path} ${res.statusCode} (${ms.toFixed(2)}ms)`,
        );
      });
      next();
    });
  }
  app.get('/health', (_req, res) => {
    res.json({ status: 'ok' });
  });
  app.get('/ready', async (_req, res) => {
    const report = await options.readiness();
    res.status(report.ready ? 200 : 503).json({ status: report.ready ? 'ready' : 'not ready', ...report });
  });
  if (options.metrics) {
    const guard: RequestHandler[] = options.metricsToken ? [requireBearer(options.metricsToken)] : [];
    app.get('/metrics', ...guard, options.metrics.handler);
  }
  if (options.explorer) app.use(createExplorer(options.explorer));
  app.use('/graphql', express.json({ limit: options.bodyLimit ?? GRAPHQL_BODY_LIMIT_BYTES }), options.graphql);
  app.use(jsonErrors);
  return app;
}
