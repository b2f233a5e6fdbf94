// The process-wide thread pool of a backend, shared by every network that asks for threads and
// closed when the last of them is disposed.
import { availableParallelism } from 'node:os';
import type { Backend } from './kernels.js';
import { LAYOUT_CODE, NO_EPILOGUE, PARALLEL_MIN_FLOPS, ThreadPool, type Epilogue, type Layout } from './pool.js';

export { NO_EPILOGUE, PARALLEL_MIN_FLOPS, WorkerError, type Epilogue, type Layout } from './pool.js';

const pools = new WeakMap<Backend, { pool: ThreadPool; users: number }>();

/** Threads 'auto' resolves to. */
export function autoThreads(): number {
  return Math.max(1, availableParallelism());
}

/** A matmul entry point bound to a thread budget; acquires the shared pool on first parallel use. */
export class Matmul {
  private held: ThreadPool | null = null;

  readonly maxThreads: number;

  /** `threads` is capped at the machine's cores: spinning workers on a shared core only slow each other down. */
  constructor(private readonly be: Backend, threads: number) {
    this.maxThreads = Math.max(1, Math.min(threads, autoThreads()));
  }

  /** C (+)= op(A)·op(B) with the fused epilogue `e` (none by default); see Kernels.matmul_f32_ep. */
  run(layout: Layout, c: number, a: number, b: number, m: number, n: number, k: number, sa: number, sb: number, sc: number, acc: number,
    e: Readonly<Epilogue> = NO_EPILOGUE): void {
    if (this.maxThreads > 1 && 2 * m * n * k >= PARALLEL_MIN_FLOPS) {
      const pool = this.pool();
      const t = pool ? pool.threadsFor(m, n, k, this.maxThreads) : 1;
      if (pool && t > 1) { pool.matmul(layout, c, a, b, m, n, k, sa, sb, sc, acc, t, e); return; }
    }
    this.be.kernels.matmul_f32_ep(LAYOUT_CODE[layout], c, a, b, m, n, k, sa, sb, sc, acc, e.bias, e.ep, e.out2, e.y, e.alpha, e.rowsum);
  }

  /** The pool this budget uses (grown or created on demand), or null once it has failed. */
  private pool(): ThreadPool | null {
    let entry = pools.get(this.be);
    if (entry && entry.pool.isClosed) { if (this.held === entry.pool) this.held = null; return null; }
    if (!this.held) {
      if (!entry || entry.pool.size < this.maxThreads - 1) {
        const users = entry ? entry.users : 0;
        entry?.pool.close();
        entry = { pool: new ThreadPool(this.be, this.maxThreads - 1), users };
        pools.set(this.be, entry);
      }
      entry.users++;
      this.held = entry.pool;
    } else if (this.held !== entry?.pool) {
      this.held = entry?.pool ?? null; // replaced by a larger pool: already counted
    }
    return this.held;
  }

  /** Releases the pool; the last user closes it (its workers exit). */
  release(): void {
    if (!this.held) return;
    const entry = pools.get(this.be);
    this.held = null;
    if (!entry) return;
    if (--entry.users <= 0) { entry.pool.close(); pools.delete(this.be); }
  }
}

/** The pool currently shared by networks on this backend (for tests and benchmarks). */
export function currentPool(be: Backend): ThreadPool | undefined {
  return pools.get(be)?.pool;
}
