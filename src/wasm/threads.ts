// The process-wide thread pool of a backend: started after the first product that pays for it, kept
// for the life of the process (its workers are unref'd and sleep when idle), shared by every
// network. Creating and disposing networks never starts or stops a worker.
import { availableParallelism } from 'node:os';
import type { Backend } from './kernels.js';
import { PARALLEL_MIN_FLOPS, ThreadPool } from './pool.js';
import { NO_EPILOGUE, product, type Epilogue, type Layout } from './product.js';

export { NO_EPILOGUE, PARALLEL_MIN_FLOPS, WorkerError, type Epilogue, type Layout } from './pool.js';

const pools = new WeakMap<Backend, ThreadPool>();
const asked = new WeakMap<Backend, number>();
/**
 * Products that ask for the pool before it is started synchronously. The first request schedules
 * the start for the next turn of the event loop (starting a supervisor thread takes ~3 ms of the
 * calling thread, which the request that asked for it should not wait for); a loop that never
 * yields gets it at this request.
 */
const SYNC_START_AFTER = 8;

/** Threads 'auto' resolves to. */
export function autoThreads(): number {
  return Math.max(1, availableParallelism());
}

/** The shared pool of a backend (cores − 1 workers), started now. */
export function sharedPool(be: Backend): ThreadPool {
  let pool = pools.get(be);
  if (!pool) {
    // where no worker can be started (a resource limit, a runtime without workers), products run on the calling thread
    try { pool = new ThreadPool(be, autoThreads() - 1); } catch { pool = new ThreadPool(be, 0); }
    pools.set(be, pool);
  }
  return pool;
}

/** The shared pool if it is running; otherwise asks for it (see SYNC_START_AFTER) and returns null. */
function poolFor(be: Backend): ThreadPool | null {
  const pool = pools.get(be);
  if (pool) return pool;
  const n = (asked.get(be) ?? 0) + 1;
  asked.set(be, n);
  if (n === 1) setImmediate(() => sharedPool(be)).unref();
  return n >= SYNC_START_AFTER ? sharedPool(be) : null;
}

/** The pool shared by networks on this backend, if one was started (for tests and benchmarks). */
export function currentPool(be: Backend): ThreadPool | undefined {
  return pools.get(be);
}

/** A matmul entry point bound to a thread budget. Holds nothing: the pool belongs to the process. */
export class Matmul {
  readonly maxThreads: number;

  /** `threads` is capped at the machine's cores: more threads than cores only take turns. */
  constructor(private readonly be: Backend, threads: number) {
    this.maxThreads = Math.max(1, Math.min(threads, autoThreads()));
  }

  /** C (+)= op(A)·op(B) with the fused epilogue `e` (none by default); see Kernels.matmul_f32_ep. */
  run(layout: Layout, c: number, a: number, b: number, m: number, n: number, k: number, sa: number, sb: number, sc: number, acc: number,
    e: Readonly<Epilogue> = NO_EPILOGUE): void {
    if (this.maxThreads > 1 && 2 * m * n * k >= PARALLEL_MIN_FLOPS) {
      const pool = poolFor(this.be);
      const t = pool ? pool.threadsFor(m, n, k, this.maxThreads) : 1;
      if (t > 1) { pool!.run(layout, c, a, b, m, n, k, sa, sb, sc, acc, t, e); return; }
    }
    product(this.be.kernels, layout, c, a, b, m, n, k, sa, sb, sc, acc, e);
  }
}
