import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Tracer } from '@opentelemetry/api';
import {
  type OperationEntry,
  type OperationHit,
  type OperationTier,
  setOperationCandidate,
  wantsBypass,
} from '../cache';

export interface OperationHandlerOptions {
  tier: OperationTier;
  /** The hash of the credential a request presents; null when it presents none. */
  callerHashOf(headers: IncomingMessage['headers']): string | null;
  /** Told of each hit, with its time in milliseconds (metrics, logs, the key's `lastUsedAt`). */
  onHit(hit: OperationHit, ms: number, operationName: string | undefined): void;
  /** Largest body read, in bytes: the same as the JSON parser behind it. */
  bodyLimitBytes: number;
  /**
   * Runs `req` through the server again, its response going nowhere: the background refresh of a stale
   * entry (its candidate says `revalidate`, so the execution computes what is stale and stores the new
   * entry). Without it, a stale entry is not answered: the request executes as a miss.
   */
  revalidate?(req: IncomingMessage): void;
  /**
   * Traces each lookup (span `cache.lookup operation`: `cache.tier` operation, `cache.status` HIT, STALE,
   * MISS or BYPASS, `cache.backend`) under the request's span. Absent: no tracing code runs.
   */
  tracer?: Tracer;
  /** Where generation tokens are read now (`memory` or `redis`), for the spans. */
  backend?(): string;
}

type Next = () => void;

/**
 * The operation tier's place in the HTTP server: in front of Express, for `POST /graphql` with a JSON
 * body. It reads the body, and when a stored response for this caller and operation still holds, writes
 * it and is done: no Express, no Apollo, no context. Otherwise it leaves the parsed body on the request
 * (Express's JSON parser then skips it) and a candidate for storing, and hands the request on.
 *
 * Only what Apollo would accept is ever answered: entries exist only for responses Apollo produced for
 * exactly this caller and operation text, and a request Apollo would refuse (no key, a revoked key,
 * a query over a limit) never produced one.
 */
export function createOperationHandler(options: OperationHandlerOptions) {
  const { tier } = options;
  return (req: IncomingMessage, res: ServerResponse, next: Next) => {
    if (req.method !== 'POST' || !isGraphqlPath(req.url) || !isJson(req.headers['content-type'])) return next();
    if (wantsBypass({ get: (name: string) => header(req.headers[name]) })) {
      if (options.tracer) lookupSpan(options, 'BYPASS').end();
      return next();
    }
    const declared = Number(req.headers['content-length'] ?? Number.NaN);
    if (declared > options.bodyLimitBytes || !tier.serving()) return next();
    const callerHash = options.callerHashOf(req.headers);
    if (!callerHash) return next();
    const started = performance.now();
    readBody(req, options.bodyLimitBytes, (error, text) => {
      if (error)
        return sendError(
          res,
          error === 'too large' ? 413 : 400,
          error === 'too large' ? 'The request body is too large.' : 'Bad request.',
        );
      let body: unknown;
      try {
        body = JSON.parse(text);
      } catch {
        return sendError(res, 400, 'The request body is not valid JSON.');
      }
      (req as IncomingMessage & { body?: unknown }).body = body;
      const request = isRecord(body) ? body : undefined;
      const key = request && tier.keyOf({ callerHash, ...operationOf(request) });
      if (!key) return next();
      const span = options.tracer && lookupSpan(options);
      const served = (found: OperationHit | undefined) => {
        const hit = found?.stale && !options.revalidate ? undefined : found;
        if (span) {
          span.setAttribute('cache.status', hit ? (hit.stale ? 'STALE' : 'HIT') : 'MISS');
          if (hit) span.setAttribute('cache.shared', hit.shared);
          span.end();
        }
        if (hit) {
          sendHit(res, tier, hit.entry, () =>
            options.onHit(hit, performance.now() - started, stringOr(request.operationName)),
          );
          // The response is sent; one execution per stale entry (in this process) refreshes it meanwhile.
          if (hit.stale && tier.startRefresh(hit.entry)) {
            tier.begin(key).then(
              (candidate) => {
                setOperationCandidate(req, { ...candidate, revalidate: true });
                options.revalidate!(req);
              },
              () => undefined,
            );
          }
          return;
        }
        tier.begin(key).then(
          (candidate) => {
            setOperationCandidate(req, candidate);
            next();
          },
          () => next(),
        );
      };
      const found = tier.lookup(key);
      if (found instanceof Promise) found.then(served, () => served(undefined));
      else served(found);
    });
  };
}

/** The span of one lookup (its status set when known): names no caller, no operation, no variable. */
function lookupSpan(options: OperationHandlerOptions, status?: 'BYPASS') {
  return options.tracer!.startSpan('cache.lookup operation', {
    attributes: {
      'cache.tier': 'operation',
      'cache.coordinate': '(operation)',
      ...(options.backend ? { 'cache.backend': options.backend() } : {}),
      ...(status ? { 'cache.status': status } : {}),
    },
  });
}

function operationOf(body: Record<string, unknown>) {
  const extensions = isRecord(body.extensions) ? body.extensions : undefined;
  const persisted = extensions && isRecord(extensions.persistedQuery) ? extensions.persistedQuery : undefined;
  return {
    query: stringOr(body.query),
    persistedQueryHash: stringOr(persisted?.sha256Hash),
    operationName: stringOr(body.operationName) ?? null,
    variables: body.variables,
  };
}

function sendHit(res: ServerResponse, tier: OperationTier, entry: OperationEntry, done: () => void): void {
  const report = tier.reportOf(entry);
  const body = `{"data":${entry.data},"extensions":{"cache":${JSON.stringify(report)}}}\n`;
  res.writeHead(200, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(body),
    'x-cache': report.status,
    ...entry.headers,
    // A stale value is past its life: no HTTP cache may keep it (the stored header was for a fresh one).
    ...(report.status === 'STALE' ? { 'cache-control': 'no-store' } : undefined),
  });
  res.end(body);
  done();
}

/** The same answer Express's JSON error handler gives. */
function sendError(res: ServerResponse, status: number, message: string): void {
  const body = JSON.stringify({ errors: [{ message, extensions: { code: 'BAD_REQUEST' } }] });
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(body),
  });
  res.end(body);
}

function readBody(
  req: IncomingMessage,
  limit: number,
  done: (error: 'too large' | 'aborted' | null, text: string) => void,
): void {
  const chunks: Buffer[] = [];
  let size = 0;
  let finished = false;
  const finish = (error: 'too large' | 'aborted' | null) => {
    if (finished) return;
    finished = true;
    done(error, error ? '' : Buffer.concat(chunks, size).toString('utf8'));
  };
  req.on('data', (chunk: Buffer) => {
    size += chunk.length;
    if (size > limit) {
      finish('too large');
      req.resume();
      return;
    }
    chunks.push(chunk);
  });
  req.on('end', () => finish(null));
  req.on('error', () => finish('aborted'));
}

function isGraphqlPath(url: string | undefined): boolean {
  if (!url) return false;
  const q = url.indexOf('?');
  return (q === -1 ? url : url.slice(0, q)) === '/graphql';
}

function isJson(contentType: string | undefined): boolean {
  return !!contentType && /^application\/(graphql-response\+)?json\b/i.test(contentType);
}

function header(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

function stringOr(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
