import { createHash } from 'node:crypto';
import { isDeepStrictEqual } from 'node:util';
import fc from 'fast-check';
import { buildCacheKey, hashArgs, keyPartsText, maxKeyPartsBytes } from '../../src/cache/cache-key';

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

describe('custom key parts', () => {
  const sha = (text: string, length: number) => createHash('sha256').update(text).digest('base64url').slice(0, length);
  const base = {
    coordinate: 'Query.users',
    scope: 'PUBLIC' as const,
    subject: null,
    args: { size: 20, page: 1 },
    generations: ['g1', 'g2'],
  };

  it('without key parts, the key is byte for byte what it was before them', () => {
    const expected = 'gqlc:Query.users:public:TeitNZtmLj5t5NySSkw1wI2VuRNcPRjHWud_G46koyY:SDYEzexkT-rwlgYj';
    expect(buildCacheKey(base)).toBe(expected);
    expect(buildCacheKey({ ...base, keyParts: undefined })).toBe(expected);
    // The formula before key parts existed, computed independently.
    expect(expected).toBe(`gqlc:Query.users:public:${sha('{"page":1,"size":20}', 43)}:${sha('g1\ng2', 16)}`);
    const privateKey = buildCacheKey({ ...base, scope: 'PRIVATE', subject: '7', prefix: 'app:c' });
    expect(privateKey).toBe(
      `app:c:Query.users:u-${sha('subject:7', 22)}:${sha('{"page":1,"size":20}', 43)}:${sha('g1\ng2', 16)}`,
    );
  });

  it('key parts add one fixed-length segment (sha256 base64url of their canonical JSON)', () => {
    const key = buildCacheKey({ ...base, keyParts: ['tenant-a', 'en'] });
    expect(key).toBe(`${buildCacheKey(base)}:k-${sha('["tenant-a","en"]', 43)}`);
    const long = buildCacheKey({ ...base, keyParts: ['x'.repeat(maxKeyPartsBytes - 4)] });
    expect(long).toHaveLength(key.length);
    expect(long).not.toContain('xxx');
  });

  it('different key parts never share a key; equal ones always do', () => {
    const keyOf = (keyParts?: readonly unknown[]) => buildCacheKey({ ...base, keyParts });
    const distinct = [
      undefined,
      [],
      [null],
      ['tenant-a'],
      ['tenant-b'],
      ['tenant-a', 'en'],
      ['tenant-a,en'],
      ['en', 'tenant-a'],
      ['1'],
      [1],
      [true],
      ['true'],
    ];
    const keys = distinct.map(keyOf);
    expect(new Set(keys).size).toBe(distinct.length);
    expect(keyOf(['tenant-a', 'en'])).toBe(keyOf(['tenant-a', 'en']));
    fc.assert(
      fc.property(
        fc.array(
          fc.oneof(fc.string(), fc.double({ noNaN: true, noDefaultInfinity: true }), fc.boolean(), fc.constant(null)),
          {
            maxLength: 4,
          },
        ),
        fc.array(fc.string(), { maxLength: 4 }),
        (a, b) => {
          fc.pre(JSON.stringify(a) !== JSON.stringify(b));
          expect(keyOf(a)).not.toBe(keyOf(b));
        },
      ),
    );
  });

  it.each([
    ['not an array', 'tenant-a', 'key parts must be an array, got: "tenant-a"'],
    ['undefined', undefined, 'key parts must be an array, got: undefined'],
    ['an object', { tenant: 'a' }, 'key parts must be an array, got: an object'],
    ['a nested object', [{ tenant: 'a' }], 'part 0 is: an object'],
    ['a nested array', ['a', ['b']], 'part 1 is: an array'],
    ['undefined inside', ['a', undefined], 'part 1 is: undefined'],
    ['NaN', [Number.NaN], 'part 0 is: NaN'],
    ['Infinity', [Number.POSITIVE_INFINITY], 'part 0 is: Infinity'],
    ['a bigint', [1n], 'part 0 is: bigint'],
    ['a function', [() => 1], 'part 0 is: function'],
    ['a Date', [new Date(0)], 'part 0 is: an object'],
    [
      'too large',
      ['x'.repeat(maxKeyPartsBytes)],
      `key parts must be at most ${maxKeyPartsBytes} bytes as JSON, got: 1028 bytes`,
    ],
  ])('refuses %s', (_what, keyParts, message) => {
    expect(() => keyPartsText(keyParts)).toThrow(TypeError);
    expect(() => keyPartsText(keyParts)).toThrow(message);
    // (undefined there means "no key parts": the default key)
    if (keyParts !== undefined) expect(() => buildCacheKey({ ...base, keyParts: keyParts as never })).toThrow(message);
  });

  it('accepts scalars up to the cap, measured in UTF-8 bytes of the canonical JSON', () => {
    expect(maxKeyPartsBytes).toBe(1024);
    expect(keyPartsText(['a', 1, -2.5, true, false, null])).toBe('["a",1,-2.5,true,false,null]');
    expect(() => keyPartsText(['x'.repeat(maxKeyPartsBytes - 4)])).not.toThrow(); // ["…"]: 4 more bytes
    expect(() => keyPartsText(['é'.repeat(maxKeyPartsBytes / 2 - 1)])).toThrow('got: 1026 bytes');
  });
});
