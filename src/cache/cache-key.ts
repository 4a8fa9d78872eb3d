import { createHash } from 'node:crypto';
import { LRUCache } from 'lru-cache';
import type { CacheScope } from './types';

/** Default first segment of every key this module writes. */
export const defaultKeyPrefix = 'gqlc';

/**
 * A canonical JSON text of resolver arguments: object keys sorted at every depth, `undefined`
 * properties left out (a missing argument equals an absent one; graphql-js has already filled in
 * declared defaults, so a missing argument and its default are the same too), types kept (`"1"` and
 * `1` differ, `null` differs from absent).
 */
export function canonicalJson(value: unknown): string {
  if (value === null) return 'null';
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return JSON.stringify(value);
    case 'number':
      return Number.isFinite(value) ? JSON.stringify(value) : JSON.stringify(String(value));
    case 'bigint':
      return `${value}n`;
    case 'object': {
      if (Array.isArray(value)) return `[${value.map((v) => (v === undefined ? 'null' : canonicalJson(v))).join(',')}]`;
      if (value instanceof Date) return JSON.stringify(value.toISOString());
      const entries = Object.keys(value)
        .filter((k) => (value as Record<string, unknown>)[k] !== undefined)
        .sort()
        .map((k) => `${JSON.stringify(k)}:${canonicalJson((value as Record<string, unknown>)[k])}`);
      return `{${entries.join(',')}}`;
    }
    default:
      return 'null'; // undefined, functions, symbols: not argument values
  }
}

function sha256(text: string, length: number): string {
  return createHash('sha256').update(text).digest('base64url').slice(0, length);
}

/** A stable hash of resolver arguments (see {@link canonicalJson}). */
export function hashArgs(args: unknown): string {
  const text = canonicalJson(args ?? {});
  return text === '{}' ? emptyArgsHash : sha256(text, 43);
}

/** Most field resolvers take no arguments: their hash is computed once. */
const emptyArgsHash = sha256('{}', 43);

/**
 * The hashed subject of PRIVATE keys. A request builds many keys for one subject (a page of users has
 * fifty `User.apiKeys` entries), so the hash of each recent subject is kept rather than recomputed.
 */
const subjectHashes = new LRUCache<string, string>({ max: 10_000 });

function subjectHash(subject: string): string {
  let hash = subjectHashes.get(subject);
  if (hash === undefined) {
    hash = `u-${sha256(`subject:${subject}`, 22)}`;
    subjectHashes.set(subject, hash);
  }
  return hash;
}

export interface CacheKeyParts {
  prefix?: string;
  /** Schema coordinate of the resolver: `Query.users`, `User.apiKeys`. */
  coordinate: string;
  scope: CacheScope;
  /** Who the entry belongs to, for PRIVATE scope (the user id); ignored for PUBLIC. */
  subject: string | null;
  args: unknown;
  /** The current generation tokens of the entry's namespaces (and the global epoch), in a fixed order. */
  generations: readonly string[];
  /** Values of `@CacheControl({ key })`, checked by {@link keyPartsText}; absent: no segment at all. */
  keyParts?: readonly unknown[];
}

/**
 * `{prefix}:{coordinate}:{subject}:{hash(args)}:{hash(generations)}`, then `:k-{hash(keyParts)}` when
 * there are key parts. The subject is hashed, so user ids never appear in keys; PUBLIC entries share the
 * subject `public`. Evicting a namespace changes its generation, so every key that depended on it changes
 * and the old entries are simply never read again. Key parts are hashed too: the key's length never
 * depends on them. Throws a TypeError for key parts {@link keyPartsText} refuses.
 */
export function buildCacheKey(parts: CacheKeyParts): string {
  const subject = parts.scope === 'PUBLIC' ? 'public' : subjectHash(parts.subject ?? '');
  const generations = sha256(parts.generations.join('\n'), 16);
  const extra = parts.keyParts === undefined ? '' : `:k-${sha256(keyPartsText(parts.keyParts), 43)}`;
  return `${parts.prefix ?? defaultKeyPrefix}:${parts.coordinate}:${subject}:${hashArgs(parts.args)}:${generations}${extra}`;
}

/** The largest canonical JSON text of one entry's key parts, in UTF-8 bytes. */
export const maxKeyPartsBytes = 1024;

/**
 * The canonical JSON text of key parts (what {@link buildCacheKey} hashes): an array of JSON scalars
 * (string, finite number, boolean, null; nothing nested), at most {@link maxKeyPartsBytes} as JSON.
 * Anything else throws a TypeError saying why.
 */
export function keyPartsText(keyParts: unknown): string {
  if (!Array.isArray(keyParts)) throw new TypeError(`key parts must be an array, got: ${describe(keyParts)}`);
  for (let i = 0; i < keyParts.length; i++) {
    const part: unknown = keyParts[i];
    const scalar =
      part === null ||
      typeof part === 'string' ||
      typeof part === 'boolean' ||
      (typeof part === 'number' && Number.isFinite(part));
    if (!scalar) {
      throw new TypeError(
        `key parts must be strings, finite numbers, booleans or null; part ${i} is: ${describe(part)}`,
      );
    }
  }
  const text = canonicalJson(keyParts);
  const bytes = Buffer.byteLength(text);
  if (bytes > maxKeyPartsBytes)
    throw new TypeError(`key parts must be at most ${maxKeyPartsBytes} bytes as JSON, got: ${bytes} bytes`);
  return text;
}

function describe(value: unknown): string {
  if (value === null || typeof value === 'string') {
    const text = JSON.stringify(value);
    return text.length > 60 ? `${text.slice(0, 60)}…` : text;
  }
  if (typeof value === 'object') return Array.isArray(value) ? 'an array' : 'an object';
  return typeof value === 'number' || typeof value === 'boolean' ? String(value) : typeof value;
}
