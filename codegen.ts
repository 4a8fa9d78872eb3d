import type { CodegenConfig } from '@graphql-codegen/cli';

/**
 * GraphQL Code Generator: a typed client from schema.graphql and the operations in client/operations.
 * Works offline (reads the committed schema, not a running server). `npm run codegen`.
 */
const config: CodegenConfig = {
  schema: 'schema.graphql',
  documents: ['client/operations/**/*.graphql'],
  ignoreNoDocuments: true,
  generates: {
    'client/generated/': {
      preset: 'client',
      config: { scalars: { DateTimeISO: 'string' }, enumsAsTypes: true, useTypeImports: true },
      presetConfig: { fragmentMasking: false },
    },
  },
};

export default config;
