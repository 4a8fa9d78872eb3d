import type { IncomingMessage, ServerResponse } from 'node:http';
import { type RateLimiterAbstract, RateLimiterMemory, RateLimiterRedis, RateLimiterRes } from 'rate-limiter-flexible';
import { hashApiKeySecret, secretFromHeaders } from '../auth/api-key-secret';
import type { Logger } from '../logger';
import { clientIpResolver, type TrustProxy } from './client-ip';

type Next = () => void;

/** The HTTP handler in front of everything else on `/graphql`, and what to close with the app. */
export interface RateLimitHandler {
  (req: IncomingMessage, res: ServerResponse, next: Next): void;
  /** Closes its Redis client, if any. */
  close(): Promise<void>;
}

export interface RateLimitOptions {
  points: number;
  windowSeconds: number;
  /** Redis shared by every instance (one server by URL, or a cluster); memory (per process) when undefined. */
  redis?: {
    url: string | undefined;
    cluster?: { nodes: readonly string[]; password: string | undefined } | undefined;
    timeoutMs: number;
  };
  /** Proxies trusted to name the client, for requests without a key (default: none, the socket's peer). */
  trustProxy?: TrustProxy;
  logger: Logger;
}

/**
 * Rate limiting per API key (the SHA-256 of the presented secret, whether or not it is valid) and per
 * client IP for requests without one: `points` requests per `windowSeconds` on `POST`/`GET /graphql`.
 * Over the budget: 429 with `Retry-After`. It runs before the operation tier, so cached answers count too.
 *
 * On Redis, every instance shares one budget; when Redis is down or slow the in-process insurance limiter
 * decides instead, so an outage never turns into a refusal.
 */
export function createRateLimit(options: RateLimitOptions): RateLimitHandler {
  const { points, windowSeconds: duration, logger } = options;
  const clientIp = clientIpResolver(options.trustProxy ?? 0);
  const insurance = new RateLimiterMemory({ points, duration, keyPrefix: 'rl' });
  let limiter: RateLimiterAbstract = insurance;
  let close = async () => {};
  let deadlineMs = 0;
  let onRedisFailure = () => {};
  if (options.redis) {
    // Loaded only with Redis on, like the cache's Redis store.
    const { createClient, createCluster } = require('@keyv/redis') as typeof import('@keyv/redis');
    let closed = false;
    const connection = {
      disableOfflineQueue: true, // fail at once while disconnected: the insurance limiter answers
      socket: {
        connectTimeout: 1000,
        reconnectStrategy: (retries: number) => (closed ? false : Math.min(100 * 2 ** retries, 2000)),
      },
    };
    const { cluster } = options.redis;
    const rootNodes = cluster?.nodes.map((node) => {
      const at = node.lastIndexOf(':');
      return { socket: { host: node.slice(0, at).replace(/^\[(.*)\]$/, '$1'), port: Number(node.slice(at + 1)) } };
    });
    const client = (
      cluster
        ? createCluster({
            rootNodes: rootNodes!,
            defaults: { ...connection, ...(cluster.password ? { password: cluster.password } : {}) },
          })
        : createClient({ url: options.redis.url, ...connection })
    ) as ReturnType<typeof createClient>;
    let reported = false;
    const onError = (err: Error) => {
      if (reported) return;
      reported = true;
      logger.warn({ err: err.message }, 'rate limit: Redis unreachable, counting in memory until it is back');
    };
    client.on('error', onError);
    client.on('node-error', onError);
    client.on('ready', () => {
      reported = false;
    });
    const connect = () => client.connect().catch(() => undefined);
    connect();
    if (cluster) {
      // A cluster client learns of a promoted replica only from a MOVED, which a dead master never sends
      // (and the limiter's errors go to the insurance limiter unseen): on each failed reconnection of a node,
      // or a call past its deadline, at most once a second, ask for the topology again (or connect again).
      let last = 0;
      onRedisFailure = () => {
        if (closed || Date.now() - last < 1000) return;
        last = Date.now();
        const c = client as unknown as {
          isOpen: boolean;
          _slots: { rediscover(start: unknown): Promise<void> };
        };
        if (!c.isOpen) {
          connect();
          return;
        }
        c._slots.rediscover({ options: rootNodes![0] }).catch(() => undefined);
      };
      client.on('node-error', () => onRedisFailure());
    }
    limiter = new RateLimiterRedis({
      storeClient: client,
      useRedisPackage: true,
      rejectIfRedisNotReady: true,
      points,
      duration,
      keyPrefix: 'rl',
      insuranceLimiter: insurance,
    });
    deadlineMs = Math.max(options.redis.timeoutMs, 250);
    close = async () => {
      closed = true;
      if (client.isOpen) client.destroy();
    };
  }

  /** Consumes one point; a paused Redis gets `deadlineMs`, then the insurance limiter decides. */
  const consume = (key: string): Promise<RateLimiterRes> => {
    if (!deadlineMs) return limiter.consume(key);
    return new Promise((resolve, reject) => {
      let settled = false;
      const timer = setTimeout(() => {
        settled = true;
        onRedisFailure();
        insurance.consume(key).then(resolve, reject);
      }, deadlineMs);
      const settle = (done: () => void) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        done();
      };
      limiter.consume(key).then(
        (r) => settle(() => resolve(r)),
        (e) => settle(() => reject(e)),
      );
    });
  };

  const handler = ((req, res, next) => {
    if ((req.method !== 'POST' && req.method !== 'GET') || !isGraphqlPath(req.url)) return next();
    const secret = secretFromHeaders({ get: (name) => header(req.headers[name]) });
    const key = secret ? hashApiKeySecret(secret) : `ip:${clientIp(req)}`;
    consume(key).then(
      () => next(),
      (rejection: unknown) => {
        if (rejection instanceof RateLimiterRes) return sendTooMany(res, rejection.msBeforeNext);
        // Never refuse because the limiter itself failed.
        logger.warn({ err: String(rejection) }, 'rate limit: limiter failed, request let through');
        next();
      },
    );
  }) as RateLimitHandler;
  handler.close = () => close();
  return handler;
}

function sendTooMany(res: ServerResponse, msBeforeNext: number): void {
  const retryAfter = Math.max(1, Math.ceil(msBeforeNext / 1000));
  const body = JSON.stringify({
    errors: [
      {
        message: `Too many requests: the rate limit is reached, retry after ${retryAfter} s.`,
        extensions: { code: 'RATE_LIMITED', retryAfter },
      },
    ],
  });
  res.writeHead(429, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(body),
    'retry-after': String(retryAfter),
  });
  res.end(body);
}

function isGraphqlPath(url: string | undefined): boolean {
  if (!url) return false;
  const q = url.indexOf('?');
  return (q === -1 ? url : url.slice(0, q)) === '/graphql';
}

function header(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}
