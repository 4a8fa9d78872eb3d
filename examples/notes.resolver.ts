// The README's worked example: caching a resolver with @CacheControl, evicting with @Evicts.
// test/unit/readme-example.test.ts runs it against a real schema and Apollo Server.
import { Arg, Ctx, Field, ID, Mutation, ObjectType, Query, Resolver } from 'type-graphql';
import { CacheControl, Evicts } from '../src/cache';

@ObjectType()
export class Note {
  @Field(() => ID) id!: string;
  @Field(() => String) text!: string;
}

export interface NotesContext {
  userId: string;
  notes: Map<string, Note[]>; // stands in for a database
  reads: { count: number };
}

@Resolver(() => Note)
export class NoteResolver {
  @Query(() => [Note])
  @CacheControl<NotesContext>({ maxAge: 60, scope: 'PRIVATE', namespace: ({ context }) => `notes:${context.userId}` })
  myNotes(@Ctx() { userId, notes, reads }: NotesContext): Note[] {
    reads.count++;
    return notes.get(userId) ?? [];
  }

  @Mutation(() => Note)
  @Evicts<NotesContext>(({ context }) => `notes:${context.userId}`)
  addNote(@Arg('text', () => String) text: string, @Ctx() { userId, notes }: NotesContext): Note {
    const note = { id: String(Date.now()), text };
    notes.set(userId, [...(notes.get(userId) ?? []), note]); // committed before @Evicts runs
    return note;
  }
}
