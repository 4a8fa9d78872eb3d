import { CacheControl } from '../../src/cache';

describe('@CacheControl misuse', () => {
  it.each([
    [{ namespace: '' }, '@CacheControl namespace must be a non-empty string, a list of them, or a function, got: ""'],
    [{ namespace: [] }, '@CacheControl namespace must be a non-empty string, a list of them, or a function, got: []'],
    [{ namespace: 'a', maxAge: -1 }, '@CacheControl maxAge must be a whole number of seconds >= 0, got: -1'],
    [{ namespace: 'a', maxAge: 1.5 }, '@CacheControl maxAge must be a whole number of seconds >= 0, got: 1.5'],
    [{ namespace: 'a', scope: 'SHARED' }, '@CacheControl scope must be PUBLIC or PRIVATE, got: "SHARED"'],
    [
      { namespace: 'a', key: ['tenantId'] },
      '@CacheControl key must be a function of { args, context, info, root } answering an array, got: ["tenantId"]',
    ],
    [
      { namespace: 'a', key: 'tenantId' },
      '@CacheControl key must be a function of { args, context, info, root } answering an array, got: "tenantId"',
    ],
    [
      { namespace: 'a', key: null },
      '@CacheControl key must be a function of { args, context, info, root } answering an array, got: null',
    ],
  ])('%p', (options, message) => {
    expect(() => CacheControl(options as never)).toThrow(message);
  });
});
