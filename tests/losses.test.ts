// The losses at network level, beyond the gradient checks (tests/gradcheck.test.ts, property.test.ts):
// sparseCrossEntropy gives crossEntropy's bits for the equivalent one-hot rows everywhere targets
// enter (fit with shuffle and validation, trainBatch, gradients, evaluate); mae, huber and poisson
// report the float64 formula of the network's own outputs; the pairing and target checks.
import { describe, expect, it } from 'vitest';
import { DomainError, Network, OptionError, ShapeError, type History, type NetworkOptions } from '../src/index.js';
import { huberLossRef, maeLossRef, poissonLossRef } from './ref/loss.js';
import { rand } from './ref/network.js';

const r = rand(1313);
const X = Array.from({ length: 37 }, () => [r() * 2 - 1, r() * 2 - 1, r() * 2 - 1]);
const CLASSES = X.map((x) => (x[0]! + x[1]! > 0.3 ? 2 : x[2]! > 0 ? 1 : 0));
const ONE_HOT = CLASSES.map((c) => [0, 1, 2].map((j) => (j === c ? 1 : 0)));
const OPTS: NetworkOptions = { layers: [3, 6, 3], activation: 'tanh', outputActivation: 'softmax', optimizer: { type: 'adam', learningRate: 0.02 }, seed: 4 };

const bits = (a: Float32Array): number[] => Array.from(new Uint32Array(a.buffer, a.byteOffset, a.length));
/** A history without its timings. */
const untimed = (h: History): unknown => ({ ...h, epochs: h.epochs.map(({ samplesPerSecond: _, ...e }) => e) });
const weightBits = (n: Network): number[][] => n.getWeights().flatMap((l) => [bits(l.weights), l.bias ? bits(l.bias) : []]);

describe('sparseCrossEntropy: crossEntropy of the one-hot rows, bit for bit', () => {
  for (const [kind, y] of [['number[]', CLASSES], ['Int32Array', Int32Array.from(CLASSES)], ['Uint8Array', Uint8Array.from(CLASSES)]] as const) {
    it(`fit (shuffled, seeded, validationData), evaluate, gradients, trainBatch; targets as ${kind}`, async () => {
      const dense = new Network({ ...OPTS, loss: 'crossEntropy' });
      const sparse = new Network({ ...OPTS, loss: 'sparseCrossEntropy' });
      const h1 = await dense.fit(X.slice(0, 30), ONE_HOT.slice(0, 30), { epochs: 5, batchSize: 8, validationData: [X.slice(30), ONE_HOT.slice(30)] });
      const h2 = await sparse.fit(X.slice(0, 30), y.slice(0, 30), { epochs: 5, batchSize: 8, validationData: [X.slice(30), y.slice(30)] });
      expect(untimed(h2)).toEqual(untimed(h1));
      expect(h1.valAccuracy.length).toBe(5);
      expect(weightBits(sparse)).toEqual(weightBits(dense));
      expect(sparse.evaluate(X, y)).toEqual(dense.evaluate(X, ONE_HOT));
      const g1 = dense.gradients(X, ONE_HOT), g2 = sparse.gradients(X, y);
      expect(g2.loss).toBe(g1.loss);
      g1.layers.forEach((l, i) => { expect(bits(g2.layers[i]!.weights)).toEqual(bits(l.weights)); expect(bits(g2.layers[i]!.delta)).toEqual(bits(l.delta)); });
      expect(bits(g2.input)).toEqual(bits(g1.input));
      expect(sparse.trainBatch(X.slice(0, 5), y.slice(0, 5))).toBe(dense.trainBatch(X.slice(0, 5), ONE_HOT.slice(0, 5)));
      expect(weightBits(sparse)).toEqual(weightBits(dense));
      dense.dispose(); sparse.dispose();
    });
  }

  it('validationSplit and a single sample ([class]) take the same path', async () => {
    const dense = new Network({ ...OPTS, loss: 'crossEntropy' });
    const sparse = new Network({ ...OPTS, loss: 'sparseCrossEntropy' });
    const h1 = await dense.fit(X, ONE_HOT, { epochs: 3, batchSize: 5, validationSplit: 0.2 });
    const h2 = await sparse.fit(X, CLASSES, { epochs: 3, batchSize: 5, validationSplit: 0.2 });
    expect(untimed(h2)).toEqual(untimed(h1));
    expect(weightBits(sparse)).toEqual(weightBits(dense));
    expect(sparse.trainBatch(X[0]!, [CLASSES[0]!])).toBe(dense.trainBatch(X[0]!, ONE_HOT[0]!));
    dense.dispose(); sparse.dispose();
  });

  it('rejects rows, wrong lengths, non-integers and classes outside [0, outputs) with typed errors naming y, the row and the value', () => {
    const net = new Network({ ...OPTS, loss: 'sparseCrossEntropy' });
    const before = weightBits(net);
    expect(() => net.trainBatch(X.slice(0, 2), ONE_HOT.slice(0, 2))).toThrow(ShapeError);
    expect(() => net.trainBatch(X.slice(0, 2), ONE_HOT.slice(0, 2))).toThrow(/y: sparseCrossEntropy takes one class index per sample .* got number\[\]\[\] .*use loss 'crossEntropy'/);
    expect(() => net.gradients(X.slice(0, 3), [0, 1])).toThrow(/y: expected 3 class indices \(one per sample of x\), got 2/);
    expect(() => net.evaluate(X.slice(0, 3), [0, 1.5, 2])).toThrow(DomainError);
    expect(() => net.evaluate(X.slice(0, 3), [0, 1.5, 2])).toThrow(/y: sparseCrossEntropy needs class indices that are integers in \[0, 3\) .*got 1\.5 at row 1/);
    expect(() => net.trainBatch(X.slice(0, 3), Int32Array.from([0, 2, 3]))).toThrow(/y: .*\[0, 3\).*got 3 at row 2/);
    expect(() => net.trainBatch(X.slice(0, 3), Int32Array.from([0, -1, 1]))).toThrow(/got -1 at row 1/);
    expect(() => net.trainBatch(X.slice(0, 2), new Float32Array([0, 1]))).toThrow(/y: sparseCrossEntropy takes .*got a Float32Array of length 2/);
    expect(weightBits(net)).toEqual(before);
    net.dispose();
  });
});

describe('mae, huber and poisson report the float64 formula of the outputs (summed per sample)', () => {
  const cases: [NetworkOptions['loss'], NetworkOptions['outputActivation'], (y: number[], t: number[], n: number) => number][] = [
    ['mae', 'linear', maeLossRef], ['huber', 'linear', (y, t, n) => huberLossRef(y, t, 1, n)], ['poisson', 'relu', poissonLossRef], ['poisson', 'sigmoid', poissonLossRef],
  ];
  for (const [loss, output, ref] of cases) {
    for (const reduction of ['mean', 'sum'] as const) {
      it(`${loss} with ${output}, reduction ${reduction}`, () => {
        const net = new Network({ layers: [3, 5, 4], activation: 'tanh', outputActivation: output, loss, reduction, seed: 3 });
        const t = X.map((x) => x.concat(x[0]! * 2).map((v) => (loss === 'poisson' ? Math.round(Math.abs(v) * 3) : v * 3)));
        const out = net.predict(X);
        const want = out.reduce((s, o, i) => s + ref(o, t[i]!, 4), 0) / (reduction === 'mean' ? X.length : 1);
        const got = net.evaluate(X, t).loss;
        expect(Math.abs(got - want)).toBeLessThanOrEqual(1e-6 * Math.max(1, Math.abs(want)));
        net.dispose();
      });
    }
  }

  it('poisson needs an output activation whose outputs are ≥ 0, and targets ≥ 0', () => {
    expect(() => new Network({ layers: [2, 1], outputActivation: 'linear', loss: 'poisson' })).toThrow(OptionError);
    expect(() => new Network({ layers: [2, 1], outputActivation: 'tanh', loss: 'poisson' })).toThrow(/options\.loss: 'poisson' needs outputActivation one of 'sigmoid', 'relu', 'softmax'.*, got outputActivation 'tanh'/);
    const net = new Network({ layers: [2, 2], outputActivation: 'relu', loss: 'poisson' });
    expect(() => net.trainBatch([[1, 2], [3, 4]], [[1, 0], [2, -1]])).toThrow(DomainError);
    expect(() => net.trainBatch([[1, 2], [3, 4]], [[1, 0], [2, -1]])).toThrow(/y: poisson needs targets ≥ 0 .*got -1 at row 1, column 1/);
    net.dispose();
  });

  it('mae and huber train a regression (loss falls)', async () => {
    for (const loss of ['mae', 'huber'] as const) {
      const net = new Network({ layers: [3, 8, 1], activation: 'tanh', outputActivation: 'linear', loss, optimizer: 'adam', learningRate: 0.01, seed: 2 });
      const y = X.map((x) => [x[0]! - 2 * x[1]! + 0.5]);
      const h = await net.fit(X, y, { epochs: 60, batchSize: 8 });
      expect(h.loss.at(-1)!).toBeLessThan(h.loss[0]! / 3);
      net.dispose();
    }
  });
});
