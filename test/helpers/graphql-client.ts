import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import { type DocumentNode, print } from 'graphql';

export interface GraphQLResponse<T = Record<string, unknown>> {
  status: number;
  headers: Headers;
  body: {
    data?: T | null;
    errors?: Array<{
      message: string;
      path?: (string | number)[];
      extensions?: Record<string, unknown> & { code?: string };
    }>;
    extensions?: Record<string, unknown>;
  };
  text: string;
}

/**
 * A query: preferably a codegen `TypedDocumentNode` from client/generated (its result and variables are
 * then typed, so a schema change breaks the tests at compile time), or a string for ad-hoc selections.
 */
export type Doc<TData = any, TVars = any> = string | DocumentNode | TypedDocumentNode<TData, TVars>;

/** A tiny HTTP GraphQL client for tests: real fetch, real headers, the raw response kept. */
export class GraphQLClient {
  constructor(
    readonly url: string,
    readonly key?: string,
    private readonly useHeader: 'authorization' | 'x-api-key' = 'authorization',
  ) {}

  withApiKeyHeader(): GraphQLClient {
    return new GraphQLClient(this.url, this.key, 'x-api-key');
  }

  async request<T = Record<string, unknown>, V = Record<string, unknown>>(
    query: Doc<T, V>,
    variables?: V,
    headers: Record<string, string> = {},
  ): Promise<GraphQLResponse<T>> {
    const auth: Record<string, string> = this.key
      ? this.useHeader === 'authorization'
        ? { authorization: `Bearer ${this.key}` }
        : { 'x-api-key': this.key }
      : {};
    const res = await fetch(this.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...auth, ...headers },
      body: JSON.stringify({ query: typeof query === 'string' ? query : print(query), variables }),
    });
    const text = await res.text();
    return { status: res.status, headers: res.headers, body: JSON.parse(text), text };
  }

  /** Data of a request that must succeed; throws with the errors otherwise. */
  async ok<T = Record<string, unknown>, V = Record<string, unknown>>(
    query: Doc<T, V>,
    variables?: V,
    headers?: Record<string, string>,
  ): Promise<T> {
    const res = await this.request<T, V>(query, variables, headers);
    if (res.body.errors?.length || !res.body.data)
      throw new Error(`GraphQL request failed: ${JSON.stringify(res.body.errors ?? res.body)}`);
    return res.body.data;
  }

  /** The `extensions.code` of the first error, and the response. */
  async errorCode<T, V>(
    query: Doc<T, V>,
    variables?: V,
    headers?: Record<string, string>,
  ): Promise<string | undefined> {
    const res = await this.request(query, variables, headers);
    return res.body.errors?.[0]?.extensions?.code;
  }
}
