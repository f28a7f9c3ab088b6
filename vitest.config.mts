import { fileURLToPath } from 'node:url';
import { defaultExclude, defineConfig } from 'vitest/config';

export default defineConfig({
  // The SDK workspace from its sources, as tsconfig.json's `paths` give it to tsx and tsc.
  resolve: {
    alias: [
      { find: /^@ai-rollup\/sdk$/, replacement: fileURLToPath(new URL('./sdk/src/index.ts', import.meta.url)) },
      { find: /^@ai-rollup\/sdk\/node$/, replacement: fileURLToPath(new URL('./sdk/src/node.ts', import.meta.url)) },
    ],
  },
  test: {
    include: ['test/**/*.test.ts'],
    // test/contracts holds the Hardhat (mocha) tests, run via `npx hardhat test`
    exclude: [...defaultExclude, '**/node_modules/**', 'test/contracts/**'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: 'forks',
  },
});
