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
);
