import type { IncomingMessage } from 'node:http';
import proxyaddr from 'proxy-addr';

/**
 * Which proxies in front of the server are trusted to say who the client is (`X-Forwarded-For`):
 * a number of hops (the proxies directly in front, e.g. 1 for one load balancer), or addresses and
 * subnets (`10.0.0.0/8`, `loopback`, `uniquelocal`...). 0 trusts none: the client is the socket's peer.
 */
export type TrustProxy = number | readonly string[];

/** Parses `TRUST_PROXY`; throws a message for the configuration error when it is not valid. */
export function parseTrustProxy(raw: string | undefined): TrustProxy {
  const text = (raw ?? '').trim();
  if (text === '' || text === 'false') return 0;
  if (/^\d+$/.test(text)) {
    const hops = Number(text);
    if (hops > 100)
      throw new Error(`TRUST_PROXY must be a number of hops (0-100) or addresses, got: ${JSON.stringify(raw)}`);
    return hops;
  }
  const entries = text
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  try {
    proxyaddr.compile(entries);
  } catch (err) {
    throw new Error(
      `TRUST_PROXY must be a number of hops or comma-separated addresses/subnets (e.g. 10.0.0.0/8, loopback), got: ${JSON.stringify(raw)} (${(err as Error).message})`,
    );
  }
  return Object.freeze(entries);
}

/** The client's address as the trusted proxies report it (`X-Forwarded-For`), or the socket's peer. */
export function clientIpResolver(trust: TrustProxy): (req: IncomingMessage) => string {
  if (trust === 0) return (req) => req.socket.remoteAddress ?? 'unknown';
  const trusted = typeof trust === 'number' ? (_addr: string, i: number) => i < trust : proxyaddr.compile([...trust]);
  return (req) => {
    if (!req.socket.remoteAddress) return 'unknown';
    return proxyaddr(req as Parameters<typeof proxyaddr>[0], trusted);
  };
}
