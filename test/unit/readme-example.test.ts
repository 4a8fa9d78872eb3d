import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ApolloServer } from '@apollo/server';
import { printSchemaWithDirectives } from '@graphql-tools/utils';
import { specifiedDirectives } from 'graphql';
import { buildSchema } from 'type-graphql';
import { NoteResolver, type NotesContext } from '../../examples/notes.resolver';
import { cacheControlDirective, createCachePlugin, createMemoryStore, createResolverCache } from '../../src/cache';

describe("the README's worked example (examples/notes.resolver.ts)", () => {
  it('is the code the README shows', () => {
    const readme = readFileSync(join(__dirname, '..', '..', 'README.md'), 'utf8');
    const example = readFileSync(join(__dirname, '..', '..', 'examples', 'notes.resolver.ts'), 'utf8');
    const body = example.slice(example.indexOf('@Resolver('));
    expect(readme).toContain(body.trim());
  });

  it('caches per user, emits the directive, and evicts on the mutation', async () => {
    const schema = await buildSchema({
      resolvers: [NoteResolver],
      directives: [...specifiedDirectives, cacheControlDirective],
    });
    expect(printSchemaWithDirectives(schema)).toContain('myNotes: [Note!]! @cacheControl(maxAge: 60, scope: PRIVATE)');
    const cache = createResolverCache<NotesContext>({ store: createMemoryStore(), getSubject: (c) => c.userId });
    const server = new ApolloServer<NotesContext>({ schema, plugins: [createCachePlugin(cache)] });
    await server.start();
    const notes = new Map();
    const reads = { count: 0 };
    const run = async (query: string, userId = 'u1') => {
      const res = await server.executeOperation({ query }, { contextValue: { userId, notes, reads } });
      if (res.body.kind !== 'single') throw new Error('unexpected incremental response');
      return res.body.singleResult;
    };
    try {
      expect((await run('{ myNotes { text } }')).extensions?.cache).toMatchObject({ status: 'MISS' });
      expect((await run('{ myNotes { text } }')).extensions?.cache).toMatchObject({ status: 'HIT' });
      expect(reads.count).toBe(1);
      await run('mutation { addNote(text: "hello") { id } }');
      const after = await run('{ myNotes { text } }');
      expect(after.data).toEqual({ myNotes: [{ text: 'hello' }] });
      expect(after.extensions?.cache).toMatchObject({ status: 'MISS' });
      expect((await run('{ myNotes { text } }', 'u2')).data).toEqual({ myNotes: [] }); // PRIVATE: another user's entry
    } finally {
      await server.stop();
    }
  });
});
