import { createHash } from 'node:crypto';
import type { EntityManager } from '@mikro-orm/core';
import { Seeder } from '@mikro-orm/seeder';
import { API_KEY_PREFIX, displayPrefix, hashApiKeySecret } from '../../auth/api-key-secret';
import { ApiKey } from '../../modules/api-key/api-key.entity';
import { Role, User } from '../../modules/user/user.entity';

export interface SeedOptions {
  /** Users to have: user001@example.com … (default 50). */
  users: number;
  /** API keys per user (default 10). */
  keys: number;
}

const FIRST = [
  'Ada',
  'Alan',
  'Barbara',
  'Claude',
  'Donald',
  'Edsger',
  'Frances',
  'Grace',
  'John',
  'Katherine',
  'Leslie',
  'Margaret',
  'Niklaus',
  'Radia',
  'Tim',
  'Vint',
];
const LAST = [
  'Lovelace',
  'Turing',
  'Liskov',
  'Shannon',
  'Knuth',
  'Dijkstra',
  'Allen',
  'Hopper',
  'McCarthy',
  'Johnson',
  'Lamport',
  'Hamilton',
  'Wirth',
  'Perlman',
  'Berners-Lee',
  'Cerf',
];

/**
 * The secret of seeded key `k` of `email`. Deterministic on purpose, so that benchmarks and demos can
 * rebuild it; never seed a database that faces the internet.
 */
export function seededSecret(email: string, k: number): string {
  return API_KEY_PREFIX + createHash('sha256').update(`seed:${email}:${k}`).digest('base64url');
}

export function seededEmail(i: number): string {
  return `user${String(i).padStart(3, '0')}@example.com`;
}

/**
 * A moderate, deterministic dataset: the same options always give the same users and keys.
 * Idempotent: users and keys that already exist are left as they are.
 */
export class DatabaseSeeder extends Seeder {
  constructor(private readonly options: SeedOptions = { users: 50, keys: 10 }) {
    super();
  }

  async run(em: EntityManager): Promise<void> {
    const { users, keys } = this.options;
    const emails = Array.from({ length: users }, (_, i) => seededEmail(i + 1));
    const existing = new Map((await em.find(User, { email: { $in: emails } })).map((u) => [u.email, u]));
    const created = new Date(Date.UTC(2026, 0, 1));
    for (const [i, email] of emails.entries()) {
      const user =
        existing.get(email) ??
        em.create(User, {
          email,
          fullName: `${FIRST[i % FIRST.length]} ${LAST[Math.floor(i / FIRST.length) % LAST.length]}`,
          role: Role.USER,
          createdAt: created,
          updatedAt: created,
        });
      const hashes = Array.from({ length: keys }, (_, k) => hashApiKeySecret(seededSecret(email, k + 1)));
      const have = new Set(
        existing.has(email)
          ? (await em.find(ApiKey, { secretHash: { $in: hashes } })).map((key) => key.secretHash)
          : [],
      );
      for (let k = 1; k <= keys; k++) {
        const secret = seededSecret(email, k);
        if (have.has(hashes[k - 1]!)) continue;
        em.create(ApiKey, {
          name: `key ${k}`,
          prefix: displayPrefix(secret),
          secretHash: hashes[k - 1]!,
          owner: user,
          createdAt: created,
        });
      }
    }
    await em.flush();
  }
}
