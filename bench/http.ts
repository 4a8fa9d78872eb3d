import { Agent, request } from 'node:http';

/**
 * A small keep-alive HTTP client for the checks and the read/update mix. node:http rather than fetch:
 * the load generator shares two cores with the server under test, and fetch costs several times more
 * CPU per request.
 */
export interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  /** The raw response body. */
  text: string;
}

export interface GraphQLBody {
  query: string;
  operationName?: string;
  variables?: Record<string, unknown>;
}

export function createClient(url: string, connections: number, scheduling: 'lifo' | 'fifo' = 'lifo') {
  // `fifo` keeps every pooled socket busy under a steady load: with `lifo` (Node's default) a socket
  // left idle past the server's keep-alive timeout (5 s) may be reused just as the server closes it.
  const agent = new Agent({ keepAlive: true, maxSockets: connections, scheduling });
  const target = new URL(url);
  const post = (body: string, headers: Record<string, string>): Promise<Reply> =>
    new Promise((resolve, reject) => {
      const req = request(
        {
          agent,
          host: target.hostname,
          port: target.port,
          path: target.pathname,
          method: 'POST',
          headers: {
            ...headers,
            'content-type': 'application/json',
            'content-length': String(Buffer.byteLength(body)),
          },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () =>
            resolve({
              status: res.statusCode ?? 0,
              headers: res.headers,
              text: Buffer.concat(chunks).toString('utf8'),
            }),
          );
          res.on('error', reject);
        },
      );
      req.setTimeout(30_000, () => req.destroy(new Error(`no answer from ${url} within 30 s`)));
      req.on('error', reject);
      req.end(body);
    });
  return {
    post,
    /** POSTs a GraphQL request and parses the answer (a non-JSON body comes back as `{ raw }`). */
    async graphql(
      body: GraphQLBody,
      headers: Record<string, string> = {},
    ): Promise<{ status: number; json: GraphQLResult; text: string }> {
      const reply = await post(JSON.stringify(body), headers);
      let json: GraphQLResult;
      try {
        json = JSON.parse(reply.text) as GraphQLResult;
      } catch {
        json = { raw: reply.text };
      }
      return { status: reply.status, json, text: reply.text };
    },
    close: () => agent.destroy(),
  };
}

export type BenchClient = ReturnType<typeof createClient>;

export interface GraphQLResult {
  data?: Record<string, unknown> | null;
  errors?: { message: string; extensions?: { code?: string } }[];
  extensions?: Record<string, unknown>;
  raw?: string;
}

export const bearer = (secret: string): Record<string, string> => ({ authorization: `Bearer ${secret}` });

/** The error codes of a result, in order ([] when it has none). */
export const errorCodes = (result: GraphQLResult): string[] =>
  (result.errors ?? []).map((e) => e.extensions?.code ?? 'NO_CODE');
