import { CacheReportCollector } from '../../src/cache/report';

type S = 'HIT' | 'STALE' | 'MISS' | 'BYPASS';
const field = (status: S) => ({
  path: 'x',
  status,
  scope: 'PUBLIC' as const,
  maxAge: 1,
  age: 0,
});

describe('CacheReportCollector', () => {
  it('HIT when all hit, MISS when all missed, PARTIAL for a mix, BYPASS when asked', () => {
    const status = (bypass: boolean, ...s: S[]) => {
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

  it('STALE when every field came from the cache and one was stale; counted apart; PARTIAL with a miss', () => {
    const report = (...s: S[]) => {
      const c = new CacheReportCollector(false);
      for (const x of s) c.record(field(x));
      return c.toReport();
    };
    expect(report('HIT', 'STALE')).toMatchObject({ status: 'STALE', hits: 1, misses: 0, stale: 1 });
    expect(report('STALE', 'STALE')).toMatchObject({ status: 'STALE', hits: 0, misses: 0, stale: 2 });
    expect(report('STALE', 'MISS')).toMatchObject({ status: 'PARTIAL', hits: 0, misses: 1, stale: 1 });
    expect(report('HIT', 'HIT')).not.toHaveProperty('stale');
  });
});
