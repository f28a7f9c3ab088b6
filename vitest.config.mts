import { defaultExclude, defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // test/contracts holds the Hardhat (mocha) tests, run via `npx hardhat test`
    exclude: [...defaultExclude, '**/node_modules/**', 'test/contracts/**'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: 'forks',
  },
});
