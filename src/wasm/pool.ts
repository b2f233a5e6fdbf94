// Worker threads that run matmul kernels on the backend's shared memory. Each worker holds its
// own instance of the same module (own globals, so own packing scratch) and sleeps in
// Atomics.wait; a product is split by output columns (or rows), each thread computing whole
// output elements in the single-thread order, so results are bit-identical for any thread count.
import { Worker } from 'node:worker_threads';
import { WasmlpError } from '../errors.js';
import type { Backend } from './kernels.js';
import { sharedOf } from './kernels.js';

/** The parts of a worker thread tests use (structural, so the shipped types need no @types/node). */
export interface WorkerHandle {
  terminate(): Promise<number>;
  once(event: 'exit', listener: (code: number) => void): unknown;
}

/** A worker thread died or stopped answering. The pool is closed; later products run on the calling thread. */
export class WorkerError extends WasmlpError {}

export type Layout = 'nn' | 'nt' | 'tn';
const OPS: Record<Layout, number> = { nn: 1, nt: 2, tn: 3 };
/** Layout codes of matmul_f32_ep. */
export const LAYOUT_CODE: Record<Layout, number> = { nn: 0, nt: 1, tn: 2 };
const SLOT = 18; // float64s per job slot: op, c, a, b, m, n, k, sa, sb, sc, acc, bias, ep, out2, y, alpha, rowsum

/**
 * The fused epilogue of a product (see Kernels.matmul_f32_ep); NO_EPILOGUE for a plain product.
 * Reused by its owner: the training step allocates none.
 */
export interface Epilogue { bias: number; ep: number; out2: number; y: number; alpha: number; rowsum: number }
export const NO_EPILOGUE: Readonly<Epilogue> = Object.freeze({ bias: 0, ep: 0, out2: 0, y: 0, alpha: 0, rowsum: 0 });
/** How long an idle worker (and the waiting caller) polls before sleeping in Atomics.wait. */
const SPIN_MS = 2;

// ctrl (Int32): [0] generation (−1: shut down), [1] jobs done, [2] error flag
const WORKER_SOURCE = `
const { workerData } = require('node:worker_threads');
const { module, memory, ctrl, jobs, index, scratch } = workerData;
const k = new WebAssembly.Instance(module, { env: { memory } }).exports;
k.matmul_set_scratch(scratch);
const c = new Int32Array(ctrl), j = new Float64Array(jobs);
let gen = 0;
for (;;) {
  // spin briefly first: a training step issues products back to back, and waking from
  // Atomics.wait costs ~0.1 ms here; after ${SPIN_MS} ms idle, sleep
  const until = performance.now() + ${SPIN_MS};
  while (Atomics.load(c, 0) === gen) {
    if (performance.now() > until) Atomics.wait(c, 0, gen);
  }
  gen = Atomics.load(c, 0);
  if (gen < 0) break;
  const b = index * ${SLOT};
  const op = j[b];
  if (op !== 0) {
    try {
      k.matmul_f32_ep(op - 1, j[b + 1], j[b + 2], j[b + 3], j[b + 4], j[b + 5], j[b + 6], j[b + 7], j[b + 8], j[b + 9], j[b + 10],
        j[b + 11], j[b + 12], j[b + 13], j[b + 14], j[b + 15], j[b + 16]);
    }
    catch (e) { Atomics.store(c, 2, 1); }
  }
  Atomics.add(c, 1, 1);
  Atomics.notify(c, 1);
}
`;

/**
 * Products below this many flops (2·m·n·k) run on one thread. Measured on 2 cores (Node 20, AMD
 * EPYC, workers spinning between products): 2 threads are slower at 0.1 MFLOP (0.83×), even at
 * 0.3 MFLOP (0.94–1.35×), and faster from 0.5 MFLOP (1.6×) up (1.8× at 51 MFLOP).
 */
export const PARALLEL_MIN_FLOPS = 5e5;

export class ThreadPool {
  private readonly workers: Worker[] = [];
  private readonly scratch: number[] = [];
  private readonly ctrl = new Int32Array(new SharedArrayBuffer(16));
  private readonly jobs: Float64Array;
  private readonly mine = new Float64Array(SLOT); // the calling thread's part
  private gen = 0;
  private dead: Error | null = null;
  private closed = false;

  /** Starts `size` worker threads (the calling thread is one more). */
  constructor(private readonly be: Backend, readonly size: number) {
    this.jobs = new Float64Array(new SharedArrayBuffer(8 * SLOT * Math.max(1, size)));
    const { module, memory } = sharedOf(be);
    const bytes = be.kernels.matmul_scratch_bytes();
    for (let i = 0; i < size; i++) {
      const scratch = be.arena.alloc(bytes / 4);
      this.scratch.push(scratch);
      const w = new Worker(WORKER_SOURCE, {
        eval: true,
        workerData: { module, memory, ctrl: this.ctrl.buffer, jobs: this.jobs.buffer, index: i, scratch },
      });
      w.unref(); // an idle pool never keeps the process alive
      w.on('error', (e) => { this.dead ??= e; });
      w.on('exit', (code) => { if (!this.closed) this.dead ??= new Error(`worker ${i} exited with code ${code}`); });
      this.workers.push(w);
    }
  }

  /** Threads a product of this size would use (1 = the calling thread alone). */
  threadsFor(m: number, n: number, k: number, limit: number): number {
    if (this.closed || limit <= 1) return 1; // a dead worker is reported by the next matmul, then the pool closes
    if (2 * m * n * k < PARALLEL_MIN_FLOPS) return 1;
    return Math.min(limit, this.size + 1, Math.max(1, Math.floor(Math.max(m / 4, n / 8))));
  }

  /**
   * C (+)= op(A)·op(B), with the epilogue `e`, on `threads` threads (see the kernels' signatures).
   * Splits the larger of n (in multiples of 8) and m (multiples of 4); the calling thread takes
   * the first part. The epilogue's pointers move with their part of C (bias and rowsum with the
   * columns and rows they index; rowsum is computed by the thread holding column 0).
   */
  matmul(layout: Layout, c: number, a: number, b: number, m: number, n: number, k: number,
    sa: number, sb: number, sc: number, acc: number, threads: number, e: Readonly<Epilogue> = NO_EPILOGUE): void {
    const kern = this.be.kernels;
    const code = LAYOUT_CODE[layout];
    if (threads <= 1) { kern.matmul_f32_ep(code, c, a, b, m, n, k, sa, sb, sc, acc, e.bias, e.ep, e.out2, e.y, e.alpha, e.rowsum); return; }
    if (this.dead) throw this.failure();
    // Part t covers chunks [⌊chunks·t/threads⌋, ⌊chunks·(t+1)/threads⌋) of `unit` columns (or rows).
    // Each part's arguments go straight into its job slot (the caller's own into `mine`): nothing is allocated.
    const byCols = n / 8 >= m / 4;
    const unit = byCols ? 8 : 4;
    const total = byCols ? n : m;
    const chunks = Math.ceil(total / unit);
    threads = Math.min(threads, chunks); // part 0 (the caller's) is never empty
    const j = this.jobs;
    for (let w = 0; w < this.size; w++) j[w * SLOT] = 0;
    for (let t = 0; t < threads; t++) {
      const s = Math.floor((chunks * t) / threads) * unit, end = Math.min(total, Math.floor((chunks * (t + 1)) / threads) * unit);
      if (end <= s) continue;
      const dst = t === 0 ? this.mine : j, base = t === 0 ? 0 : (t - 1) * SLOT;
      dst[base] = OPS[layout];
      if (byCols) { // columns s..end of C come from columns s..end of op(B)
        const d = s * 4;
        dst[base + 1] = c + d; dst[base + 2] = a; dst[base + 3] = layout === 'nt' ? b + s * sb : b + d;
        dst[base + 4] = m; dst[base + 5] = end - s;
        dst[base + 11] = e.bias && e.bias + d; dst[base + 13] = e.out2 && e.out2 + d; dst[base + 14] = e.y && e.y + d;
        dst[base + 16] = s === 0 ? e.rowsum : 0;
      } else { // rows s..end of C come from rows s..end of op(A)
        const d = s * sc;
        dst[base + 1] = c + d; dst[base + 2] = layout === 'tn' ? a + s * 4 : a + s * sa; dst[base + 3] = b;
        dst[base + 4] = end - s; dst[base + 5] = n;
        dst[base + 11] = e.bias; dst[base + 13] = e.out2 && e.out2 + d; dst[base + 14] = e.y && e.y + d;
        dst[base + 16] = e.rowsum && e.rowsum + s * 4;
      }
      dst[base + 6] = k; dst[base + 7] = sa; dst[base + 8] = sb; dst[base + 9] = sc; dst[base + 10] = acc;
      dst[base + 12] = e.ep; dst[base + 15] = e.alpha;
    }
    Atomics.store(this.ctrl, 1, 0);
    Atomics.store(this.ctrl, 2, 0);
    this.gen = (this.gen + 1) & 0x3fffffff;
    Atomics.store(this.ctrl, 0, this.gen);
    Atomics.notify(this.ctrl, 0);
    const q = this.mine;
    kern.matmul_f32_ep(code, q[1]!, q[2]!, q[3]!, q[4]!, q[5]!, q[6]!, q[7]!, q[8]!, q[9]!, q[10]!,
      q[11]!, q[12]!, q[13]!, q[14]!, q[15]!, q[16]!);
    // every worker answers each generation (idle ones with op 0); wait with a deadline so a dead worker is an error, not a hang
    const now = performance.now();
    const deadline = now + 2000 + (2 * m * n * k) / 5e7;
    const spinUntil = now + SPIN_MS;
    for (;;) {
      const done = Atomics.load(this.ctrl, 1);
      if (done >= this.size) break;
      const t = performance.now();
      if (t > deadline) {
        this.dead ??= new Error(`workers did not finish a ${m}×${n}×${k} product in time (${done} of ${this.size} answered)`);
        throw this.failure();
      }
      if (t > spinUntil) Atomics.wait(this.ctrl, 1, done, 50);
    }
    if (Atomics.load(this.ctrl, 2) !== 0) {
      this.dead ??= new Error('a worker threw while running a kernel');
      throw this.failure();
    }
  }

  private failure(): WorkerError {
    const err = new WorkerError(`thread pool: ${this.dead?.message ?? 'closed'}; the pool is closed and later products run on one thread`);
    this.close();
    return err;
  }

  /** Stops every worker and returns their scratch to the arena. Safe to call twice. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    Atomics.store(this.ctrl, 0, -1);
    Atomics.notify(this.ctrl, 0);
    for (const w of this.workers) void w.terminate();
    for (const p of this.scratch) this.be.arena.free(p);
    this.scratch.length = 0;
  }

  get isClosed(): boolean { return this.closed; }
  /** Worker threads (for tests). */
  get threads(): readonly WorkerHandle[] { return this.workers; }
}
