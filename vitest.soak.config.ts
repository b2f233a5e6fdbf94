import { defineConfig } from 'vitest/config';

// `npm run test:soak`: the long versions of the reliability tests (WASMLP_SOAK=1): 1,000,000
// training steps, 150 SIGKILLs during save(), 20,000 generated networks for the gradient
// property, 10,000 fuzzed files per mutation kind. Takes several minutes.
export default defineConfig({
  test: {
    include: ['tests/property.test.ts', 'tests/memory.test.ts', 'tests/files.test.ts', 'tests/catalogue.test.ts', 'tests/divergence.test.ts', 'tests/numerics.test.ts'],
    env: { WASMLP_SOAK: '1' },
    testTimeout: 1_800_000,
    hookTimeout: 120_000,
    pool: 'forks',
    setupFiles: ['tests/setup.ts'],
  },
});
