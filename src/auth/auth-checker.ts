import type { AuthCheckerFn, ResolverData } from 'type-graphql';
import { markCallerSpecific } from '../cache';
import type { Context } from '../context';
import { Errors } from '../graphql/errors';
import { Role } from '../modules/user/user.entity';
import type { Viewer } from './viewer';

/**
 * A rule for `@Authorized(...)`: a role the viewer must have, or a predicate over the resolver's data
 * that returns true or the reason for refusing. Rules run in type-graphql's auth middleware, which runs
 * before every other middleware, so authorization is always decided before the cache is read.
 */
export type AuthRule = Role | RulePredicate;
export interface RulePredicate {
  (viewer: Viewer, data: ResolverData<Context>): true | string;
  /**
   * Whether the verdict for `viewer` depends on its role alone (the same for every caller of that role).
   * Absent: a predicate is taken to look at who the caller is, and the operation tier then keeps the
   * response for this caller alone instead of sharing it with the caller's role.
   */
  byRoleAlone?(viewer: Viewer): boolean;
}

/** Allowed for the user named by `idOf(data)` (or for the viewer when it returns null/undefined) and for admins. */
export function selfOrAdmin(what: string, idOf: (data: ResolverData<Context>) => unknown): RulePredicate {
  const rule: RulePredicate = (viewer, data) => {
    if (viewer.role === Role.ADMIN) return true;
    const id = idOf(data);
    if (id === undefined || id === null || String(id) === String(viewer.userId)) return true;
    return `only the user themself or an ADMIN may ${what}.`;
  };
  rule.byRoleAlone = (viewer) => viewer.role === Role.ADMIN;
  return rule;
}

/** Refuses with UNAUTHENTICATED without a viewer, FORBIDDEN when a rule fails; never returns false. */
export const authChecker: AuthCheckerFn<Context, AuthRule> = (data, rules) => {
  const viewer = data.context.viewer;
  if (!viewer) throw Errors.unauthenticated();
  for (const rule of rules) {
    if (typeof rule === 'function') {
      if (!rule.byRoleAlone?.(viewer)) markCallerSpecific(data.context);
      const verdict = rule(viewer, data);
      if (verdict !== true) throw Errors.forbidden(verdict);
    } else if (viewer.role !== rule && viewer.role !== Role.ADMIN) {
      throw Errors.forbidden(`this operation needs the ${rule} role.`);
    }
  }
  return true;
};
