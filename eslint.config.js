import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['node_modules/', 'cdk.out/', 'coverage/', 'out/'] },
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-non-null-assertion': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
      'no-restricted-properties': [
        'error',
        { object: 'it', property: 'skip', message: 'Every test must run.' },
        { object: 'it', property: 'only', message: 'Every test must run.' },
        { object: 'describe', property: 'skip', message: 'Every test must run.' },
        { object: 'describe', property: 'only', message: 'Every test must run.' },
        { object: 'test', property: 'skip', message: 'Every test must run.' },
        { object: 'test', property: 'only', message: 'Every test must run.' },
      ],
    },
  },
  {
    // The domain decides; adapters talk to the world. Keeping I/O out of the domain keeps it exhaustively testable.
    files: ['functions/domain/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            { group: ['@aws-sdk/*', '@aws-lambda-powertools/*', '@middy/*'], message: 'The domain uses ports (functions/domain/ports.ts); SDK clients live in functions/adapters.' },
            { group: ['**/adapters', '**/adapters/**', '**/runtime', '**/runtime/**', '**/handlers/**'], message: 'The domain must not import outer layers.' },
          ],
          paths: ['node:https', 'node:http', 'node:net', 'node:tls', 'node:fs', 'node:fs/promises', 'https', 'http', 'net', 'tls', 'fs'].map((name) => ({
            name,
            message: 'No I/O in the domain: put it behind a port in functions/domain/ports.ts.',
          })),
        },
      ],
    },
  },
);
