import { Entity, ManyToOne, OptionalProps, PrimaryKey, Property, type Ref } from '@mikro-orm/core';
import { Directive, Field, ID, ObjectType } from 'type-graphql';
import { DateTimeISO } from '../../graphql/date-time';
import { User } from '../user/user.entity';

@ObjectType({
  description: 'An API key of a user. Its secret is shown once, at creation, and stored only as a hash.',
  simpleResolvers: true,
})
@Directive('@cacheControl(inheritMaxAge: true)')
@Entity({ tableName: 'api_keys' })
export class ApiKey {
  [OptionalProps]?: 'createdAt' | 'lastUsedAt';

  @Field(() => ID)
  @PrimaryKey({ autoincrement: true })
  id!: number;

  @Field(() => String)
  @Property({ length: 100 })
  name!: string;

  @Field(() => String, { description: 'First characters of the secret, for display.' })
  @Property({ length: 16 })
  prefix!: string;

  /** SHA-256 (hex) of the secret. The secret has 256 bits of entropy, so a fast hash is enough. */
  @Property({ length: 64, unique: true, hidden: true })
  secretHash!: string;

  @Field(() => DateTimeISO)
  @Property({ type: 'Date' })
  createdAt: Date = new Date();

  @Field(() => DateTimeISO, { nullable: true })
  @Property({ type: 'Date', nullable: true })
  lastUsedAt: Date | null = null;

  /** Deleted with its user (ON DELETE CASCADE). Exposed to GraphQL by a batched field resolver. */
  @ManyToOne(() => User, { ref: true, deleteRule: 'cascade', index: true })
  owner!: Ref<User>;
}
