import { type BenchClient, createClient, errorCodes } from './http';
import { CONNECTIONS } from './load';
import type { Dataset } from './seed-db';
import { MIX_READ, MIX_WRITE } from './workloads';

/** Share of the mix's operations that are updates. */
export const WRITE_SHARE = 0.05;

export interface MixResult {
  opsPerSec: number;
  reads: number;
  writes: number;
  /** Reads that started after an update of that user was acknowledged and still returned an older name. */
  stale: number;
  errors: number;
  p50: number;
  p99: number;
}

/**
 * Per user: the versions written so far. Every update writes a new name `Mix <id> v<n>`, and updates
 * of one user never overlap (a worker skips a user being written), so versions of a user are
 * acknowledged in order and "older" is a comparison of numbers.
 */
interface UserState {
  id: string;
  issued: number;
  acked: number;
  writing: boolean;
}

interface Tally {
  reads: number;
  writes: number;
  stale: number;
  errors: number;
  latencies: number[];
}

const versionOf = (name: unknown): number => Number(/ v(\d+)$/.exec(String(name))?.[1] ?? 0);

/** A small deterministic generator, so that every target gets the same sequence of choices. */
function random(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = Math.imul(s ^ (s >>> 15), 1 | s);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
}

async function read(client: BenchClient, user: UserState, key: string, tally: Tally): Promise<void> {
  const ackedAtStart = user.acked;
  const { status, json } = await client.graphql(
    { query: MIX_READ, operationName: 'MixRead', variables: { id: user.id } },
    { authorization: `Bearer ${key}` },
  );
  tally.reads++;
  const got = json.data?.user as { id?: string; fullName?: string } | null | undefined;
  if (status !== 200 || errorCodes(json).length > 0 || got?.id !== user.id) tally.errors++;
  else if (versionOf(got.fullName) < ackedAtStart) tally.stale++;
}

async function write(client: BenchClient, user: UserState, adminKey: string, tally: Tally): Promise<void> {
  const version = ++user.issued;
  user.writing = true;
  try {
    const variables = { id: user.id, fullName: `Mix ${user.id} v${version}` };
    const { status, json } = await client.graphql(
      { query: MIX_WRITE, operationName: 'MixWrite', variables },
      { authorization: `Bearer ${adminKey}` },
    );
    tally.writes++;
    if (status !== 200 || errorCodes(json).length > 0) tally.errors++;
    else user.acked = version;
  } finally {
    user.writing = false;
  }
}

async function worker(
  client: BenchClient,
  ds: Dataset,
  users: UserState[],
  until: number,
  rand: () => number,
  tally: Tally,
): Promise<void> {
  let turn = 0;
  while (Date.now() < until) {
    const user = users[Math.floor(rand() * users.length)]!;
    const started = performance.now();
    try {
      if (rand() < WRITE_SHARE && !user.writing) await write(client, user, ds.adminKey, tally);
      else await read(client, user, ds.userKeys[turn++ % ds.userKeys.length]!, tally);
    } catch {
      tally.errors++; // socket error or timeout
    }
    tally.latencies.push(performance.now() - started);
  }
}

async function phase(
  client: BenchClient,
  ds: Dataset,
  users: UserState[],
  seconds: number,
  seed: number,
): Promise<Tally> {
  const tally: Tally = { reads: 0, writes: 0, stale: 0, errors: 0, latencies: [] };
  const until = Date.now() + seconds * 1000;
  await Promise.all(
    Array.from({ length: CONNECTIONS }, (_, i) => worker(client, ds, users, until, random(seed + i), tally)),
  );
  return tally;
}

const percentile = (sorted: number[], p: number) =>
  sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]! : NaN;

/**
 * 95 % reads of `user(id)` (10 USER keys in turn) and 5 % `updateUser(fullName)` as ADMIN, over the
 * 10 users those keys belong to, on CONNECTIONS concurrent loops. A warm-up with the same state
 * comes first and is not counted.
 */
export async function runMix(url: string, ds: Dataset, warmSeconds: number, seconds: number): Promise<MixResult> {
  const client = createClient(url, CONNECTIONS);
  const users: UserState[] = ds.userIds.map((id) => ({ id, issued: 0, acked: 0, writing: false }));
  try {
    await phase(client, ds, users, warmSeconds, 1);
    const t = await phase(client, ds, users, seconds, 1000);
    const sorted = t.latencies.sort((a, b) => a - b);
    return {
      opsPerSec: (t.reads + t.writes) / seconds,
      reads: t.reads,
      writes: t.writes,
      stale: t.stale,
      errors: t.errors,
      p50: percentile(sorted, 50),
      p99: percentile(sorted, 99),
    };
  } finally {
    client.close();
  }
}
