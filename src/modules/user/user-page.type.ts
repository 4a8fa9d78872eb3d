import { Field, Int, ObjectType } from 'type-graphql';
import { User } from './user.entity';

@ObjectType({ description: 'One page of users.' })
export class UserPage {
  @Field(() => [User])
  items!: User[];

  @Field(() => Int, { description: 'Users in all pages.' })
  total!: number;

  @Field(() => Int)
  page!: number;

  @Field(() => Int)
  size!: number;
}
