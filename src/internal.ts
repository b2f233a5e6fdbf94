// For the wasmlp command and tests; not part of the public API, may change. (Not in package.json
// "exports": the command imports it from dist/ beside itself.) src/cli/ imports from here and from
// src/index.ts only.
export { HIDDEN_ACTIVATIONS } from './activations.js';
export { atomicWriteSync } from './io.js';
export type { NetworkJSON } from './io.js';
export { Rng, shuffleInPlace } from './random.js';
export { suggest } from './suggest.js';
export { argmaxRows } from './metrics.js';
