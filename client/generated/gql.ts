/* eslint-disable */
import * as types from './graphql';
import type { TypedDocumentNode as DocumentNode } from '@graphql-typed-document-node/core';

/**
 * Map of all GraphQL operations in the project.
 *
 * This map has several performance disadvantages:
 * 1. It is not tree-shakeable, so it will include all operations in the project.
 * 2. It is not minifiable, so the string of a GraphQL query will be multiple times inside the bundle.
 * 3. It does not support dead code elimination, so it will add unused operations.
 *
 * Therefore it is highly recommended to use the babel or swc plugin for production.
 * Learn more about it here: https://the-guild.dev/graphql/codegen/plugins/presets/preset-client#reducing-bundle-size
 */
type Documents = {
    "query ApiKeys($userId: ID) {\n  apiKeys(userId: $userId) {\n    id\n    name\n    prefix\n    createdAt\n    lastUsedAt\n    owner {\n      id\n      email\n      fullName\n    }\n  }\n}": typeof types.ApiKeysDocument,
    "mutation CreateApiKey($name: String!, $userId: ID) {\n  createApiKey(name: $name, userId: $userId) {\n    secret\n    apiKey {\n      id\n      name\n      prefix\n      createdAt\n      lastUsedAt\n      owner {\n        id\n        email\n      }\n    }\n  }\n}": typeof types.CreateApiKeyDocument,
    "mutation CreateUser($input: CreateUserInput!) {\n  createUser(input: $input) {\n    id\n    email\n    fullName\n    role\n    createdAt\n    updatedAt\n  }\n}": typeof types.CreateUserDocument,
    "mutation DeleteUser($id: ID!) {\n  deleteUser(id: $id)\n}": typeof types.DeleteUserDocument,
    "query Me {\n  me {\n    id\n    email\n    fullName\n    role\n    createdAt\n    updatedAt\n  }\n}": typeof types.MeDocument,
    "mutation RevokeApiKey($id: ID!) {\n  revokeApiKey(id: $id)\n}": typeof types.RevokeApiKeyDocument,
    "mutation UpdateUser($id: ID!, $input: UpdateUserInput!) {\n  updateUser(id: $id, input: $input) {\n    id\n    email\n    fullName\n    role\n    createdAt\n    updatedAt\n  }\n}": typeof types.UpdateUserDocument,
    "query User($id: ID!) {\n  user(id: $id) {\n    id\n    email\n    fullName\n    role\n    createdAt\n    updatedAt\n  }\n}": typeof types.UserDocument,
    "query Users($page: Int! = 1, $size: Int! = 20) {\n  users(page: $page, size: $size) {\n    total\n    page\n    size\n    items {\n      id\n      email\n      fullName\n      role\n      createdAt\n      updatedAt\n      apiKeys {\n        id\n        name\n        prefix\n        createdAt\n        lastUsedAt\n      }\n    }\n  }\n}": typeof types.UsersDocument,
};
const documents: Documents = {
    "query ApiKeys($userId: ID) {\n  apiKeys(userId: $userId) {\n    id\n    name\n    prefix\n    createdAt\n    lastUsedAt\n    owner {\n      id\n      email\n      fullName\n    }\n  }\n}": types.ApiKeysDocument,
    "mutation CreateApiKey($name: String!, $userId: ID) {\n  createApiKey(name: $name, userId: $userId) {\n    secret\n    apiKey {\n      id\n      name\n      prefix\n      createdAt\n      lastUsedAt\n      owner {\n        id\n        email\n      }\n    }\n  }\n}": types.CreateApiKeyDocument,
    "mutation CreateUser($input: CreateUserInput!) {\n  createUser(input: $input) {\n    id\n    email\n    fullName\n    role\n    createdAt\n    updatedAt\n  }\n}": types.CreateUserDocument,
    "mutation DeleteUser($id: ID!) {\n  deleteUser(id: $id)\n}": types.DeleteUserDocument,
    "query Me {\n  me {\n    id\n    email\n    fullName\n    role\n    createdAt\n    updatedAt\n  }\n}": types.MeDocument,
    "mutation RevokeApiKey($id: ID!) {\n  revokeApiKey(id: $id)\n}": types.RevokeApiKeyDocument,
    "mutation UpdateUser($id: ID!, $input: UpdateUserInput!) {\n  updateUser(id: $id, input: $input) {\n    id\n    email\n    fullName\n    role\n    createdAt\n    updatedAt\n  }\n}": types.UpdateUserDocument,
    "query User($id: ID!) {\n  user(id: $id) {\n    id\n    email\n    fullName\n    role\n    createdAt\n    updatedAt\n  }\n}": types.UserDocument,
    "query Users($page: Int! = 1, $size: Int! = 20) {\n  users(page: $page, size: $size) {\n    total\n    page\n    size\n    items {\n      id\n      email\n      fullName\n      role\n      createdAt\n      updatedAt\n      apiKeys {\n        id\n        name\n        prefix\n        createdAt\n        lastUsedAt\n      }\n    }\n  }\n}": types.UsersDocument,
};

/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 *
 *
 * @example
 * ```ts
 * const query = graphql(`query GetUser($id: ID!) { user(id: $id) { name } }`);
 * ```
 *
 * The query argument is unknown!
 * Please regenerate the types.
 */
export function graphql(source: string): unknown;

/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "query ApiKeys($userId: ID) {\n  apiKeys(userId: $userId) {\n    id\n    name\n    prefix\n    createdAt\n    lastUsedAt\n    owner {\n      id\n      email\n      fullName\n    }\n  }\n}"): (typeof documents)["query ApiKeys($userId: ID) {\n  apiKeys(userId: $userId) {\n    id\n    name\n    prefix\n    createdAt\n    lastUsedAt\n    owner {\n      id\n      email\n      fullName\n    }\n  }\n}"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "mutation CreateApiKey($name: String!, $userId: ID) {\n  createApiKey(name: $name, userId: $userId) {\n    secret\n    apiKey {\n      id\n      name\n      prefix\n      createdAt\n      lastUsedAt\n      owner {\n        id\n        email\n      }\n    }\n  }\n}"): (typeof documents)["mutation CreateApiKey($name: String!, $userId: ID) {\n  createApiKey(name: $name, userId: $userId) {\n    secret\n    apiKey {\n      id\n      name\n      prefix\n      createdAt\n      lastUsedAt\n      owner {\n        id\n        email\n      }\n    }\n  }\n}"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "mutation CreateUser($input: CreateUserInput!) {\n  createUser(input: $input) {\n    id\n    email\n    fullName\n    role\n    createdAt\n    updatedAt\n  }\n}"): (typeof documents)["mutation CreateUser($input: CreateUserInput!) {\n  createUser(input: $input) {\n    id\n    email\n    fullName\n    role\n    createdAt\n    updatedAt\n  }\n}"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "mutation DeleteUser($id: ID!) {\n  deleteUser(id: $id)\n}"): (typeof documents)["mutation DeleteUser($id: ID!) {\n  deleteUser(id: $id)\n}"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "query Me {\n  me {\n    id\n    email\n    fullName\n    role\n    createdAt\n    updatedAt\n  }\n}"): (typeof documents)["query Me {\n  me {\n    id\n    email\n    fullName\n    role\n    createdAt\n    updatedAt\n  }\n}"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "mutation RevokeApiKey($id: ID!) {\n  revokeApiKey(id: $id)\n}"): (typeof documents)["mutation RevokeApiKey($id: ID!) {\n  revokeApiKey(id: $id)\n}"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "mutation UpdateUser($id: ID!, $input: UpdateUserInput!) {\n  updateUser(id: $id, input: $input) {\n    id\n    email\n    fullName\n    role\n    createdAt\n    updatedAt\n  }\n}"): (typeof documents)["mutation UpdateUser($id: ID!, $input: UpdateUserInput!) {\n  updateUser(id: $id, input: $input) {\n    id\n    email\n    fullName\n    role\n    createdAt\n    updatedAt\n  }\n}"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "query User($id: ID!) {\n  user(id: $id) {\n    id\n    email\n    fullName\n    role\n    createdAt\n    updatedAt\n  }\n}"): (typeof documents)["query User($id: ID!) {\n  user(id: $id) {\n    id\n    email\n    fullName\n    role\n    createdAt\n    updatedAt\n  }\n}"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "query Users($page: Int! = 1, $size: Int! = 20) {\n  users(page: $page, size: $size) {\n    total\n    page\n    size\n    items {\n      id\n      email\n      fullName\n      role\n      createdAt\n      updatedAt\n      apiKeys {\n        id\n        name\n        prefix\n        createdAt\n        lastUsedAt\n      }\n    }\n  }\n}"): (typeof documents)["query Users($page: Int! = 1, $size: Int! = 20) {\n  users(page: $page, size: $size) {\n    total\n    page\n    size\n    items {\n      id\n      email\n      fullName\n      role\n      createdAt\n      updatedAt\n      apiKeys {\n        id\n        name\n        prefix\n        createdAt\n        lastUsedAt\n      }\n    }\n  }\n}"];

export function graphql(source: string) {
  return (documents as any)[source] ?? {};
}

export type DocumentType<TDocumentNode extends DocumentNode<any, any>> = TDocumentNode extends DocumentNode<  infer TType,  any>  ? TType  : never;