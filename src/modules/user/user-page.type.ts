import { Directive, Field, Int, ObjectType } from 'type-graphql';
import { User } from './user.entity';
import type { UserRow } from './user.loaders';

@ObjectType({ description: 'One page of users.', simpleResolvers: true })
@Directive('@cacheControl(inheritMaxAge: true)')
export class UserPage {
  @Field(() => [User])
  items!: UserRow[];

  @Field(() => Int, { description: 'Users in all pages.' })
  total!: number;

  @Field(() => Int)
  page!: number;

  @Field(() => Int)
  size!: number;
}
