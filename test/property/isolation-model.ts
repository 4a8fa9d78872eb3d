/**
 * The model of the isolation property (isolation.test.ts): who exists, with which role and keys, and
 * what each caller may see. Commands refer to users and keys by index (`user#2`, `key#5`, taken modulo
 * the lists, deleted and revoked ones included), so a shrunk sequence stays meaningful.
 */

export type Role = 'USER' | 'ADMIN';

/** A user the sequence acts upon: one of the model's, an id no row has, or a string no id parses from. */
export type Target = { t: 'user'; i: number } | { t: 'absent' } | { t: 'garbage'; v: string };
export type CallerRef = { c: 'key'; k: number } | { c: 'anonymous' } | { c: 'bogus' };

export type QField =
  | { f: 'me'; keys: boolean }
  | { f: 'user'; target: Target; keys: boolean }
  | { f: 'users'; page: number; size: number; keys: boolean }
  | { f: 'apiKeys'; target: Target | null };

export type MField =
  | { f: 'createUser'; role: Role | null; name: string; shout: boolean }
  | { f: 'updateUser'; target: Target; name: string | null; role: Role | null }
  | { f: 'deleteUser'; target: Target }
  | { f: 'createApiKey'; target: Target | null; name: string }
  | { f: 'revokeApiKey'; key: { k: number } | { absent: true } };

export interface Style {
  /** Alias every field (fields named twice are always aliased). */
  alias: boolean;
  /** User and ApiKey selections as they are, through named fragments, or inline fragments. */
  fragments: 'none' | 'spread' | 'inline';
  /** Arguments through variables instead of literals. */
  vars: boolean;
}

export type Req = { on: 0 | 1; as: CallerRef; style: Style } & (
  | { kind: 'query'; fields: QField[] }
  | { kind: 'mutation'; field: MField }
);
/** Requests sent at once (concurrently); at most one of them is a mutation. */
export type Step = Req[];

export interface RunInput {
  roles: Role[];
  keysPerUser: number[];
  steps: Step[];
}

export interface MUser {
  id: string;
  email: string;
  fullName: string;
  role: Role;
  deleted: boolean;
}
export interface MKey {
  /** `?new` for a key a concurrent mutation is creating (its id is not known yet). */
  id: string;
  secret: string | null;
  owner: number;
  name: string;
  revoked: boolean;
}
export interface Model {
  users: MUser[];
  keys: MKey[];
  /** Users outside the model (the seed admin), all with smaller ids than the model's. */
  baseIds: string[];
  /** Distinguishes this run's emails. */
  nonce: string;
}

export const NEW = '?new';
export const ABSENT_ID = '999999999';
export const BOGUS_KEY = 'gqk_bogus-key-that-no-one-has-00000000000000000';

export interface Viewer {
  idx: number;
  role: Role;
}

export const cloneModel = (m: Model): Model => ({
  ...m,
  users: m.users.map((u) => ({ ...u })),
  keys: m.keys.map((k) => ({ ...k })),
});

export function keyOf(m: Model, as: CallerRef): MKey | null {
  if (as.c !== 'key' || m.keys.length === 0) return null;
  return m.keys[as.k % m.keys.length]!;
}

const liveKey = (m: Model, k: MKey) => !k.revoked && !m.users[k.owner]!.deleted;

export function viewerOf(m: Model, as: CallerRef): Viewer | null {
  const key = keyOf(m, as);
  if (!key || !liveKey(m, key)) return null;
  return { idx: key.owner, role: m.users[key.owner]!.role };
}

export function secretOf(m: Model, as: CallerRef): string | undefined {
  if (as.c === 'anonymous') return undefined;
  if (as.c === 'bogus') return BOGUS_KEY;
  return keyOf(m, as)?.secret ?? BOGUS_KEY;
}

export function resolveTarget(m: Model, t: Target): { id: string; idx: number | null } {
  if (t.t === 'user') {
    const idx = t.i % m.users.length;
    return { id: m.users[idx]!.id, idx };
  }
  return { id: t.t === 'absent' ? ABSENT_ID : t.v, idx: null };
}

export function emailFor(m: Model, shout: boolean): string {
  const email = `iso-${m.nonce}-${m.users.length}@example.com`;
  return shout ? email.toUpperCase() : email;
}

// ---------------------------------------------------------------------------------------------
// Outcomes: what a field answers, normalised so that a model and a response compare.

export type Outcome = { error: string; at: string } | { value: unknown } | { nulled: true };

/** A garbage `ID` argument (not a canonical row id), refused once authorization passed. */
const BAD_ID: Outcome = { error: 'BAD_USER_INPUT', at: '' };

export interface KeyList {
  ids: string[];
  owners: string[];
}

export function keyList(m: Model, idx: number): KeyList {
  const ids = m.keys.filter((k) => k.owner === idx && liveKey(m, k)).map((k) => k.id);
  return { ids: sortIds(ids), owners: ids.length > 0 ? [m.users[idx]!.id] : [] };
}

export const sortIds = (ids: string[]) =>
  [...ids].sort((a, b) => (a === NEW ? 1 : b === NEW ? -1 : Number(a) - Number(b)));

export function userView(m: Model, idx: number, keys: boolean): Record<string, unknown> {
  const u = m.users[idx]!;
  return { id: u.id, email: u.email, fullName: u.fullName, role: u.role, ...(keys ? { keys: keyList(m, idx) } : {}) };
}

export interface UsersView {
  total: number;
  /** Items of the page outside the model (the seed admin). */
  base: number;
  /** Every model user: its item in the page, or `absent`. */
  items: Record<string, unknown>;
}

export function usersView(m: Model, page: number, size: number, keys: boolean): UsersView {
  const live = m.users.map((u, idx) => ({ u, idx })).filter(({ u }) => !u.deleted);
  live.sort((a, b) => (a.u.id === NEW ? 1 : b.u.id === NEW ? -1 : Number(a.u.id) - Number(b.u.id)));
  const all: (number | null)[] = [...m.baseIds.map(() => null), ...live.map(({ idx }) => idx)];
  const slice = all.slice((page - 1) * size, page * size);
  const items: Record<string, unknown> = {};
  m.users.forEach((u, idx) => {
    items[u.id] = slice.includes(idx) ? userView(m, idx, keys) : 'absent';
  });
  return { total: all.length, base: slice.filter((x) => x === null).length, items };
}

/**
 * What a query field answers for caller `as`, authenticated under model `mv`, its data read under
 * model `m` (a request racing a mutation may authenticate before it and read after it).
 */
export function expectQuery(m: Model, as: CallerRef, q: QField, mv: Model = m): Outcome {
  const v = viewerOf(mv, as);
  if (!v) return { error: 'UNAUTHENTICATED', at: '' };
  const selfId = m.users[v.idx]!.id;
  switch (q.f) {
    case 'me':
      return { value: userView(m, v.idx, q.keys) };
    case 'user': {
      const r = resolveTarget(m, q.target);
      if (q.target.t === 'garbage') return BAD_ID;
      if (r.idx === null || m.users[r.idx]!.deleted) return { value: null };
      if (q.keys && v.role !== 'ADMIN' && r.idx !== v.idx) return { error: 'FORBIDDEN', at: 'apiKeys' };
      return { value: userView(m, r.idx, q.keys) };
    }
    case 'users':
      if (v.role !== 'ADMIN') return { error: 'FORBIDDEN', at: '' };
      return { value: usersView(m, q.page, q.size, q.keys) };
    case 'apiKeys': {
      if (q.target === null) return { value: keyList(m, v.idx) };
      const r = resolveTarget(m, q.target);
      if (v.role !== 'ADMIN' && r.id !== selfId) return { error: 'FORBIDDEN', at: '' };
      if (q.target.t === 'garbage') return BAD_ID;
      if (r.idx === null || m.users[r.idx]!.deleted) return { value: { ids: [], owners: [] } };
      return { value: keyList(m, r.idx) };
    }
  }
}

export interface MutationExpectation {
  outcome: Outcome;
  /** Applies the effect to the model, given the `value` the server answered (or a placeholder). */
  apply?: (m: Model, answered: Record<string, unknown> | null) => void;
}

/** What a mutation answers under model `m` for caller `as`, and what it changes. */
export function expectMutation(m: Model, as: CallerRef, mu: MField): MutationExpectation {
  const v = viewerOf(m, as);
  if (!v) return { outcome: { error: 'UNAUTHENTICATED', at: '' } };
  const selfId = m.users[v.idx]!.id;
  const forbidden: MutationExpectation = { outcome: { error: 'FORBIDDEN', at: '' } };
  switch (mu.f) {
    case 'createUser': {
      if (v.role !== 'ADMIN') return forbidden;
      const user = { email: emailFor(m, mu.shout).toLowerCase(), fullName: mu.name.trim(), role: mu.role ?? 'USER' };
      return {
        outcome: { value: user },
        apply: (model, answered) => void model.users.push({ id: String(answered?.id ?? NEW), ...user, deleted: false }),
      };
    }
    case 'updateUser': {
      const r = resolveTarget(m, mu.target);
      if (v.role !== 'ADMIN' && r.id !== selfId) return forbidden;
      if (v.role !== 'ADMIN' && mu.role) return forbidden;
      if (mu.target.t === 'garbage') return { outcome: BAD_ID };
      if (r.idx === null || m.users[r.idx]!.deleted) return { outcome: { error: 'NOT_FOUND', at: '' } };
      const idx = r.idx;
      const after = cloneModel(m);
      if (mu.name !== null) after.users[idx]!.fullName = mu.name.trim();
      if (mu.role !== null) after.users[idx]!.role = mu.role;
      return {
        outcome: { value: userView(after, idx, false) },
        apply: (model) => {
          if (mu.name !== null) model.users[idx]!.fullName = mu.name.trim();
          if (mu.role !== null) model.users[idx]!.role = mu.role;
        },
      };
    }
    case 'deleteUser': {
      if (v.role !== 'ADMIN') return forbidden;
      const r = resolveTarget(m, mu.target);
      if (mu.target.t === 'garbage' || r.idx === v.idx) return { outcome: BAD_ID };
      if (r.idx === null || m.users[r.idx]!.deleted) return { outcome: { value: false } };
      const idx = r.idx;
      return {
        outcome: { value: true },
        apply: (model) => {
          model.users[idx]!.deleted = true;
        },
      };
    }
    case 'createApiKey': {
      let owner = v.idx;
      if (mu.target !== null) {
        const r = resolveTarget(m, mu.target);
        if (v.role !== 'ADMIN' && r.id !== selfId) return forbidden;
        if (mu.target.t === 'garbage') return { outcome: BAD_ID };
        if (r.idx === null || m.users[r.idx]!.deleted) return { outcome: { error: 'NOT_FOUND', at: '' } };
        owner = r.idx;
      }
      const name = mu.name.trim();
      return {
        outcome: { value: { owner: m.users[owner]!.id, name } },
        apply: (model, answered) =>
          void model.keys.push({
            id: String(answered?.id ?? NEW),
            secret: (answered?.secret as string | undefined) ?? null,
            owner,
            name,
            revoked: false,
          }),
      };
    }
    case 'revokeApiKey': {
      if ('absent' in mu.key) return { outcome: { value: false } };
      const k = mu.key.k % m.keys.length;
      const key = m.keys[k]!;
      if (!liveKey(m, key)) return { outcome: { value: false } };
      // Someone else's key answers like an absent one: key ids cannot be probed.
      if (v.role !== 'ADMIN' && key.owner !== v.idx) return { outcome: { value: false } };
      return {
        outcome: { value: true },
        apply: (model) => {
          model.keys[k]!.revoked = true;
        },
      };
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Comparison, with `?new` standing for any id the model does not know yet.

export function matches(expected: unknown, actual: unknown, known: ReadonlySet<string>): boolean {
  if (expected === NEW) return typeof actual === 'string' && !known.has(actual);
  if (Array.isArray(expected)) {
    if (!Array.isArray(actual) || actual.length !== expected.length) return false;
    if (expected.every((x) => typeof x === 'string')) {
      // id lists: a multiset, `?new` matching one unknown id each
      const rest = [...(actual as unknown[])];
      for (const x of expected.filter((e) => e !== NEW)) {
        const at = rest.indexOf(x);
        if (at === -1) return false;
        rest.splice(at, 1);
      }
      return rest.every((x) => typeof x === 'string' && !known.has(x));
    }
    return expected.every((x, i) => matches(x, actual[i], known));
  }
  if (expected && typeof expected === 'object') {
    if (!actual || typeof actual !== 'object' || Array.isArray(actual)) return false;
    const ek = Object.keys(expected).sort();
    const ak = Object.keys(actual).sort();
    if (ek.join() !== ak.join()) return false;
    return ek.every((k) =>
      matches((expected as Record<string, unknown>)[k], (actual as Record<string, unknown>)[k], known),
    );
  }
  return expected === actual;
}

/** Every id the model knows (users and keys), plus the base users'. */
export function knownIds(m: Model): Set<string> {
  return new Set([...m.baseIds, ...m.users.map((u) => u.id), ...m.keys.map((k) => k.id)].filter((id) => id !== NEW));
}
