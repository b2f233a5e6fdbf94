// The thread pool: worker threads that run matmul kernels on the backend's shared memory.
//
// A product is cut into chunks of whole output tiles (matmul_f32_chunk in assembly/matmul.ts);
// every thread, the caller included, claims chunks one at a time until none is left, so a worker
// the OS has descheduled costs at most the chunk it holds and the caller never waits for work
// nobody has started. Each output element is computed by one thread in the single-thread order:
// results are bit-identical for any thread count and any schedule.
//
// The workers are started by a supervisor thread, whose event loop stays free while the caller
// blocks in a product: it sees a worker's `exit` at once and marks it dead in shared memory, so
// the caller takes back that worker's chunk instead of waiting for it. Nothing is time-based: a
// busy machine is slow, never an error.
import { Worker } from 'node:worker_threads';
import { WasmlpError } from '../errors.js';
import type { Backend } from './kernels.js';
import { sharedOf } from './kernels.js';
import { LAYOUT_CODE, NO_EPILOGUE, product, type Epilogue, type Layout } from './product.js';

/** A worker thread died. The product it was part of is finished by the calling thread; later products run on the threads that remain. */
export class WorkerError extends WasmlpError {}

export { LAYOUT_CODE, NO_EPILOGUE, type Epilogue, type Layout } from './product.js';

/**
 * Products below this many flops (2·m·n·k) run on one thread. Measured on 2 cores (Node 20, AMD
 * EPYC, workers spinning between products): 2 threads are slower at 0.1 MFLOP (0.83×), even at
 * 0.3 MFLOP (0.94–1.35×), and faster from 0.5 MFLOP (1.6×) up (1.8× at 51 MFLOP).
 */
export const PARALLEL_MIN_FLOPS = 5e5;

/** Word offsets of a job block in wasm memory. Must match J_* in assembly/matmul.ts. */
const JOB = {
  layout: 0, c: 1, a: 2, b: 3, m: 4, n: 5, k: 6, sa: 7, sb: 8, sc: 9, acc: 10,
  bias: 11, ep: 12, out2: 13, y: 14, alpha: 15, rowsum: 16, byCols: 17, unit: 18,
} as const;

/** Most chunks one product is cut into (the claim table's size). */
const MAX_CHUNKS = 64;
/** Chunks per participating thread a product aims for: a stalled thread then holds at most half its share. */
const CHUNKS_PER_THREAD = 2;
/** Smallest chunk in tiles: every chunk packs its whole A (or B) panel again, so chunks stay wide. */
const MIN_CHUNK_TILES = 4;
/** How long an idle worker polls for the next product before sleeping in Atomics.wait (ms). */
const SPIN_MS = 0.5;
/** How long the caller polls for chunks held by other threads before sleeping (ms). */
const WAIT_SPIN_MS = 0.2;

// ctrl words (Int32, shared by every thread of the pool)
const GEN = 0;          // bumped when a product is published; idle workers wait on it
const DONE = 1;         // chunks finished in the current product; the caller waits on it
const FAILED = 2;       // a kernel threw in a worker
const PARTICIPANTS = 3; // workers with index < this take part in the current product
const DEATHS = 4;       // workers whose thread has exited (written by the supervisor)
const EXIT_AFTER_CLAIM = 5; // test hook: worker (value − 1) exits right after its next claim
const SHUT = 6;         // 1: workers leave their loop
const READY = 7;        // workers whose module is instantiated
const OWNER = 8;        // MAX_CHUNKS words: FREE, claimed by thread t (t + 1), FINISHED or NOT_A_CHUNK
const DEAD = OWNER + MAX_CHUNKS; // one word per worker: its exit code + 1 once its thread has exited
const FREE = 0, FINISHED = -1, NOT_A_CHUNK = -2;
const CALLER = 0x7fff; // the calling thread's owner id

// The two sources run with `eval: true` (CommonJS); constants are spliced in.
const WORKER_SOURCE = `
const { workerData } = require('node:worker_threads');
const { module, memory, ctrl, index, scratch, job } = workerData;
const k = new WebAssembly.Instance(module, { env: { memory } }).exports;
k.matmul_set_scratch(scratch);
const c = new Int32Array(ctrl), me = index + 1;
Atomics.add(c, ${READY}, 1);
let gen = -1;
for (;;) {
  if (Atomics.load(c, ${SHUT}) !== 0) break;
  if (index < Atomics.load(c, ${PARTICIPANTS})) {
    for (let i = 0; i < ${MAX_CHUNKS}; i++) {
      if (Atomics.load(c, ${OWNER} + i) !== ${FREE} || Atomics.compareExchange(c, ${OWNER} + i, ${FREE}, me) !== ${FREE}) continue;
      if (Atomics.load(c, ${EXIT_AFTER_CLAIM}) === me) process.exit(7);
      try { k.matmul_f32_chunk(job, i); } catch (e) { Atomics.store(c, ${FAILED}, 1); }
      Atomics.store(c, ${OWNER} + i, ${FINISHED});
      Atomics.add(c, ${DONE}, 1);
      Atomics.notify(c, ${DONE});
    }
  }
  // poll briefly (a training step issues products back to back, and waking from Atomics.wait
  // costs ~0.1 ms), then sleep until the next product
  const seen = gen;
  const until = performance.now() + ${SPIN_MS};
  while ((gen = Atomics.load(c, ${GEN})) === seen && Atomics.load(c, ${SHUT}) === 0) {
    if (performance.now() > until) Atomics.wait(c, ${GEN}, seen);
  }
}
`;

const SUPERVISOR_SOURCE = `
const { Worker, workerData, parentPort } = require('node:worker_threads');
const { size, scratch } = workerData;
const c = new Int32Array(workerData.ctrl);
const workers = [];
for (let i = 0; i < size; i++) {
  const w = new Worker(${JSON.stringify(WORKER_SOURCE)}, { eval: true, workerData: { ...workerData, index: i, scratch: scratch[i] } });
  w.on('error', () => {}); // an uncaught error is followed by 'exit'
  w.on('exit', (code) => {
    if (Atomics.load(c, ${DEAD} + i) !== 0) return;
    Atomics.store(c, ${DEAD} + i, code + 1);
    Atomics.add(c, ${DEATHS}, 1);
    Atomics.notify(c, ${DONE}); // wake a caller waiting for this worker's chunk
  });
  workers.push(w);
}
parentPort.on('message', (msg) => {
  if (msg && typeof msg.terminate === 'number') void workers[msg.terminate].terminate();
  if (msg && msg.close) { parentPort.close(); for (const w of workers) void w.terminate(); }
});
`;

/**
 * Decides, per product shape, whether running it in parallel pays on this machine right now. It
 * keeps the wall time of each shape on one thread and in parallel and runs the faster way. Each
 * way is measured by a burst of 3 runs in a row, taking the fastest: the first parallel run may
 * find the workers asleep, the next ones find them as a stream of such products would. The
 * slower way is measured again once at least 8 runs of the shape and 25 ms have passed, then
 * 50 ms, 100 ms, … up to 2 s while it keeps losing; between measurements the faster way's time
 * is a moving average of its runs (one slow run moves it by an eighth at most). On a quiet
 * machine parallel wins for all but small products; when another process keeps a core busy, our
 * threads take turns on the cores left and a product waits for the slowest of them, so one
 * thread wins and the workers sleep. Wall time is the judge because a busy neighbour slows the
 * caller's own share too: only running both ways shows which is faster.
 */
export class ModeChooser {
  static readonly SLOTS = 64;
  static readonly BURST = 3;
  static readonly MIN_RUNS = 8;
  static readonly FIRST_PAUSE_MS = 25;
  static readonly MAX_PAUSE_MS = 2000;
  // Per slot, Int32: layout, m, n, k, threads (the key; m = 0: empty), runs since the last
  // measurement, runs left in the current burst, the way it measures (1 parallel, 0 one thread).
  private readonly keys = new Int32Array(ModeChooser.SLOTS * 8);
  // Per slot, Float64: time on one thread, in parallel (ms; NaN: not measured), when the slower
  // way was last measured, the pause before the next measurement, the fastest run of the burst.
  private readonly times = new Float64Array(ModeChooser.SLOTS * 5);
  private slot = 0;
  private parallel = false;

  /** Whether the next product of this shape should run in parallel; `record` its wall time afterwards. */
  choose(layout: number, m: number, n: number, k: number, threads: number, now: number): boolean {
    const s = this.find(layout, m, n, k, threads, now);
    const ks = this.keys, t = this.times, o = 8 * s, q = 5 * s;
    this.slot = s;
    if (ks[o + 6]! > 0) return (this.parallel = ks[o + 7] === 1);
    const parWins = t[q + 1]! < t[q]!;
    if (++ks[o + 5]! >= ModeChooser.MIN_RUNS && now - t[q + 2]! >= t[q + 3]!) { // measure the slower way again
      t[q + 2] = now;
      this.burst(s, !parWins);
      return (this.parallel = !parWins);
    }
    return (this.parallel = parWins);
  }

  /** The wall time of the product `choose` was last asked about. */
  record(ms: number): void {
    const s = this.slot, ks = this.keys, t = this.times, o = 8 * s, q = 5 * s;
    const i = q + (this.parallel ? 1 : 0);
    if (ks[o + 6]! === 0) { t[i] = 0.75 * t[i]! + 0.25 * Math.min(ms, 1.5 * t[i]!); return; }
    t[q + 4] = Math.min(t[q + 4]!, ms);
    if (--ks[o + 6]! > 0) return;
    const first = Number.isNaN(t[i]!);
    t[i] = t[q + 4]!; // a new measurement replaces the old one: the machine may have changed since
    if (Number.isNaN(t[q]!)) { this.burst(s, false); return; } // parallel measured first, then one thread
    if (first) return;
    const stillLoses = this.parallel ? t[q + 1]! >= t[q]! : t[q]! > t[q + 1]!;
    t[q + 3] = stillLoses ? Math.min(2 * t[q + 3]!, ModeChooser.MAX_PAUSE_MS) : ModeChooser.FIRST_PAUSE_MS;
  }

  private burst(s: number, parallel: boolean): void {
    this.keys[8 * s + 5] = 0;
    this.keys[8 * s + 6] = ModeChooser.BURST;
    this.keys[8 * s + 7] = parallel ? 1 : 0;
    this.times[5 * s + 4] = Infinity;
  }

  /** The slot of a shape (a new one, or the one it evicts, starts unmeasured: a parallel burst first). */
  private find(layout: number, m: number, n: number, k: number, threads: number, now: number): number {
    const h = (Math.imul(m, 73856093) ^ Math.imul(n, 19349663) ^ Math.imul(k, 83492791) ^ Math.imul(layout * 8 + threads, 2654435761)) >>> 0;
    const s = h % ModeChooser.SLOTS, ks = this.keys, o = 8 * s;
    if (ks[o] !== layout || ks[o + 1] !== m || ks[o + 2] !== n || ks[o + 3] !== k || ks[o + 4] !== threads) {
      ks[o] = layout; ks[o + 1] = m; ks[o + 2] = n; ks[o + 3] = k; ks[o + 4] = threads;
      const t = this.times, q = 5 * s;
      t[q] = NaN; t[q + 1] = NaN; t[q + 2] = now; t[q + 3] = ModeChooser.FIRST_PAUSE_MS;
      this.burst(s, true);
    }
    return s;
  }
}

export class ThreadPool {
  private readonly supervisor: Worker | null = null;
  private readonly scratch: number[] = [];
  private readonly ctrl = new Int32Array(new SharedArrayBuffer(4 * (DEAD + 256)));
  private readonly job: number;
  private readonly tileRows: number;
  private readonly tileCols: number;
  private deathsSeen = 0;
  private words: Int32Array;  // the job block (rebuilt if memory's buffer object changes)
  private alpha: Float32Array;
  private closed = false;
  readonly chooser = new ModeChooser();

  /**
   * Starts a supervisor thread that starts `size` worker threads (the calling thread is one
   * more). Returns at once: until a worker's module is instantiated it takes no chunks, and the
   * caller computes them.
   */
  constructor(private readonly be: Backend, readonly size: number) {
    const k = be.kernels;
    this.tileRows = k.matmul_tile_rows();
    this.tileCols = k.matmul_tile_cols();
    this.job = be.arena.alloc(k.matmul_job_words());
    this.words = new Int32Array(be.arena.memory.buffer, this.job, JOB.unit + 1);
    this.alpha = new Float32Array(be.arena.memory.buffer, this.job + 4 * JOB.alpha, 1);
    for (let i = OWNER; i < OWNER + MAX_CHUNKS; i++) this.ctrl[i] = NOT_A_CHUNK;
    if (size < 1) return;
    const bytes = k.matmul_scratch_bytes();
    for (let i = 0; i < size; i++) this.scratch.push(be.arena.alloc(bytes / 4));
    const { module, memory } = sharedOf(be);
    try {
      this.supervisor = new Worker(SUPERVISOR_SOURCE, {
        eval: true,
        workerData: { module, memory, ctrl: this.ctrl.buffer, job: this.job, size, scratch: this.scratch },
      });
    } catch (e) {
      for (const p of this.scratch) be.arena.free(p);
      be.arena.free(this.job);
      throw e;
    }
    this.supervisor.unref(); // an idle pool never keeps the process alive
    this.supervisor.on('error', () => { /* its workers end with it; products then run on the caller */ });
  }

  /** Threads a product of this size would use (1 = the calling thread alone). */
  threadsFor(m: number, n: number, k: number, limit: number): number {
    if (this.closed || limit <= 1 || this.size < 1) return 1;
    if (2 * m * n * k < PARALLEL_MIN_FLOPS) return 1;
    return Math.min(limit, this.size + 1, Math.max(1, Math.floor(Math.max(m / this.tileRows, n / this.tileCols))));
  }

  /**
   * C (+)= op(A)·op(B), with the epilogue `e`, on up to `threads` threads (see the kernels'
   * signatures). Cuts the larger of n (in whole tile columns) and m (tile rows) into chunks that
   * every participating thread claims. Throws WorkerError after finishing the product when a
   * worker's thread has exited since the last product.
   */
  matmul(layout: Layout, c: number, a: number, b: number, m: number, n: number, k: number,
    sa: number, sb: number, sc: number, acc: number, threads: number, e: Readonly<Epilogue> = NO_EPILOGUE): void {
    const kern = this.be.kernels;
    const code = LAYOUT_CODE[layout];
    if (threads <= 1 || this.closed || this.size < 1 || m <= 0 || n <= 0) {
      product(kern, layout, c, a, b, m, n, k, sa, sb, sc, acc, e);
      return;
    }
    const byCols = n / this.tileCols >= m / this.tileRows;
    const tile = byCols ? this.tileCols : this.tileRows;
    const total = byCols ? n : m;
    const tiles = Math.ceil(total / tile);
    const perChunk = Math.max(MIN_CHUNK_TILES, Math.ceil(tiles / (threads * CHUNKS_PER_THREAD)), Math.ceil(tiles / MAX_CHUNKS));
    const unit = perChunk * tile;
    const chunks = Math.ceil(total / unit);
    if (chunks <= 1) {
      product(kern, layout, c, a, b, m, n, k, sa, sb, sc, acc, e);
      return;
    }

    // the job, in wasm memory (named offsets, see JOB)
    const buf = this.be.arena.memory.buffer;
    if (this.words.buffer !== buf) {
      this.words = new Int32Array(buf, this.job, JOB.unit + 1);
      this.alpha = new Float32Array(buf, this.job + 4 * JOB.alpha, 1);
    }
    const w = this.words;
    w[JOB.layout] = code; w[JOB.c] = c; w[JOB.a] = a; w[JOB.b] = b; w[JOB.m] = m; w[JOB.n] = n; w[JOB.k] = k;
    w[JOB.sa] = sa; w[JOB.sb] = sb; w[JOB.sc] = sc; w[JOB.acc] = acc;
    w[JOB.bias] = e.bias; w[JOB.ep] = e.ep; w[JOB.out2] = e.out2; w[JOB.y] = e.y; w[JOB.rowsum] = e.rowsum;
    this.alpha[0] = e.alpha;
    w[JOB.byCols] = byCols ? 1 : 0; w[JOB.unit] = unit;

    // publish: every claim below happens after the job is written (Atomics are sequentially consistent)
    const ctl = this.ctrl;
    Atomics.store(ctl, DONE, 0);
    Atomics.store(ctl, FAILED, 0);
    Atomics.store(ctl, PARTICIPANTS, threads - 1);
    // slots past `chunks` are FINISHED (an earlier product's) or NOT_A_CHUNK: neither can be claimed
    for (let i = 0; i < chunks; i++) Atomics.store(ctl, OWNER + i, FREE);
    Atomics.add(ctl, GEN, 1);
    Atomics.notify(ctl, GEN);

    // claim chunks like any worker
    for (let i = 0; i < chunks; i++) {
      if (Atomics.load(ctl, OWNER + i) !== FREE || Atomics.compareExchange(ctl, OWNER + i, FREE, CALLER) !== FREE) continue;
      kern.matmul_f32_chunk(this.job, i);
      Atomics.store(ctl, OWNER + i, FINISHED);
      Atomics.add(ctl, DONE, 1);
    }

    // wait for the chunks other threads hold; take back those of a worker whose thread exited
    let lost = false;
    const spinUntil = performance.now() + WAIT_SPIN_MS;
    for (;;) {
      const done = Atomics.load(ctl, DONE);
      if (done >= chunks) break;
      if (Atomics.load(ctl, DEATHS) !== this.deathsSeen) lost = this.takeBack(chunks, acc !== 0 || aliases(layout, c, a, b, m, n, k, sa, sb, sc)) || lost;
      else if (performance.now() > spinUntil) Atomics.wait(ctl, DONE, done, 20);
    }
    // the workers may start taking part in the next product only after they see its job
    Atomics.store(ctl, PARTICIPANTS, 0);

    if (Atomics.load(ctl, FAILED) !== 0) throw new WorkerError('thread pool: a worker threw while running a kernel; the product is incomplete');
    if (Atomics.load(ctl, DEATHS) !== this.deathsSeen || lost) {
      const dead = this.deadWorkers();
      this.deathsSeen = Atomics.load(ctl, DEATHS);
      throw new WorkerError(`thread pool: worker ${dead.map((d) => `${d.index} (exit code ${d.code})`).join(', ')} exited; ` +
        (lost ? 'the product it held accumulated into its output, so the output is incomplete; ' : 'the product was finished on the calling thread; ') +
        `later products run on the ${this.size - dead.length + 1} thread(s) that remain`);
    }
  }

  /**
   * The product on `threads` threads or on the calling thread alone, whichever the chooser says
   * is faster for its shape now (see ModeChooser); same bits either way.
   */
  run(layout: Layout, c: number, a: number, b: number, m: number, n: number, k: number,
    sa: number, sb: number, sc: number, acc: number, threads: number, e: Readonly<Epilogue>): void {
    const t0 = performance.now();
    const par = this.chooser.choose(LAYOUT_CODE[layout], m, n, k, threads, t0);
    try {
      this.matmul(layout, c, a, b, m, n, k, sa, sb, sc, acc, par ? threads : 1, e);
    } finally {
      this.chooser.record(performance.now() - t0);
    }
  }

  /**
   * Chunks claimed by workers that have exited are claimed again and computed here, unless they
   * may have changed their own inputs (accumulating output, output aliasing an input): then they
   * are marked finished, and true is returned (the product is incomplete).
   */
  private takeBack(chunks: number, unsafe: boolean): boolean {
    const ctl = this.ctrl;
    let lost = false;
    for (let i = 0; i < chunks; i++) {
      const owner = Atomics.load(ctl, OWNER + i);
      if (owner <= 0 || owner === CALLER || Atomics.load(ctl, DEAD + owner - 1) === 0) continue;
      if (Atomics.compareExchange(ctl, OWNER + i, owner, CALLER) !== owner) continue;
      if (unsafe) lost = true;
      else this.be.kernels.matmul_f32_chunk(this.job, i);
      Atomics.store(ctl, OWNER + i, FINISHED);
      Atomics.add(ctl, DONE, 1);
    }
    return lost;
  }

  private deadWorkers(): { index: number; code: number }[] {
    const out: { index: number; code: number }[] = [];
    for (let i = 0; i < this.size; i++) {
      const v = Atomics.load(this.ctrl, DEAD + i);
      if (v !== 0) out.push({ index: i, code: v - 1 });
    }
    return out;
  }

  /** Workers whose thread has exited. */
  get deadCount(): number { return Atomics.load(this.ctrl, DEATHS); }
  /** Workers that have started (instantiated their module), dead ones included. */
  get readyCount(): number { return Atomics.load(this.ctrl, READY); }

  /** Test hook: worker `index` exits (its thread ends) right after claiming its next chunk. */
  exitAfterNextClaim(index: number): void { Atomics.store(this.ctrl, EXIT_AFTER_CLAIM, index + 1); }

  /** Test hook: asks the supervisor to terminate worker `index` (asynchronously, as `worker.terminate()`). */
  terminateWorker(index: number): void { this.supervisor?.postMessage({ terminate: index }); }

  /** Stops every worker and returns their scratch to the arena. Only pools made for tests and benchmarks are closed; safe to call twice. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    Atomics.store(this.ctrl, SHUT, 1);
    Atomics.add(this.ctrl, GEN, 1);
    Atomics.notify(this.ctrl, GEN);
    if (this.supervisor) { this.supervisor.postMessage({ close: true }); void this.supervisor.terminate(); }
    for (const p of this.scratch) this.be.arena.free(p);
    this.scratch.length = 0;
    this.be.arena.free(this.job);
  }

  get isClosed(): boolean { return this.closed; }
}

/** True when C's bytes may overlap op(A)'s or op(B)'s (then a chunk computed twice could read its own output). */
function aliases(layout: Layout, c: number, a: number, b: number, m: number, n: number, k: number, sa: number, sb: number, sc: number): boolean {
  const overlaps = (p: number, rows: number, stride: number, cols: number): boolean =>
    p < c + (m - 1) * sc + n * 4 && c < p + (rows - 1) * stride + cols * 4;
  const aOk = layout === 'tn' ? !overlaps(a, k, sa, m) : !overlaps(a, m, sa, k);
  const bOk = layout === 'nt' ? !overlaps(b, n, sb, k) : !overlaps(b, k, sb, n);
  return !(aOk && bOk);
}
