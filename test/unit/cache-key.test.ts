import { isDeepStrictEqual } from 'node:util';
import fc from 'fast-check';
import { buildCacheKey, hashArgs } from '../../src/cache/cache-key';

const json = fc.jsonValue();
const args = fc.dictionary(fc.string({ maxLength: 8 }), json, { maxKeys: 5 });
const coordinate = fc
  .tuple(fc.stringMatching(/^[A-Z][A-Za-z]{0,8}$/), fc.stringMatching(/^[a-z][A-Za-z]{0,8}$/))
  .map(([t, f]) => `${t}.${f}`);
const scope = fc.constantFrom<'PUBLIC' | 'PRIVATE'>('PUBLIC', 'PRIVATE');
const subject = fc.option(fc.string({ maxLength: 12 }), { nil: null });
const generations = ['g1', 'g2'];

describe('cache keys', () => {
  it('different (coordinate, scope/subject, args) never share a key', () => {
    fc.assert(
      fc.property(fc.tuple(coordinate, scope, subject, args), fc.tuple(coordinate, scope, subject, args), (a, b) => {
        // An independent model of "the same call": same coordinate and scope, the same subject when PRIVATE,
        // and arguments equal as JSON values (key order ignored by isDeepStrictEqual; -0 is 0 in JSON).
        const asJson = (v: unknown) => JSON.parse(JSON.stringify(v));
        const same =
          a[0] === b[0] &&
          a[1] === b[1] &&
          (a[1] === 'PUBLIC' || (a[2] ?? '') === (b[2] ?? '')) &&
          isDeepStrictEqual(asJson(a[3]), asJson(b[3]));
        const keyOf = (x: typeof a) =>
          buildCacheKey({ coordinate: x[0], scope: x[1], subject: x[2], args: x[3], generations });
        fc.pre(!same);
        expect(keyOf(a)).not.toBe(keyOf(b));
      }),
      { numRuns: 2000 },
    );
  });

  it('the order of argument keys does not matter', () => {
    fc.assert(
      fc.property(args, (a) => {
        const reversed = Object.fromEntries(Object.entries(a).reverse());
        expect(hashArgs(reversed)).toBe(hashArgs(a));
      }),
    );
    expect(hashArgs({ page: 1, size: 20, filter: { b: 1, a: 2 } })).toBe(
      hashArgs({ filter: { a: 2, b: 1 }, size: 20, page: 1 }),
    );
  });

  it('"1" and 1 differ; null differs from absent; absent equals undefined', () => {
    expect(hashArgs({ id: '1' })).not.toBe(hashArgs({ id: 1 }));
    expect(hashArgs({ id: null })).not.toBe(hashArgs({}));
    expect(hashArgs({ id: undefined })).toBe(hashArgs({}));
    expect(hashArgs(undefined)).toBe(hashArgs({}));
    expect(hashArgs({ a: [1, 2] })).not.toBe(hashArgs({ a: [2, 1] }));
    expect(hashArgs({ a: 'x,y' })).not.toBe(hashArgs({ a: ['x', 'y'] }));
  });

  it('generations are part of the key', () => {
    const base = { coordinate: 'Query.me', scope: 'PRIVATE' as const, subject: '1', args: {} };
    expect(buildCacheKey({ ...base, generations: ['a', 'b'] })).not.toBe(
      buildCacheKey({ ...base, generations: ['a', 'c'] }),
    );
    expect(buildCacheKey({ ...base, generations: ['a', 'b'] })).toBe(
      buildCacheKey({ ...base, generations: ['a', 'b'] }),
    );
  });

  it('PRIVATE keys differ by subject and never show it; PUBLIC keys ignore it', () => {
    const base = { coordinate: 'Query.me', args: {}, generations };
    const k7 = buildCacheKey({ ...base, scope: 'PRIVATE', subject: '7' });
    expect(k7).not.toBe(buildCacheKey({ ...base, scope: 'PRIVATE', subject: '8' }));
    expect(k7.split(':')[2]).not.toContain('7');
    expect(buildCacheKey({ ...base, scope: 'PUBLIC', subject: '7' })).toBe(
      buildCacheKey({ ...base, scope: 'PUBLIC', subject: '8' }),
    );
    expect(k7).toMatch(/^gqlc:Query\.me:u-[\w-]+:[\w-]+:[\w-]+$/);
  });
});
