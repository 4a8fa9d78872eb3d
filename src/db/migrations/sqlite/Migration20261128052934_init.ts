import { Migration } from '@mikro-orm/migrations';

export class Migration20261128052934_init extends Migration {
  override async up(): Promise<void> {
    this.addSql(
      `create table \`users\` (\`id\` integer not null primary key autoincrement, \`email\` text not null, \`full_name\` text not null, \`role\` text check (\`role\` in ('USER', 'ADMIN')) not null default 'USER', \`created_at\` datetime not null, \`updated_at\` datetime not null);`,
    );
    this.addSql(`create unique index \`users_email_unique\` on \`users\` (\`email\`);`);

    this.addSql(
      `create table \`api_keys\` (\`id\` integer not null primary key autoincrement, \`name\` text not null, \`prefix\` text not null, \`secret_hash\` text not null, \`created_at\` datetime not null, \`last_used_at\` datetime null, \`owner_id\` integer not null, constraint \`api_keys_owner_id_foreign\` foreign key(\`owner_id\`) references \`users\`(\`id\`) on delete cascade on update cascade);`,
    );
    this.addSql(`create unique index \`api_keys_secret_hash_unique\` on \`api_keys\` (\`secret_hash\`);`);
    this.addSql(`create index \`api_keys_owner_id_index\` on \`api_keys\` (\`owner_id\`);`);
  }
}
