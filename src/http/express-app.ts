import express, { type ErrorRequestHandler, type RequestHandler } from 'express';
import type { Logger } from '../logger';
import { createExplorer, type ExplorerOptions } from './explorer';

export interface ReadinessReport {
  ready: boolean;
  database: string;
  cache: string;
}

export interface ExpressAppOptions {
  graphql: RequestHandler;
  readiness: () => Promise<ReadinessReport>;
  logger: Logger;
  /** Logs one line per HTTP request (LOG_CATEGORIES=REQUESTS). */
  logRequests: boolean;
  /** Maximum JSON body size, as for express.json(). */
  bodyLimit?: string;
  metrics?: { requestTimer: RequestHandler; handler: RequestHandler };
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
  if (options.metrics) app.get('/metrics', options.metrics.handler);
  if (options.explorer) app.use(createExplorer(options.explorer));
  app.use('/graphql', express.json({ limit: options.bodyLimit ?? '1mb' }), options.graphql);
  app.use(jsonErrors);
  return app;
}
