import { type EntityManager, UniqueConstraintViolationException } from '@mikro-orm/core';
import { Errors } from '../../graphql/errors';
import { Role, User } from './user.entity';
import type { CreateUserInput, UpdateUserInput } from './user.inputs';

export function normalizeEmail(email: string): string {
  return email.trim().toLowerCase();
}

async function assertEmailFree(em: EntityManager, email: string, exceptId?: number): Promise<void> {
  const taken = await em.count(User, exceptId ? { email, id: { $ne: exceptId } } : { email });
  if (taken > 0) throw Errors.badInput([{ field: 'email', message: `is already used by another user` }]);
}

/** Flushes, turning a unique-email race lost at the database into the same BAD_USER_INPUT. */
async function flushUnique(em: EntityManager): Promise<void> {
  try {
    await em.flush();
  } catch (err) {
    if (err instanceof UniqueConstraintViolationException) {
      em.clear();
      throw Errors.badInput([{ field: 'email', message: 'is already used by another user' }]);
    }
    throw err;
  }
}

export async function createUser(em: EntityManager, input: CreateUserInput): Promise<User> {
  const email = normalizeEmail(input.email);
  await assertEmailFree(em, email);
  const user = em.create(User, { email, fullName: input.fullName.trim(), role: input.role ?? Role.USER });
  await flushUnique(em);
  return user;
}

export async function updateUser(em: EntityManager, user: User, input: UpdateUserInput): Promise<User> {
  if (input.email !== undefined && input.email !== null) {
    const email = normalizeEmail(input.email);
    if (email !== user.email) {
      await assertEmailFree(em, email, user.id);
      user.email = email;
    }
  }
  if (input.fullName !== undefined && input.fullName !== null) user.fullName = input.fullName.trim();
  if (input.role !== undefined && input.role !== null) user.role = input.role;
  await flushUnique(em);
  return user;
}
