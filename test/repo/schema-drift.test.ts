import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildSchema } from 'graphql';
import { buildAppSchema, printAppSchema } from '../../src/graphql/schema';

describe('schema.graphql', () => {
  it('is what the code emits (run `npm run schema` and commit it when this fails)', async () => {
    const committed = readFileSync(join(__dirname, '..', '..', 'schema.graphql'), 'utf8');
    expect(committed).toBe(printAppSchema(await buildAppSchema()));
  });

  it('parses on its own, @cacheControl directive included', () => {
    const sdl = readFileSync(join(__dirname, '..', '..', 'schema.graphql'), 'utf8');
    const schema = buildSchema(sdl);
    expect(schema.getDirective('cacheControl')).toBeDefined();
    expect(schema.getType('CacheControlScope')).toBeDefined();
  });
});
