import fc from 'fast-check';
import { buildSchema } from 'graphql';
import { jsonBytes } from '../../src/cache/stores/json-bytes';
import { toPlain } from '../../src/cache/to-plain';

const schema = buildSchema(`
  scalar DateTimeISO
  type Owner { id: ID! name: String }
  type Key { id: ID! createdAt: DateTimeISO! lastUsedAt: DateTimeISO owner: Owner! tags: [String!]! }
  type Query { keys: [Key!]! }
`);
const keysType = schema.getQueryType()!.getFields().keys!.type;

describe('toPlain', () => {
  it('keeps exactly the schema fields, Dates as ISO strings, nulls as null', () => {
    class KeyEntity {
      id = 1;
      createdAt = new Date('2026-01-02T03:04:05.678Z');
      lastUsedAt = null;
      secretHash = 'must not be stored';
      owner = { id: 9, name: 'x', password: 'nope' };
      tags = ['a'];
      helper() {
        return 1;
      }
    }
    const plain = toPlain([new KeyEntity()], keysType);
    expect(plain).toEqual([
      { id: 1, createdAt: '2026-01-02T03:04:05.678Z', lastUsedAt: null, owner: { id: 9, name: 'x' }, tags: ['a'] },
    ]);
    expect(JSON.stringify(plain)).not.toMatch(/secretHash|password|helper/);
  });

  it('builds frozen objects and lists, all the way down (the memory store hands them out as they are)', () => {
    const plain = toPlain([{ id: 1, createdAt: new Date(0), owner: { id: 2 }, tags: ['a'] }], keysType) as {
      owner: object;
      tags: string[];
    }[];
    expect(Object.isFrozen(plain)).toBe(true);
    expect(Object.isFrozen(plain[0])).toBe(true);
    expect(Object.isFrozen(plain[0]!.owner)).toBe(true);
    expect(Object.isFrozen(plain[0]!.tags)).toBe(true);
  });

  it('leaves out fields a field resolver computes, and survives cycles', () => {
    const owner: Record<string, unknown> = { id: 1 };
    const key = { id: 2, createdAt: new Date(0), owner, tags: [] };
    owner.name = 'n';
    (owner as { self?: unknown }).self = key;
    expect(toPlain(key, schema.getType('Key') as never)).toEqual({
      id: 2,
      createdAt: '1970-01-01T00:00:00.000Z',
      owner: { id: 1, name: 'n' },
      tags: [],
    });
  });
});

describe('toPlain over types that refer to each other', () => {
  const graph = buildSchema(`
    type Node { id: ID! next: Node children: [Node!] }
    type Query { node: Node }
  `);
  const nodeType = graph.getQueryType()!.getFields().node!.type;

  it('follows the schema through recursive types, and cuts a cycle in the value with null', () => {
    const a: Record<string, unknown> = { id: 'a' };
    const b: Record<string, unknown> = { id: 'b', next: a, children: [] };
    a.next = b;
    a.children = [{ id: 'c', next: null }];
    expect(toPlain(a, nodeType)).toEqual({
      id: 'a',
      next: { id: 'b', next: null, children: [] }, // b.next is a again: a cycle
      children: [{ id: 'c', next: null }],
    });
  });

  it('converts the same object twice when it is reached twice without a cycle', () => {
    const shared = { id: 's' };
    expect(toPlain({ id: 'r', children: [shared, shared] }, nodeType)).toEqual({
      id: 'r',
      children: [{ id: 's' }, { id: 's' }],
    });
  });
});

describe('toPlain measures the JSON text it builds', () => {
  const sized = buildSchema(`
    scalar DateTimeISO
    scalar JSON
    type Tag { label: String n: Float }
    type Item { id: ID! name: String ok: Boolean score: Float when: DateTimeISO tags: [Tag] list: [String] raw: JSON }
    type Query { items: [Item] }
  `);
  const itemsType = sized.getQueryType()!.getFields().items!.type;
  const text = fc.oneof(
    fc.string(),
    fc.string({ unit: 'binary' }),
    fc.constantFrom('', '"', '\\', '\n', '\u2028', '\ud800'),
  );
  const number = fc.oneof(
    fc.double(),
    fc.integer(),
    fc.constantFrom(-0, 1e21, 1e-7, Number.NaN, Number.POSITIVE_INFINITY),
  );
  const item = fc.record(
    {
      id: fc.oneof(fc.integer(), text),
      name: fc.option(text),
      ok: fc.option(fc.boolean()),
      score: fc.option(number),
      when: fc.option(fc.date({ noInvalidDate: true })),
      tags: fc.option(fc.array(fc.option(fc.record({ label: fc.option(text), n: number }, { requiredKeys: [] })))),
      list: fc.option(fc.array(fc.option(text))),
      raw: fc.option(fc.jsonValue()),
      extra: text, // not in the schema: never stored
    },
    { requiredKeys: ['id'] },
  );

  it('exactly the bytes of JSON.stringify, for any value (the cache never serialises it again)', () => {
    fc.assert(
      fc.property(fc.option(fc.array(fc.option(item))), (value) => {
        const plain = toPlain(value, itemsType);
        expect(jsonBytes(plain)).toBe(Buffer.byteLength(JSON.stringify(plain) ?? ''));
      }),
      { numRuns: 500, seed: 20261206 },
    );
  });
});
