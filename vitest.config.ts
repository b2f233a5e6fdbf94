import { defineConfig } from 'vitest/config';

// Two projects: everything on the engine's default build (baseline SIMD on Node 20), and the
// kernel, seed, gradient and brain tests again with relaxed SIMD switched on (Node 20 needs the flag),
// so both wasm builds are checked on every run.
export default defineConfig({
  test: {
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: 'forks',
    setupFiles: ['tests/setup.ts'],
    projects: [
      { extends: true, test: { name: 'default', include: ['tests/**/*.test.ts'] } },
      {
        extends: true,
        test: {
          name: 'relaxed-simd',
          include: ['tests/kernels.*.test.ts', 'tests/kernels-api.test.ts', 'tests/seed*.test.ts', 'tests/gradcheck.test.ts', 'tests/brain.test.ts'],
          execArgv: ['--experimental-wasm-relaxed-simd'],
          env: { WASMLP_SIMD: 'relaxed' },
        },
      },
    ],
  },
});
