import type { CodegenConfig } from '@graphql-codegen/cli';

/**
 * GraphQL Code Generator: a typed client from `schema.graphql` and the operations in `client/operations`.
 *
 * - Reads the committed schema file, never a running server, so it works offline (and in CI before
 *   anything is started). Order of a build: `npm run schema` -> `npm run codegen` -> tsc -> jest.
 * - The client preset only (not `typescript` + `typescript-operations` together, which duplicates
 *   input types): it writes `graphql.ts` (types + `TypedDocumentNode`s such as `MeDocument`),
 *   `gql.ts` (the `graphql()` helper) and `index.ts` into `client/generated/`.
 * - `npm run codegen` writes the files (committed); `npm run codegen:check` fails when they drifted.
 *   The check (scripts/codegen-check.ts) reuses this config: keep it a plain object export.
 */
const config: CodegenConfig = {
  schema: 'schema.graphql',
  documents: ['client/operations/**/*.graphql'],
  // No operation found is an error (a mistyped glob must not silently generate an empty client).
  ignoreNoDocuments: false,
  generates: {
    'client/generated/': {
      preset: 'client',
      config: {
        // DateTimeISO travels as an ISO 8601 string; an unmapped custom scalar is an error.
        scalars: { DateTimeISO: 'string' },
        strictScalars: true,
        enumsAsTypes: true,
        useTypeImports: true,
      },
      presetConfig: { fragmentMasking: false },
    },
  },
};

export default config;
