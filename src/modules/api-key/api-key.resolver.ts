import { Arg, Args, Authorized, Ctx, FieldResolver, ID, Mutation, Query, Resolver, Root } from 'type-graphql';
import { selfOrAdmin } from '../../auth/auth-checker';
import { CacheControl } from '../../cache';
import { Namespaces } from '../../caching/namespaces';
import { type Context, forgetLoaded } from '../../context';
import { Errors } from '../../graphql/errors';
import { parseId, ValidIds } from '../../graphql/ids';
import { Role, User } from '../user/user.entity';
import type { UserRow } from '../user/user.loaders';
import { ApiKey } from './api-key.entity';
import type { ApiKeyRow } from './api-key.loaders';
import { issueApiKey } from './api-key.service';
import { CreateApiKeyArgs, CreatedApiKey } from './api-key.types';

@Resolver(() => ApiKey)
export class ApiKeyResolver {
  @Query(() => [ApiKey], { description: "The caller's API keys; an ADMIN may name another user." })
  @Authorized(selfOrAdmin("list another user's API keys", ({ args }) => args.userId))
  @ValidIds('userId')
  @CacheControl<Context>({
    scope: 'PRIVATE',
    namespace: ({ args, context }) => Namespaces.apiKeys(args.userId ?? context.viewer!.userId),
  })
  async apiKeys(
    @Arg('userId', () => ID, { nullable: true }) userId: string | null | undefined,
    @Ctx() { viewer, loaders }: Context,
  ): Promise<ApiKeyRow[]> {
    const ownerId = userId === null || userId === undefined ? viewer!.userId : parseId(userId);
    return ownerId === null ? [] : loaders.apiKeysByOwner.load(ownerId);
  }

  @FieldResolver(() => User)
  async owner(@Root() apiKey: ApiKeyRow, @Ctx() { loaders }: Context): Promise<UserRow> {
    const owner = await loaders.userById.load(apiKey.owner.id);
    if (!owner) throw Errors.notFound('User', apiKey.owner.id);
    return owner;
  }

  @Mutation(() => CreatedApiKey, { description: 'A new key for the caller, or, for an ADMIN, for userId.' })
  @Authorized(selfOrAdmin('create an API key for another user', ({ args }) => args.userId))
  @ValidIds('userId')
  async createApiKey(
    @Args(() => CreateApiKeyArgs) { name, userId }: CreateApiKeyArgs,
    @Ctx() { em, viewer, loaders }: Context,
  ): Promise<CreatedApiKey> {
    const ownerId = userId === null || userId === undefined ? viewer!.userId : parseId(userId);
    const owner = ownerId === null ? null : await em.findOne(User, ownerId);
    if (!owner) throw Errors.notFound('User', userId ?? viewer!.userId);
    const issued = await issueApiKey(em, owner, name);
    forgetLoaded(loaders);
    return issued;
  }

  @Mutation(() => Boolean, {
    description: 'The owner or an ADMIN. The key stops authenticating at once; false when there was no such key.',
  })
  @Authorized()
  @ValidIds('id')
  async revokeApiKey(@Arg('id', () => ID) id: string, @Ctx() { em, viewer, loaders }: Context): Promise<boolean> {
    const keyId = parseId(id);
    // Someone else's key answers like an absent one (false, not FORBIDDEN): key ids cannot be probed.
    const key =
      keyId === null
        ? null
        : await em.findOne(
            ApiKey,
            viewer!.role === Role.ADMIN ? { id: keyId } : { id: keyId, owner: { id: viewer!.userId } },
          );
    if (!key) return false;
    await em.remove(key).flush();
    forgetLoaded(loaders);
    return true;
  }
}
