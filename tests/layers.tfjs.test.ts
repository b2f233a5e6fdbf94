// The layer list against a peer: @tensorflow/tfjs (cpu backend, float32), whose tf.layers
// batchNormalization and layerNormalization are ports of Keras's. Compared:
//   1. BN and LN forward, training and inference mode, on the same γ, β, moving statistics and
//      inputs (the wasmlp layer sits behind an identity dense layer, checked to pass x through bit for bit);
//   2. BN's moving statistics over N = 5 trainBatch steps (default momentum/epsilon and a non-default
//      pair): each step's BN input is read with trace(x, { training: true }) and fed to tfjs's layer in
//      training mode, which updates its moving statistics as Keras does;
//   3. a whole model [dense relu → BN|LN → dense softmax] against a tf.sequential holding the same
//      weights: predict, and the loss and every gradient (∇W, ∇b, ∇γ, ∇β, dE/dx) of one batch in
//      training mode (tf.variableGrads / tf.grad of −mean Σ y·logSoftmax(logits), the loss wasmlp's
//      fused softmax + crossEntropy computes).
// Tolerances (both sides float32, different summation orders and formula orders):
//   - normalization outputs (|y| ≲ 3): atol 2e-6, rtol 1e-5 — a few float32 ulps of the normalized
//     value; the worst observed difference is 4.8e-7. Moving statistics: atol 1e-6, rtol 1e-5 (five
//     steps of a ~1e-7-relative update; worst observed 4.8e-7).
//   - predict (probabilities): atol 1e-6 (worst observed 1.2e-7). Loss: 1e-6 relative.
//   - gradients: |diff| ≤ max(1e-5·max|block|, 1e-4·|ref|) per block: the BN/LN backward subtracts
//     nearly equal terms (m·dy − Σdy − x̂·Σdy·x̂), so errors scale with the block's largest entry,
//     not with each entry. The worst observed is 1.7e-7·max|block|.
//   - weights after 3 SGD steps of both libraries: atol 1e-5, rtol 1e-5 (worst observed 6e-8).
// Most comparisons have a negative twin (the other mode, or a perturbed input) that must fail the
// same tolerance, so a check that compared a thing with itself would be caught.
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { Network, type LayerInput } from '../src/index.js';
import type { BatchNormalizationWeights, DenseGradients, DenseWeights, NormalizationGradients } from '../src/model.js';
import { TestRng, assertClose, uniformValues } from './helpers.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
  await tf.ready();
});

const ROWS = 16;
/** Features of the normalized layer: 7 = one SIMD group of 4 and a scalar tail of 3. */
const N = 7;
const OUT_TOL = { atol: 2e-6, rtol: 1e-5 };
const STAT_TOL = { atol: 1e-6, rtol: 1e-5 };

function t2(data: ArrayLike<number>, rows: number, cols: number): tf.Tensor2D {
  return tf.tensor2d(Float32Array.from(data), [rows, cols]);
}
function flat(t: tf.Tensor): Float32Array { return t.dataSync() as Float32Array; }

/** [in, out] kernel (tfjs) from an [out, in] row-major matrix (wasmlp). */
function transpose(w: ArrayLike<number>, rows: number, cols: number): Float32Array {
  const t = new Float32Array(rows * cols);
  for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) t[j * rows + i] = w[i * cols + j]!;
  return t;
}

/** Fails unless some element is outside tol: the negative twin of assertClose. */
function assertDiffers(actual: ArrayLike<number>, expected: ArrayLike<number>, tol: { atol: number; rtol: number }, label: string): void {
  let far = false;
  for (let i = 0; i < expected.length; i++) if (Math.abs(actual[i]! - expected[i]!) > Math.max(tol.atol, tol.rtol * Math.abs(expected[i]!))) far = true;
  expect(far, `${label}: expected a difference beyond tolerance`).toBe(true);
}

/** Per-block gradient tolerance (see the header). */
function assertGradClose(actual: ArrayLike<number>, expected: ArrayLike<number>, label: string): void {
  let max = 0;
  for (let i = 0; i < expected.length; i++) max = Math.max(max, Math.abs(expected[i]!));
  expect(max, `${label}: a zero gradient block would make the check empty`).toBeGreaterThan(1e-4);
  assertClose(actual, expected, { atol: 1e-5 * max, rtol: 1e-4 }, label);
}

type NormType = 'batchNormalization' | 'layerNormalization';

/** A network whose first dense layer passes x through (identity, zero bias, linear): the normalization sees x itself. */
function identityNet(type: NormType, extra: Record<string, number> = {}): Network<LayerInput[]> {
  const net = new Network<LayerInput[]>({
    layers: [N, { type: 'dense', units: N, activation: 'linear' }, { type, ...extra } as LayerInput, { type: 'dense', units: 2, activation: 'softmax' }],
    seed: 3,
  });
  const w = net.getWeights();
  const eye = new Float32Array(N * N);
  for (let i = 0; i < N; i++) eye[i * N + i] = 1;
  net.setWeights([{ weights: eye, bias: new Float32Array(N) }, w[1]!, w[2]!] as never);
  return net;
}

/** γ, β (and for BN the moving statistics) drawn at random, set on the wasmlp layer; returns them in tfjs's order. */
function randomNormParams(rng: TestRng, type: NormType): Float32Array[] {
  const gamma = uniformValues(rng, N, 0.5, 1.5), beta = uniformValues(rng, N, -0.5, 0.5);
  if (type === 'layerNormalization') return [gamma, beta];
  return [gamma, beta, uniformValues(rng, N, -1, 1), uniformValues(rng, N, 0.2, 2)];
}

function normEntry(type: NormType, p: Float32Array[]): Record<string, Float32Array> {
  return type === 'batchNormalization' ? { gamma: p[0]!, beta: p[1]!, movingMean: p[2]!, movingVariance: p[3]! } : { gamma: p[0]!, beta: p[1]! };
}

function tfNormLayer(type: NormType, p: Float32Array[], extra: { momentum?: number; epsilon?: number } = {}): tf.layers.Layer {
  const layer = type === 'batchNormalization' ? tf.layers.batchNormalization({ ...extra }) : tf.layers.layerNormalization({ ...extra });
  layer.apply(tf.zeros([1, N])); // builds it (inference mode: nothing updated)
  layer.setWeights(p.map((v) => tf.tensor1d(v)));
  return layer;
}

describe('normalization forward against tfjs', () => {
  for (const type of ['batchNormalization', 'layerNormalization'] as const) {
    it(`${type}: training and inference mode equal tf.layers.${type} on the same γ, β, statistics and inputs`, () => {
      const rng = new TestRng(type.length);
      const p = randomNormParams(rng, type);
      const net = identityNet(type);
      const w = net.getWeights();
      net.setWeights([w[0]!, normEntry(type, p), w[2]!] as never);
      const x = uniformValues(rng, ROWS * N, -3, 4); // mean and spread far from 0 and 1, so skipping a step of the formula shows
      const layer = tfNormLayer(type, p);
      const outs: Record<string, Float32Array> = {};
      for (const training of [false, true]) { // inference first: tfjs's training call moves its moving statistics
        const tr = net.trace(x, { training });
        expect(tr.layers[0]!.out, 'the identity dense layer passes x through').toEqual(x);
        const ours = tr.layers[1]!.out;
        const theirs = flat(tf.tidy(() => layer.apply(t2(x, ROWS, N), { training }) as tf.Tensor));
        assertClose(ours, theirs, OUT_TOL, `${type} training=${training}`);
        outs[String(training)] = ours;
      }
      if (type === 'batchNormalization') {
        // the two modes must really differ (batch vs moving statistics), or the checks above prove less than they claim
        assertDiffers(outs.true!, outs.false!, OUT_TOL, 'BN training vs inference');
      } else {
        expect(outs.true, 'layer normalization: same in both modes').toEqual(outs.false);
      }
      // a perturbed input must fail the same tolerance
      const x2 = x.slice(); x2[5]! += 1e-3;
      const theirs2 = flat(tf.tidy(() => layer.apply(t2(x2, ROWS, N), { training: true }) as tf.Tensor));
      assertDiffers(outs.true!, theirs2, OUT_TOL, `${type} on a perturbed input`);
      layer.dispose();
      net.dispose();
    });
  }

  it('batchNormalization starts from the same γ = 1, β = 0, moving mean 0, moving variance 1 as tfjs (Keras initializers)', () => {
    const net = identityNet('batchNormalization');
    const ours = net.getWeights()[1] as BatchNormalizationWeights;
    const layer = tf.layers.batchNormalization({});
    layer.apply(tf.zeros([1, N]));
    const theirs = layer.getWeights().map((t) => flat(t));
    expect([ours.gamma, ours.beta, ours.movingMean, ours.movingVariance]).toEqual(theirs);
    layer.dispose();
    net.dispose();
  });
});

describe('batch normalization moving statistics against tfjs over N = 5 training steps', () => {
  const STEPS = 5;
  for (const cfg of [{}, { momentum: 0.6, epsilon: 0.01 }] as const) {
    it(`momentum ${'momentum' in cfg ? cfg.momentum : '0.99 (default)'}, epsilon ${'epsilon' in cfg ? cfg.epsilon : '1e-3 (default)'}`, () => {
      const rng = new TestRng(11);
      const H = N, IN = 5;
      const net = new Network<LayerInput[]>({
        layers: [IN, { type: 'dense', units: H, activation: 'linear' }, { type: 'batchNormalization', ...cfg }, { type: 'dense', units: 3, activation: 'softmax' }],
        optimizer: { type: 'sgd', learningRate: 0.2 }, seed: 21,
      });
      const bn0 = net.getWeights()[1] as BatchNormalizationWeights; // Keras's initial values, which tfjs's would equal too
      const layer = tfNormLayer('batchNormalization', [bn0.gamma!, bn0.beta!, bn0.movingMean, bn0.movingVariance], cfg);
      let prevMean: Float32Array | null = null;
      for (let s = 0; s < STEPS; s++) {
        const x = uniformValues(rng, ROWS * IN, -2, 3);
        const y = Array.from({ length: ROWS }, () => { const r = [0, 0, 0]; r[rng.int(3)] = 1; return r; });
        const tr = net.trace(x, { training: true });
        const bnIn = tr.layers[0]!.out; // what the step's BN will see (the dense weights change every step)
        const now = net.getWeights()[1] as BatchNormalizationWeights; // γ and β are trained too: give tfjs today's, keep its own moving statistics
        const [, , tmm, tmv] = layer.getWeights();
        layer.setWeights([tf.tensor1d(now.gamma!), tf.tensor1d(now.beta!), tmm!, tmv!]);
        const theirsOut = flat(tf.tidy(() => layer.apply(t2(bnIn, ROWS, H), { training: true }) as tf.Tensor));
        assertClose(tr.layers[1]!.out, theirsOut, OUT_TOL, `step ${s}: BN training output`);
        net.trainBatch(x, y);
        const ours = net.getWeights()[1] as BatchNormalizationWeights;
        const [, , mm, mv] = layer.getWeights().map((t) => flat(t));
        assertClose(ours.movingMean, mm!, STAT_TOL, `step ${s}: moving mean`);
        assertClose(ours.movingVariance, mv!, STAT_TOL, `step ${s}: moving variance`);
        if (prevMean) assertDiffers(ours.movingMean, prevMean, STAT_TOL, `step ${s}: the moving mean moved`);
        prevMean = ours.movingMean;
      }
      layer.dispose();
      net.dispose();
    });
  }
});

// ************* a whole model against tf.sequential *************

const IN = 5, HID = 7, OUT = 3;

function modelPair(type: NormType, rng: TestRng, learningRate = 0.01) {
  const net = new Network<LayerInput[]>({
    layers: [IN, { type: 'dense', units: HID, activation: 'relu' }, { type } as LayerInput, { type: 'dense', units: OUT, activation: 'softmax' }],
    loss: 'crossEntropy', optimizer: { type: 'sgd', learningRate }, seed: 5,
  });
  const w1 = uniformValues(rng, HID * IN, -0.8, 0.8), b1 = uniformValues(rng, HID, -0.2, 0.3);
  const w2 = uniformValues(rng, OUT * HID, -0.8, 0.8), b2 = uniformValues(rng, OUT, -0.2, 0.2);
  const gamma = uniformValues(rng, HID, 0.5, 1.5), beta = uniformValues(rng, HID, -0.5, 0.5);
  const norm = type === 'batchNormalization'
    ? { gamma, beta, movingMean: uniformValues(rng, HID, 0, 1), movingVariance: uniformValues(rng, HID, 0.3, 1.5) }
    : { gamma, beta };
  net.setWeights([{ weights: w1, bias: b1 }, norm, { weights: w2, bias: b2 }]);
  // the tfjs twin: a linear last layer (logits); softmax and log-softmax are applied outside
  const model = tf.sequential({
    layers: [
      tf.layers.dense({ units: HID, activation: 'relu', inputShape: [IN] }),
      type === 'batchNormalization' ? tf.layers.batchNormalization({}) : tf.layers.layerNormalization({}),
      tf.layers.dense({ units: OUT, activation: 'linear' }),
    ],
  });
  model.layers[0]!.setWeights([tf.tensor2d(transpose(w1, HID, IN), [IN, HID]), tf.tensor1d(b1)]);
  model.layers[1]!.setWeights(Object.values(norm).map((v) => tf.tensor1d(v)));
  model.layers[2]!.setWeights([tf.tensor2d(transpose(w2, OUT, HID), [HID, OUT]), tf.tensor1d(b2)]);
  return { net, model };
}

/** −mean_rows Σ y·logSoftmax(logits): wasmlp's crossEntropy on a softmax output, from the logits. */
function xent(y: tf.Tensor, logits: tf.Tensor): tf.Scalar {
  return tf.neg(tf.mean(tf.sum(tf.mul(y, tf.logSoftmax(logits)), 1))) as tf.Scalar;
}

function oneHot(rng: TestRng, rows: number): number[][] {
  return Array.from({ length: rows }, () => { const r = new Array<number>(OUT).fill(0); r[rng.int(OUT)] = 1; return r; });
}

describe('a whole model against tf.sequential with the same weights', () => {
  for (const type of ['batchNormalization', 'layerNormalization'] as const) {
    it(`[dense relu → ${type} → dense softmax]: predict, loss and every gradient in training mode`, () => {
      const rng = new TestRng(type === 'batchNormalization' ? 101 : 202);
      const { net, model } = modelPair(type, rng);
      const x = uniformValues(rng, ROWS * IN, -1, 1.5);
      const y = oneHot(rng, ROWS);
      const xt = t2(x, ROWS, IN), yt = tf.tensor2d(y);

      // predict (inference: BN uses the moving statistics)
      const ours = net.predict(x);
      const theirs = flat(tf.tidy(() => tf.softmax(model.predict(xt) as tf.Tensor)));
      assertClose(ours, theirs, { atol: 1e-6, rtol: 0 }, `${type} predict`);
      if (type === 'batchNormalization') {
        const trainingProbs = flat(tf.tidy(() => tf.softmax(model.apply(xt, { training: true }) as tf.Tensor)));
        assertDiffers(ours, trainingProbs, { atol: 1e-6, rtol: 0 }, 'predict vs the training-mode forward');
      }

      // loss and gradients, training mode (before tfjs's training forward moves its moving statistics)
      const g = net.gradients(x, y);
      const lossFn = (xx: tf.Tensor): tf.Scalar => xent(yt, model.apply(xx, { training: true }) as tf.Tensor);
      const vars = model.trainableWeights.map((v) => (v as unknown as { val: tf.Variable }).val);
      const { value, grads } = tf.variableGrads(() => lossFn(xt), vars);
      expect(Math.abs(g.loss - value.dataSync()[0]!)).toBeLessThanOrEqual(1e-6 * Math.abs(g.loss));
      const gv = vars.map((v) => flat(grads[v.name]!));
      const [d1, nrm, d2] = g.layers as [DenseGradients, NormalizationGradients, DenseGradients];
      assertGradClose(d1.weights, transpose(gv[0]!, IN, HID), `${type}: dense 1 ∇W`);
      assertGradClose(d1.bias!, gv[1]!, `${type}: dense 1 ∇b`);
      assertGradClose(nrm.gamma!, gv[2]!, `${type}: ∇γ`);
      assertGradClose(nrm.beta!, gv[3]!, `${type}: ∇β`);
      assertGradClose(d2.weights, transpose(gv[4]!, HID, OUT), `${type}: dense 2 ∇W`);
      assertGradClose(d2.bias!, gv[5]!, `${type}: dense 2 ∇b`);
      const dx = flat(tf.grad((xx: tf.Tensor) => lossFn(xx))(xt));
      assertGradClose(g.input, dx, `${type}: dE/dx`);
      // negative twin: BN's ∇γ through the moving statistics (inference mode) is another number
      if (type === 'batchNormalization') {
        const inf = tf.variableGrads(() => xent(yt, model.apply(xt, { training: false }) as tf.Tensor), vars);
        assertDiffers(nrm.gamma!, flat(inf.grads[vars[2]!.name]!), { atol: 1e-5, rtol: 1e-4 }, '∇γ in inference mode');
      }
      model.dispose();
      net.dispose();
    });
  }

  it('BN model: after 3 identical SGD steps both sides hold the same weights and moving statistics', () => {
    const rng = new TestRng(303);
    const lr = 0.05;
    const { net, model } = modelPair('batchNormalization', rng, lr);
    const opt = tf.train.sgd(lr);
    const vars = model.trainableWeights.map((v) => (v as unknown as { val: tf.Variable }).val);
    for (let s = 0; s < 3; s++) {
      const x = uniformValues(rng, ROWS * IN, -1, 1.5), y = oneHot(rng, ROWS);
      const xt = t2(x, ROWS, IN), yt = tf.tensor2d(y);
      net.trainBatch(x, y);
      opt.minimize(() => xent(yt, model.apply(xt, { training: true }) as tf.Tensor), false, vars);
    }
    const ours = net.getWeights();
    const theirs = model.layers.flatMap((l) => l.getWeights().map((t) => flat(t))); // per layer (the model's list puts non-trainable weights last)
    const w1 = ours[0] as DenseWeights, bn = ours[1] as BatchNormalizationWeights, w2 = ours[2] as DenseWeights;
    const tol = { atol: 1e-5, rtol: 1e-5 };
    assertClose(w1.weights, transpose(theirs[0]!, IN, HID), tol, 'dense 1 W');
    assertClose(w1.bias!, theirs[1]!, tol, 'dense 1 b');
    assertClose(bn.gamma!, theirs[2]!, tol, 'γ');
    assertClose(bn.beta!, theirs[3]!, tol, 'β');
    assertClose(bn.movingMean, theirs[4]!, tol, 'moving mean');
    assertClose(bn.movingVariance, theirs[5]!, tol, 'moving variance');
    assertClose(w2.weights, transpose(theirs[6]!, HID, OUT), tol, 'dense 2 W');
    assertClose(w2.bias!, theirs[7]!, tol, 'dense 2 b');
    model.dispose();
    net.dispose();
  });
});
