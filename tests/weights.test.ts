// Sample and class weights (Keras's sample_weight and class_weight): the weighted loss kernels
// against float64 loops, and the network's weighted loss and gradients against the float64
// reference network (tests/ref/network.ts, run row by row and weighted here), against duplicated
// and dropped rows, and against the unweighted path.
//
// Tolerances (|d| ≤ max(atol, rtol·|ref|), or maxRelErr with FLOOR as in tests/gradcheck.test.ts):
//  - weighted value kernels: float64 sums of float32 terms, rtol 1e-10, atol 1e-9 (as the unweighted
//    kernels' tests); scale_rows_f32: exact (one float32 product per element).
//  - bit for bit (Object.is on every value): no weights vs weight 1 everywhere (×1 is exact), class
//    weights vs the same weights given per row, w = 0 vs an all-ones buffer in the kernels.
//  - weight 2 vs a duplicated row, and weight 0 vs a dropped row (under 'sum'): the same float32
//    terms summed in another order (another batch size), so not bitwise: loss rtol 1e-12 (float64
//    sums), gradients maxRelErr ≤ 1e-5 with FLOOR −0.01 (entries below 1% of their array's largest
//    magnitude held to 1e-7 of it: a few float32 ulps of the largest term).
//  - the network against the float64 reference (float32 forward and backward): loss rtol 1e-5,
//    gradients maxRelErr ≤ 1e-4 with FLOOR −0.01; evaluate against a float64 loss from predict's
//    outputs (and trace's logits for the cross-entropies): rtol 1e-5.
import { describe, expect, it } from 'vitest';
import {
  ArgumentTypeError, DomainError, Network, NonFiniteError, OptionError, ShapeError,
  type Loss, type NetworkOptions, type OutputActivation, type WasmlpError,
} from '../src/index.js';
import {
  assertClose, assertCloseScalar, checkFramed, frameInput, frameOutput, Mem, simdVariants, TestRng, uniformValues, type Tol,
} from './helpers.js';
import { backend } from '../src/internal.js';
import { flat, lossRow, maxRelErr, rand, refRun, type RefNet } from './ref/network.js';

const LOSS_TOL: Tol = { atol: 1e-9, rtol: 1e-10 };
const EXACT: Tol = { atol: 0, rtol: 0 };
const FLOOR = -0.01;

// ************* kernels *************

/** Σ_r w_r·Σ_j term(r, j) in float64, the plain loop every weighted value kernel must match. */
function weightedSumRef(w: ArrayLike<number>, m: number, n: number, term: (i: number) => number): number {
  let total = 0;
  for (let r = 0; r < m; r++) {
    let row = 0;
    for (let j = 0; j < n; j++) row += term(r * n + j);
    total += w[r]! * row;
  }
  return total;
}

function xentRef(z: ArrayLike<number>, t: ArrayLike<number>, w: ArrayLike<number>, m: number, n: number): number {
  let total = 0;
  for (let r = 0; r < m; r++) {
    const zr = Array.from({ length: n }, (_, j) => z[r * n + j]!);
    const mx = Math.max(...zr);
    const lse = mx + Math.log(zr.reduce((s, v) => s + Math.exp(v - mx), 0));
    let row = 0;
    for (let j = 0; j < n; j++) row += t[r * n + j]! * (lse - zr[j]!);
    total += w[r]! * row;
  }
  return total;
}

describe.each(simdVariants())('weighted loss kernels [%s]', (variant) => {
  const mem = new Mem(variant);
  const CAP = 4096;
  const Y = mem.alloc(CAP), T = mem.alloc(CAP), W = mem.alloc(CAP), O = mem.alloc(CAP);
  const rng = new TestRng(0x5eed_0014);
  const SHAPES: [number, number][] = [[1, 1], [1, 7], [2, 3], [3, 4], [5, 5], [4, 9], [7, 17], [33, 2], [3, 100]];

  /** Weights with zeros, ones, fractions and large values. */
  function weights(m: number): Float32Array {
    const w = uniformValues(rng, m, 0, 3);
    for (let r = 0; r < m; r += 3) w[r] = r % 2 ? 1 : 0;
    return w;
  }

  it('each value kernel is Σ_r w_r·(row r\'s loss) in float64 (NaN around every input: a read past an end poisons it)', () => {
    for (const [m, n] of SHAPES) {
      for (const off of [0, 1]) {
        const len = m * n;
        const [y, hy] = frameInput(mem, Y, CAP, off, uniformValues(rng, len, -3, 3));
        const tv = uniformValues(rng, len, 0, 1);
        for (let i = 0; i < len; i += 4) tv[i] = 0;
        const [t, ht] = frameInput(mem, T, CAP, off, tv);
        const [w, hw] = frameInput(mem, W, CAP, off, weights(m));
        const label = `m=${m} n=${n} off=${off}`;
        const k = mem.k;
        assertCloseScalar(k.mse_loss_w_f32(y, t, w, m, n), 0.5 * weightedSumRef(hw, m, n, (i) => (hy[i]! - ht[i]!) ** 2), LOSS_TOL, `mse ${label}`);
        assertCloseScalar(k.mae_loss_w_f32(y, t, w, m, n), weightedSumRef(hw, m, n, (i) => Math.abs(hy[i]! - ht[i]!)), LOSS_TOL, `mae ${label}`);
        for (const d of [1, 0.5]) {
          const h = (i: number): number => { const a = Math.abs(hy[i]! - ht[i]!); return a <= d ? 0.5 * a * a : d * (a - 0.5 * d); };
          assertCloseScalar(k.huber_loss_w_f32(y, t, w, d, m, n), weightedSumRef(hw, m, n, h), LOSS_TOL, `huber δ=${d} ${label}`);
        }
        assertCloseScalar(k.bce_loss_w_f32(y, t, w, m, n),
          weightedSumRef(hw, m, n, (i) => Math.max(hy[i]!, 0) - hy[i]! * ht[i]! + Math.log1p(Math.exp(-Math.abs(hy[i]!)))), LOSS_TOL, `bce ${label}`);
        assertCloseScalar(k.xent_loss_w_f32(y, t, w, m, n), xentRef(hy, ht, hw, m, n), LOSS_TOL, `xent ${label}`);
        const [p, hp] = frameInput(mem, Y, CAP, off, uniformValues(rng, len, 0, 3)); // poisson: outputs ≥ 0
        assertCloseScalar(k.poisson_loss_w_f32(p, t, w, m, n), weightedSumRef(hw, m, n, (i) => hp[i]! - ht[i]! * Math.log(hp[i]! + 1e-7)), LOSS_TOL, `poisson ${label}`);
      }
    }
  });

  it('w = 0 (no buffer) and an all-ones buffer give the unweighted kernels\' bits', () => {
    for (const [m, n] of SHAPES) {
      const len = m * n;
      mem.f32(Y, len).set(uniformValues(rng, len, -3, 3));
      mem.f32(O, len).set(uniformValues(rng, len, 0, 3));
      const tv = uniformValues(rng, len, 0, 1);
      for (let i = 0; i < len; i += 3) tv[i] = 0;
      mem.f32(T, len).set(tv);
      mem.f32(W, m).fill(1);
      const k = mem.k;
      const cases: [string, number, number, number][] = [
        ['mse', k.mse_loss_f32(Y, T, len), k.mse_loss_w_f32(Y, T, 0, m, n), k.mse_loss_w_f32(Y, T, W, m, n)],
        ['mae', k.mae_loss_f32(Y, T, len), k.mae_loss_w_f32(Y, T, 0, m, n), k.mae_loss_w_f32(Y, T, W, m, n)],
        ['huber', k.huber_loss_f32(Y, T, 1, len), k.huber_loss_w_f32(Y, T, 0, 1, m, n), k.huber_loss_w_f32(Y, T, W, 1, m, n)],
        ['poisson', k.poisson_loss_f32(O, T, len), k.poisson_loss_w_f32(O, T, 0, m, n), k.poisson_loss_w_f32(O, T, W, m, n)],
        ['bce', k.bce_loss_f32(Y, T, len), k.bce_loss_w_f32(Y, T, 0, m, n), k.bce_loss_w_f32(Y, T, W, m, n)],
        ['xent', k.xent_loss_f32(Y, T, m, n), k.xent_loss_w_f32(Y, T, 0, m, n), k.xent_loss_w_f32(Y, T, W, m, n)],
      ];
      for (const [name, plain, none, ones] of cases) {
        expect(Object.is(none, plain), `${name} w=0 m=${m} n=${n}`).toBe(true);
        expect(Object.is(ones, plain), `${name} ones m=${m} n=${n}`).toBe(true);
      }
    }
  });

  it('scale_rows_f32 writes float32(w_r·x) exactly, into a framed output and in place', () => {
    for (const [m, n] of SHAPES) {
      for (const off of [0, 1]) {
        const len = m * n;
        const xs = uniformValues(rng, len, -2, 2);
        const [x, hx] = frameInput(mem, Y, CAP, off, xs);
        const [w, hw] = frameInput(mem, W, CAP, off, weights(m));
        const ref = Float64Array.from(hx, (v, i) => Math.fround(hw[Math.floor(i / n)]! * v));
        const out = frameOutput(mem, O, CAP, off, len);
        mem.k.scale_rows_f32(out, x, w, m, n);
        checkFramed(mem, out, len, ref, EXACT, `m=${m} n=${n} off=${off}`);
        mem.k.scale_rows_f32(x, x, w, m, n);
        assertClose(mem.f32(x, len), ref, EXACT, `in place m=${m} n=${n} off=${off}`);
      }
    }
  });
});

// ************* the network *************

const LOSSES: [OutputActivation, Loss][] = [
  ['linear', 'mse'], ['softmax', 'mse'], ['tanh', 'mae'], ['linear', 'huber'], ['softplus', 'poisson'],
  ['softmax', 'crossEntropy'], ['softmax', 'sparseCrossEntropy'], ['sigmoid', 'binaryCrossEntropy'],
];

function makeNet(output: OutputActivation, loss: Loss, reduction: 'mean' | 'sum', seed = 5, sizes = [3, 5, 4]): Network<number[]> {
  const net = new Network({ layers: sizes, activation: 'tanh', outputActivation: output, loss, reduction, seed, optimizer: { type: 'adam', learningRate: 0.05 } });
  const r = rand(seed + 100); // nonzero biases, so their gradients are exercised
  net.setWeights(net.getWeights().map((l) => ({ weights: l.weights, bias: l.bias ? l.bias.map(() => r() - 0.5) : null })));
  return net;
}

/** Targets for `loss` (one-hot rows for sparseCrossEntropy; the network then gets their indices). */
function targets(loss: Loss, rows: number, n: number, r: () => number): number[][] {
  return Array.from({ length: rows }, () => {
    if (loss === 'crossEntropy' || loss === 'sparseCrossEntropy') { const t = new Array<number>(n).fill(0); t[Math.floor(r() * n)] = 1; return t; }
    if (loss === 'binaryCrossEntropy') return Array.from({ length: n }, () => (r() < 0.5 ? Math.round(r()) : r()));
    if (loss === 'poisson') return Array.from({ length: n }, () => (r() < 0.3 ? 0 : r() * 3));
    return Array.from({ length: n }, () => r() * 4 - 2);
  });
}

const asY = (loss: Loss, y: number[][]): number[][] | number[] => (loss === 'sparseCrossEntropy' ? y.map((t) => t.indexOf(1)) : y);

function data(loss: Loss, rows: number, seed: number, sizes = [3, 5, 4]): { x: number[][]; y: number[][] } {
  const r = rand(seed);
  const x = Array.from({ length: rows }, () => Array.from({ length: sizes[0]! }, () => Math.fround(r() * 2 - 1)));
  return { x, y: targets(loss, rows, sizes.at(-1)!, r) };
}

function refOf(net: Network<number[]>, loss: Loss, output: OutputActivation): RefNet {
  const ws = net.getWeights();
  return {
    sizes: net.sizes.slice(), acts: ['tanh', output], loss, reduction: 'sum', alpha: Math.fround(0.01),
    W: ws.map((l) => Array.from({ length: l.rows }, (_, i) => Array.from(l.weights.subarray(i * l.cols, (i + 1) * l.cols)))),
    b: ws.map((l) => (l.bias ? Array.from(l.bias) : null)),
  };
}

/** The float64 weighted loss and gradients: each row run alone (reduction 'sum'), weighted by w_r and scaled. */
function weightedNetRef(ref: RefNet, x: number[][], y: number[][], w: readonly number[], scale: number) {
  const runs = x.map((row, r) => refRun(ref, [row], [y[r]!]));
  const sum = <T>(pick: (res: ReturnType<typeof refRun>) => T): number[] => {
    const parts = runs.map((res) => flat(pick(res) as number[][]));
    return parts[0]!.map((_, i) => parts.reduce((s, p, r) => s + scale * w[r]! * p[i]!, 0));
  };
  return {
    loss: runs.reduce((s, res, r) => s + scale * w[r]! * res.loss, 0),
    gW: ref.W.map((_, l) => sum((res) => res.gW[l]!)),
    gb: ref.b.map((b, l) => (b ? sum((res) => res.gb[l]!) : null)),
    gx: runs.map((res, r) => flat(res.gx).map((v) => scale * w[r]! * v)),
    delta: runs.map((res, r) => flat(res.delta.at(-1)!).map((v) => scale * w[r]! * v)),
  };
}

function expectSameBits(a: ArrayLike<number> | null, b: ArrayLike<number> | null, label: string): void {
  expect(a === null, label).toBe(b === null);
  if (!a || !b) return;
  expect(a.length, label).toBe(b.length);
  for (let i = 0; i < a.length; i++) if (!Object.is(a[i], b[i])) expect.fail(`${label}[${i}]: ${a[i]} vs ${b[i]}`);
}

type G = ReturnType<Network<number[]>['gradients']>;
function expectSameGradients(a: G, b: G, label: string): void {
  expect(Object.is(a.loss, b.loss), `${label} loss ${a.loss} vs ${b.loss}`).toBe(true);
  a.layers.forEach((l, i) => {
    expectSameBits(l.weights, b.layers[i]!.weights, `${label} layer ${i} ∇W`);
    expectSameBits(l.bias, b.layers[i]!.bias, `${label} layer ${i} ∇b`);
    expectSameBits(l.delta, b.layers[i]!.delta, `${label} layer ${i} δ`);
  });
  expectSameBits(a.input, b.input, `${label} dE/dx`);
}

describe('sampleWeight in gradients and trainBatch', () => {
  it.each(LOSSES)('%s + %s: the weighted loss and gradients match the float64 reference (both reductions)', (output, loss) => {
    for (const reduction of ['mean', 'sum'] as const) {
      const net = makeNet(output, loss, reduction);
      const { x, y } = data(loss, 7, 31);
      const w = [0, 0.5, 1, 2.5, 1, 0.125, 3.75];
      const g = net.gradients(x, asY(loss, y), { sampleWeight: w });
      const want = weightedNetRef(refOf(net, loss, output), x, y, w, reduction === 'mean' ? 1 / x.length : 1);
      net.dispose();
      assertCloseScalar(g.loss, want.loss, { atol: 1e-7, rtol: 1e-5 }, `${reduction} loss`);
      g.layers.forEach((l, i) => {
        expect(maxRelErr(l.weights, want.gW[i]!, FLOOR), `${reduction} layer ${i} ∇W`).toBeLessThanOrEqual(1e-4);
        expect(maxRelErr(l.bias!, want.gb[i]!, FLOOR), `${reduction} layer ${i} ∇b`).toBeLessThanOrEqual(1e-4);
      });
      expect(maxRelErr(g.layers[1]!.delta, flat(want.delta), FLOOR), `${reduction} output δ`).toBeLessThanOrEqual(1e-4);
      expect(maxRelErr(g.input, flat(want.gx), FLOOR), `${reduction} dE/dx`).toBeLessThanOrEqual(1e-4);
    }
  });

  it.each(LOSSES)('%s + %s: weight 2 on a row equals that row twice, under sum (loss and gradients)', (output, loss) => {
    const net = makeNet(output, loss, 'sum');
    const { x, y } = data(loss, 4, 47);
    const weighted = net.gradients(x, asY(loss, y), { sampleWeight: [2, 1, 1, 2] });
    const dx = [x[0]!, x[0]!, x[1]!, x[2]!, x[3]!, x[3]!], dy = [y[0]!, y[0]!, y[1]!, y[2]!, y[3]!, y[3]!];
    const twice = net.gradients(dx, asY(loss, dy));
    net.dispose();
    assertCloseScalar(weighted.loss, twice.loss, { atol: 0, rtol: 1e-12 }, 'loss');
    weighted.layers.forEach((l, i) => {
      expect(maxRelErr(l.weights, twice.layers[i]!.weights, FLOOR), `layer ${i} ∇W`).toBeLessThanOrEqual(1e-5);
      expect(maxRelErr(l.bias!, twice.layers[i]!.bias!, FLOOR), `layer ${i} ∇b`).toBeLessThanOrEqual(1e-5);
    });
  });

  it.each(LOSSES)('%s + %s: weight 0 drops a row, under sum (its δ and dE/dx rows are 0, the rest as without it)', (output, loss) => {
    const net = makeNet(output, loss, 'sum');
    const { x, y } = data(loss, 5, 53);
    const w = [1, 0, 1, 1, 0];
    const weighted = net.gradients(x, asY(loss, y), { sampleWeight: w });
    const keep = [0, 2, 3];
    const without = net.gradients(keep.map((r) => x[r]!), asY(loss, keep.map((r) => y[r]!)));
    net.dispose();
    assertCloseScalar(weighted.loss, without.loss, { atol: 0, rtol: 1e-12 }, 'loss');
    weighted.layers.forEach((l, i) => {
      expect(maxRelErr(l.weights, without.layers[i]!.weights, FLOOR), `layer ${i} ∇W`).toBeLessThanOrEqual(1e-5);
      expect(maxRelErr(l.bias!, without.layers[i]!.bias!, FLOOR), `layer ${i} ∇b`).toBeLessThanOrEqual(1e-5);
    });
    const cols = net.sizes.at(-1)!, ins = net.sizes[0]!;
    for (const r of [1, 4]) {
      expect(Array.from(weighted.layers[1]!.delta.subarray(r * cols, (r + 1) * cols)).every((v) => v === 0), `δ row ${r}`).toBe(true);
      expect(Array.from(weighted.input.subarray(r * ins, (r + 1) * ins)).every((v) => v === 0), `dE/dx row ${r}`).toBe(true);
    }
  });

  it('mean divides Σ wᵢ·Lᵢ by the row count, not by Σw (Keras\'s sum_over_batch_size)', () => {
    const { x, y } = data('mse', 3, 61);
    const w = [3, 1, 0.5]; // Σw = 4.5, 3 rows
    const mean = makeNet('linear', 'mse', 'mean'), sum = makeNet('linear', 'mse', 'sum');
    const gm = mean.gradients(x, y, { sampleWeight: w }), gs = sum.gradients(x, y, { sampleWeight: w });
    assertCloseScalar(gm.loss, gs.loss / 3, { atol: 0, rtol: 1e-15 }, 'loss');
    gm.layers.forEach((l, i) => expect(maxRelErr(l.weights, gs.layers[i]!.weights.map((v) => v / 3), FLOOR), `layer ${i} ∇W`).toBeLessThanOrEqual(1e-5)); // δ·(1/3) rounds first
    expect(mean.evaluate(x, y, { sampleWeight: w }).loss).toBeCloseTo(sum.evaluate(x, y, { sampleWeight: w }).loss / 3, 12);
    mean.dispose(); sum.dispose();
  });

  it.each(LOSSES)('%s + %s: weight 1 everywhere is the unweighted path bit for bit (gradients, and 5 trainBatch steps, both reductions)', (output, loss) => {
    for (const reduction of ['mean', 'sum'] as const) {
      const a = makeNet(output, loss, reduction), b = makeNet(output, loss, reduction), c = makeNet(output, loss, reduction);
      const { x, y } = data(loss, 6, 71);
      const ones = new Array<number>(6).fill(1);
      expectSameGradients(b.gradients(x, asY(loss, y), { sampleWeight: ones }), a.gradients(x, asY(loss, y)), reduction);
      for (let s = 0; s < 5; s++) {
        const la = a.trainBatch(x, asY(loss, y));
        const lb = b.trainBatch(x, asY(loss, y), { sampleWeight: Float32Array.from(ones) });
        const lc = c.trainBatch(x, asY(loss, y), {}); // no weight given: the unweighted path
        expect(Object.is(la, lb) && Object.is(la, lc), `${reduction} step ${s}: ${la} ${lb} ${lc}`).toBe(true);
      }
      expect(b.toJSON()).toEqual(a.toJSON());
      expect(c.toJSON()).toEqual(a.toJSON());
      a.dispose(); b.dispose(); c.dispose();
    }
  });

  it('a weighted step allocates no wasm memory (the weights go to a staging buffer planned with the batch)', () => {
    const net = makeNet('softmax', 'sparseCrossEntropy', 'mean');
    const { x, y } = data('sparseCrossEntropy', 8, 101);
    const cls = asY('sparseCrossEntropy', y);
    net.trainBatch(x, cls, { sampleWeight: new Array(8).fill(1) }); // plans the batch buffers
    const arena = backend().arena, blocks = arena.liveBlocks, bytes = arena.bytesInUse;
    for (let s = 0; s < 50; s++) {
      net.trainBatch(x, cls, { sampleWeight: Float32Array.from({ length: 8 }, (_, i) => (i + s) % 3), classWeight: [1, 2, 0.5, 1] });
      net.gradients(x.slice(0, 5), cls.slice(0, 5), { sampleWeight: [1, 0, 2, 1, 1] });
      net.evaluate(x, cls, { sampleWeight: new Array(8).fill(0.5) });
    }
    expect([arena.liveBlocks, arena.bytesInUse]).toEqual([blocks, bytes]);
    net.dispose();
  });

  it('trainBatch steps on the weighted gradient: SGD moves the weights by −lr·∇ of the weighted loss', () => {
    const net = new Network({ layers: [2, 2], outputActivation: 'linear', loss: 'mse', reduction: 'sum', learningRate: 0.25, seed: 2 });
    const x = [[1, 0], [0, 1]], y = [[1, 2], [3, 4]], w = [0.5, 2];
    const g = net.gradients(x, y, { sampleWeight: w });
    const before = net.getWeights()[0]!;
    const loss = net.trainBatch(x, y, { sampleWeight: w });
    const after = net.getWeights()[0]!;
    expect(loss).toBe(g.loss);
    assertClose(after.weights, before.weights.map((v, i) => Math.fround(v - Math.fround(0.25 * g.layers[0]!.weights[i]!))), EXACT, 'W');
    assertClose(after.bias!, before.bias!.map((v, i) => Math.fround(v - Math.fround(0.25 * g.layers[0]!.bias![i]!))), EXACT, 'b');
    net.dispose();
  });
});

describe('classWeight', () => {
  /** Gradients with classWeight and with the per-row weights it stands for: the same bits. */
  function same(opts: NetworkOptions<number[]>, x: number[][], y: number[][] | number[], classWeight: Record<number, number> | number[], perRow: number[]): void {
    const net = new Network(opts);
    expectSameGradients(net.gradients(x, y, { classWeight }), net.gradients(x, y, { sampleWeight: perRow }), JSON.stringify(classWeight));
    const twin = new Network(opts);
    for (let s = 0; s < 3; s++) expect(net.trainBatch(x, y, { classWeight })).toBe(twin.trainBatch(x, y, { sampleWeight: perRow }));
    expect(net.toJSON()).toEqual(twin.toJSON());
    net.dispose(); twin.dispose();
  }
  const x = [[0.1, 0.2], [0.3, -0.4], [-0.5, 0.6], [0.7, 0.8], [-0.9, -1]];

  it('softmax: the class is the target row\'s argmax (one-hot or probability rows), as an object or an array', () => {
    const opts: NetworkOptions<number[]> = { layers: [2, 4, 3], outputActivation: 'softmax', loss: 'crossEntropy', seed: 4 };
    const y = [[1, 0, 0], [0, 0, 1], [0.2, 0.5, 0.3], [0, 1, 0], [0.6, 0.1, 0.3]]; // classes 0 2 1 1 0
    same(opts, x, y, { 0: 2, 2: 0.25 }, [2, 0.25, 1, 1, 2]); // class 1 left out: weight 1
    same(opts, x, y, [0.5, 3, 1.5], [0.5, 1.5, 3, 3, 0.5]);
  });

  it('sparseCrossEntropy: the class is the index', () => {
    const opts: NetworkOptions<number[]> = { layers: [2, 4, 3], outputActivation: 'softmax', loss: 'sparseCrossEntropy', seed: 4 };
    same(opts, x, [0, 2, 1, 1, 0], { 1: 4 }, [1, 1, 4, 4, 1]);
    same(opts, x, Uint8Array.from([2, 2, 0, 1, 0]) as unknown as number[], [0, 1, 2], [2, 2, 0, 1, 0]);
  });

  it('one sigmoid output: class 1 where the target > 0.5 (0.5 itself is class 0)', () => {
    const opts: NetworkOptions<number[]> = { layers: [2, 4, 1], outputActivation: 'sigmoid', loss: 'binaryCrossEntropy', seed: 4 };
    same(opts, x, [[0], [1], [0.5], [0.75], [0.25]], { 0: 0.2, 1: 5 }, [0.2, 5, 0.2, 5, 0.2]);
  });

  it('with sampleWeight too, the weights multiply (in float32)', () => {
    const opts: NetworkOptions<number[]> = { layers: [2, 4, 3], outputActivation: 'softmax', loss: 'sparseCrossEntropy', seed: 4 };
    const y = [0, 2, 1, 1, 0], sw = [0.3, 2, 1, 0, 1.7], cw = [1.5, 0.1, 3];
    const net = new Network(opts);
    const both = net.gradients(x, y, { sampleWeight: sw, classWeight: cw });
    const product = sw.map((s, r) => Math.fround(Math.fround(s) * Math.fround(cw[y[r]!]!)));
    expectSameGradients(both, net.gradients(x, y, { sampleWeight: product }), 'product');
    net.dispose();
  });
});

describe('evaluate with sampleWeight', () => {
  it.each(LOSSES)('%s + %s: Σ wᵢ·Lᵢ (reduced by the rows) against a float64 loss from predict\'s outputs, over chunks of 1024 rows', (output, loss) => {
    for (const reduction of ['mean', 'sum'] as const) {
      const net = makeNet(output, loss, reduction);
      const rows = 2500; // three chunks: the weights must follow their rows
      const { x, y } = data(loss, rows, 83);
      const r = rand(89);
      const w = Array.from({ length: rows }, (_, i) => (i % 7 === 0 ? 0 : r() * 3));
      const xs = Float32Array.from(x.flat());
      const out = net.predict(xs);
      const z = net.trace(xs).layers.at(-1)!.net; // the logits, for the cross-entropies
      const cols = net.sizes.at(-1)!;
      let want = 0;
      for (let i = 0; i < rows; i++) {
        want += w[i]! * lossRow(loss, Array.from(z.subarray(i * cols, (i + 1) * cols)), Array.from(out.subarray(i * cols, (i + 1) * cols)), y[i]!);
      }
      if (reduction === 'mean') want /= rows;
      const ev = net.evaluate(xs, asY(loss, y), { sampleWeight: Float32Array.from(w) });
      assertCloseScalar(ev.loss, want, { atol: 1e-7, rtol: 1e-5 }, `${reduction} loss`);
      // the metrics are not weighted (Keras's `metrics`, not its `weighted_metrics`)
      const { loss: _a, ...weightedMetrics } = ev;
      const { loss: _b, ...plainMetrics } = net.evaluate(xs, asY(loss, y));
      expect(weightedMetrics).toEqual(plainMetrics);
      net.dispose();
    }
  });

  it('with metrics named too; all-zero weights give loss 0 (plus nothing: no penalty here)', () => {
    const net = makeNet('softmax', 'crossEntropy', 'mean');
    const { x, y } = data('crossEntropy', 4, 97);
    const ev = net.evaluate(x, y, { metrics: ['accuracy', 'f1'], sampleWeight: [0, 0, 0, 0] });
    expect(ev.loss).toBe(0);
    expect(Object.keys(ev).sort()).toEqual(['accuracy', 'f1', 'loss']);
    net.dispose();
  });
});

describe('weight options are checked before anything changes', () => {
  const softmax: NetworkOptions<number[]> = { layers: [2, 3], outputActivation: 'softmax', seed: 1 };
  const x = [[1, 2], [3, 4]], y = [[1, 0, 0], [0, 0, 1]];
  const rows: [string, NetworkOptions<number[]>, (n: Network<number[]>) => unknown, new (...a: never[]) => WasmlpError, RegExp][] = [
    ['sampleWeight of the wrong length', softmax, (n) => n.trainBatch(x, y, { sampleWeight: [1, 2, 3] }), ShapeError, /^trainBatch options\.sampleWeight: expected 2 weights \(one per row of x\), got an array of length 3$/],
    ['a negative sample weight', softmax, (n) => n.gradients(x, y, { sampleWeight: [1, -0.5] }), DomainError, /^gradients options\.sampleWeight\[1\]: expected a weight ≥ 0, got -0\.5$/],
    ['a NaN sample weight', softmax, (n) => n.trainBatch(x, y, { sampleWeight: new Float32Array([NaN, 1]) }), NonFiniteError, /^trainBatch options\.sampleWeight\[0\]: expected a finite weight ≥ 0, got NaN$/],
    ['an Infinity sample weight in evaluate', softmax, (n) => n.evaluate(x, y, { sampleWeight: [1, Infinity] }), NonFiniteError, /^evaluate options\.sampleWeight\[1\]: expected a finite weight ≥ 0, got Infinity$/],
    ['a sample weight beyond float32', softmax, (n) => n.trainBatch(x, y, { sampleWeight: [1e39, 1] }), NonFiniteError, /sampleWeight\[0\]: 1e\+39 is beyond float32's range/],
    ['a string sample weight', softmax, (n) => n.trainBatch(x, y, { sampleWeight: [1, '2'] as never }), ArgumentTypeError, /sampleWeight\[1\]: expected a weight \(a number ≥ 0\), got "2"/],
    ['sampleWeight a Float64Array', softmax, (n) => n.trainBatch(x, y, { sampleWeight: new Float64Array(2) as never }), ArgumentTypeError, /sampleWeight: expected one weight ≥ 0 per row \(a number\[\] or a Float32Array of 2\), got a Float64Array of length 2/],
    ['options a string', softmax, (n) => n.trainBatch(x, y, 'w' as never), ArgumentTypeError, /^trainBatch options: expected an object such as \{ sampleWeight \} or \{ classWeight \}, got "w"$/],
    ['a misspelt option', softmax, (n) => n.gradients(x, y, { sampleWeights: [1, 1] } as never), OptionError, /^gradients options\.sampleWeights: unknown option \(did you mean 'sampleWeight'\?\); known options are sampleWeight, classWeight$/],
    ['classWeight misspelt', softmax, (n) => n.trainBatch(x, y, { classWeights: [1, 1, 1] } as never), OptionError, /did you mean 'classWeight'\?/],
    ['evaluate: sampleWeight misspelt', softmax, (n) => n.evaluate(x, y, { sampleWieght: [1, 1] } as never), OptionError, /^evaluate options\.sampleWieght: unknown option \(did you mean 'sampleWeight'\?\); known options are metrics, sampleWeight$/],
    ['evaluate: classWeight', softmax, (n) => n.evaluate(x, y, { classWeight: [1, 1, 1] } as never), OptionError, /evaluate options\.classWeight: unknown option; .*class weights are a training option/],
    ['a class key out of range', softmax, (n) => n.trainBatch(x, y, { classWeight: { 3: 2 } }), DomainError, /^trainBatch options\.classWeight\["3"\]: expected a class index in \[0, 3\) \(the 3 softmax outputs\), got "3"$/],
    ['a class key that is no index', softmax, (n) => n.trainBatch(x, y, { classWeight: { cat: 2 } as never }), DomainError, /classWeight\["cat"\]: expected a class index in \[0, 3\)/],
    ['a fractional class key', softmax, (n) => n.trainBatch(x, y, { classWeight: { 1.5: 2 } }), DomainError, /classWeight\["1\.5"\]/],
    ['an array of the wrong length', softmax, (n) => n.trainBatch(x, y, { classWeight: [1, 2] }), ShapeError, /classWeight: expected 3 weights \(one per class.*got an array of length 2/],
    ['a negative class weight', softmax, (n) => n.trainBatch(x, y, { classWeight: { 2: -1 } }), DomainError, /classWeight\[2\]: expected a weight ≥ 0, got -1/],
    ['classWeight a number', softmax, (n) => n.trainBatch(x, y, { classWeight: 2 as never }), ArgumentTypeError, /classWeight: expected \{ \[class\]: weight \} or an array of 3 weights/],
    ['classWeight on a regression', { layers: [2, 2], outputActivation: 'linear', seed: 1 }, (n) => n.trainBatch(x, [[1, 2], [3, 4]], { classWeight: [1, 2] }), OptionError,
      /^trainBatch options\.classWeight: class weights need one class per row.*this network's output layer is 2 linear outputs \(a regression has no classes\)\. Weight the rows with sampleWeight instead$/],
    ['classWeight on 2 sigmoid outputs (multi-label)', { layers: [2, 2], outputActivation: 'sigmoid', loss: 'binaryCrossEntropy', seed: 1 }, (n) => n.gradients(x, [[1, 0], [1, 1]], { classWeight: [1, 2] }), OptionError,
      /this network's output layer is 2 sigmoid outputs \(multi-label: each row has several yes\/no classes\)/],
  ];

  it.each(rows)('%s', (_name, opts, call, type, message) => {
    const net = new Network(opts);
    net.trainBatch(x, opts.outputActivation === 'softmax' ? y : [[1, 0], [0, 1]]); // optimizer state that must not move
    const before = JSON.stringify(net.toJSON());
    let err: unknown;
    try { call(net); } catch (e) { err = e; }
    expect(err).toBeInstanceOf(type);
    expect((err as Error).message).toMatch(message);
    expect(JSON.stringify(net.toJSON())).toBe(before);
    net.dispose();
  });
});

describe('fit with sampleWeight and classWeight', () => {
  const bits = (net: Network<number[]>): number[] => net.getWeights().flatMap((l) => [...new Uint32Array(Float32Array.from(l.weights).buffer), ...new Uint32Array(Float32Array.from(l.bias ?? []).buffer)]);

  it('classWeight equals the sampleWeight it stands for, bit for bit (seeded shuffle, 3 epochs)', async () => {
    const { x, y } = data('crossEntropy', 12, 31);
    const cw = [0.5, 2, 1, 3];
    const sw = y.map((t) => cw[t.indexOf(1)]!); // each row's class weight
    const a = makeNet('softmax', 'crossEntropy', 'mean'), b = makeNet('softmax', 'crossEntropy', 'mean');
    const ha = await a.fit(x, y, { epochs: 3, batchSize: 5, classWeight: cw });
    const hb = await b.fit(x, y, { epochs: 3, batchSize: 5, sampleWeight: sw });
    expect(bits(a)).toEqual(bits(b));
    expect(ha.loss).toEqual(hb.loss);
    // and both differ from an unweighted fit (the weights matter)
    const c = makeNet('softmax', 'crossEntropy', 'mean');
    await c.fit(x, y, { epochs: 3, batchSize: 5 });
    expect(bits(c)).not.toEqual(bits(a));
    a.dispose(); b.dispose(); c.dispose();
  });

  it('with validationSplit, the held-out rows keep their sampleWeight: valLoss equals evaluate on them with those weights', async () => {
    const { x, y } = data('mse', 10, 32);
    const sw = [1, 2, 0.5, 1, 3, 1, 0, 2, 4, 0.25];
    const net = makeNet('linear', 'mse', 'mean');
    const h = await net.fit(x, y, { epochs: 2, batchSize: 4, sampleWeight: sw, validationSplit: 0.3 });
    // the last 3 rows (Math.floor(10·0.3)) are held out
    const ev = net.evaluate(x.slice(7), y.slice(7), { sampleWeight: sw.slice(7) });
    expect(h.valLoss.at(-1)).toBe(ev.loss);
    expect(ev.loss).not.toBe(net.evaluate(x.slice(7), y.slice(7)).loss);
    net.dispose();
  });

  it('bad weights are typed errors naming the fit option, before anything changes', async () => {
    const { x, y } = data('crossEntropy', 6, 33);
    const net = makeNet('softmax', 'crossEntropy', 'mean');
    const before = JSON.stringify(net.toJSON());
    await expect(net.fit(x, y, { sampleWeight: [1, 2] })).rejects.toThrow(/fit options\.sampleWeight/);
    await expect(net.fit(x, y, { sampleWeight: [1, 1, 1, -1, 1, 1] })).rejects.toBeInstanceOf(DomainError);
    await expect(net.fit(x, y, { classWeight: { 7: 2 } })).rejects.toThrow(/fit options\.classWeight/);
    expect(JSON.stringify(net.toJSON())).toBe(before);
    net.dispose();
  });
});
