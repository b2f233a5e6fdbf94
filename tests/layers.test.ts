// The layer list's semantics (src/layers/, src/model.ts), each checked against a float64 reference
// written here from the formulas, or against wasmlp itself where the claim is bit-identity:
//   - dropout: seeded reproducibility, identity at inference and at rate 0, the kept fraction
//     (within 4σ of 1 − rate), kept units exactly fround(x·fround(1/(1 − rate))), masks that trace
//     and gradients show and the next trainBatch uses (gradients = float64 reference with that mask);
//   - l1/l2: ∇W gains l1·sign(W) + 2·l2·W, the loss (gradients, trainBatch, evaluate) gains
//     l1·Σ|W| + l2·ΣW²; l2 alone shrinks weights as w·(1 − 2·lr·l2)^t;
//   - AdamW: one and two steps replayed in float64 (w −= lr·wd·w, then Adam, Keras's order);
//   - batch normalization: moving statistics untouched by gradients/predict/evaluate/trace, moved by
//     trainBatch/fit as moving −= (moving − batch)·(1 − momentum) (float64 replay), getWeights/
//     setWeights round trips and typed errors that leave the network unchanged;
//   - summary() of the example; save/load (.json, .wasmlp) bit for bit and resumed training
//     bit-identical to an uninterrupted run; fit's rollback restoring the moving statistics.
// Tolerances (and why):
//   - gradients vs float64: atol 1e-6, rtol 1e-5 (float32 sums of ≤ 8 terms of size ≤ 1: ~1e-7).
//   - ∇W difference with/without l1/l2 vs l1·sign(W) + 2·l2·W: per element 2^-22·(|∇W| + |penalty
//     term|): the kernel adds the term to ∇W in float32, one rounding of each (≤ 2^-24 relative each).
//   - loss difference vs l1·Σ|W| + l2·ΣW² (float64 sum of the float32 weights): 1e-13 relative to
//     the loss: both sides are float64, the data term is bit-identical, only the additions' roundings
//     and the summation order differ (~1e-16 each).
//   - l2 shrink after t steps: relative t·4·2^-24 (≤ 3 float32 roundings per step, compounded).
//   - AdamW replay: atol 1e-7 + rtol 1e-6 on the weights (a float32 update of size ~lr = 1e-2, so a
//     few 1e-5 of it; the replay uses the float32 values of β1, β2 as the kernel does, see the test).
//   - moving statistics replay: atol 1e-6, rtol 1e-5 (float32 mean/variance of 16 values per step).
//   - everything claimed bit-identical (seeded fits, inference through dropout, resume after load,
//     statistics left alone) is compared as raw bits.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ArgumentTypeError, DivergenceError, DomainError, Network, NonFiniteError, ShapeError, type LayerInput,
} from '../src/index.js';
import type { BatchNormalizationWeights, DenseGradients, DenseWeights, LayerNormalizationWeights, AnyLayerWeights } from '../src/model.js';
import { TestRng, assertClose, uniformValues } from './helpers.js';

type Net = Network<LayerInput[]>;
const GRAD_TOL = { atol: 1e-6, rtol: 1e-5 };
const STAT_TOL = { atol: 1e-6, rtol: 1e-5 };

/** Raw bits of a float array, for bit-identity checks (−0 ≠ +0, NaN payloads matter). */
function bits(a: Float32Array | null): number[] | null {
  return a ? Array.from(new Uint32Array(a.buffer, a.byteOffset, a.length)) : null;
}
/** Every block of every layer, as raw bits. */
function allBits(w: AnyLayerWeights[]): unknown[] {
  return w.map((l) => Object.fromEntries(Object.entries(l).map(([k, v]) => [k, v instanceof Float32Array ? bits(v) : v])));
}
function oneHot(rng: TestRng, rows: number, k: number): number[][] {
  return Array.from({ length: rows }, () => { const r = new Array<number>(k).fill(0); r[rng.int(k)] = 1; return r; });
}
function rowsOf(flat: Float32Array, cols: number): number[][] {
  return Array.from({ length: flat.length / cols }, (_, i) => Array.from(flat.subarray(i * cols, (i + 1) * cols)));
}
function assertDiffers(actual: ArrayLike<number>, expected: ArrayLike<number>, tol: { atol: number; rtol: number }, label: string): void {
  let far = false;
  for (let i = 0; i < expected.length; i++) if (Math.abs(actual[i]! - expected[i]!) > Math.max(tol.atol, tol.rtol * Math.abs(expected[i]!))) far = true;
  expect(far, `${label}: expected a difference beyond tolerance`).toBe(true);
}

// ************* a float64 reference MLP: [in] → dense tanh → (mask) → dense linear, mse, mean *************

interface RefGrads { loss: number; gW1: Float64Array; gb1: Float64Array; gW2: Float64Array; gb2: Float64Array; dx: Float64Array }

/**
 * E = (1/m)·Σ_r ½Σ_j (out − t)², out = (tanh(x·W1ᵀ + b1) ⊙ mask)·W2ᵀ + b2; W stored [out, in].
 * Backward: δ2 = (out − t)/m, ∇W2 = δ2ᵀ·d, ∇b2 = Σδ2, δ1 = (δ2·W2 ⊙ mask) ⊙ (1 − a1²), ∇W1 = δ1ᵀ·x.
 */
function refMlp(x: ArrayLike<number>, t: ArrayLike<number>, rows: number, nIn: number, nH: number, nOut: number,
  W1: ArrayLike<number>, b1: ArrayLike<number>, W2: ArrayLike<number>, b2: ArrayLike<number>, mask: ArrayLike<number>): RefGrads {
  const a1 = new Float64Array(rows * nH), d = new Float64Array(rows * nH), out = new Float64Array(rows * nOut);
  for (let r = 0; r < rows; r++) {
    for (let j = 0; j < nH; j++) {
      let z = b1[j]!;
      for (let k = 0; k < nIn; k++) z += x[r * nIn + k]! * W1[j * nIn + k]!;
      a1[r * nH + j] = Math.tanh(z);
      d[r * nH + j] = a1[r * nH + j]! * mask[r * nH + j]!;
    }
    for (let j = 0; j < nOut; j++) {
      let z = b2[j]!;
      for (let k = 0; k < nH; k++) z += d[r * nH + k]! * W2[j * nH + k]!;
      out[r * nOut + j] = z;
    }
  }
  let loss = 0;
  const d2 = new Float64Array(rows * nOut);
  for (let i = 0; i < rows * nOut; i++) { const e = out[i]! - t[i]!; loss += 0.5 * e * e; d2[i] = e / rows; }
  const g: RefGrads = { loss: loss / rows, gW1: new Float64Array(nH * nIn), gb1: new Float64Array(nH), gW2: new Float64Array(nOut * nH), gb2: new Float64Array(nOut), dx: new Float64Array(rows * nIn) };
  const d1 = new Float64Array(rows * nH);
  for (let r = 0; r < rows; r++) {
    for (let j = 0; j < nOut; j++) {
      const e = d2[r * nOut + j]!;
      g.gb2[j]! += e;
      for (let k = 0; k < nH; k++) g.gW2[j * nH + k]! += e * d[r * nH + k]!;
    }
    for (let k = 0; k < nH; k++) {
      let s = 0;
      for (let j = 0; j < nOut; j++) s += d2[r * nOut + j]! * W2[j * nH + k]!;
      const a = a1[r * nH + k]!;
      d1[r * nH + k] = s * mask[r * nH + k]! * (1 - a * a);
    }
    for (let j = 0; j < nH; j++) {
      const e = d1[r * nH + j]!;
      g.gb1[j]! += e;
      for (let k = 0; k < nIn; k++) { g.gW1[j * nIn + k]! += e * x[r * nIn + k]!; g.dx[r * nIn + k]! += e * W1[j * nIn + k]!; }
    }
  }
  return g;
}

// ************* dropout *************

describe('dropout', () => {
  const DROP_NET = (seed: number, rate = 0.4): Net => new Network<LayerInput[]>({
    layers: [6, { type: 'dense', units: 16, activation: 'relu' }, { type: 'dropout', rate }, { type: 'dense', units: 2, activation: 'softmax' }],
    optimizer: 'adam', seed,
  });
  const rng = new TestRng(1);
  const X = rowsOf(uniformValues(rng, 32 * 6, -1, 1), 6);
  const Y = oneHot(rng, 32, 2);

  it('seeded fits are bit-identical; another seed with the same initial weights (and no shuffling) differs only through the masks', async () => {
    const a = DROP_NET(5), b = DROP_NET(5);
    await a.fit(X, Y, { epochs: 3, batchSize: 8 });
    await b.fit(X, Y, { epochs: 3, batchSize: 8 });
    expect(allBits(b.getWeights())).toEqual(allBits(a.getWeights()));
    expect(JSON.stringify(b.toJSON())).toBe(JSON.stringify(a.toJSON()));
    // seeds 5 and 6 from the same weights, no shuffle: with dropout they end apart, at rate 0 bit-identical
    const fitFrom = async (seed: number, rate: number): Promise<Net> => {
      const n = DROP_NET(seed, rate);
      n.setWeights(DROP_NET(5, rate).getWeights() as never);
      await n.fit(X, Y, { epochs: 3, batchSize: 8, shuffle: false });
      return n;
    };
    const [d5, d6, z5, z6] = [await fitFrom(5, 0.4), await fitFrom(6, 0.4), await fitFrom(5, 0), await fitFrom(6, 0)];
    expect(allBits(d6.getWeights())).not.toEqual(allBits(d5.getWeights()));
    expect(allBits(z6.getWeights())).toEqual(allBits(z5.getWeights()));
    for (const n of [a, b, d5, d6, z5, z6]) n.dispose();
  });

  it('is the identity at inference: predict/evaluate/trace equal the same network without the dropout layer, bit for bit', () => {
    const withD = new Network<LayerInput[]>({ layers: [4, { type: 'dense', units: 8, activation: 'tanh' }, { type: 'dropout', rate: 0.5 }, { type: 'dense', units: 3, activation: 'softmax' }], seed: 9 });
    const without = new Network<LayerInput[]>({ layers: [4, { type: 'dense', units: 8, activation: 'tanh' }, { type: 'dense', units: 3, activation: 'softmax' }], seed: 10 });
    const w = withD.getWeights();
    without.setWeights([w[0]!, w[2]!] as never);
    const r = new TestRng(2);
    const x = uniformValues(r, 10 * 4, -2, 2), y = oneHot(r, 10, 3);
    expect(bits(withD.predict(x))).toEqual(bits(without.predict(x)));
    expect(bits(withD.predict(x.subarray(0, 4)))).toEqual(bits(without.predict(x.subarray(0, 4)))); // one sample (the single-row path)
    expect(withD.evaluate(x, y)).toEqual(without.evaluate(x, y));
    const tr = withD.trace(x);
    expect(bits(tr.layers[1]!.out)).toEqual(bits(tr.layers[0]!.out));
    // and in training mode it is not the identity (so the line above is not vacuous)
    expect(bits(withD.trace(x, { training: true }).layers[1]!.out)).not.toEqual(bits(tr.layers[0]!.out));
    withD.dispose(); without.dispose();
  });

  it('in training: zeros within 4σ of rate, kept units exactly fround(x·fround(1/(1 − rate))), masks differ between rows and between two dropout layers', () => {
    const rate = 0.3, rows = 32, units = 1024;
    const net = new Network<LayerInput[]>({
      layers: [16, { type: 'dense', units, activation: 'sigmoid' }, { type: 'dropout', rate }, { type: 'dropout', rate: 0.5 }, { type: 'dense', units: 1, activation: 'linear' }], seed: 12,
    });
    const x = uniformValues(new TestRng(3), rows * 16, -1, 1);
    const tr = net.trace(x, { training: true });
    const a = tr.layers[0]!.out, d = tr.layers[1]!.out, d2 = tr.layers[2]!.out;
    expect(a.every((v) => v > 0), 'sigmoid outputs are never 0, so every zero is dropped').toBe(true);
    const keep = Math.fround(1 / (1 - rate));
    expect(keep).not.toBe(1 / (1 - rate)); // 1/0.7 is not a float32: the rounding is observable
    let zeros = 0, wrong = 0;
    for (let i = 0; i < d.length; i++) {
      if (d[i] === 0) zeros++;
      else if (!Object.is(d[i], Math.fround(a[i]! * keep))) wrong++;
    }
    const n = d.length, sigma = Math.sqrt(rate * (1 - rate) / n);
    expect(Math.abs(zeros / n - rate), `zero fraction ${zeros / n}`).toBeLessThanOrEqual(4 * sigma);
    expect(wrong, 'kept units not equal to fround(x·keep)').toBe(0);
    // disjoint row pairs disagree at a fraction 2r(1 − r) (the same mask on every row would give 0)
    let disagree = 0;
    for (let r = 0; r + 1 < rows; r += 2) for (let j = 0; j < units; j++) if ((d[r * units + j] === 0) !== (d[(r + 1) * units + j] === 0)) disagree++;
    const pairs = (rows / 2) * units, p = 2 * rate * (1 - rate);
    expect(Math.abs(disagree / pairs - p)).toBeLessThanOrEqual(4 * Math.sqrt(p * (1 - p) / pairs));
    // the second dropout layer (rate 0.5) draws its own mask: zeros ≈ 1 − 0.7·0.5 = 0.65 (0.3 if it reused the first's)
    const z2 = d2.filter((v) => v === 0).length / n;
    expect(Math.abs(z2 - 0.65)).toBeLessThanOrEqual(4 * Math.sqrt(0.65 * 0.35 / n));
    net.dispose();
  });

  it('trace({ training: true }) twice shows the same masks; gradients equal a float64 reference with that mask; the next trainBatch uses it', () => {
    const rows = 8, nIn = 4, nH = 6, nOut = 3, rate = 0.5, lr = 0.1;
    const net = new Network<LayerInput[]>({
      layers: [nIn, { type: 'dense', units: nH, activation: 'tanh' }, { type: 'dropout', rate }, { type: 'dense', units: nOut, activation: 'linear' }],
      loss: 'mse', optimizer: { type: 'sgd', learningRate: lr }, seed: 4,
    });
    const r = new TestRng(4);
    const x = uniformValues(r, rows * nIn, -1, 1), t = uniformValues(r, rows * nOut, -1, 1);
    const t1 = net.trace(x, { training: true }), t2 = net.trace(x, { training: true });
    expect(bits(t2.layers[1]!.out)).toEqual(bits(t1.layers[1]!.out));
    const a1 = t1.layers[0]!.out, dropped = t1.layers[1]!.out;
    expect(a1.every((v) => v !== 0)).toBe(true);
    const keep = Math.fround(1 / (1 - rate));
    const mask = Array.from(dropped, (v) => (v === 0 ? 0 : keep));
    expect(mask.filter((m) => m === 0).length).toBeGreaterThan(0);
    const [l1, , l2] = net.getWeights() as [DenseWeights, AnyLayerWeights, DenseWeights];
    const ref = refMlp(x, t, rows, nIn, nH, nOut, l1.weights, l1.bias!, l2.weights, l2.bias!, mask);
    const g = net.gradients(x, rowsOf(t, nOut));
    const [g1, , g2] = g.layers as [DenseGradients, unknown, DenseGradients];
    expect(Math.abs(g.loss - ref.loss)).toBeLessThanOrEqual(1e-6 * ref.loss);
    assertClose(g1.weights, ref.gW1, GRAD_TOL, 'dense 1 ∇W');
    assertClose(g1.bias!, ref.gb1, GRAD_TOL, 'dense 1 ∇b');
    assertClose(g2.weights, ref.gW2, GRAD_TOL, 'dense 2 ∇W');
    assertClose(g2.bias!, ref.gb2, GRAD_TOL, 'dense 2 ∇b');
    assertClose(g.input, ref.dx, GRAD_TOL, 'dE/dx');
    // without the mask the reference is another gradient (so the mask above mattered)
    assertDiffers(g1.weights, refMlp(x, t, rows, nIn, nH, nOut, l1.weights, l1.bias!, l2.weights, l2.bias!, new Array<number>(rows * nH).fill(1)).gW1, GRAD_TOL, 'no-mask ∇W1');
    // the step: W ← W − lr·∇W with the reference's gradients
    const loss = net.trainBatch(x, rowsOf(t, nOut));
    expect(loss).toBe(g.loss);
    const [n1, , n2] = net.getWeights() as [DenseWeights, AnyLayerWeights, DenseWeights];
    assertClose(n1.weights, Array.from(l1.weights, (w, i) => w - lr * ref.gW1[i]!), GRAD_TOL, 'W1 after the step');
    assertClose(n2.weights, Array.from(l2.weights, (w, i) => w - lr * ref.gW2[i]!), GRAD_TOL, 'W2 after the step');
    // after the step, a new mask
    const t3 = net.trace(x, { training: true });
    expect(t3.layers[1]!.out.map((v) => (v === 0 ? 1 : 0))).not.toEqual(dropped.map((v) => (v === 0 ? 1 : 0)));
    net.dispose();
  });

  it('rate 0 is the identity in training too', () => {
    const mk = (drop: boolean): Net => new Network<LayerInput[]>({
      layers: [4, { type: 'dense', units: 8, activation: 'tanh' }, ...(drop ? [{ type: 'dropout', rate: 0 } as LayerInput] : []), { type: 'dense', units: 2, activation: 'linear' }], seed: 8,
    });
    const withD = mk(true), without = mk(false);
    const w = withD.getWeights();
    without.setWeights([w[0]!, w[2]!] as never);
    const r = new TestRng(5);
    const x = uniformValues(r, 6 * 4), y = rowsOf(uniformValues(r, 12), 2);
    const tr = withD.trace(x, { training: true });
    expect(bits(tr.layers[1]!.out)).toEqual(bits(tr.layers[0]!.out));
    const ga = withD.gradients(x, y), gb = without.gradients(x, y);
    expect(ga.loss).toBe(gb.loss);
    const [a0, , a2] = ga.layers as DenseGradients[];
    const [b0, b2] = gb.layers as DenseGradients[];
    assertClose(a0!.weights, b0!.weights, { atol: 1e-7, rtol: 1e-6 }, '∇W1');
    assertClose(a2!.weights, b2!.weights, { atol: 0, rtol: 0 }, '∇W2');
    assertClose(ga.input, gb.input, { atol: 1e-7, rtol: 1e-6 }, 'dE/dx');
    withD.dispose(); without.dispose();
  });
});

// ************* l1 / l2 *************

describe('l1/l2 regularizers', () => {
  const L1A = 1e-3, L2A = 1e-2, L1B = 2e-3, L2B = 0.05;
  const mk = (reg: boolean, seed = 3): Net => new Network<LayerInput[]>({
    layers: [5, { type: 'dense', units: 6, activation: 'tanh', ...(reg ? { l1: L1A, l2: L2A } : {}) }, { type: 'dense', units: 3, activation: 'linear', ...(reg ? { l1: L1B, l2: L2B } : {}) }],
    loss: 'mse', seed,
  });
  const penaltyOf = (w: Float32Array, l1: number, l2: number): number => {
    let a = 0, q = 0;
    for (const v of w) { a += Math.abs(v); q += v * v; }
    return l1 * a + l2 * q;
  };

  it('gradients: ∇W gains l1·sign(W) + 2·l2·W (biases and δ untouched); the loss gains l1·Σ|W| + l2·ΣW², in gradients, trainBatch and evaluate', () => {
    const R = mk(true), P = mk(false);
    const w = R.getWeights() as DenseWeights[];
    w[0]!.weights[0] = 0; // sign(0) = 0: no l1 term there
    R.setWeights(w as never); P.setWeights(w as never);
    const r = new TestRng(6);
    const x = uniformValues(r, 8 * 5), y = rowsOf(uniformValues(r, 8 * 3), 3);
    const gR = R.gradients(x, y), gP = P.gradients(x, y);
    const regs = [[L1A, L2A], [L1B, L2B]] as const;
    let penalty = 0;
    gR.layers.forEach((lr, i) => {
      const a = lr as DenseGradients, b = gP.layers[i] as DenseGradients, W = w[i]!.weights;
      const [l1, l2] = regs[i]!;
      penalty += penaltyOf(W, l1, l2);
      let bad = 0, worst = '';
      for (let k = 0; k < W.length; k++) {
        const term = l1 * Math.sign(W[k]!) + 2 * l2 * W[k]!;
        const tol = 2 ** -22 * (Math.abs(b.weights[k]!) + Math.abs(term));
        if (!(Math.abs(a.weights[k]! - b.weights[k]! - term) <= tol)) { bad++; worst ||= `[${k}] got ${a.weights[k]! - b.weights[k]!}, want ${term}`; }
      }
      expect(bad, `layer ${i}: ∇W − ∇W(no reg) ≠ l1·sign(W) + 2·l2·W, first ${worst}`).toBe(0);
      expect(bits(a.bias)).toEqual(bits(b.bias));
      expect(bits(a.delta)).toEqual(bits(b.delta));
    });
    expect(bits(gR.input)).toEqual(bits(gP.input));
    expect(penalty).toBeGreaterThan(1e-3); // large enough for the loss checks to mean something
    const tol = 1e-13 * (gR.loss + penalty);
    expect(Math.abs(gR.loss - gP.loss - penalty)).toBeLessThanOrEqual(tol);
    const eR = R.evaluate(x, y), eP = P.evaluate(x, y);
    expect(Math.abs(eR.loss - eP.loss - penalty)).toBeLessThanOrEqual(1e-13 * (eR.loss + penalty));
    expect(Math.abs(eP.loss - gP.loss)).toBeLessThanOrEqual(1e-6 * gP.loss); // evaluate is the same loss (up to its summation order)
    const tR = R.trainBatch(x, y), tP = P.trainBatch(x, y);
    expect(Math.abs(tR - tP - penalty)).toBeLessThanOrEqual(tol);
    R.dispose(); P.dispose();
  });

  it('fit reports the penalised loss too (one batch: the loss of trainBatch)', async () => {
    const R = mk(true), R2 = mk(true);
    const r = new TestRng(7);
    const x = rowsOf(uniformValues(r, 8 * 5), 5), y = rowsOf(uniformValues(r, 8 * 3), 3);
    const P = mk(false);
    P.setWeights(R.getWeights() as never);
    const w = R.getWeights() as DenseWeights[];
    const penalty = penaltyOf(w[0]!.weights, L1A, L2A) + penaltyOf(w[1]!.weights, L1B, L2B);
    const plain = P.trainBatch(x, y);
    const h = await R.fit(x, y, { epochs: 1, batchSize: 8, shuffle: false });
    expect(Math.abs(h.loss[0]! - plain - penalty)).toBeLessThanOrEqual(1e-13 * (h.loss[0]! + penalty));
    expect(h.loss[0]).toBe(R2.trainBatch(x, y));
    expect(allBits(R.getWeights())).toEqual(allBits(R2.getWeights()));
    R.dispose(); R2.dispose(); P.dispose();
  });

  it('l2 alone on a zero data gradient shrinks the weights as w·(1 − 2·lr·l2)^t', () => {
    // out = 0·a1 + b2 = b2 = target: δ2 = 0 exactly, so ∇W2 = ∇b2 = 0 and dout of layer 1 = δ2·W2 = 0:
    // the only gradient is the penalty's, 2·l2·W1 (W2 = 0 has none).
    const lr = 0.1, l2 = 0.05, T = 200;
    const mkShrink = (withL2: boolean): Net => new Network<LayerInput[]>({
      layers: [3, { type: 'dense', units: 4, activation: 'linear', l2: withL2 ? l2 : 0 }, { type: 'dense', units: 1, activation: 'linear', l2: withL2 ? l2 : 0 }],
      loss: 'mse', optimizer: { type: 'sgd', learningRate: lr }, seed: 2,
    });
    const net = mkShrink(true), plain = mkShrink(false);
    const w0 = (net.getWeights()[0] as DenseWeights).weights.slice();
    const setup = [{ weights: w0, bias: [0.1, -0.2, 0.3, 0] }, { weights: [[0, 0, 0, 0]], bias: [0.7] }];
    net.setWeights(setup); plain.setWeights(setup);
    const x = rowsOf(uniformValues(new TestRng(8), 5 * 3), 3), y = x.map(() => [Math.fround(0.7)]);
    const g = plain.gradients(x, y) as { layers: DenseGradients[] };
    expect(g.layers.flatMap((l) => [...l.weights, ...l.bias!]).every((v) => v === 0), 'the data gradient is exactly 0').toBe(true);
    for (let t = 0; t < T; t++) net.trainBatch(x, y);
    const [l1, l2w] = net.getWeights() as DenseWeights[];
    const factor = (1 - 2 * lr * l2) ** T;
    expect(factor).toBeLessThan(0.2);
    assertClose(l1!.weights, Array.from(w0, (w) => w * factor), { atol: 0, rtol: T * 4 * 2 ** -24 }, 'W1 after 200 steps');
    expect(bits(l1!.bias)).toEqual(bits(Float32Array.from([0.1, -0.2, 0.3, 0])));
    expect(Array.from(l2w!.weights)).toEqual([0, 0, 0, 0]);
    expect(bits(l2w!.bias)).toEqual(bits(Float32Array.from([0.7])));
    net.dispose(); plain.dispose();
  });
});

// ************* AdamW *************

describe('adamw', () => {
  it('two steps equal a float64 replay of Keras AdamW: w −= lr·wd·w, then the Adam step on the plain gradient (weights only)', () => {
    const lr = 0.01, wd = 0.1, b1 = 0.9, b2 = 0.999, eps = 1e-7;
    // β1, β2 are float32 parameters (as in Keras on float32 variables): 1 − fround(0.999) is 1.3e-5
    // relative away from 0.001, which moves the step-2 update by ~6e-6 relative: replay with them.
    // α = lr·√(1 − β2^t)/(1 − β1^t) is computed in float64 from the exact β's (src/optim/adam.ts).
    const c1 = 1 - Math.fround(b1), c2 = 1 - Math.fround(b2);
    const net = new Network<LayerInput[]>({
      layers: [3, { type: 'dense', units: 4, activation: 'tanh' }, { type: 'dense', units: 2, activation: 'linear' }],
      loss: 'mse', optimizer: { type: 'adamw', learningRate: lr, weightDecay: wd }, seed: 6,
    });
    const r = new TestRng(9);
    const blocksOf = (ws: AnyLayerWeights[]): Float32Array[] => (ws as DenseWeights[]).flatMap((l) => [l.weights, l.bias!]);
    const decays = [true, false, true, false];
    const start = blocksOf(net.getWeights());
    const w = start.map((b) => Float64Array.from(b)), coupled = start.map((b) => Float64Array.from(b));
    const m = start.map((b) => new Float64Array(b.length)), v = start.map((b) => new Float64Array(b.length));
    const mc = start.map((b) => new Float64Array(b.length)), vc = start.map((b) => new Float64Array(b.length));
    for (let t = 1; t <= 2; t++) {
      const x = uniformValues(r, 6 * 3), y = rowsOf(uniformValues(r, 12), 2);
      const g = (net.gradients(x, y).layers as DenseGradients[]).flatMap((l) => [l.weights, l.bias!]);
      net.trainBatch(x, y);
      const alpha = lr * Math.sqrt(1 - b2 ** t) / (1 - b1 ** t);
      const got = blocksOf(net.getWeights());
      g.forEach((gb, i) => {
        for (let k = 0; k < gb.length; k++) {
          // Keras AdamW (decoupled)
          if (decays[i]) w[i]![k]! -= lr * wd * w[i]![k]!;
          m[i]![k]! += c1 * (gb[k]! - m[i]![k]!);
          v[i]![k]! += c2 * (gb[k]! * gb[k]! - v[i]![k]!);
          w[i]![k]! -= alpha * m[i]![k]! / (Math.sqrt(v[i]![k]!) + eps);
          // Adam with the decay coupled into the gradient (what adamw must not be)
          const gc = gb[k]! + (decays[i] ? wd * coupled[i]![k]! : 0);
          mc[i]![k]! += c1 * (gc - mc[i]![k]!);
          vc[i]![k]! += c2 * (gc * gc - vc[i]![k]!);
          coupled[i]![k]! -= alpha * mc[i]![k]! / (Math.sqrt(vc[i]![k]!) + eps);
        }
        assertClose(got[i]!, w[i]!, { atol: 1e-7, rtol: 1e-6 }, `step ${t}, block ${i}`);
        if (decays[i]) assertDiffers(got[i]!, coupled[i]!, { atol: 1e-7, rtol: 1e-6 }, `step ${t}, block ${i} vs coupled decay`);
      });
    }
    net.dispose();
  });
});

// ************* batch normalization *************

const BN_LAYERS: LayerInput[] = [
  3, { type: 'dense', units: 5, activation: 'tanh', l2: 1e-3 }, { type: 'batchNormalization' }, { type: 'dropout', rate: 0.25 },
  { type: 'dense', units: 4, activation: 'tanh', l1: 1e-4 }, { type: 'batchNormalization', scale: false, momentum: 0.8 }, { type: 'layerNormalization', center: false },
  { type: 'dense', units: 2, activation: 'softmax' },
];
const mkBn = (seed = 13): Net => new Network<LayerInput[]>({ layers: BN_LAYERS, optimizer: { type: 'adamw', learningRate: 1e-2, weightDecay: 1e-2 }, seed });
const BR = new TestRng(14);
const BX = rowsOf(uniformValues(BR, 24 * 3, -1, 2), 3);
const BY = oneHot(BR, 24, 2);

describe('batch normalization', () => {
  const bnState = (net: Net): unknown => allBits(net.getWeights().filter((l) => l.type === 'batchNormalization'));

  it('moving statistics are untouched by gradients, predict, evaluate and trace (both modes)', async () => {
    const net = mkBn();
    await net.fit(BX, BY, { epochs: 1, batchSize: 8 }); // non-trivial statistics first
    const before = bnState(net), json = JSON.stringify(net.toJSON());
    net.gradients(BX.slice(0, 8), BY.slice(0, 8));
    net.predict(BX); net.predict(BX[0]!);
    net.evaluate(BX, BY);
    net.trace(BX); net.trace(BX, { training: true });
    expect(bnState(net)).toEqual(before);
    expect(JSON.stringify(net.toJSON())).toBe(json);
    net.trainBatch(BX.slice(0, 8), BY.slice(0, 8));
    expect(bnState(net)).not.toEqual(before);
    net.dispose();
  });

  it('trainBatch moves them as moving −= (moving − batch)·(1 − momentum) with the batch mean and biased variance (float64 replay)', () => {
    const momentum = 0.9, eps = 1e-3, H = 5, rows = 16;
    const net = new Network<LayerInput[]>({
      layers: [3, { type: 'dense', units: H, activation: 'linear' }, { type: 'batchNormalization', momentum }, { type: 'dense', units: 2, activation: 'linear' }],
      loss: 'mse', optimizer: { type: 'sgd', learningRate: 0.1 }, seed: 15,
    });
    const r = new TestRng(15);
    const mm = new Float64Array(H), mv = new Float64Array(H).fill(1);
    for (let s = 0; s < 4; s++) {
      const x = uniformValues(r, rows * 3, -1, 3), y = rowsOf(uniformValues(r, rows * 2), 2);
      const tr = net.trace(x, { training: true });
      const xin = tr.layers[0]!.out;
      const bn = net.getWeights()[1] as BatchNormalizationWeights;
      const yRef = new Float64Array(rows * H);
      for (let j = 0; j < H; j++) {
        let mean = 0; for (let i = 0; i < rows; i++) mean += xin[i * H + j]!; mean /= rows;
        let vr = 0; for (let i = 0; i < rows; i++) vr += (xin[i * H + j]! - mean) ** 2; vr /= rows;
        for (let i = 0; i < rows; i++) yRef[i * H + j] = (xin[i * H + j]! - mean) / Math.sqrt(vr + eps) * bn.gamma![j]! + bn.beta![j]!;
        mm[j]! -= (mm[j]! - mean) * (1 - momentum);
        mv[j]! -= (mv[j]! - vr) * (1 - momentum);
      }
      assertClose(tr.layers[1]!.out, yRef, { atol: 2e-6, rtol: 1e-5 }, `step ${s}: training output`);
      net.trainBatch(x, y);
      const after = net.getWeights()[1] as BatchNormalizationWeights;
      assertClose(after.movingMean, mm, STAT_TOL, `step ${s}: moving mean`);
      assertClose(after.movingVariance, mv, STAT_TOL, `step ${s}: moving variance`);
    }
    assertDiffers(Array.from(mv), new Array<number>(H).fill(1), STAT_TOL, 'the moving variance moved');
    net.dispose();
  });

  it('fit moves them once per step: a fit without shuffling equals the same trainBatch calls, bit for bit', async () => {
    const a = mkBn(), b = mkBn();
    await a.fit(BX, BY, { epochs: 2, batchSize: 8, shuffle: false });
    for (let e = 0; e < 2; e++) for (let s = 0; s < 24; s += 8) b.trainBatch(BX.slice(s, s + 8), BY.slice(s, s + 8));
    expect(allBits(a.getWeights())).toEqual(allBits(b.getWeights()));
    expect(a.toJSON().optimizer).toEqual(b.toJSON().optimizer);
    a.dispose(); b.dispose();
  });

  it('getWeights/setWeights round-trip γ, β and the moving statistics (number[] and Float32Array), null blocks where scale/center are false', () => {
    const net = mkBn();
    const r = new TestRng(16);
    const w = net.getWeights();
    const bn1 = { gamma: Array.from(uniformValues(r, 5, 0.5, 2)), beta: Array.from(uniformValues(r, 5)), movingMean: uniformValues(r, 5), movingVariance: uniformValues(r, 5, 0.1, 3) };
    const bn2 = { beta: uniformValues(r, 4), movingMean: Array.from(uniformValues(r, 4)), movingVariance: Array.from(uniformValues(r, 4, 0, 1)) };
    const ln = { gamma: uniformValues(r, 4, 0.5, 1.5) };
    net.setWeights([w[0]!, bn1, {}, w[3]!, bn2, ln, w[6]!] as never);
    const got = net.getWeights();
    const f = (v: ArrayLike<number>): number[] | null => bits(Float32Array.from(v));
    const g1 = got[1] as BatchNormalizationWeights, g2 = got[4] as BatchNormalizationWeights, g3 = got[5] as LayerNormalizationWeights;
    expect([bits(g1.gamma), bits(g1.beta), bits(g1.movingMean), bits(g1.movingVariance)]).toEqual([f(bn1.gamma), f(bn1.beta), f(bn1.movingMean), f(bn1.movingVariance)]);
    expect([g2.gamma, bits(g2.beta), bits(g2.movingMean), bits(g2.movingVariance)]).toEqual([null, f(bn2.beta), f(bn2.movingMean), f(bn2.movingVariance)]);
    expect([bits(g3.gamma), g3.beta]).toEqual([f(ln.gamma), null]);
    expect(got[2]).toEqual({ type: 'dropout' });
    // and what getWeights returns is accepted as is
    const other = mkBn(99);
    other.setWeights(got as never);
    expect(allBits(other.getWeights())).toEqual(allBits(got));
    // the statistics are used: inference normalizes with them (f64: (x − μ)/√(σ² + ε)·γ + β)
    const tr = net.trace(BX.slice(0, 2));
    const xin = tr.layers[0]!.out;
    const yRef = Array.from(xin, (v, i) => { const j = i % 5; return (v - g1.movingMean[j]!) / Math.sqrt(g1.movingVariance[j]! + 1e-3) * g1.gamma![j]! + g1.beta![j]!; });
    assertClose(tr.layers[1]!.out, yRef, { atol: 2e-6, rtol: 1e-5 }, 'inference with the moving statistics set');
    net.dispose(); other.dispose();
  });

  it('setWeights: bad entries are typed errors naming the block, and leave the network unchanged', async () => {
    const net = mkBn();
    await net.fit(BX, BY, { epochs: 1, batchSize: 8 }); // optimizer state non-zero
    const w = net.getWeights();
    const bn = w[1] as BatchNormalizationWeights;
    const good = { gamma: bn.gamma!, beta: bn.beta!, movingMean: bn.movingMean, movingVariance: bn.movingVariance };
    const at = (i: number, entry: unknown): unknown[] => w.map((l, j) => (j === i ? entry : l));
    const cases: [string, unknown[], new (...a: never[]) => Error, string, string][] = [
      ['gamma of the wrong length', at(1, { ...good, gamma: [1, 1, 1] }), ShapeError, 'layers[1].gamma', 'got an array of length 3'],
      ['a negative moving variance', at(1, { ...good, movingVariance: [1, 1, -0.5, 1, 1] }), DomainError, 'layers[1].movingVariance', 'value 2 is -0.5'],
      ['a negative moving variance in a Float32Array', at(1, { ...good, movingVariance: Float32Array.from([1, 1, 1, 1, -2]) }), DomainError, 'layers[1].movingVariance', 'value 4 is -2'],
      ['gamma on a scale: false layer', at(4, { ...(w[4] as object), gamma: [1, 1, 1, 1] }), ShapeError, 'layers[4].gamma', 'scale: false'],
      ['beta on a center: false layer', at(5, { ...(w[5] as object), beta: [0, 0, 0, 0] }), ShapeError, 'layers[5].beta', 'center: false'],
      ['a misspelt block', at(1, { gamma: good.gamma, beta: good.beta, movingMaen: good.movingMean, movingVariance: good.movingVariance }), ShapeError, 'layers[1].movingMaen', "did you mean 'movingMean'?"],
      ['the wrong type field', at(1, { ...good, type: 'layerNormalization' }), ShapeError, 'layers[1].type', 'got "layerNormalization"'],
      ['the moving variance missing', at(1, { gamma: good.gamma, beta: good.beta, movingMean: good.movingMean }), ShapeError, 'layers[1].movingVariance', 'got undefined'],
      ['NaN in beta', at(1, { ...good, beta: [0, 0, NaN, 0, 0] }), NonFiniteError, 'layers[1].beta', 'NaN'],
      ['a nested gamma', at(1, { ...good, gamma: [[1, 1, 1, 1, 1]] }), ShapeError, 'layers[1].gamma', 'nested array'],
      ['a block on a dropout layer', at(2, { gamma: [1] }), ShapeError, 'layers[2].gamma', 'a dropout layer has no such block'],
      ['a number for a layer', at(1, 7), ArgumentTypeError, 'layers[1]', 'got 7'],
    ];
    const before = JSON.stringify(net.toJSON());
    for (const [name, entries, cls, arg, value] of cases) {
      let caught: unknown;
      try { net.setWeights(entries as never); } catch (e) { caught = e; }
      expect(caught, name).toBeInstanceOf(cls);
      expect((caught as Error).message, name).toContain(arg);
      expect((caught as Error).message, name).toContain(value);
      expect(JSON.stringify(net.toJSON()), `${name}: network unchanged`).toBe(before);
    }
    net.setWeights(w as never); // the good entries are accepted
    expect(JSON.stringify(net.toJSON())).toBe(before);
    net.dispose();
  });
});

// ************* summary *************

describe('summary', () => {
  it("the issue's example: every count derived from the sizes", () => {
    const net = new Network({
      layers: [784, { type: 'dense', units: 256, activation: 'relu', l2: 1e-4 }, { type: 'batchNormalization' }, { type: 'dropout', rate: 0.2 }, { type: 'dense', units: 128, activation: 'gelu', l1: 1e-5 }, { type: 'layerNormalization' }, { type: 'dense', units: 10, activation: 'softmax' }],
      loss: 'crossEntropy', optimizer: { type: 'adamw', learningRate: 1e-3, weightDecay: 1e-2 }, seed: 42,
    });
    // dense 784→256: 784·256 + 256 = 200,960        batch norm 256: γ, β trainable 2·256 = 512; moving mean, variance 2·256 = 512 non-trainable
    // dropout: 0                                     dense 256→128: 256·128 + 128 = 32,896
    // layer norm 128: γ, β 2·128 = 256               dense 128→10: 128·10 + 10 = 1,290
    // trainable 200,960 + 512 + 32,896 + 256 + 1,290 = 235,914; non-trainable 512; total 236,426
    const trainable = (784 * 256 + 256) + 2 * 256 + (256 * 128 + 128) + 2 * 128 + (128 * 10 + 10);
    expect(trainable).toBe(235_914);
    expect(net.parameterCount).toBe(trainable + 2 * 256);
    expect(net.summary()).toBe([
      '#  layer               activation  output  trainable  non-trainable',
      '-  ------------------  ----------  ------  ---------  -------------',
      '0  input                              784',
      '1  dense               relu           256    200,960              0',
      '2  batchNormalization                 256        512            512',
      '3  dropout                            256          0              0',
      '4  dense               gelu           128     32,896              0',
      '5  layerNormalization                 128        256              0',
      '6  dense               softmax         10      1,290              0',
      'parameters: 236,426 (trainable 235,914, non-trainable 512)',
    ].join('\n'));
    expect(net.sizes).toEqual([784, 256, 256, 256, 128, 128, 10]);
    net.dispose();
  });
});

// ************* save / load *************

describe('save and load', () => {
  let dir = '';
  beforeAll(async () => { dir = await mkdtemp(join(tmpdir(), 'wasmlp-layers-')); });
  afterAll(async () => { if (dir) await rm(dir, { recursive: true, force: true }); });

  it('.json and .wasmlp round-trip every layer bit for bit (moving statistics, optimizer state), and training resumes bit-identically', async () => {
    const straight = mkBn();
    await straight.fit(BX, BY, { epochs: 3, batchSize: 8 });
    const interrupted = mkBn();
    await interrupted.fit(BX, BY, { epochs: 1, batchSize: 8 });
    const json = JSON.stringify(interrupted.toJSON());
    for (const ext of ['json', 'wasmlp']) {
      const path = join(dir, `bn.${ext}`);
      await interrupted.save(path);
      const loaded = await Network.load<LayerInput[]>(path);
      expect(allBits(loaded.getWeights()), ext).toEqual(allBits(interrupted.getWeights()));
      expect(JSON.stringify(loaded.toJSON()), ext).toBe(json);
      expect(loaded.summary()).toBe(interrupted.summary());
      // dropout masks depend on the step count, the BN statistics on the saved moving averages: all must carry over
      expect(bits(loaded.trace(BX, { training: true }).layers[2]!.out)).toEqual(bits(interrupted.trace(BX, { training: true }).layers[2]!.out));
      await loaded.fit(BX, BY, { epochs: 2, batchSize: 8 });
      expect(allBits(loaded.getWeights()), `${ext}: resumed`).toEqual(allBits(straight.getWeights()));
      expect(JSON.stringify(loaded.toJSON()), `${ext}: resumed`).toBe(JSON.stringify(straight.toJSON()));
      loaded.dispose();
    }
    const fromJson = Network.fromJSON<LayerInput[]>(JSON.parse(json));
    expect(JSON.stringify(fromJson.toJSON())).toBe(json);
    fromJson.dispose();
    straight.dispose(); interrupted.dispose();
  });
});

// ************* fit's rollback and non-finite losses *************

describe('divergence with batch normalization', () => {
  // unnormalised targets and a learning rate far too large: the loss overflows within a few batches
  const X: number[][] = [], Y: number[][] = [];
  for (let i = 0; i < 64; i++) { X.push([Math.sin(i), Math.cos(3 * i)]); Y.push([1000 * (i % 5)]); }
  const BLOWUP = (): Net => new Network<LayerInput[]>({
    layers: [2, { type: 'dense', units: 4, activation: 'linear' }, { type: 'batchNormalization', momentum: 0.5 }, { type: 'dense', units: 1, activation: 'linear' }],
    learningRate: 1e3, seed: 2,
  });
  /** toJSON's blocks that differ between two network JSON texts, by name. */
  const changed = (a: string, b: string): string[] => {
    const ja = JSON.parse(a) as { layers: Record<string, unknown>[] }, jb = JSON.parse(b) as { layers: Record<string, unknown>[] };
    const out: string[] = [];
    ja.layers.forEach((l, i) => { for (const k of Object.keys(l)) if (JSON.stringify(l[k]) !== JSON.stringify(jb.layers[i]![k])) out.push(`layers[${i}].${k}`); });
    if (JSON.stringify((ja as Record<string, unknown>).optimizer) !== JSON.stringify((jb as Record<string, unknown>).optimizer)) out.push('optimizer');
    return out;
  };

  it('fit rollback: after a DivergenceError the network equals the one before the step whose loss was the last finite one, moving statistics included (they are committed only after the loss is checked and the guard has saved)', async () => {
    const net = BLOWUP();
    const states = [JSON.stringify(net.toJSON())];
    const losses: number[] = [];
    const err = await net.fit(X, Y, { shuffle: false, batchSize: 8, epochs: 5, onBatchEnd: (l) => { losses.push(l.loss); states.push(JSON.stringify(net.toJSON())); } }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DivergenceError);
    const b = losses.length;
    expect(b).toBeGreaterThanOrEqual(2);
    const now = JSON.stringify(net.toJSON());
    // weights and optimizer state are rolled back to states[b − 1] (as tests/divergence.test.ts checks for dense networks) …
    expect(changed(now, states[b - 1]!).filter((k) => !/moving/.test(k)), 'weights and optimizer state').toEqual([]);
    // … and so must the moving statistics be (a regression: they once were those after step b − 1's forward, states[b]'s).
    const oneStepAhead = changed(now, states[b]!).filter((k) => /moving/.test(k)).length === 0;
    expect(changed(now, states[b - 1]!), `blocks not rolled back to before step b − 1 (moving statistics equal those after step b − 1: ${oneStepAhead})`).toEqual([]);
    net.dispose();
  });

  it("fit whose first batch has a non-finite loss says 'the weights are unchanged', and the moving statistics are unchanged too (not ±Infinity/NaN)", async () => {
    const net = BLOWUP();
    const w = net.getWeights();
    net.setWeights([{ weights: [[1, 1], [1, 1], [1, 1], [1, 1]], bias: [0, 0, 0, 0] }, w[1]!, w[2]!] as never);
    const before = JSON.stringify(net.toJSON());
    const big = [[3e38, 3e38], [-3e38, 1]]; // finite float32 inputs whose dense outputs overflow: 6e38 → Infinity
    const err = await net.fit(big, [[0], [1]], { epochs: 1 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DivergenceError);
    expect((err as Error).message).toMatch(/no step was taken in this fit, the weights are unchanged/);
    expect(changed(JSON.stringify(net.toJSON()), before), 'blocks changed by a fit that took no step').toEqual([]);
    expect(net.predict([0.1, 0.2]).every(Number.isFinite)).toBe(true);
    net.dispose();
  });

  it('trainBatch whose loss is non-finite throws NonFiniteError and leaves the moving statistics unchanged (they are committed after lossAndDelta checks the loss)', () => {
    const net = BLOWUP();
    const w = net.getWeights();
    net.setWeights([{ weights: [[1, 1], [1, 1], [1, 1], [1, 1]], bias: [0, 0, 0, 0] }, w[1]!, w[2]!] as never);
    const before = JSON.stringify(net.toJSON());
    expect(() => net.trainBatch([[3e38, 3e38], [-3e38, 1]], [[0], [1]])).toThrow(NonFiniteError);
    // gradients() with the same batch leaves everything alone (it does not update the statistics)
    expect(changed(JSON.stringify(net.toJSON()), before), 'blocks changed by a trainBatch that threw').toEqual([]);
    net.dispose();
  });

  it('gradients() with a non-finite loss throws and changes nothing (the contrast to the trainBatch case)', () => {
    const net = BLOWUP();
    const w = net.getWeights();
    net.setWeights([{ weights: [[1, 1], [1, 1], [1, 1], [1, 1]], bias: [0, 0, 0, 0] }, w[1]!, w[2]!] as never);
    const before = JSON.stringify(net.toJSON());
    expect(() => net.gradients([[3e38, 3e38], [-3e38, 1]], [[0], [1]])).toThrow(NonFiniteError);
    expect(JSON.stringify(net.toJSON())).toBe(before);
    net.dispose();
  });
});
