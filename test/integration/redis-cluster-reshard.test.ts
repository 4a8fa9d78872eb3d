/**
 * A live resharding of a Redis Cluster under load (not a failover): the hash slot of a user's namespace
 * generation token (and, when it is elsewhere, the slot of one of that user's resolver entries) moves
 * from its master to another one with the real protocol: SETSLOT IMPORTING on the target, MIGRATING on
 * the source, MIGRATE of the slot's keys in batches, SETSLOT NODE on every master. Meanwhile two
 * instances (one SQLite file) read that user and rename them, alternating instances.
 *
 * The slot stays half-migrated (its keys on the target, the source answering ASK for them) until the
 * source has answered at least one ASK: the instances' cluster clients must follow ASK (with ASKING)
 * during the migration and MOVED after it, or their calls for that slot fail (counted by the source's
 * `INFO errorstats`; what reached the target for the token's key is seen by MONITOR there).
 *
 * Asserted: no failed request, no stale read (a read that started after an acknowledged rename, on
 * either instance, never returns an older name), the token on the target, both instances on the
 * `redis` backend (or, if one fell back, still no stale read), and a rename on A read at once on B.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { createClient } from '@keyv/redis';
import { hashArgs } from '../../src/cache/cache-key';
import { counterOf, findStaleReads, type NameRead, type NameWrite, percentile } from '../faults/load';
import { cacheReport } from '../helpers/cache-report';
import { useClusterPair } from '../helpers/instance-pair';
import type { TestRedisCluster } from '../helpers/redis-cluster';
import type { TestApp } from '../helpers/test-app';
import { eventually, readyBackend } from '../helpers/wait';

const ADMIN_KEY = 'gqk_cluster-reshard-admin-key-00000000000000';
const USER = 'query ReshardUser($id: ID!) { user(id: $id) { id fullName } }';
const ME = 'query ReshardMe { me { id fullName } }';
const UPDATE =
  'mutation ReshardRename($id: ID!, $name: String!) { updateUser(id: $id, input: { fullName: $name }) { id fullName } }';
const READERS = 4;
const BASELINE_MS = 800;
/** Longest time the slot stays half-migrated waiting for an ASK. */
const MAX_ASK_WAIT_MS = 3000;
const AFTER_MS = 1000;

interface Sample {
  op: string;
  instance: string;
  start: number;
  end: number;
  ok: boolean;
  detail?: string;
}

/** Reads of one user (user(id) as admin, me as the user) on both instances, and renames alternating instances. */
class ReshardLoad {
  readonly samples: Sample[] = [];
  readonly nameReads: NameRead[] = [];
  readonly nameWrites: NameWrite[] = [];
  readonly keysReads = [];
  readonly keysCreated = [];
  #running = false;
  #workers: Promise<void>[] = [];
  #counter = 0;

  constructor(
    private readonly instances: { name: string; url: string }[],
    private readonly userId: string,
    private readonly userKey: string,
  ) {}

  start(): void {
    this.#running = true;
    for (let w = 0; w < READERS; w++) this.#workers.push(this.#reader(w));
    this.#workers.push(this.#renamer());
  }

  async stop(): Promise<void> {
    this.#running = false;
    await Promise.all(this.#workers);
  }

  async #send(op: string, instance: { name: string; url: string }, key: string, query: string, variables = {}) {
    const start = Date.now();
    const sample: Sample = { op, instance: instance.name, start, end: start, ok: false };
    this.samples.push(sample);
    try {
      const res = await fetch(instance.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
        body: JSON.stringify({ query, variables }),
        signal: AbortSignal.timeout(10_000),
      });
      const text = await res.text();
      sample.end = Date.now();
      const body = JSON.parse(text) as { data?: Record<string, { id: string; fullName: string }>; errors?: unknown };
      const user = body.data && Object.values(body.data)[0];
      if (res.status !== 200 || body.errors || user?.id !== this.userId) {
        sample.detail = `HTTP ${res.status}: ${text.slice(0, 200)}`;
        return undefined;
      }
      sample.ok = true;
      return { start, fullName: user.fullName, sample };
    } catch (error) {
      sample.end = Date.now();
      sample.detail = `transport: ${(error as Error).message}`;
      return undefined;
    }
  }

  async #reader(w: number): Promise<void> {
    for (let i = w; this.#running; i++) {
      const instance = this.instances[i % this.instances.length]!;
      const asMe = Math.floor(i / this.instances.length) % 2 === 1;
      const op = asMe ? 'me' : 'user(id)';
      const r = asMe
        ? await this.#send(op, instance, this.userKey, ME)
        : await this.#send(op, instance, ADMIN_KEY, USER, { id: this.userId });
      if (r) {
        this.nameReads.push({
          userId: this.userId,
          counter: counterOf(r.fullName),
          start: r.start,
          instance: instance.name,
          op,
        });
      }
    }
  }

  async #renamer(): Promise<void> {
    for (let i = 0; this.#running; i++) {
      const counter = ++this.#counter;
      const r = await this.#send('rename', this.instances[i % 2]!, ADMIN_KEY, UPDATE, {
        id: this.userId,
        name: `n${counter}`,
      });
      if (r && r.fullName !== `n${counter}`) {
        r.sample.ok = false;
        r.sample.detail = `rename to n${counter} answered ${r.fullName}`;
      } else if (r) {
        this.nameWrites.push({ userId: this.userId, counter, ackAt: Date.now() });
      }
      await sleep(25);
    }
  }
}

describe('a Redis Cluster slot resharded under load (two instances, SQLite)', () => {
  const pair = useClusterPair(ADMIN_KEY);
  let cluster: TestRedisCluster;
  let a: TestApp;
  let b: TestApp;
  beforeAll(() => {
    ({ cluster, a, b } = pair);
  });

  const cli = (port: number, ...args: string[]) => cluster.cli(port, ...args).then((out) => out.trim());
  const lines = (out: string) => out.split('\n').filter(Boolean);
  const nodeId = (port: number) => cli(port, 'CLUSTER', 'MYID');
  /** ASK and MOVED errors answered by all masters so far (INFO errorstats). */
  const redirections = async (ports: number[]) => {
    const total = { ask: 0, moved: 0 };
    for (const port of ports) {
      const info = await cli(port, 'INFO', 'errorstats');
      total.ask += Number(/errorstat_ASK:count=(\d+)/.exec(info)?.[1] ?? 0);
      total.moved += Number(/errorstat_MOVED:count=(\d+)/.exec(info)?.[1] ?? 0);
    }
    return total;
  };

  it('0 failed requests, 0 stale reads while the slot of a generation token moves to another master', async () => {
    // 1. A user, read on both instances: its entries and its namespace's generation token are in Redis.
    const user = await a.createUser();
    await a.admin.ok(UPDATE, { id: user.id, name: 'n0' });
    for (const t of [a, b]) await t.admin.ok(USER, { id: user.id });
    expect(cacheReport(await b.admin.request(USER, { id: user.id }))?.status).toBe('HIT');

    const tokenKey = a.app.cache!.resolverCache.evictor.generations.keyOf(`user:${user.id}`);
    const tokenSlot = Number(await cli(cluster.ports[0]!, 'CLUSTER', 'KEYSLOT', tokenKey));
    const masters = await cluster.masters();
    const source = await cluster.masterOf(tokenSlot);
    const target = masters.find((p) => p !== source)!;
    expect(await cli(source, 'EXISTS', tokenKey)).toBe('1');
    // One of the user's resolver entries (Query.user with these arguments), on whichever master holds it.
    const entryPattern = `gqlc:Query.user:*:${hashArgs({ id: user.id })}:*`;
    let entryKey: string | undefined;
    for (const port of masters) {
      entryKey ??= lines(await cli(port, '--scan', '--pattern', entryPattern))[0];
    }
    const entrySlot = entryKey === undefined ? undefined : Number(await cli(source, 'CLUSTER', 'KEYSLOT', entryKey));
    const moves: { slot: number; from: number; to: number; what: string }[] = [
      { slot: tokenSlot, from: source, to: target, what: `token ${tokenKey}` },
    ];
    if (entryKey !== undefined && entrySlot !== tokenSlot) {
      const from = await cluster.masterOf(entrySlot!);
      moves.push({ slot: entrySlot!, from, to: masters.find((p) => p !== from)!, what: `entry ${entryKey}` });
    }
    const ids = new Map(await Promise.all(masters.map(async (p) => [p, await nodeId(p)] as const)));

    // MONITOR on the target: the instances' commands for the token's key that reach it. They can only
    // get there by following a redirection (ASK while the slot migrates, MOVED after): their cluster
    // clients were told the source serves the slot and rediscover only on MOVED (or a failed ping).
    const monitor = createClient({ socket: { host: '127.0.0.1', port: target } });
    await monitor.connect();
    const atTarget = { asked: 0, direct: 0, asking: 0 };
    const lastCommandOf = new Map<string, string>();
    await monitor.monitor((line: string) => {
      const m = /^[\d.]+ \[\d+ ([^\]]+)\] "([^"]+)"/.exec(line);
      if (!m) return;
      const from = m[1]!;
      const cmd = m[2]!.toLowerCase();
      if (cmd === 'asking') atTarget.asking++;
      else if (['get', 'mget', 'set'].includes(cmd) && line.includes(`"${tokenKey}"`)) {
        // ASKING then the command, on one connection: a call that followed an ASK.
        if (lastCommandOf.get(from) === 'asking') atTarget.asked++;
        else atTarget.direct++;
      }
      lastCommandOf.set(from, cmd);
    });

    const seen: { t: number; backends: string[] }[] = [];
    let watching = true;
    const watch = (async () => {
      while (watching) {
        seen.push({ t: Date.now(), backends: [await readyBackend(a), await readyBackend(b)] });
        await sleep(50);
      }
    })();
    const load = new ReshardLoad(
      [
        { name: 'A', url: a.url },
        { name: 'B', url: b.url },
      ],
      user.id,
      user.key,
    );
    const before = await redirections(masters);
    const t0 = Date.now();
    let migratedAt = 0;
    let askWaitMs = 0;
    let nodeAt = 0;
    let keysMoved = 0;
    let batches = 0;
    load.start();
    try {
      await sleep(BASELINE_MS);
      // 2. The real protocol, slot by slot.
      for (const move of moves) {
        await cli(move.to, 'CLUSTER', 'SETSLOT', String(move.slot), 'IMPORTING', ids.get(move.from)!);
        await cli(move.from, 'CLUSTER', 'SETSLOT', String(move.slot), 'MIGRATING', ids.get(move.to)!);
      }
      for (const move of moves) {
        while (true) {
          const keys = lines(await cli(move.from, 'CLUSTER', 'GETKEYSINSLOT', String(move.slot), '10'));
          if (keys.length === 0) break;
          const reply = await cli(move.from, 'MIGRATE', '127.0.0.1', String(move.to), '', '0', '5000', 'KEYS', ...keys);
          expect(reply).toBe('OK');
          keysMoved += keys.length;
          batches++;
        }
      }
      migratedAt = Date.now();
      // Half-migrated: the keys on the target, the slots still the source's. Held until an ASK was answered.
      while ((await redirections(masters)).ask === before.ask && Date.now() - migratedAt < MAX_ASK_WAIT_MS) {
        await sleep(20);
      }
      askWaitMs = Date.now() - migratedAt;
      // Nothing was left or created on the source meanwhile (MIGRATING answers ASK for a key it does not hold).
      for (const move of moves) {
        expect(await cli(move.from, 'CLUSTER', 'COUNTKEYSINSLOT', String(move.slot))).toBe('0');
        // The target first, then the source, then the other masters.
        for (const port of [move.to, move.from, ...masters.filter((p) => p !== move.to && p !== move.from)]) {
          await cli(port, 'CLUSTER', 'SETSLOT', String(move.slot), 'NODE', ids.get(move.to)!);
        }
      }
      nodeAt = Date.now();
      await eventually(async () => {
        for (const move of moves) if ((await cluster.masterOf(move.slot)) !== move.to) return false;
        return true;
      }, 5000);
      await sleep(AFTER_MS);
    } finally {
      await load.stop();
      watching = false;
      await watch;
      monitor.destroy();
    }
    const after = await redirections(masters);

    // 3. After the move: a rename on one instance is read at once on the other (eviction on the moved slot).
    const backMs = await eventually(
      async () => (await readyBackend(a)) === 'redis' && (await readyBackend(b)) === 'redis',
      5000,
    ).catch(() => -1);
    for (const [writer, reader, name] of [
      [a, b, 'renamed on A after the reshard'],
      [b, a, 'renamed on B after the reshard'],
    ] as const) {
      await reader.admin.ok(USER, { id: user.id });
      await writer.admin.ok(UPDATE, { id: user.id, name });
      const read = await reader.admin.ok<{ user: { fullName: string } }>(USER, { id: user.id });
      expect(read.user.fullName).toBe(name);
    }
    const hit = cacheReport(await b.admin.request(USER, { id: user.id }))?.status;

    const failed = load.samples.filter((s) => !s.ok);
    const stale = findStaleReads(load);
    const offRedis = seen.filter((s) => s.backends.some((x) => x !== 'redis'));
    const durations = load.samples.map((s) => s.end - s.start);
    const asks = after.ask - before.ask;
    const moved = after.moved - before.moved;
    console.log(
      [
        ...moves.map((m) => `slot ${m.slot} (${m.what}) moved :${m.from} -> :${m.to}`),
        `${keysMoved} keys migrated in ${batches} MIGRATE batches, ${migratedAt - t0} ms into the load; slot held half-migrated ${askWaitMs} ms (until the first ASK); SETSLOT NODE at ${nodeAt - t0} ms`,
        `redirections answered by the masters: ${asks} ASK, ${moved} MOVED; ASKING at the target: ${atTarget.asking}; token-key calls at the target: ${atTarget.asked} right after an ASKING, ${atTarget.direct} straight (map updated after a MOVED)`,
        `requests: ${load.samples.length} (${load.nameWrites.length} acknowledged renames, ${load.nameReads.length} name reads), failed: ${failed.length}, stale reads: ${stale.length}, p50 ${percentile(durations, 50)} ms, p99 ${percentile(durations, 99)} ms, max ${Math.max(...durations)} ms`,
        `backends: off redis in ${offRedis.length} of ${seen.length} /ready polls; both on redis ${backMs < 0 ? 'NOT within 5 s' : `${backMs} ms`} after the load; read on B after the renames: ${hit}`,
      ].join('\n'),
    );
    expect(failed.map((s) => `${s.instance} ${s.op}: ${s.detail}`)).toEqual([]);
    expect(stale).toEqual([]);
    expect(load.nameWrites.length).toBeGreaterThan(5);
    // The token lives on the target now, and nothing of the slot is left on the source.
    expect(await cluster.masterOf(tokenKey)).toBe(target);
    expect(await cli(target, 'EXISTS', tokenKey)).toBe('1');
    expect(await cli(source, 'CLUSTER', 'COUNTKEYSINSLOT', String(tokenSlot))).toBe('0');
    // Redirections were followed, else this test proves nothing: some of the instances' calls for the token
    // were answered ASK by the source during the migration and reached the target right after an ASKING,
    // and some were answered MOVED after it and then went straight to the target. A cluster client that did
    // not follow them would never send the token's key to the target (and its calls would fail or fall back
    // to memory): these counts would be 0.
    expect(asks).toBeGreaterThan(0);
    expect(moved).toBeGreaterThan(0);
    expect(atTarget.asked).toBeGreaterThan(0);
    expect(atTarget.direct).toBeGreaterThan(0);
    expect(backMs).toBeGreaterThanOrEqual(0);
    expect(hit).toBe('HIT');
  }, 30_000);
});
