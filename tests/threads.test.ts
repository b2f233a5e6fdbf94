// The thread pool: bit-identical results for any thread count and schedule (also while another
// process competes for the cores), one pool for the life of the process (create/dispose starts
// and stops no thread), a worker whose thread exits mid-product reported as a WorkerError with
// the product finished, networks inside a worker_thread, concurrent fits, and BusyError.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BusyError, Network, OptionError } from '../src/index.js';
import { backend } from '../src/internal.js';
import { PARALLEL_MIN_FLOPS, WorkerError, currentPool, sharedPool } from '../src/wasm/threads.js';
import { ModeChooser, ThreadPool, type Layout } from '../src/wasm/pool.js';
import { runChild, tsxChild } from './reliability.js';

const B = 96;
const x = new Float32Array(B * 300).map((_, i) => Math.sin(i * 0.37));
const y = new Float32Array(B * 10).map((_, i) => (i % 10 === (Math.floor(i / 10) * 7) % 10 ? 1 : 0));
const same = (a: Float32Array, b: Float32Array): boolean => Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength));

function train(threads: number | 'auto'): { weights: Float32Array[]; out: Float32Array } {
  const net = new Network({ layers: [300, 200, 64, 10], activation: 'relu', outputActivation: 'softmax', optimizer: 'adam', seed: 5, threads });
  for (let i = 0; i < 5; i++) net.trainBatch(x, y);
  const out = net.predict(x);
  const weights = net.getWeights().flatMap((l) => [l.weights, l.bias!]);
  net.dispose();
  return { weights, out };
}

function expectSameTraining(a: ReturnType<typeof train>, b: ReturnType<typeof train>): void {
  a.weights.forEach((w, i) => expect(same(w, b.weights[i]!), `parameter block ${i}`).toBe(true));
  expect(same(a.out, b.out)).toBe(true);
}

/** Resolves once `pool`'s workers have all started (their modules instantiated). */
async function started(pool: ThreadPool): Promise<void> {
  const until = Date.now() + 20_000;
  while (pool.readyCount < pool.size) {
    if (Date.now() > until) throw new Error(`only ${pool.readyCount} of ${pool.size} workers started`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

/** A product on a pool, its inputs seeded, C poisoned with NaN (0.5 when accumulating); returns C and what it threw. */
function attempt(pool: ThreadPool, layout: Layout, m: number, n: number, k: number, threads: number, acc = 0): { c: Float32Array; err: unknown } {
  const be = backend();
  const a = be.arena.alloc(m * k), b = be.arena.alloc(k * n), c = be.arena.alloc(m * n);
  let err: unknown = null;
  try {
    be.arena.view(a, m * k).forEach((_, i, v) => { v[i] = Math.sin(i * 0.7); });
    be.arena.view(b, k * n).forEach((_, i, v) => { v[i] = Math.cos(i * 0.3); });
    be.arena.view(c, m * n).fill(acc ? 0.5 : NaN);
    const sa = layout === 'tn' ? m * 4 : k * 4, sb = layout === 'nt' ? k * 4 : n * 4;
    try { pool.matmul(layout, c, a, b, m, n, k, sa, sb, n * 4, acc, threads); } catch (e) { err = e; }
    return { c: be.arena.view(c, m * n).slice(), err };
  } finally {
    be.arena.free(a); be.arena.free(b); be.arena.free(c);
  }
}

/** The same, throwing what the product threw. */
function product(pool: ThreadPool, layout: Layout, m: number, n: number, k: number, threads: number, acc = 0): Float32Array {
  const { c, err } = attempt(pool, layout, m, n, k, threads, acc);
  if (err) throw err;
  return c;
}

/** The OS threads of this process (Linux), or null elsewhere. */
function osThreads(): number | null {
  try { return Number(/^Threads:\s+(\d+)/m.exec(readFileSync('/proc/self/status', 'utf8'))![1]); } catch { return null; }
}

describe('threads', () => {
  let pool4: ThreadPool;
  beforeAll(async () => { pool4 = new ThreadPool(backend(), 3); await started(pool4); });
  afterAll(() => pool4.close());

  it('the products here are large enough to run in parallel', () => {
    expect(2 * B * 200 * 300).toBeGreaterThanOrEqual(PARALLEL_MIN_FLOPS);
  });

  it('1, 2, 3 threads and auto give bit-identical weights and outputs', () => {
    const one = train(1);
    for (const t of [2, 3, 'auto'] as const) expectSameTraining(train(t), one);
  });

  it('products split among 1–4 threads by dynamic claiming are bit-identical in every layout (tails included), run after run', () => {
    for (const [layout, m, n, k] of [['nt', 37, 203, 129], ['tn', 131, 45, 67], ['nn', 9, 517, 33], ['nt', 261, 7, 300], ['nt', 128, 256, 784]] as const) {
      const ref = product(pool4, layout, m, n, k, 1);
      expect(ref.every(Number.isFinite)).toBe(true);
      for (let run = 0; run < 3; run++) {
        for (const t of [2, 3, 4]) expect(same(product(pool4, layout, m, n, k, t), ref), `${layout} ${m}×${n}×${k} on ${t} threads`).toBe(true);
      }
    }
  });

  describe('while another process keeps the cores busy', () => {
    let busy: ChildProcess;
    beforeAll(() => { busy = spawn(process.execPath, ['-e', 'for (;;);'], { stdio: 'ignore' }); });
    afterAll(() => { busy.kill('SIGKILL'); });

    it('1, 2, 3 threads and auto still give bit-identical weights and outputs', () => {
      const one = train(1);
      for (const t of [2, 3, 'auto'] as const) expectSameTraining(train(t), one);
      for (const t of [2, 3, 4]) expect(same(product(pool4, 'nt', 128, 256, 784, t), product(pool4, 'nt', 128, 256, 784, 1))).toBe(true);
    });
  });

  it('one pool for the process: creating and disposing networks starts and stops no thread', async () => {
    const warm = new Network({ layers: [784, 128, 10], seed: 1 });
    warm.predict(new Float32Array(32 * 784).fill(0.25));
    warm.dispose();
    await new Promise((r) => setImmediate(r)); // the pool starts on the event loop's next turn after the first product that asked
    const pool = currentPool(backend())!;
    expect(pool).toBeDefined();
    expect(pool).toBe(sharedPool(backend()));
    await started(pool);
    const before = osThreads();
    const input = new Float32Array(32 * 784).map((_, i) => (i % 7) / 7);
    let first: Float32Array | null = null;
    for (let i = 0; i < 100; i++) {
      const net = new Network({ layers: [784, 128, 10], seed: 1 });
      const out = net.predict(input);
      first ??= out;
      expect(same(out, first)).toBe(true);
      net.dispose();
    }
    expect(currentPool(backend())).toBe(pool);
    expect(pool.isClosed).toBe(false);
    if (before !== null) expect(osThreads()).toBe(before);
  });

  it('RSS stays flat over 1,500 cycles each of create/predict/dispose and create/trainBatch/dispose (default threads, fresh process)', async () => {
    const r = await runChild(tsxChild('tests/children/churn.ts', ['1500']));
    expect(r.stderr).toBe('');
    const res = JSON.parse(r.stdout.trim()) as { rssGrowthMB: number; threadsBefore: number | null; threadsAfter: number | null };
    // the pool of earlier versions started and stopped workers per network: +104 MB after 1,500 train cycles, still growing
    expect(res.rssGrowthMB).toBeLessThan(16);
    expect(res.threadsAfter).toBe(res.threadsBefore);
  }, 120_000);

  it('a worker whose thread exits while it holds a chunk: WorkerError, the product finished on the calling thread, later products on the threads left', async () => {
    const pool = new ThreadPool(backend(), 2);
    try {
      await started(pool);
      const [m, n, k] = [256, 1024, 300];
      const ref = product(pool, 'nt', m, n, k, 1);
      pool.exitAfterNextClaim(0);
      // worker 0 exits as soon as it claims a chunk; a product it takes no part in leaves the hook armed for the next
      let r = attempt(pool, 'nt', m, n, k, 3);
      for (let i = 0; i < 50 && !r.err; i++) {
        expect(same(r.c, ref)).toBe(true);
        r = attempt(pool, 'nt', m, n, k, 3);
      }
      expect(r.err).toBeInstanceOf(WorkerError);
      expect((r.err as Error).message).toMatch(/worker 0 \(exit code 7\) exited; the product was finished on the calling thread; later products run on the 2 thread\(s\) that remain/);
      expect(same(r.c, ref)).toBe(true); // the chunk worker 0 held was computed again by the caller (C started as NaN)
      expect(pool.deadCount).toBe(1);
      // the death is reported once; later products run on the caller and worker 1
      for (let i = 0; i < 3; i++) expect(same(product(pool, 'nt', m, n, k, 3), ref)).toBe(true);
    } finally {
      pool.close();
    }
  }, 60_000);

  it('a worker terminated from outside mid-product (worker.terminate()): the product still completes with the right bits, and the death is a WorkerError once', async () => {
    const pool = new ThreadPool(backend(), 2);
    try {
      await started(pool);
      const [m, n, k] = [256, 1024, 400];
      const ref = product(pool, 'nt', m, n, k, 1);
      pool.terminateWorker(1);
      let errors = 0;
      const until = Date.now() + 20_000;
      while (pool.deadCount === 0 && Date.now() < until) {
        try { expect(same(product(pool, 'nt', m, n, k, 3), ref)).toBe(true); } catch (e) { expect(e).toBeInstanceOf(WorkerError); errors++; }
        await new Promise((r) => setTimeout(r, 1));
      }
      expect(pool.deadCount).toBe(1);
      try { product(pool, 'nt', m, n, k, 3); } catch (e) { expect(e).toBeInstanceOf(WorkerError); errors++; }
      expect(errors).toBe(1);
      for (let i = 0; i < 3; i++) expect(same(product(pool, 'nt', m, n, k, 3), ref)).toBe(true);
    } finally {
      pool.close();
    }
  }, 60_000);

  it('an accumulating product whose worker died cannot be redone: the WorkerError says its output is incomplete', async () => {
    const pool = new ThreadPool(backend(), 2);
    try {
      await started(pool);
      pool.exitAfterNextClaim(0);
      let err: unknown = null;
      for (let i = 0; i < 50 && !err; i++) {
        try { product(pool, 'nt', 256, 1024, 300, 3, 1); } catch (e) { err = e; }
      }
      expect(err).toBeInstanceOf(WorkerError);
      expect((err as Error).message).toMatch(/accumulated into its output, so the output is incomplete/);
    } finally {
      pool.close();
    }
  }, 60_000);

  it('networks work inside a worker_thread (a pool of their own there), with the same bits as here', async () => {
    const dist = new URL('../dist/index.js', import.meta.url).href;
    const src = `
      const { parentPort } = require('node:worker_threads');
      import(${JSON.stringify(dist)}).then(({ Network }) => {
        const B = 96;
        const x = new Float32Array(B * 300).map((_, i) => Math.sin(i * 0.37));
        const y = new Float32Array(B * 10).map((_, i) => (i % 10 === (Math.floor(i / 10) * 7) % 10 ? 1 : 0));
        const net = new Network({ layers: [300, 200, 64, 10], activation: 'relu', outputActivation: 'softmax', optimizer: 'adam', seed: 5, threads: 'auto' });
        for (let i = 0; i < 5; i++) net.trainBatch(x, y);
        const out = net.predict(x);
        parentPort.postMessage({ out, weights: net.getWeights().flatMap((l) => [l.weights, l.bias]) });
        net.dispose();
      });`;
    const w = new Worker(src, { eval: true });
    const got = await new Promise<{ out: Float32Array; weights: Float32Array[] }>((resolve, reject) => { w.once('message', resolve); w.once('error', reject); });
    await w.terminate();
    expectSameTraining(got, train(1));
  }, 60_000);

  it('two networks fitting concurrently (interleaved awaits) end with the weights of sequential fits', async () => {
    const mk = (seed: number): Network => new Network({ layers: [300, 128, 10], activation: 'relu', outputActivation: 'softmax', optimizer: 'adam', seed });
    const opts = { epochs: 3, batchSize: 16 };
    const s1 = mk(1), s2 = mk(2);
    await s1.fit(x, y, opts); await s2.fit(x, y, opts);
    const c1 = mk(1), c2 = mk(2);
    let interleaved = 0, last = 0;
    await Promise.all([
      c1.fit(x, y, { ...opts, onBatchEnd: () => { if (last === 2) interleaved++; last = 1; } }),
      c2.fit(x, y, { ...opts, onBatchEnd: () => { if (last === 1) interleaved++; last = 2; } }),
    ]);
    expect(interleaved).toBeGreaterThan(0);
    for (const [s, c] of [[s1, c1], [s2, c2]] as const) {
      s.getWeights().forEach((l, i) => expect(same(l.weights, c.getWeights()[i]!.weights)).toBe(true));
      s.dispose(); c.dispose();
    }
  }, 60_000);

  it('a second fit, a trainBatch or setWeights while a fit of the same network runs is a BusyError, and the fit goes on unchanged', async () => {
    const mk = (): Network => new Network({ layers: [300, 32, 10], outputActivation: 'softmax', seed: 3 });
    const ref = mk();
    await ref.fit(x, y, { epochs: 2, batchSize: 8 });
    const net = mk();
    const running = net.fit(x, y, { epochs: 2, batchSize: 8 });
    await expect(net.fit(x, y)).rejects.toThrow(BusyError);
    await expect(net.fit(x, y)).rejects.toThrow(/fit: a fit of this network is still running; await it first/);
    expect(() => net.trainBatch(x, y)).toThrow(BusyError);
    expect(() => net.setWeights(ref.getWeights())).toThrow(/setWeights: a fit of this network is still running/);
    expect(net.predict(x.subarray(0, 300))).toHaveLength(10); // reading is fine
    await running;
    net.getWeights().forEach((l, i) => expect(same(l.weights, ref.getWeights()[i]!.weights)).toBe(true));
    expect(() => net.trainBatch(x, y)).not.toThrow(); // free again
    net.dispose(); ref.dispose();
  }, 60_000);

  it('a process that never disposes a threaded network still exits', () => {
    const src = fileURLToPath(new URL('../src/index.ts', import.meta.url));
    const code = `import { Network } from ${JSON.stringify(src)};
      const n = new Network({ layers: [300, 200, 10], threads: 2 });
      for (let i = 0; i < 20; i++) n.trainBatch(new Float32Array(96 * 300).fill(0.5), new Float32Array(96 * 10).map((_, i) => (i % 10 === 0 ? 1 : 0)));
      console.log('done');`;
    const tsx = fileURLToPath(new URL('../node_modules/tsx/dist/cli.mjs', import.meta.url));
    const r = spawnSync(process.execPath, [tsx, '--eval', code], { encoding: 'utf8', timeout: 30_000 });
    expect(r.stderr).toBe('');
    expect(r.stdout.trim()).toBe('done');
    expect(r.status).toBe(0);
  });

  it('validates the option', () => {
    expect(() => new Network({ layers: [2, 1], threads: 0 })).toThrow(OptionError);
    expect(() => new Network({ layers: [2, 1], threads: 'all' as never })).toThrow(/options\.threads: expected 'auto' or an integer in \[1, 256\], got "all"/);
    const n = new Network({ layers: [2, 1] });
    expect(n.options.threads).toBe('auto');
    n.dispose();
  });
});

describe('ModeChooser: parallel or one thread, by measured wall time per shape', () => {
  // A fake clock: each run advances it by the time the chosen way takes in the scenario.
  let now = 0;
  function drive(ch: ModeChooser, runs: number, oneMs: number, parMs: number, shape: [number, number, number, number] = [1, 128, 256, 784]): boolean[] {
    const modes: boolean[] = [];
    for (let i = 0; i < runs; i++) {
      const par = ch.choose(...shape, 2, now);
      modes.push(par);
      ch.record(par ? parMs : oneMs);
      now += par ? parMs : oneMs;
    }
    return modes;
  }
  /** Indices where a run of `way` starts after a run of the other way. */
  const starts = (modes: boolean[], way: boolean): number[] => modes.flatMap((p, i) => (p === way && (i === 0 || modes[i - 1] !== way) ? [i] : []));

  it('measures each way by a burst of 3 runs, keeps the faster and measures the slower again after ≥ 8 runs and 25 ms, 50 ms, … (at most every 2 s)', () => {
    now = 0;
    const ch = new ModeChooser();
    const modes = drive(ch, 12000, 1.0, 0.5); // 6 s of fake time
    expect(modes.slice(0, 7)).toEqual([true, true, true, false, false, false, true]); // parallel ×3, one thread ×3, then the faster
    // each later measurement of one thread is a burst of 3
    const bursts = starts(modes, false).slice(1);
    for (const b of bursts) expect(modes.slice(b, b + 4)).toEqual([false, false, false, true]);
    // derived: the clock at the first run of each burst. The pause counts from the shape's first
    // run (t = 0), then from each burst's first run: 25, 50, 100, … ms, then 2 s
    const clock = (i: number): number => modes.slice(0, i).reduce((t, p) => t + (p ? 0.5 : 1.0), 0);
    const at = bursts.map(clock);
    const gaps = at.map((t, i) => t - (i === 0 ? 0 : at[i - 1]!));
    expect(gaps).toEqual([25, 50, 100, 200, 400, 800, 1600, 2000]);
  });

  it('measures parallel by its fastest run of the burst (the first may find the workers asleep)', () => {
    now = 0;
    const ch = new ModeChooser();
    const times = [3.0, 0.6, 0.6]; // cold, then warm
    for (const ms of times) { expect(ch.choose(1, 8, 256, 784, 2, now)).toBe(true); ch.record(ms); now += ms; }
    for (let i = 0; i < 3; i++) { expect(ch.choose(1, 8, 256, 784, 2, now)).toBe(false); ch.record(1.0); now += 1; }
    expect(ch.choose(1, 8, 256, 784, 2, now)).toBe(true); // 0.6 < 1.0; the mean of the burst (1.4) would have lost
  });

  it('switches to one thread when parallel gets slower (a busy neighbour), and back when the neighbour leaves', () => {
    now = 0;
    const ch = new ModeChooser();
    drive(ch, 200, 1.0, 0.6);
    const busy = drive(ch, 2000, 1.0, 3.0);
    // each slow parallel run moves its average by an eighth at most (0.6 → 0.675 → 0.76 → 0.85 → 0.96 → 1.08):
    // at most five runs, then one thread wins
    const firstOne = busy.indexOf(false);
    expect(firstOne).toBeLessThanOrEqual(5);
    // afterwards parallel is measured after 25, 50, 100, … ms of running: at most 8 bursts of 3 in 2,000 ms
    expect(busy.slice(firstOne + 3).filter(Boolean).length).toBeLessThanOrEqual(8 * 3);
    const quiet = drive(ch, 3000, 1.0, 0.6);
    // parallel is measured again within 2 s of the neighbour leaving and wins from then on
    const firstPar = quiet.indexOf(true);
    expect(firstPar).toBeGreaterThanOrEqual(0);
    expect(firstPar).toBeLessThan(2000);
    expect(quiet.slice(firstPar).filter((p) => !p).length).toBeLessThanOrEqual(8 * 3);
  });

  it('a lone slow parallel run does not switch to one thread; two in a row do not either', () => {
    now = 0;
    const ch = new ModeChooser();
    drive(ch, 100, 1.0, 0.6);
    for (const slow of [[5.0], [5.0, 5.0]]) {
      for (const ms of slow) {
        while (!ch.choose(1, 128, 256, 784, 2, now)) { ch.record(1.0); now += 1.0; } // skip a measurement of one thread
        ch.record(ms); now += ms;
      }
      // 0.6 → 0.675 → 0.76 stays below 1.0: parallel still wins (one burst of one thread at most in 10 runs)
      expect(drive(ch, 10, 1.0, 0.6).filter((p) => !p).length).toBeLessThanOrEqual(3);
    }
  });

  it('keeps shapes apart', () => {
    now = 0;
    const ch = new ModeChooser();
    let a = 0, b = 0;
    for (let i = 0; i < 60; i++) {
      const pa = ch.choose(1, 64, 64, 64, 2, now); ch.record(pa ? 2 : 1); now += 1; // this shape: one thread faster
      const pb = ch.choose(0, 512, 512, 512, 2, now); ch.record(pb ? 1 : 2); now += 1; // this one: parallel faster
      if (i >= 20) { if (pa) a++; if (pb) b++; }
    }
    expect(a).toBeLessThanOrEqual(3); // of the last 40 runs (80 ms): one burst of the slower way at most
    expect(b).toBeGreaterThanOrEqual(37);
  });
});
