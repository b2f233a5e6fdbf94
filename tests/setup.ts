// Runs before every test file (vitest.config.ts setupFiles): starts the process-wide thread pool
// now, so the arena blocks it owns for the life of the process (its job block and each worker's
// packing scratch) exist before any test counts the arena's live blocks. Otherwise the pool,
// which starts on the event loop's turn after the first product that asks for it, could start in
// the middle of a test that compares block counts before and after a call.
import { backend } from '../src/wasm/kernels.js';
import { sharedPool } from '../src/wasm/threads.js';

sharedPool(backend());
