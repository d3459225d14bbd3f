import js from '@eslint/js'
import tseslint from 'typescript-eslint'
import prettier from 'eslint-config-prettier'

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'coverage/**', 'bench/results/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  prettier,
  {
    languageOptions: {
      globals: {
        process: 'readonly',
        console: 'readonly',
        URL: 'readonly',
        setTimeout: 'readonly',
        clearTimeout: 'readonly',
        setInterval: 'readonly',
        clearInterval: 'readonly',
        Buffer: 'readonly',
        AbortController: 'readonly',
        AbortSignal: 'readonly',
        performance: 'readonly',
        structuredClone: 'readonly',
        TextEncoder: 'readonly',
        TextDecoder: 'readonly'
      }
    },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }]
    }
  },
  {
    // Inputs are read in one place (packages/core/src/inputs.ts) so the
    // contract test can hold every action.yml to what the code reads.
    files: ['actions/**/*.ts', 'packages/**/*.ts'],
    ignores: ['packages/core/src/inputs.ts'],
    rules: {
      'no-restricted-syntax': [
        'error',
        {
          selector: 'MemberExpression[property.name=/^get(Boolean|Multiline)?Input$/]',
          message: 'Read inputs through parseInputs() from @gantry/core.'
        },
        {
          selector: "MemberExpression[object.property.name='env'][property.value=/^INPUT_/]",
          message: 'Read inputs through parseInputs() from @gantry/core.'
        }
      ]
    }
  }
)
