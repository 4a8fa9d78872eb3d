import { parse } from 'graphql';
import { createDocumentCache, estimateEntryBytes } from '../../src/graphql/document-cache';

const inline = (id: number) => `{ user(id: "${id}") { id email fullName } }`;
const KEY = (i: number) => `schema:${String(i).padStart(64, '0')}`;

describe('the document cache behind Apollo’s documentStore and persisted queries', () => {
  it('estimates a document by its tokens and text, and a string by its length', () => {
    const small = parse('{ me { id } }');
    const large = parse(`{ ${Array.from({ length: 30 }, (_, k) => `a${k}: user(id: "${k}") { id }`).join(' ')} }`);
    expect(estimateEntryBytes('k', large)).toBeGreaterThan(10 * estimateEntryBytes('k', small));
    // a parsed document weighs far more than its text: at least a few hundred bytes per token
    expect(estimateEntryBytes('k', small)).toBeGreaterThanOrEqual(8 * 300);
    expect(estimateEntryBytes('abc', 'x'.repeat(1000))).toBe(2 * (3 + 1000));
    // without locations, it still counts something proportional to the document
    const bare = parse('{ me { id email } }', { noLocation: true });
    expect(estimateEntryBytes('k', bare)).toBeGreaterThan(JSON.stringify(bare).length);
  });

  it('keeps at most its byte budget, dropping the least recently used documents first', async () => {
    const max = 64 * 1024;
    const cache = createDocumentCache(max);
    const one = estimateEntryBytes(KEY(0), parse(inline(0)));
    for (let i = 0; i < 500; i++) await cache.documents.set(KEY(i), parse(inline(i)));
    expect(cache.bytes).toBeLessThanOrEqual(max);
    expect(cache.size).toBe(Math.floor(max / one));
    expect(await cache.documents.get(KEY(499))).toBeDefined();
    expect(await cache.documents.get(KEY(0))).toBeUndefined();
  });

  it('shares one budget between documents and persisted-query texts', async () => {
    const cache = createDocumentCache(64 * 1024);
    await cache.documents.set(KEY(1), parse(inline(1)));
    for (let i = 0; i < 200; i++) await cache.persistedQueries.set(`apq:${i}`, `query Q${i} { me { id } }`.padEnd(400));
    expect(cache.bytes).toBeLessThanOrEqual(64 * 1024);
    expect(await cache.documents.get(KEY(1))).toBeUndefined(); // pushed out by the texts
    expect(await cache.persistedQueries.get('apq:199')).toMatch(/^query Q199/);
  });

  it('does not keep an entry larger than the whole budget, and keeps what it held', async () => {
    const cache = createDocumentCache(64 * 1024);
    await cache.documents.set(KEY(1), parse(inline(1)));
    await cache.persistedQueries.set('apq:huge', 'x'.repeat(64 * 1024));
    expect(await cache.persistedQueries.get('apq:huge')).toBeUndefined();
    expect(await cache.documents.get(KEY(1))).toBeDefined();
  });

  it('honours a time to live in seconds, as Apollo passes it', async () => {
    const cache = createDocumentCache();
    await cache.persistedQueries.set('apq:short', '{ me { id } }', { ttl: 0.05 });
    await cache.persistedQueries.set('apq:forever', '{ me { id } }', { ttl: null });
    expect(await cache.persistedQueries.get('apq:short')).toBe('{ me { id } }');
    await new Promise((r) => setTimeout(r, 120));
    expect(await cache.persistedQueries.get('apq:short')).toBeUndefined();
    expect(await cache.persistedQueries.get('apq:forever')).toBe('{ me { id } }');
    expect(await cache.persistedQueries.delete('apq:forever')).toBe(true);
  });

  it('refuses a budget that is not a positive whole number', () => {
    expect(() => createDocumentCache(0)).toThrow(/positive whole number/);
    expect(() => createDocumentCache(1.5)).toThrow(/positive whole number/);
  });
});
