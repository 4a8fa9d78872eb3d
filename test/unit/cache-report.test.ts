import { CacheReportCollector } from '../../src/cache/report';

const field = (status: 'HIT' | 'MISS' | 'BYPASS') => ({
  path: 'x',
  status,
  scope: 'PUBLIC' as const,
  maxAge: 1,
  age: 0,
});

describe('CacheReportCollector', () => {
  it('HIT when all hit, MISS when all missed, PARTIAL for a mix, BYPASS when asked', () => {
    const status = (bypass: boolean, ...s: ('HIT' | 'MISS' | 'BYPASS')[]) => {
      const c = new CacheReportCollector(bypass);
      for (const x of s) c.record(field(x));
      return c.toReport();
    };
    expect(status(false)).toBeNull();
    expect(status(false, 'HIT', 'HIT')).toMatchObject({ status: 'HIT', hits: 2, misses: 0 });
    expect(status(false, 'MISS')).toMatchObject({ status: 'MISS', hits: 0, misses: 1 });
    expect(status(false, 'HIT', 'MISS')).toMatchObject({ status: 'PARTIAL', hits: 1, misses: 1 });
    expect(status(true, 'BYPASS', 'BYPASS')).toMatchObject({ status: 'BYPASS', hits: 0, misses: 2 });
  });
});
