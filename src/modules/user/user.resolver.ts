import { Arg, Args, Authorized, Ctx, FieldResolver, ID, Mutation, Query, Resolver, Root } from 'type-graphql';
import { selfOrAdmin } from '../../auth/auth-checker';
import { CacheControl } from '../../cache';
import { Namespaces } from '../../caching/namespaces';
import { type Context, forgetLoaded } from '../../context';
import { Errors } from '../../graphql/errors';
import { parseId, ValidIds } from '../../graphql/ids';
import { ApiKey } from '../api-key/api-key.entity';
import type { ApiKeyRow } from '../api-key/api-key.loaders';
import { Role, User } from './user.entity';
import { CreateUserInput, UpdateUserInput, UsersArgs } from './user.inputs';
import { countUsers, findUserPage, type UserRow } from './user.loaders';
import { createUser, updateUser } from './user.service';
import { UserPage } from './user-page.type';

@Resolver(() => User)
export class UserResolver {
  @Query(() => User, { description: 'The authenticated user.' })
  @Authorized()
  @CacheControl<Context>({ scope: 'PRIVATE', namespace: ({ context }) => Namespaces.user(context.viewer!.userId) })
  async me(@Ctx() { viewer, loaders }: Context): Promise<UserRow> {
    const user = await loaders.userById.load(viewer!.userId);
    if (!user) throw Errors.unauthenticated(); // deleted between authentication and now
    return user;
  }

  @Query(() => User, { nullable: true, description: 'A user by id; null when there is none.' })
  @Authorized()
  @ValidIds('id')
  @CacheControl<Context>({ scope: 'PUBLIC', namespace: ({ args }) => Namespaces.userSingle(args.id) })
  async user(@Arg('id', () => ID) id: string, @Ctx() { loaders }: Context): Promise<UserRow | null> {
    const userId = parseId(id);
    return userId === null ? null : loaders.userById.load(userId);
  }

  @Query(() => UserPage, { description: 'Every user, by id, a page at a time. ADMIN only.' })
  @Authorized(Role.ADMIN)
  @CacheControl({ scope: 'PUBLIC', namespace: Namespaces.usersList })
  async users(@Args(() => UsersArgs) { page, size }: UsersArgs, @Ctx() { em }: Context): Promise<UserPage> {
    // Plain rows, not entities: a read needs no unit of work (see UserRow).
    const [items, total] = await Promise.all([findUserPage(em, size, (page - 1) * size), countUsers(em)]);
    return { items, total, page, size };
  }

  @FieldResolver(() => [ApiKey], { description: "The user's API keys: the user themself or an ADMIN." })
  @Authorized(selfOrAdmin("see a user's API keys", ({ root }) => (root as UserRow).id))
  @CacheControl<Context>({ scope: 'PUBLIC', namespace: ({ root }) => Namespaces.apiKeys((root as UserRow).id) })
  async apiKeys(@Root() user: UserRow, @Ctx() { loaders }: Context): Promise<ApiKeyRow[]> {
    return loaders.apiKeysByOwner.load(user.id);
  }

  @Mutation(() => User, { description: 'ADMIN only.' })
  @Authorized(Role.ADMIN)
  async createUser(
    @Arg('input', () => CreateUserInput) input: CreateUserInput,
    @Ctx() { em, loaders }: Context,
  ): Promise<User> {
    const user = await createUser(em, input);
    forgetLoaded(loaders);
    return user;
  }

  @Mutation(() => User, { description: 'The user themself or an ADMIN; only an ADMIN may change a role.' })
  @Authorized(
    selfOrAdmin('update a user', ({ args }) => args.id),
    (viewer, { args }) => viewer.role === Role.ADMIN || !args.input?.role || 'only an ADMIN may change a role.',
  )
  @ValidIds('id')
  async updateUser(
    @Arg('id', () => ID) id: string,
    @Arg('input', () => UpdateUserInput) input: UpdateUserInput,
    @Ctx() { em, loaders }: Context,
  ): Promise<User> {
    const userId = parseId(id);
    const user = userId === null ? null : await em.findOne(User, userId);
    if (!user) throw Errors.notFound('User', id);
    const updated = await updateUser(em, user, input);
    forgetLoaded(loaders);
    return updated;
  }

  @Mutation(() => Boolean, {
    description: 'ADMIN only. Deletes the user and their API keys; false when there was no such user.',
  })
  @Authorized(Role.ADMIN)
  @ValidIds('id')
  async deleteUser(@Arg('id', () => ID) id: string, @Ctx() { em, viewer, loaders }: Context): Promise<boolean> {
    const userId = parseId(id);
    if (userId === viewer!.userId) throw Errors.badInput([{ field: 'id', message: 'an ADMIN cannot delete themself' }]);
    if (userId === null) return false;
    const deleted = await em.transactional(async (tx) => {
      const user = await tx.findOne(User, userId);
      if (!user) return false;
      // Removed through the unit of work, not only by ON DELETE CASCADE: the ORM then sees every
      // removed key, so whatever listens to its changes (cache eviction) learns of them too.
      tx.remove(await tx.find(ApiKey, { owner: user }));
      tx.remove(user);
      return true;
    });
    if (deleted) forgetLoaded(loaders);
    return deleted;
  }
}
