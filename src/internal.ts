// `wasmlp/internal`: the engine's internals, for the wasmlp command, tests, benchmarks and tools;
// not part of the public API (no stability promise between versions). src/cli/ imports from here
// and from src/index.ts only.
export { backend, createBackend, relaxedSimdSupported } from './wasm/kernels.js';
export type { Backend, Kernels, SimdVariant } from './wasm/kernels.js';
export { PARALLEL_MIN_FLOPS } from './wasm/threads.js';
export { Arena } from './wasm/memory.js';
export { HIDDEN_ACTIVATIONS } from './activations.js';
export { atomicWriteSync } from './io.js';
export type { NetworkJSON } from './io.js';
export { Rng, shuffleInPlace } from './random.js';
export { suggest } from './suggest.js';
export { argmaxRows } from './metrics.js';
export { describeLayer, stackOf } from './layers/stack.js';
export { describeLearningRate } from './schedules.js';
export { detectStyle, fmt, lossStr, ProgressBar } from './progress.js';
export type { Style } from './progress.js';
