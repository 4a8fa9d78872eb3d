import { writeFileSync } from 'node:fs';
import { type BenchClient, bearer, createClient, errorCodes, type GraphQLBody } from './http';
import type { Dataset } from './seed-db';
import { MIX_READ, MIX_WRITE, WORKLOADS } from './workloads';

/**
 * Before a target is measured it must give the same data as our server with the cache off (the
 * reference), and refuse what the contract refuses even after an allowed caller filled its cache.
 * A target failing a check is reported and not measured: a fast wrong answer is no result.
 */

interface Probe {
  name: string;
  body: GraphQLBody;
  headers: Record<string, string>;
  /** The error code the contract demands; none: data equal to the reference's. */
  code?: string;
}

/** Workload requests plus the contract's edges, in an order where each refusal follows an allowed, cacheable request. */
function probes(ds: Dataset): Probe[] {
  const [key0, key1] = ds.userKeys as [string, string];
  const [self, other] = ds.userIds as [string, string];
  const admin = bearer(ds.adminKey);
  const pageQuery = WORKLOADS.find((w) => w.id === 'users-page')!.query;
  const others = { query: `{ user(id: "${other}") { id apiKeys { id name } } }` };
  const list: Probe[] = WORKLOADS.flatMap((w) =>
    w
      .variants(ds)
      .map((v, i) => ({ name: `${w.id} #${i + 1}`, body: JSON.parse(v.body) as GraphQLBody, headers: v.headers })),
  );
  list.push(
    {
      name: 'mix read',
      body: { query: MIX_READ, operationName: 'MixRead', variables: { id: self } },
      headers: bearer(key0),
    },
    { name: 'own apiKeys', body: { query: '{ apiKeys { id name prefix } }' }, headers: bearer(key0) },
    { name: 'me by X-API-Key', body: { query: '{ me { id email } }' }, headers: { 'x-api-key': key1 } },
    { name: "ADMIN reads another user's keys", body: others, headers: admin },
    {
      name: 'a second page',
      body: { query: '{ users(page: 2, size: 5) { total page size items { id email } } }' },
      headers: admin,
    },
    { name: 'users as USER (after ADMIN)', body: { query: pageQuery }, headers: bearer(key0), code: 'FORBIDDEN' },
    { name: 'users as USER, again', body: { query: pageQuery }, headers: bearer(key0), code: 'FORBIDDEN' },
    { name: "USER reads another user's keys", body: others, headers: bearer(key0), code: 'FORBIDDEN' },
    {
      name: 'apiKeys(userId) of another user as USER',
      body: { query: `{ apiKeys(userId: "${other}") { id } }` },
      headers: bearer(key0),
      code: 'FORBIDDEN',
    },
    {
      name: 'updateUser of another user as USER',
      body: { query: `mutation { updateUser(id: "${other}", input: { fullName: "x" }) { id } }` },
      headers: bearer(key0),
      code: 'FORBIDDEN',
    },
    { name: 'me without a key', body: { query: '{ me { id email } }' }, headers: {}, code: 'UNAUTHENTICATED' },
    {
      name: 'user without a key (after USERs)',
      body: { query: '{ user(id: "7") { id email fullName } }' },
      headers: {},
      code: 'UNAUTHENTICATED',
    },
    {
      name: 'an unknown key',
      body: { query: '{ me { id } }' },
      headers: bearer('gqk_not-a-key'),
      code: 'UNAUTHENTICATED',
    },
  );
  return list;
}

export type Reference = Map<string, string>;

/** The data of every probe that expects data, from our server with the cache off. */
export async function captureReference(url: string, ds: Dataset): Promise<Reference> {
  const client = createClient(url, 1);
  const reference: Reference = new Map();
  try {
    for (const p of probes(ds)) {
      if (p.code) continue;
      const { json, text } = await client.graphql(p.body, p.headers);
      if (errorCodes(json).length > 0 || !json.data)
        throw new Error(`reference ${p.name} failed: ${text.slice(0, 300)}`);
      reference.set(p.name, JSON.stringify(json.data));
    }
    return reference;
  } finally {
    client.close();
  }
}

export interface Verdict {
  problems: string[];
  /** Facts worth reporting that do not disqualify (a library's documented freshness). */
  notes: string[];
}

async function checkProbe(client: BenchClient, p: Probe, reference: Reference): Promise<string | null> {
  // Twice: the second answer is the one a cache serves.
  for (const attempt of [1, 2]) {
    const { json, text } = await client.graphql(p.body, p.headers);
    const codes = errorCodes(json);
    if (p.code) {
      if (!codes.includes(p.code)) return `${p.name}: expected ${p.code}, got ${text.slice(0, 200)}`;
      const leaked = Object.values(json.data ?? {}).some((v) => v !== null);
      if (leaked) return `${p.name}: ${p.code} but data was served: ${text.slice(0, 200)}`;
    } else if (codes.length > 0 || JSON.stringify(json.data) !== reference.get(p.name)) {
      return `${p.name} (request ${attempt}): data differs from the reference: ${text.slice(0, 200)}`;
    }
  }
  return null;
}

/** An update must be visible to the next read; restores the name afterwards so every target keeps the same data. */
async function checkFreshness(client: BenchClient, ds: Dataset): Promise<string | null> {
  const id = ds.userIds[0]!;
  const readName = async () => {
    const { json } = await client.graphql(
      { query: MIX_READ, operationName: 'MixRead', variables: { id } },
      bearer(ds.userKeys[1]!),
    );
    return (json.data?.user as { fullName?: string } | undefined)?.fullName;
  };
  const rename = (fullName: string) =>
    client.graphql({ query: MIX_WRITE, operationName: 'MixWrite', variables: { id, fullName } }, bearer(ds.adminKey));
  const original = await readName();
  await rename('Fresh Check');
  const after = await readName();
  await rename(original ?? '');
  return after === 'Fresh Check'
    ? null
    : `a read right after an acknowledged update returned the old name (${JSON.stringify(after)})`;
}

export async function verifyTarget(url: string, ds: Dataset, reference: Reference): Promise<Verdict> {
  const client = createClient(url, 1);
  try {
    const problems: string[] = [];
    for (const p of probes(ds)) {
      const problem = await checkProbe(client, p, reference);
      if (problem) problems.push(problem);
    }
    const stale = await checkFreshness(client, ds);
    return { problems, notes: stale ? [stale] : [] };
  } finally {
    client.close();
  }
}

/**
 * Records, for the ceiling, what our cached server answers to each workload request (the second
 * answer: a cache hit), and the mix users' initial state.
 */
export async function captureReplay(url: string, ds: Dataset, file: string): Promise<void> {
  const client = createClient(url, 1);
  try {
    const entries = [];
    for (const w of WORKLOADS) {
      for (const v of w.variants(ds)) {
        await client.post(v.body, v.headers);
        entries.push({ headers: v.headers, body: v.body, response: (await client.post(v.body, v.headers)).text });
      }
    }
    const mixUsers = [];
    for (const id of ds.userIds) {
      const { json } = await client.graphql(
        { query: MIX_READ, operationName: 'MixRead', variables: { id } },
        bearer(ds.userKeys[0]!),
      );
      mixUsers.push(json.data?.user);
    }
    writeFileSync(file, JSON.stringify({ entries, mixUsers }));
  } finally {
    client.close();
  }
}
