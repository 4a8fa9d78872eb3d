import { loadConfig } from '../../src/config';
import { liveHeapBoundMiB, memoryStoreCount } from '../../src/memory-bound';

describe('the documented bound of the live heap', () => {
  const config = (env: Record<string, string> = {}) => loadConfig({ NODE_ENV: 'production', ...env });

  it('counts the memory stores the configuration makes', () => {
    expect(memoryStoreCount(config())).toBe(2); // entries + operation tier
    expect(memoryStoreCount(config({ CACHE_OPERATION_TIER: 'false' }))).toBe(1);
    expect(memoryStoreCount(config({ REDIS_ENABLED: 'true' }))).toBe(3); // fallback + local tier + operation tier
    expect(memoryStoreCount(config({ CACHE_ENABLED: 'false' }))).toBe(0);
  });

  it('is 50 MiB, plus 2.5 heap bytes per byte each store may count, plus the document cache', () => {
    // defaults: two stores of 64 MiB, 16 MiB of documents
    expect(liveHeapBoundMiB(config())).toBe(50 + 2 * 2.5 * 64 + 16);
    expect(liveHeapBoundMiB(config({ CACHE_MAX_BYTES: String(8 * 1024 * 1024) }))).toBe(50 + 2 * 2.5 * 8 + 16);
    expect(liveHeapBoundMiB(config({ REDIS_ENABLED: 'true' }))).toBe(50 + 3 * 2.5 * 64 + 16);
    expect(
      liveHeapBoundMiB(config({ CACHE_ENABLED: 'false', DOCUMENT_CACHE_MAX_BYTES: String(4 * 1024 * 1024) })),
    ).toBe(50 + 4);
  });
});
