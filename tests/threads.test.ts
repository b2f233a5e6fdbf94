// Multi-threaded products: bit-identical results for any thread count, workers that stop on
// dispose(), a process that never hangs on idle workers, and a dead worker surfacing as an error.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { Network, OptionError, backend } from '../src/index.js';
import { PARALLEL_MIN_FLOPS, WorkerError, currentPool } from '../src/wasm/threads.js';
import { ThreadPool } from '../src/wasm/pool.js';

const B = 96;
const x = new Float32Array(B * 300).map((_, i) => Math.sin(i * 0.37));
const y = new Float32Array(B * 10).map((_, i) => (i % 10 === (Math.floor(i / 10) * 7) % 10 ? 1 : 0));

function train(threads: number): { weights: Float32Array[]; out: Float32Array } {
  const net = new Network({ layers: [300, 200, 64, 10], activation: 'relu', outputActivation: 'softmax', optimizer: 'adam', seed: 5, threads });
  for (let i = 0; i < 5; i++) net.trainBatch(x, y);
  const out = net.predict(x);
  const weights = net.getWeights().flatMap((l) => [l.weights, l.bias!]);
  net.dispose();
  return { weights, out };
}

describe('threads', () => {
  it('the products here are large enough to run in parallel', () => {
    expect(2 * B * 200 * 300).toBeGreaterThanOrEqual(PARALLEL_MIN_FLOPS);
  });

  it('1, 2 and 3 threads give bit-identical weights and outputs', () => {
    const one = train(1), two = train(2), three = train(3);
    for (const other of [two, three]) {
      other.weights.forEach((w, i) => expect(Buffer.from(w.buffer).equals(Buffer.from(one.weights[i]!.buffer))).toBe(true));
      expect(Buffer.from(other.out.buffer).equals(Buffer.from(one.out.buffer))).toBe(true);
    }
  });

  it('a pool split 1, 2, 3 and 4 ways gives bit-identical products in every layout (tails included)', () => {
    const be = backend();
    const pool = new ThreadPool(be, 3); // 4 threads, whatever the machine has
    try {
      for (const [layout, m, n, k] of [['nt', 37, 203, 129], ['tn', 131, 45, 67], ['nn', 9, 517, 33], ['nt', 261, 7, 300]] as const) {
        const a = be.arena.alloc(m * k), b = be.arena.alloc(k * n);
        be.arena.view(a, m * k).forEach((_, i, v) => { v[i] = Math.sin(i * 0.7); });
        be.arena.view(b, k * n).forEach((_, i, v) => { v[i] = Math.cos(i * 0.3); });
        const sa = layout === 'tn' ? m * 4 : k * 4, sb = layout === 'nt' ? k * 4 : n * 4;
        const outs = [1, 2, 3, 4].map((t) => {
          const c = be.arena.alloc(m * n);
          be.arena.view(c, m * n).fill(NaN);
          pool.matmul(layout, c, a, b, m, n, k, sa, sb, n * 4, 0, t);
          const out = be.arena.view(c, m * n).slice();
          be.arena.free(c);
          return out;
        });
        expect(outs[0]!.every(Number.isFinite)).toBe(true);
        for (const o of outs.slice(1)) expect(Buffer.from(o.buffer).equals(Buffer.from(outs[0]!.buffer))).toBe(true);
        be.arena.free(a); be.arena.free(b);
      }
    } finally {
      pool.close();
    }
  });

  it('uses the pool while a threaded network lives, and closes it (workers exit) when the last one is disposed', async () => {
    const a = new Network({ layers: [300, 200, 10], threads: 2 });
    const b = new Network({ layers: [300, 200, 10], threads: 2 });
    a.predict(x); b.predict(x);
    const pool = currentPool(backend())!;
    expect(pool).toBeDefined();
    expect(pool.threads).toHaveLength(1);
    const exited = Promise.all(pool.threads.map((w) => new Promise<number>((r) => w.once('exit', r))));
    a.dispose();
    expect(pool.isClosed).toBe(false); // b still uses it
    b.dispose();
    expect(pool.isClosed).toBe(true);
    await expect(exited).resolves.toHaveLength(1);
  });

  it('a process that never disposes a threaded network still exits', () => {
    const src = fileURLToPath(new URL('../src/index.ts', import.meta.url));
    const code = `import { Network } from ${JSON.stringify(src)};
      const n = new Network({ layers: [300, 200, 10], threads: 2 });
      n.trainBatch(new Float32Array(96 * 300).fill(0.5), new Float32Array(96 * 10).map((_, i) => (i % 10 === 0 ? 1 : 0)));
      console.log('done');`;
    const tsx = fileURLToPath(new URL('../node_modules/tsx/dist/cli.mjs', import.meta.url));
    const r = spawnSync(process.execPath, [tsx, '--eval', code], { encoding: 'utf8', timeout: 30_000 });
    expect(r.stderr).toBe('');
    expect(r.stdout.trim()).toBe('done');
    expect(r.status).toBe(0);
  });

  it('a dead worker is a WorkerError, not a hang; later steps run on one thread with the same results', async () => {
    const ref = new Network({ layers: [300, 200, 10], outputActivation: 'softmax', seed: 9, threads: 1 });
    const net = new Network({ layers: [300, 200, 10], outputActivation: 'softmax', seed: 9, threads: 2 });
    ref.trainBatch(x, y); net.trainBatch(x, y);
    const pool = currentPool(backend())!;
    await pool.threads[0]!.terminate();
    const t0 = performance.now();
    expect(() => net.trainBatch(x, y)).toThrow(WorkerError);
    expect(performance.now() - t0).toBeLessThan(10_000);
    expect(pool.isClosed).toBe(true);
    // the failed step stopped before its update; the next runs single-threaded
    ref.trainBatch(x, y); net.trainBatch(x, y);
    expect(Array.from(net.getWeights()[0]!.weights)).toEqual(Array.from(ref.getWeights()[0]!.weights));
    net.dispose(); ref.dispose();
  }, 30_000);

  it('validates the option', () => {
    expect(() => new Network({ layers: [2, 1], threads: 0 })).toThrow(OptionError);
    expect(() => new Network({ layers: [2, 1], threads: 'all' as never })).toThrow(/options\.threads: expected 'auto' or an integer in \[1, 256\], got "all"/);
    const n = new Network({ layers: [2, 1] });
    expect(n.options.threads).toBe('auto');
    n.dispose();
  });
});
