/**
 * Writes schema.graphql from the code (no database needed): `npm run schema`.
 * `--check` writes nothing and exits 1 when the committed file differs: `npm run schema:check`.
 */
import 'reflect-metadata';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildAppSchema, printAppSchema } from '../src/graphql/schema';

async function main(): Promise<void> {
  const file = join(__dirname, '..', 'schema.graphql');
  const sdl = printAppSchema(await buildAppSchema());
  if (process.argv.includes('--check')) {
    let committed = '';
    try {
      committed = readFileSync(file, 'utf8');
    } catch {
      // missing counts as drift
    }
    if (committed !== sdl) {
      console.error('schema.graphql is out of date with the code: run `npm run schema` and commit it.');
      process.exit(1);
    }
    console.log('schema.graphql is up to date.');
    return;
  }
  writeFileSync(file, sdl);
  console.log(`wrote ${file}`);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
