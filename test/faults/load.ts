/**
 * A steady, mixed GraphQL load over HTTP against several instances, recording every request (start,
 * end, outcome) and everything needed to find stale reads afterwards: per user, the fullName values
 * whose writes were acknowledged (and when), and every read of a fullName or of a key list.
 *
 * Only the public API is used: POST /graphql with an API key.
 */

export interface Instance {
  name: string;
  /** The /graphql URL. */
  url: string;
}

export interface Caller {
  id: string;
  role: 'USER' | 'ADMIN';
  key: string;
}

/** ok; clean-error: a contract INTERNAL_SERVER_ERROR with no internals; failed: anything else. */
export type Outcome = 'ok' | 'clean-error' | 'failed';

export interface Sample {
  op: string;
  instance: string;
  start: number;
  end: number;
  outcome: Outcome;
  /** For errors: what went wrong (status, codes, message). */
  detail?: string;
}

/** A read of a user's fullName (`n<counter>`): its counter. */
export interface NameRead {
  userId: string;
  counter: number;
  start: number;
  instance: string;
  op: string;
}

/** An acknowledged write of `n<counter>` to a user's fullName. */
export interface NameWrite {
  userId: string;
  counter: number;
  ackAt: number;
}

export interface KeysRead {
  userId: string;
  ids: ReadonlySet<string>;
  start: number;
  instance: string;
  op: string;
}

export interface KeyCreated {
  userId: string;
  keyId: string;
  ackAt: number;
}

export interface LoadOptions {
  instances: Instance[];
  callers: Caller[];
  /** Concurrent connections (workers, each one request at a time). */
  concurrency: number;
  /** Share of mutations, e.g. 0.05. */
  mutationRate: number;
  /** Per-request deadline; a request past it is `failed`. */
  requestTimeoutMs?: number;
  /** A user's key list stops growing here (later mutations for them are updates). */
  maxKeysPerUser?: number;
  /** Writes start from this counter (values are `n<counter>`); the initial value of every user is `n0`. */
  firstCounter?: number;
}

/** Messages or fragments that must never reach a client. */
export const LEAK_PATTERNS: RegExp[] = [
  /\bselect\s/i,
  /\binsert\s+into\b/i,
  /\bupdate\s+[`"]?\w+[`"]?\s+set\b/i,
  /\bdelete\s+from\b/i,
  /sqlite/i,
  /SQLITE_/,
  / from "/,
  /\bat .+\(.+:\d+:\d+\)/, // a stack frame
  /\n\s+at /,
  /(^|[\s"'(])\/(?:work|home|tmp|usr|var|app|root)\//, // an absolute path
  /node_modules/,
  /\.ts:\d+/,
  /ECONNREFUSED|ECONNRESET|EPIPE|ETIMEDOUT/,
  /terminating connection|connection terminated|password authentication|relation "/i,
  /\bknex\b|mikro-?orm|libsql/i,
];

/** The first leak pattern a text matches, or null. */
export function leakIn(text: string): string | null {
  for (const re of LEAK_PATTERNS) if (re.test(text)) return re.source;
  return null;
}

const Q = {
  me: 'query LoadMe { me { id fullName role } }',
  meKeys: 'query LoadMeKeys { me { id fullName apiKeys { id name } } }',
  user: 'query LoadUser($id: ID!) { user(id: $id) { id fullName } }',
  users: 'query LoadUsers($size: Int!) { users(size: $size) { total items { id fullName } } }',
  apiKeys: 'query LoadKeys { apiKeys { id name } }',
  apiKeysOf: 'query LoadKeysOf($userId: ID) { apiKeys(userId: $userId) { id name } }',
  update:
    'mutation LoadRename($id: ID!, $name: String!) { updateUser(id: $id, input: { fullName: $name }) { id fullName } }',
  createKey: 'mutation LoadKey($name: String!) { createApiKey(name: $name) { apiKey { id name } } }',
};

interface Gql {
  data?: Record<string, any> | null;
  errors?: { message: string; extensions?: { code?: string } }[];
}

export const counterOf = (fullName: unknown): number => {
  const m = typeof fullName === 'string' ? /^n(\d+)$/.exec(fullName) : null;
  return m ? Number(m[1]) : -1;
};

export class Load {
  readonly samples: Sample[] = [];
  readonly nameReads: NameRead[] = [];
  readonly nameWrites: NameWrite[] = [];
  readonly keysReads: KeysRead[] = [];
  readonly keysCreated: KeyCreated[] = [];
  #running = false;
  #workers: Promise<void>[] = [];
  #counter: number;
  readonly #writing = new Set<string>();
  readonly #keyCount = new Map<string, number>();
  #random: () => number;

  constructor(
    private readonly opts: LoadOptions,
    seed = 1,
  ) {
    this.#counter = opts.firstCounter ?? 0;
    // mulberry32: a reproducible mix from one seed
    let s = seed >>> 0;
    this.#random = () => {
      s = (s + 0x6d2b79f5) >>> 0;
      let t = s;
      t = Math.imul(t ^ (t >>> 15), t | 1);
      t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
      return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    };
  }

  get running(): boolean {
    return this.#running;
  }

  start(): void {
    if (this.#running) return;
    this.#running = true;
    for (let i = 0; i < this.opts.concurrency; i++) this.#workers.push(this.#worker());
  }

  async stop(): Promise<void> {
    this.#running = false;
    await Promise.all(this.#workers);
    this.#workers = [];
  }

  #pick<T>(xs: readonly T[]): T {
    return xs[Math.floor(this.#random() * xs.length)]!;
  }

  async #worker(): Promise<void> {
    while (this.#running) {
      await this.#one();
    }
  }

  async #one(): Promise<void> {
    const instance = this.#pick(this.opts.instances);
    const caller = this.#pick(this.opts.callers);
    const r = this.#random();
    if (r < this.opts.mutationRate) {
      const target = caller.role === 'ADMIN' && this.#random() < 0.5 ? this.#pick(this.opts.callers) : caller;
      const keys = this.#keyCount.get(caller.id) ?? 0;
      const wantsKey = this.#random() < 0.4 && keys < (this.opts.maxKeysPerUser ?? 12);
      if (wantsKey) return this.#createKey(instance, caller);
      if (!this.#writing.has(target.id)) return this.#rename(instance, caller, target);
    }
    const read = this.#random();
    if (read < 0.25) return this.#me(instance, caller);
    if (read < 0.5) return this.#user(instance, caller, this.#pick(this.opts.callers).id);
    if (read < 0.65) return this.#users(instance, caller);
    if (read < 0.82) return this.#apiKeys(instance, caller);
    return this.#meKeys(instance, caller);
  }

  /** One POST; records the sample; resolves with the body when the outcome is ok (else undefined). */
  async #send(
    op: string,
    instance: Instance,
    caller: Caller,
    query: string,
    variables: Record<string, unknown>,
    expectCode?: string,
  ): Promise<{ body: Gql; start: number; sample: Sample } | undefined> {
    const start = Date.now();
    let outcome: Outcome = 'ok';
    let detail: string | undefined;
    let body: Gql | undefined;
    try {
      const res = await fetch(instance.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${caller.key}` },
        body: JSON.stringify({ query, variables }),
        signal: AbortSignal.timeout(this.opts.requestTimeoutMs ?? 10_000),
      });
      const text = await res.text();
      try {
        body = JSON.parse(text) as Gql;
      } catch {
        body = undefined;
      }
      const codes = (body?.errors ?? []).map((e) => e.extensions?.code ?? '(none)');
      const leak = leakIn(text);
      if (!body) {
        outcome = 'failed';
        detail = `HTTP ${res.status}, not JSON: ${text.slice(0, 120)}`;
      } else if (expectCode) {
        if (!(codes.length === 1 && codes[0] === expectCode && res.status === 200)) {
          outcome = 'failed';
          detail = `HTTP ${res.status}, expected ${expectCode}, got ${JSON.stringify(body.errors ?? body.data).slice(0, 200)}`;
        }
      } else if (codes.length > 0 || res.status !== 200 || !body.data) {
        const clean =
          !leak &&
          codes.length > 0 &&
          codes.every((c) => c === 'INTERNAL_SERVER_ERROR') &&
          (body.errors ?? []).every((e) => e.message === 'Internal server error') &&
          [200, 500, 503].includes(res.status);
        outcome = clean ? 'clean-error' : 'failed';
        detail = `HTTP ${res.status}, ${codes.join(',') || 'no errors'}: ${JSON.stringify(body.errors ?? body).slice(0, 200)}`;
      }
      if (leak && outcome === 'ok') {
        outcome = 'failed';
        detail = `leak (${leak}): ${text.slice(0, 200)}`;
      }
    } catch (err) {
      outcome = 'failed';
      detail = `transport: ${(err as Error).message}`;
    }
    const sample: Sample = { op, instance: instance.name, start, end: Date.now(), outcome, detail };
    this.samples.push(sample);
    return outcome === 'ok' && body && !expectCode ? { body, start, sample } : undefined;
  }

  /** Wrong data in a well-formed answer is a failed request too. */
  #fail(sample: Sample, detail: string): void {
    sample.outcome = 'failed';
    sample.detail = detail;
  }

  async #me(instance: Instance, caller: Caller): Promise<void> {
    const r = await this.#send('me', instance, caller, Q.me, {});
    if (!r) return;
    const me = r.body.data!.me;
    if (me?.id !== caller.id) return this.#fail(r.sample, `me is ${JSON.stringify(me)}, caller ${caller.id}`);
    this.nameReads.push({
      userId: caller.id,
      counter: counterOf(me.fullName),
      start: r.start,
      instance: instance.name,
      op: 'me',
    });
  }

  async #meKeys(instance: Instance, caller: Caller): Promise<void> {
    const r = await this.#send('me{apiKeys}', instance, caller, Q.meKeys, {});
    if (!r) return;
    const me = r.body.data!.me;
    if (me?.id !== caller.id || !Array.isArray(me.apiKeys))
      return this.#fail(r.sample, `me is ${JSON.stringify(me).slice(0, 200)}`);
    this.nameReads.push({
      userId: caller.id,
      counter: counterOf(me.fullName),
      start: r.start,
      instance: instance.name,
      op: 'me{apiKeys}',
    });
    this.keysReads.push({
      userId: caller.id,
      ids: new Set(me.apiKeys.map((k: { id: string }) => k.id)),
      start: r.start,
      instance: instance.name,
      op: 'me{apiKeys}',
    });
  }

  async #user(instance: Instance, caller: Caller, id: string): Promise<void> {
    const r = await this.#send('user(id)', instance, caller, Q.user, { id });
    if (!r) return;
    const user = r.body.data!.user;
    if (user?.id !== id) return this.#fail(r.sample, `user(${id}) is ${JSON.stringify(user)}`);
    this.nameReads.push({
      userId: id,
      counter: counterOf(user.fullName),
      start: r.start,
      instance: instance.name,
      op: 'user(id)',
    });
  }

  async #users(instance: Instance, caller: Caller): Promise<void> {
    const size = 10 + Math.floor(this.#random() * 41);
    if (caller.role !== 'ADMIN') {
      await this.#send('users(size) as USER', instance, caller, Q.users, { size }, 'FORBIDDEN');
      return;
    }
    const r = await this.#send('users(size)', instance, caller, Q.users, { size });
    if (!r) return;
    const items: { id: string; fullName: string }[] = r.body.data!.users?.items ?? [];
    const tracked = new Set(this.opts.callers.map((c) => c.id));
    if (this.opts.callers.some((c) => !items.some((i) => i.id === c.id)))
      return this.#fail(r.sample, `a user is missing from users(size: ${size})`);
    for (const item of items) {
      if (tracked.has(item.id))
        this.nameReads.push({
          userId: item.id,
          counter: counterOf(item.fullName),
          start: r.start,
          instance: instance.name,
          op: 'users(size)',
        });
    }
  }

  async #apiKeys(instance: Instance, caller: Caller): Promise<void> {
    const other = caller.role === 'ADMIN' && this.#random() < 0.5 ? this.#pick(this.opts.callers) : undefined;
    const r = other
      ? await this.#send('apiKeys(userId)', instance, caller, Q.apiKeysOf, { userId: other.id })
      : await this.#send('apiKeys', instance, caller, Q.apiKeys, {});
    if (!r) return;
    const keys = r.body.data!.apiKeys;
    if (!Array.isArray(keys)) return this.#fail(r.sample, `apiKeys is ${JSON.stringify(keys)}`);
    this.keysReads.push({
      userId: (other ?? caller).id,
      ids: new Set(keys.map((k: { id: string }) => k.id)),
      start: r.start,
      instance: instance.name,
      op: other ? 'apiKeys(userId)' : 'apiKeys',
    });
  }

  async #rename(instance: Instance, caller: Caller, target: Caller): Promise<void> {
    this.#writing.add(target.id); // one write per user at a time: acknowledgement order is commit order
    try {
      const counter = ++this.#counter;
      const r = await this.#send('updateUser', instance, caller, Q.update, { id: target.id, name: `n${counter}` });
      if (!r) return;
      const written = r.body.data!.updateUser;
      if (written?.fullName !== `n${counter}`)
        return this.#fail(r.sample, `updateUser answered ${JSON.stringify(written)}`);
      this.nameWrites.push({ userId: target.id, counter, ackAt: Date.now() });
    } finally {
      this.#writing.delete(target.id);
    }
  }

  async #createKey(instance: Instance, caller: Caller): Promise<void> {
    this.#keyCount.set(caller.id, (this.#keyCount.get(caller.id) ?? 0) + 1);
    const r = await this.#send('createApiKey', instance, caller, Q.createKey, { name: `load key ${this.#counter}` });
    if (!r) return;
    const key = r.body.data!.createApiKey?.apiKey;
    if (!key?.id) return this.#fail(r.sample, `createApiKey answered ${JSON.stringify(r.body.data)}`);
    this.keysCreated.push({ userId: caller.id, keyId: key.id, ackAt: Date.now() });
  }
}

export interface StaleRead {
  kind: 'fullName' | 'apiKeys';
  userId: string;
  start: number;
  instance: string;
  op: string;
  /** What the read returned and what it had to return at least. */
  got: string;
  expected: string;
}

/** Reads that started after a write was acknowledged and still returned what that write replaced. */
export function findStaleReads(
  load: Pick<Load, 'nameReads' | 'nameWrites' | 'keysReads' | 'keysCreated'>,
): StaleRead[] {
  const stale: StaleRead[] = [];
  const writesByUser = new Map<string, NameWrite[]>();
  for (const w of load.nameWrites) writesByUser.set(w.userId, [...(writesByUser.get(w.userId) ?? []), w]);
  for (const ws of writesByUser.values()) ws.sort((a, b) => a.ackAt - b.ackAt);
  for (const read of load.nameReads) {
    const ws = writesByUser.get(read.userId) ?? [];
    let required = 0;
    for (const w of ws) {
      if (w.ackAt < read.start) required = Math.max(required, w.counter);
      else break;
    }
    if (read.counter < required) {
      stale.push({
        kind: 'fullName',
        userId: read.userId,
        start: read.start,
        instance: read.instance,
        op: read.op,
        got: `n${read.counter}`,
        expected: `n${required} or newer`,
      });
    }
  }
  const keysByUser = new Map<string, KeyCreated[]>();
  for (const k of load.keysCreated) keysByUser.set(k.userId, [...(keysByUser.get(k.userId) ?? []), k]);
  for (const read of load.keysReads) {
    const missing = (keysByUser.get(read.userId) ?? []).filter((k) => k.ackAt < read.start && !read.ids.has(k.keyId));
    if (missing.length > 0) {
      stale.push({
        kind: 'apiKeys',
        userId: read.userId,
        start: read.start,
        instance: read.instance,
        op: read.op,
        got: `${read.ids.size} keys`,
        expected: `also key(s) ${missing.map((k) => k.keyId).join(', ')}`,
      });
    }
  }
  return stale;
}

/** The p-th percentile (0-100) of xs, nearest rank; NaN for none. */
export function percentile(xs: readonly number[], p: number): number {
  if (xs.length === 0) return Number.NaN;
  const sorted = [...xs].sort((a, b) => a - b);
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1]!;
}
