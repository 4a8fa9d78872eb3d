import { IsEmail, IsOptional, Length, Matches, Max, MaxLength, Min } from 'class-validator';
import { ArgsType, Field, InputType, Int } from 'type-graphql';
import { Role } from './user.entity';

const EMAIL = { message: 'must be a valid email address' };
const FULL_NAME = { message: 'must be between 1 and 200 characters' };

@InputType({ description: 'A new user. Emails are unique, compared case-insensitively.' })
export class CreateUserInput {
  @Field(() => String)
  @IsEmail({}, EMAIL)
  @MaxLength(254, { message: 'must be at most 254 characters' })
  email!: string;

  @Field(() => String)
  @Length(1, 200, FULL_NAME)
  @Matches(/\S/, { message: 'must not be blank' })
  fullName!: string;

  @Field(() => Role, { nullable: true, defaultValue: Role.USER })
  @IsOptional()
  role?: Role | null = Role.USER;
}

@InputType({ description: 'Fields to change; those left out stay as they are. Only an ADMIN may change a role.' })
export class UpdateUserInput {
  @Field(() => String, { nullable: true })
  @IsOptional()
  @IsEmail({}, EMAIL)
  @MaxLength(254, { message: 'must be at most 254 characters' })
  email?: string;

  @Field(() => String, { nullable: true })
  @IsOptional()
  @Length(1, 200, FULL_NAME)
  @Matches(/\S/, { message: 'must not be blank' })
  fullName?: string;

  @Field(() => Role, { nullable: true })
  @IsOptional()
  role?: Role;
}

export const MAX_PAGE_SIZE = 100;

@ArgsType()
export class UsersArgs {
  @Field(() => Int, { defaultValue: 1, description: '1-based page number.' })
  @Min(1, { message: 'must be at least 1' })
  page: number = 1;

  @Field(() => Int, { defaultValue: 20, description: `Items per page, 1 to ${MAX_PAGE_SIZE}.` })
  @Min(1, { message: `must be between 1 and ${MAX_PAGE_SIZE}` })
  @Max(MAX_PAGE_SIZE, { message: `must be between 1 and ${MAX_PAGE_SIZE}` })
  size: number = 20;
}
