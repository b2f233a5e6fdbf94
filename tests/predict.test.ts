// predict for single samples and small batches (the gemv paths of Dense.forward) and the
// allocation-free form predict(x, { out }).
//  - small batches (1..8 rows) against a float64 network (tests/ref/network.ts) and within the
//    documented tolerance of the rows of one large batch (the packed product);
//  - trace of 1 and 2 rows: bit for bit the rows of a large batch (training keeps
//    the packed summation order);
//  - { out }: the same values, the same object returned, no arena growth, typed errors.
import { describe, expect, it } from 'vitest';
import { ArgumentTypeError, NonFiniteError, OptionError, ShapeError } from '../src/errors.js';
import { Network } from '../src/model.js';
import { refRun, type Act, type RefNet } from './ref/network.js';
import { TestRng } from './helpers.js';

const SIZES = [37, 29, 17, 5];
const ROWS = 64;

function makeNet(threads: number, hidden: Act, output: Act, bias = true): Network {
  return new Network({
    layers: SIZES, activation: hidden as 'relu', outputActivation: output as 'softmax', bias, seed: 7, threads,
    leakyReluAlpha: 0.05,
  });
}

function refOf(net: Network, hidden: Act, output: Act): RefNet {
  const ws = net.getWeights();
  return {
    sizes: SIZES, acts: [hidden, hidden, output], loss: 'mse', reduction: 'sum', alpha: 0.05,
    W: ws.map((w) => Array.from({ length: w.rows }, (_, i) => Array.from(w.weights.subarray(i * w.cols, (i + 1) * w.cols)))),
    b: ws.map((w) => (w.bias ? Array.from(w.bias) : null)),
  };
}

function data(rows: number, seed: number): Float32Array {
  const rng = new TestRng(seed);
  return Float32Array.from({ length: rows * SIZES[0]! }, () => rng.uniform(-2, 2));
}

function bitsEqual(a: Float32Array, b: Float32Array): boolean {
  if (a.length !== b.length) return false;
  const ua = new Uint32Array(a.buffer, a.byteOffset, a.length), ub = new Uint32Array(b.buffer, b.byteOffset, b.length);
  return ua.every((v, i) => v === ub[i]);
}

/** Documented in README (Guarantees): rows of predict with ≤ 2 rows vs the same rows in a larger batch. */
const SMALL_VS_LARGE = { atol: 1e-6, rtol: 1e-5 };

describe.each([1, 2])('predict of small batches, threads %i', (threads) => {
  const cases: [Act, Act][] = [['relu', 'softmax'], ['tanh', 'sigmoid'], ['sigmoid', 'linear'], ['leakyRelu', 'tanh']];

  it.each(cases)('%s/%s: 1..8 rows against float64 and within tolerance of a large batch', (hidden, output) => {
    const net = makeNet(threads, hidden, output);
    const ref = refOf(net, hidden, output);
    const x = data(ROWS, 11);
    const big = net.predict(x);
    const rows = Array.from({ length: ROWS }, (_, r) => Array.from(x.subarray(r * SIZES[0]!, (r + 1) * SIZES[0]!)));
    const want = refRun(ref, rows, rows.map(() => [0, 0, 0, 0, 0])).out[2]!;
    for (const r of [0, 1, 5, 63]) {
      const one = net.predict(rows[r]!);
      for (let j = 0; j < 5; j++) {
        expect(Math.abs(one[j]! - want[r]![j]!)).toBeLessThanOrEqual(2e-5 + 1e-5 * Math.abs(want[r]![j]!));
        const b = big[r * 5 + j]!;
        expect(Math.abs(one[j]! - b)).toBeLessThanOrEqual(SMALL_VS_LARGE.atol + SMALL_VS_LARGE.rtol * Math.abs(b));
      }
    }
    for (let m = 1; m <= 8; m++) {
      const got = net.predict(x.subarray(0, m * SIZES[0]!));
      for (let i = 0; i < m * 5; i++) {
        expect(Math.abs(got[i]! - want[Math.floor(i / 5)]![i % 5]!)).toBeLessThanOrEqual(2e-5 + 1e-5 * Math.abs(want[Math.floor(i / 5)]![i % 5]!));
        expect(Math.abs(got[i]! - big[i]!)).toBeLessThanOrEqual(SMALL_VS_LARGE.atol + SMALL_VS_LARGE.rtol * Math.abs(big[i]!));
      }
    }
    net.dispose();
  });

  it('trace of 1 and 2 rows is bit for bit the rows of a large batch (the training order)', () => {
    const net = makeNet(threads, 'tanh', 'softmax');
    const x = data(ROWS, 12);
    const big = net.trace(x);
    for (const m of [1, 2]) {
      for (const r0 of [0, 7]) {
        const t = net.trace(x.subarray(r0 * SIZES[0]!, (r0 + m) * SIZES[0]!));
        t.layers.forEach((l, i) => {
          const w = SIZES[i + 1]!;
          expect(bitsEqual(l.net, big.layers[i]!.net.subarray(r0 * w, (r0 + m) * w)), `layer ${i} net, rows ${r0}+${m}`).toBe(true);
          expect(bitsEqual(l.out, big.layers[i]!.out.subarray(r0 * w, (r0 + m) * w)), `layer ${i} out, rows ${r0}+${m}`).toBe(true);
        });
      }
    }
    net.dispose();
  });
});

it('predict of 1–8 rows gives the same bits on 1 and 2 threads (the small-batch cut-offs do not depend on threads)', () => {
  for (const [hidden, output] of [['relu', 'softmax'], ['tanh', 'sigmoid']] as [Act, Act][]) {
    const one = makeNet(1, hidden, output), two = makeNet(2, hidden, output);
    const x = data(8, 15);
    for (let m = 1; m <= 8; m++) {
      const xs = x.subarray(0, m * SIZES[0]!);
      expect(bitsEqual(one.predict(xs), two.predict(xs)), `${hidden}/${output}, ${m} rows`).toBe(true);
    }
    one.dispose(); two.dispose();
  }
});

describe('predict(x, { out })', () => {
  it('writes the outputs into out and returns it, for number[], Float32Array and number[][]', () => {
    const net = makeNet(1, 'relu', 'softmax');
    const x = data(3, 13);
    const want = net.predict(x);
    // one row takes the small-batch kernel (another summation order than 3 rows): compare with predict of that row
    const out1 = new Float32Array(5).fill(NaN);
    expect(net.predict(Array.from(x.subarray(0, SIZES[0]!)), { out: out1 })).toBe(out1);
    expect(bitsEqual(out1, net.predict(x.subarray(0, SIZES[0]!)))).toBe(true);
    for (let j = 0; j < 5; j++) expect(Math.abs(out1[j]! - want[j]!)).toBeLessThanOrEqual(SMALL_VS_LARGE.atol + SMALL_VS_LARGE.rtol * Math.abs(want[j]!));
    const out1f = new Float32Array(5);
    expect(net.predict(x.subarray(SIZES[0]!, 2 * SIZES[0]!), { out: out1f })).toBe(out1f);
    expect(bitsEqual(out1f, net.predict(x.subarray(SIZES[0]!, 2 * SIZES[0]!)))).toBe(true);
    const out3 = new Float32Array(15);
    expect(net.predict(x, { out: out3 })).toBe(out3);
    expect(bitsEqual(out3, want)).toBe(true);
    const rows = [0, 1, 2].map((r) => Array.from(x.subarray(r * SIZES[0]!, (r + 1) * SIZES[0]!)));
    const out3r = new Float32Array(15);
    expect(net.predict(rows, { out: out3r })).toBe(out3r);
    expect(bitsEqual(out3r, want)).toBe(true);
    expect(net.predict(x.subarray(0, SIZES[0]!), {})).toBeInstanceOf(Float32Array); // no out: a new array
    net.dispose();
  });

  it('a one-sample call leaves wasm memory as it was', () => {
    const net = makeNet(1, 'tanh', 'sigmoid');
    const x = data(1, 14), out = new Float32Array(5);
    net.predict(x, { out });
    const arena = (net as unknown as { be: { arena: { bytesInUse: number; liveBlocks: number; memoryBytes: number } } }).be.arena;
    const before = [arena.bytesInUse, arena.liveBlocks, arena.memoryBytes];
    for (let i = 0; i < 1000; i++) net.predict(x, { out });
    expect([arena.bytesInUse, arena.liveBlocks, arena.memoryBytes]).toEqual(before);
    net.dispose();
  });

  it('rejects a bad out or option with typed errors naming it, and changes nothing', () => {
    const net = makeNet(1, 'relu', 'softmax');
    const x = data(2, 15);
    const w0 = net.getWeights();
    const cases: [() => unknown, new (...a: never[]) => Error, string][] = [
      [() => net.predict(x, { out: new Float32Array(5) }), ShapeError, 'predict options.out: expected a Float32Array of 10 floats (2 rows × 5 outputs), got one of length 5'],
      [() => net.predict(x.subarray(0, SIZES[0]!), { out: new Float32Array(6) }), ShapeError, 'predict options.out: expected a Float32Array of 5 floats (1 row × 5 outputs), got one of length 6'],
      [() => net.predict(Array.from(x.subarray(0, SIZES[0]!)), { out: new Float32Array(4) }), ShapeError, 'got one of length 4'],
      [() => net.predict(x, { out: new Float64Array(10) as unknown as Float32Array }), ArgumentTypeError, 'predict options.out: expected a Float32Array (rows × outputs floats, row-major), got'],
      [() => net.predict(x, { out: [0, 0] as unknown as Float32Array }), ArgumentTypeError, 'predict options.out: expected a Float32Array'],
      [() => net.predict(x, { ot: new Float32Array(10) } as never), OptionError, "predict options.ot: unknown option (did you mean 'out'?); known options are out"],
      [() => net.predict(x, 'out' as never), ArgumentTypeError, 'predict options: expected an object such as { out }, got'],
      [() => net.predict(x, null as never), ArgumentTypeError, 'predict options: expected an object such as { out }, got null'],
      [() => net.predict([1, NaN, ...Array(SIZES[0]! - 2).fill(0)], { out: new Float32Array(5) }), NonFiniteError, 'x[1]: expected a finite number, got NaN'],
      [() => net.predict(new Float32Array(SIZES[0]!).fill(Infinity, 3, 4), { out: new Float32Array(5) }), NonFiniteError, 'x: expected finite numbers, got Infinity at row 0, column 3 (index 3)'],
      [() => net.predict([...Array(SIZES[0]! - 1).fill(0), '1'] as never, { out: new Float32Array(5) }), ArgumentTypeError, `x[${SIZES[0]! - 1}]: expected a number, got "1"`],
    ];
    for (const [run, type, message] of cases) {
      let err: unknown;
      try { run(); } catch (e) { err = e; }
      expect(err, message).toBeInstanceOf(type);
      expect((err as Error).message).toContain(message);
    }
    net.getWeights().forEach((w, i) => expect(bitsEqual(w.weights, w0[i]!.weights)).toBe(true));
    net.dispose();
  });
});
