import { generateApiKeySecret, hashApiKeySecret, secretFromHeaders } from '../../src/auth/api-key-secret';
import { parseId } from '../../src/graphql/ids';
import { formatError } from '../../src/http/format-error';

const headers = (h: Record<string, string>) => ({ get: (name: string) => h[name] });

describe('API key secrets', () => {
  it('are prefixed, carry 32 random bytes, and differ every time', () => {
    const a = generateApiKeySecret();
    const b = generateApiKeySecret();
    expect(a).toMatch(/^gqk_[A-Za-z0-9_-]{43}$/);
    expect(Buffer.from(a.slice(4), 'base64url')).toHaveLength(32);
    expect(a).not.toBe(b);
  });

  it('hash to 64 hex characters, deterministically', () => {
    expect(hashApiKeySecret('x')).toMatch(/^[0-9a-f]{64}$/);
    expect(hashApiKeySecret('x')).toBe(hashApiKeySecret('x'));
    expect(hashApiKeySecret('x')).not.toBe(hashApiKeySecret('y'));
  });

  it('are read from Authorization: Bearer, then X-API-Key', () => {
    expect(secretFromHeaders(headers({ authorization: 'Bearer abc' }))).toBe('abc');
    expect(secretFromHeaders(headers({ authorization: 'bearer   abc ' }))).toBe('abc');
    expect(secretFromHeaders(headers({ 'x-api-key': 'def' }))).toBe('def');
    expect(secretFromHeaders(headers({}))).toBeUndefined();
    // a malformed Authorization header is not ignored: it must fail authentication
    expect(secretFromHeaders(headers({ authorization: 'Basic xyz', 'x-api-key': 'def' }))).toBe('Basic xyz');
  });
});

describe('parseId', () => {
  it.each([
    ['1', 1],
    ['42', 42],
    [' 7 ', null],
    ['07', null],
    ['0', null],
    ['-1', null],
    ['1.5', null],
    ['abc', null],
    ['99999999999999999999', null],
    ['', null],
  ])('%p -> %p', (raw, expected) => {
    expect(parseId(raw)).toBe(expected);
  });
});

describe('formatError', () => {
  it('masks anything that is not a contract code', () => {
    expect(
      formatError({
        message: 'SQLITE_ERROR: no such column: secret_hash',
        extensions: { code: 'INTERNAL_SERVER_ERROR', stacktrace: ['at x'] },
      }),
    ).toEqual({
      message: 'Internal server error',
      extensions: { code: 'INTERNAL_SERVER_ERROR' },
    });
    expect(formatError({ message: 'weird', extensions: { code: 'SOMETHING_ELSE' } }).message).toBe(
      'Internal server error',
    );
    expect(formatError({ message: 'no code' }).extensions).toEqual({ code: 'INTERNAL_SERVER_ERROR' });
  });

  it('keeps contract errors and drops their stack', () => {
    expect(
      formatError({
        message: 'Forbidden: x',
        path: ['users'],
        extensions: { code: 'FORBIDDEN', stacktrace: ['at y'] },
      }),
    ).toEqual({
      message: 'Forbidden: x',
      path: ['users'],
      extensions: { code: 'FORBIDDEN' },
    });
  });

  it('reports a bad enum literal as BAD_USER_INPUT', () => {
    const e = formatError({
      message: 'Value "SUPER" does not exist in "Role" enum.',
      extensions: { code: 'GRAPHQL_VALIDATION_FAILED' },
    });
    expect(e.extensions?.code).toBe('BAD_USER_INPUT');
  });
});
