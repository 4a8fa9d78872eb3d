import type { Dataset } from './seed-db';

/** One concrete request of a workload: the load generator cycles through a workload's variants. */
export interface Variant {
  headers: Record<string, string>;
  /** The JSON request body, sent byte for byte the same to every target. */
  body: string;
}

export interface Workload {
  id: string;
  title: string;
  /** The operation, for the report. */
  query: string;
  caller: string;
  variants: (ds: Dataset) => Variant[];
}

const USERS_WITH_KEYS =
  '{ users(page: 1, size: 50) { total items { id email fullName role createdAt apiKeys { id name prefix } } } }';

const asAdmin =
  (query: string) =>
  (ds: Dataset): Variant[] => [
    { headers: { authorization: `Bearer ${ds.adminKey}` }, body: JSON.stringify({ query }) },
  ];
const perUserKey =
  (query: string) =>
  (ds: Dataset): Variant[] =>
    ds.userKeys.map((key) => ({ headers: { authorization: `Bearer ${key}` }, body: JSON.stringify({ query }) }));

export const WORKLOADS: Workload[] = [
  {
    id: 'users-page',
    title: 'A page of users (ADMIN)',
    query: '{ users(page: 1, size: 50) { items { id email fullName role } total } }',
    caller: 'ADMIN',
    variants: asAdmin('{ users(page: 1, size: 50) { items { id email fullName role } total } }'),
  },
  {
    id: 'user-by-id',
    title: 'One user by id (10 USER keys in turn)',
    query: '{ user(id: "7") { id email fullName } }',
    caller: '10 USER keys',
    variants: perUserKey('{ user(id: "7") { id email fullName } }'),
  },
  {
    id: 'me',
    title: 'The caller and their keys (10 USER keys in turn)',
    query: '{ me { id email apiKeys { id name prefix } } }',
    caller: '10 USER keys',
    variants: perUserKey('{ me { id email apiKeys { id name prefix } } }'),
  },
  {
    id: 'users-keys',
    title: 'A page of users with their keys (ADMIN): the headline',
    query: USERS_WITH_KEYS,
    caller: 'ADMIN',
    variants: asAdmin(USERS_WITH_KEYS),
  },
  {
    id: 'miss',
    title: 'The miss path: the same page with `Cache-Control: no-cache`',
    query: `${USERS_WITH_KEYS} + header Cache-Control: no-cache`,
    caller: 'ADMIN',
    variants: (ds) =>
      asAdmin(USERS_WITH_KEYS)(ds).map((v) => ({ ...v, headers: { ...v.headers, 'cache-control': 'no-cache' } })),
  },
];

export const HEADLINE = 'users-keys';

/** The mix's read and write, with variables, so that every request of a kind is the same document. */
export const MIX_READ = 'query MixRead($id: ID!) { user(id: $id) { id email fullName } }';
export const MIX_WRITE =
  'mutation MixWrite($id: ID!, $fullName: String!) { updateUser(id: $id, input: { fullName: $fullName }) { id fullName } }';
