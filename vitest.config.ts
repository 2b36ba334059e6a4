import { defineConfig } from 'vitest/config';

// Tests import packages by name (@writ/*), which resolve to each package's built dist/: `npm test` builds first,
// so the tests exercise exactly what users install.
export default defineConfig({
  test: {
    include: ['packages/*/test/**/*.test.ts', 'tests/**/*.test.ts', 'grammar/**/*.test.ts', 'examples/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
  },
});
