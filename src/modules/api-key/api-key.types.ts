import { Length, Matches } from 'class-validator';
import { ArgsType, Field, ID, ObjectType } from 'type-graphql';
import { ApiKey } from './api-key.entity';

@ObjectType({ description: 'A new API key and its secret: the only time the secret is shown.' })
export class CreatedApiKey {
  @Field(() => ApiKey)
  apiKey!: ApiKey;

  @Field(() => String, {
    description: 'Send as "Authorization: Bearer <secret>" or "X-API-Key: <secret>". Not shown again.',
  })
  secret!: string;
}

@ArgsType()
export class CreateApiKeyArgs {
  @Field(() => String, { description: 'A label, 1 to 100 characters.' })
  @Length(1, 100, { message: 'must be between 1 and 100 characters' })
  @Matches(/\S/, { message: 'must not be blank' })
  name!: string;

  @Field(() => ID, {
    nullable: true,
    description: 'The owner; only an ADMIN may name another user. Default: the caller.',
  })
  userId?: string | null;
}
