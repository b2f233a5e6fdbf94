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
const SLOT = 12; // float64s per job slot: op, c, a, b, m, n, k, sa, sb, sc, acc
/** How long an idle worker (and the waiting caller) polls before sleeping in Atomics.wait. */
const SPIN_MS = 2;

// ctrl (Int32): [0] generation (−1: shut down), [1] jobs done, [2] error flag
const WORKER_SOURCE = `
const { workerData } = require('node:worker_threads');
const { module, memory, ctrl, jobs, index, scratch } = workerData;
const k = new WebAssembly.Instance(module, { env: { memory } }).exports;
k.matmul_set_scratch(scratch);
const c = new Int32Array(ctrl), j = new Float64Array(jobs);
const fns = [null, k.matmul_f32_nn, k.matmul_f32_nt, k.matmul_f32_tn];
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
    try { fns[op](j[b + 1], j[b + 2], j[b + 3], j[b + 4], j[b + 5], j[b + 6], j[b + 7], j[b + 8], j[b + 9], j[b + 10]); }
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
   * C (+)= op(A)·op(B) on `threads` threads (see the kernels' signatures). Splits the larger of
   * n (in multiples of 8) and m (multiples of 4); the calling thread takes the first part.
   */
  matmul(layout: Layout, c: number, a: number, b: number, m: number, n: number, k: number,
    sa: number, sb: number, sc: number, acc: number, threads: number): void {
    const kern = this.be.kernels;
    const fn = layout === 'nn' ? kern.matmul_f32_nn : layout === 'nt' ? kern.matmul_f32_nt : kern.matmul_f32_tn;
    if (threads <= 1) { fn(c, a, b, m, n, k, sa, sb, sc, acc); return; }
    if (this.dead) throw this.failure();
    const byCols = n / 8 >= m / 4;
    const unit = byCols ? 8 : 4;
    const total = byCols ? n : m;
    const chunks = Math.ceil(total / unit);
    const parts: [number, number][] = [];
    for (let t = 0; t < threads; t++) {
      const s = Math.floor((chunks * t) / threads) * unit, e = Math.min(total, Math.floor((chunks * (t + 1)) / threads) * unit);
      if (e > s) parts.push([s, e]);
    }
    const sub = (s: number, e: number): number[] => {
      if (byCols) { // columns s..e of C come from columns s..e of op(B)
        const bOff = layout === 'nt' ? b + s * sb : b + s * 4;
        return [c + s * 4, a, bOff, m, e - s, k, sa, sb, sc, acc];
      }
      const aOff = layout === 'tn' ? a + s * 4 : a + s * sa; // rows s..e of C come from rows s..e of op(A)
      return [c + s * sc, aOff, b, e - s, n, k, sa, sb, sc, acc];
    };
    const j = this.jobs;
    for (let w = 0; w < this.size; w++) j[w * SLOT] = 0;
    for (let p = 1; p < parts.length; p++) {
      const args = sub(...parts[p]!);
      const base = (p - 1) * SLOT;
      j[base] = OPS[layout];
      for (let i = 0; i < args.length; i++) j[base + 1 + i] = args[i]!;
    }
    Atomics.store(this.ctrl, 1, 0);
    Atomics.store(this.ctrl, 2, 0);
    this.gen = (this.gen + 1) & 0x3fffffff;
    Atomics.store(this.ctrl, 0, this.gen);
    Atomics.notify(this.ctrl, 0);
    const mine = sub(...parts[0]!);
    fn(mine[0]!, mine[1]!, mine[2]!, mine[3]!, mine[4]!, mine[5]!, mine[6]!, mine[7]!, mine[8]!, mine[9]!);
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
