import { Entity, Enum, OptionalProps, PrimaryKey, Property } from '@mikro-orm/core';
import { Directive, Field, ID, ObjectType, registerEnumType } from 'type-graphql';
import { DateTimeISO } from '../../graphql/date-time';

export enum Role {
  USER = 'USER',
  ADMIN = 'ADMIN',
}

registerEnumType(Role, { name: 'Role', description: 'What a user may do: ADMIN manages every user and key.' });

@ObjectType({ description: 'A person who calls the API with one of their API keys.', simpleResolvers: true })
@Directive('@cacheControl(inheritMaxAge: true)')
@Entity({ tableName: 'users' })
export class User {
  [OptionalProps]?: 'role' | 'createdAt' | 'updatedAt';

  @Field(() => ID)
  @PrimaryKey({ autoincrement: true })
  id!: number;

  /** Stored lower-cased and trimmed, so uniqueness is case-insensitive. */
  @Field(() => String)
  @Property({ length: 254, unique: true })
  email!: string;

  @Field(() => String)
  @Property({ length: 200 })
  fullName!: string;

  @Field(() => Role)
  @Enum({ items: () => Role, default: Role.USER })
  role: Role = Role.USER;

  @Field(() => DateTimeISO)
  @Property({ type: 'Date' })
  createdAt: Date = new Date();

  @Field(() => DateTimeISO)
  @Property({ type: 'Date', onUpdate: () => new Date() })
  updatedAt: Date = new Date();
}
