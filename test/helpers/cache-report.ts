import type { CacheReport } from '../../src/cache';
import type { GraphQLResponse } from './graphql-client';

export type Report = CacheReport;

/** `extensions.cache` of a response (undefined when absent). */
export function cacheReport(res: GraphQLResponse<unknown>): Report | undefined {
  return res.body.extensions?.cache as Report | undefined;
}

/** The exact bytes the server wrote for `data`. */
export function dataBytes(res: GraphQLResponse<unknown>): string {
  const start = res.text.indexOf('{"data":');
  if (start !== 0) throw new Error(`response does not start with data: ${res.text.slice(0, 80)}`);
  const end = res.text.lastIndexOf(',"extensions":');
  return res.text.slice('{"data":'.length, end === -1 ? res.text.length - 1 : end);
}
