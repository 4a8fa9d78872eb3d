import { createClient } from './http';
import type { Variant } from './workloads';

export const CONNECTIONS = 16;

export interface LoadResult {
  rps: number;
  p50: number;
  p99: number;
  /** Socket errors, timeouts, non-2xx answers, and bodies carrying GraphQL `errors`. */
  errors: number;
  /** Average response size (headers included), to tell a slower server from a bigger answer. */
  bytes: number;
}

/**
 * autocannon from bench/node_modules (loaded on first use: `npm run bench` installs it just before).
 * The root's @types/autocannon describe it.
 */
function autocannon(): typeof import('autocannon') {
  return require(require.resolve('autocannon', { paths: [__dirname] })) as typeof import('autocannon');
}

/**
 * Warms a target up with the workload's own requests (JIT, connections, first misses) on our client:
 * autocannon counts time in whole seconds, too coarse for a short warm-up.
 */
export async function warmUp(url: string, variants: Variant[], seconds: number): Promise<void> {
  const client = createClient(url, CONNECTIONS);
  const until = Date.now() + seconds * 1000;
  const loop = async (offset: number) => {
    for (let i = offset; Date.now() < until; i++) {
      const v = variants[i % variants.length]!;
      await client.post(v.body, v.headers);
    }
  };
  try {
    await Promise.all(Array.from({ length: CONNECTIONS }, (_, i) => loop(i)));
  } finally {
    client.close();
  }
}

/** autocannon on `url` for `seconds` (whole seconds), each connection cycling through the variants (e.g. 10 keys in turn). */
export async function runLoad(url: string, variants: Variant[], seconds: number): Promise<LoadResult> {
  const run = autocannon();
  const result = await run({
    url,
    connections: CONNECTIONS,
    duration: seconds,
    requests: variants.map((v) => ({
      method: 'POST',
      headers: { ...v.headers, 'content-type': 'application/json' },
      body: v.body,
    })),
    // autocannon cannot check bodies beyond this: a GraphQL error still comes with HTTP 200.
    verifyBody: (body) => typeof body === 'string' && !body.includes('"errors"'),
  });
  return {
    rps: result.requests.average,
    p50: result.latency.p50,
    p99: result.latency.p99,
    errors: result.errors + result.timeouts + result.non2xx + result.mismatches,
    bytes: result.requests.total > 0 ? result.throughput.total / result.requests.total : NaN,
  };
}
