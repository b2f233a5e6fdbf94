// Numerics at the edges, at the Network level: weights set so that the logits are ±1e4, so that
// softmax and sigmoid predict probabilities of exactly 0 and 1, so that tanh saturates, and so that
// every relu input is negative. Outputs, the loss and every gradient that gradients() returns
// must be finite and match the float64 reference (tests/ref/network.ts) on the same weights, and
// float64 central differences of the reference loss. (The kernels' own edge tests are in
// tests/kernels.*.test.ts; this checks that the layers, losses and backward pass keep them.)
import { describe, expect, it } from 'vitest';
import { Network, type Activation, type Loss, type OutputActivation } from '../src/index.js';
import { assertClose } from './helpers.js';
import { finiteDiff, flat, refRun, type RefNet } from './ref/network.js';

interface Edge {
  name: string;
  /** Sizes, input first; weights [layer][out][in] and biases. */
  sizes: number[];
  hidden?: Activation[];
  output: OutputActivation;
  loss: Loss;
  W: number[][][];
  b: number[][];
  x: number[][];
  y: number[][];
  /** The forward values the case is about (checked exactly, so the edge is really reached). */
  expectOut?: number[][];
}

const TOL = { atol: 1e-6, rtol: 1e-6 };

const cases: Edge[] = [
  // softmax logits [1e4, −1e4, 0] → p = [1, 0, 0] exactly in float32
  ...[0, 1, 2].map((k): Edge => ({
    name: `softmax + crossEntropy, logits [1e4, -1e4, 0], target class ${k} (predicted probability ${k === 0 ? 1 : 0})`,
    sizes: [1, 3], output: 'softmax', loss: 'crossEntropy',
    W: [[[1e4], [-1e4], [0]]], b: [[0, 0, 0]], x: [[1]], y: [[0, 1, 2].map((j) => (j === k ? 1 : 0))],
    expectOut: [[1, 0, 0]],
  })),
  {
    name: 'softmax + crossEntropy, soft targets on logits ±1e4, two rows',
    sizes: [2, 3], output: 'softmax', loss: 'crossEntropy',
    W: [[[1e4, 0], [-1e4, 0], [0, 1e4]]], b: [[0, 0, 0]], x: [[1, 0], [0, -1]], y: [[0.2, 0.3, 0.5], [0.5, 0.5, 0]],
    expectOut: [[1, 0, 0], [0, 0, 0].map((_, j) => (j === 0 ? 0.5 : j === 1 ? 0.5 : 0))],
  },
  {
    name: 'softmax + mse (full Jacobian), logits [1e4, -1e4, 0]',
    sizes: [1, 3], output: 'softmax', loss: 'mse',
    W: [[[1e4], [-1e4], [0]]], b: [[0, 0, 0]], x: [[1]], y: [[0, 1, 0]], expectOut: [[1, 0, 0]],
  },
  {
    name: 'sigmoid + binaryCrossEntropy, logits ±1e4, targets on the wrong side (probabilities exactly 1 and 0)',
    sizes: [1, 2], output: 'sigmoid', loss: 'binaryCrossEntropy',
    W: [[[1e4], [-1e4]]], b: [[0, 0]], x: [[1]], y: [[0, 1]], expectOut: [[1, 0]],
  },
  {
    name: 'sigmoid + binaryCrossEntropy, logits ±1e4, targets on the right side (loss 0)',
    sizes: [1, 2], output: 'sigmoid', loss: 'binaryCrossEntropy',
    W: [[[1e4], [-1e4]]], b: [[0, 0]], x: [[1]], y: [[1, 0]], expectOut: [[1, 0]],
  },
  {
    name: 'sigmoid + mse, logits ±1e4',
    sizes: [1, 2], output: 'sigmoid', loss: 'mse',
    W: [[[1e4], [-1e4]]], b: [[0, 0]], x: [[1]], y: [[0, 1]], expectOut: [[1, 0]],
  },
  {
    name: 'tanh + mse, logits ±1e4',
    sizes: [1, 2], output: 'tanh', loss: 'mse',
    W: [[[1e4], [-1e4]]], b: [[0, 0]], x: [[1]], y: [[0, 0.5]], expectOut: [[1, -1]],
  },
  {
    name: 'relu + mse, all inputs negative (−1 and −1e4)',
    sizes: [2, 3], output: 'relu', loss: 'mse',
    W: [[[1, 1], [1e4, 0], [0, 1e4]]], b: [[0, 0, -1]], x: [[-0.5, -0.5], [-1, -1]], y: [[1, 0, 0.5], [0, 1, 0]],
    expectOut: [[0, 0, 0], [0, 0, 0]],
  },
  {
    name: 'leakyRelu + mse, inputs −1e4',
    sizes: [1, 2], output: 'leakyRelu', loss: 'mse',
    W: [[[1e4], [1]]], b: [[0, 0]], x: [[-1]], y: [[0, 0]],
  },
  {
    name: 'hidden sigmoid and tanh saturated at ±1e4, linear output',
    sizes: [1, 4, 1], hidden: ['sigmoid'], output: 'linear', loss: 'mse',
    W: [[[1e4], [-1e4], [1], [-1]], [[1, 1, 1, 1]]], b: [[0, 0, 0, 0], [0]], x: [[1]], y: [[0]],
  },
  {
    name: 'hidden tanh saturated at ±1e4, softmax + crossEntropy output at ±1e4',
    sizes: [1, 2, 2], hidden: ['tanh'], output: 'softmax', loss: 'crossEntropy',
    W: [[[1e4], [-1e4]], [[1e4, 0], [0, 1e4]]], b: [[0, 0], [0, 0]], x: [[1]], y: [[0, 1]],
  },
  {
    name: 'hidden relu with all-negative inputs (a dead layer), sigmoid output',
    sizes: [2, 3, 1], hidden: ['relu'], output: 'sigmoid', loss: 'mse',
    W: [[[-1, -1], [-1e4, 0], [0, -1e4]], [[1, 2, 3]]], b: [[-1, 0, 0], [0.25]], x: [[1, 1], [0.5, 2]], y: [[1], [0]],
  },
];

describe('numerics at the edges: finite outputs and gradients that match float64', () => {
  it.each(cases.map((c) => [c.name, c] as const))('%s', (_name, c) => {
    const hidden = c.hidden ?? [];
    const net = new Network({ layers: c.sizes, activation: hidden, outputActivation: c.output, loss: c.loss, reduction: 'sum', leakyReluAlpha: 0.01 });
    net.setWeights(c.W.map((w, i) => ({ weights: w, bias: c.b[i]! })));
    const out = net.predict(c.x);
    const g = net.gradients(c.x, c.y);
    const tr = net.trace(c.x);
    net.dispose();

    // everything finite
    const all = [flat(out), [g.loss], ...g.layers.flatMap((l) => [l.weights, l.bias ?? [], l.delta, l.outputGrad ?? []]), g.input, ...tr.layers.flatMap((l) => [l.net, l.out])];
    for (const a of all) for (const v of Array.from(a)) expect(Number.isFinite(v), `non-finite value ${v}`).toBe(true);
    // the edge is reached: probabilities of 1 and 0, saturation, dead relu. (The kernels' exp is
    // clamped so sigmoid and softmax stay finite: a probability of 0 comes out as 0 or as a value
    // below float32's smallest normal number, 1.18e-38; the losses are computed from the logits,
    // so neither ever enters a log.)
    if (c.expectOut) {
      flat(out).forEach((v, i) => {
        const e = flat(c.expectOut!)[i]!;
        if (e === 0) expect(Math.abs(v), `output ${i}`).toBeLessThan(1.18e-38);
        else expect(v, `output ${i}`).toBe(e);
      });
    }

    // against the float64 reference on the same (float32-exact) weights
    const ref: RefNet = { sizes: c.sizes, acts: [...hidden, c.output], loss: c.loss, reduction: 'sum', alpha: Math.fround(0.01), W: c.W, b: c.b };
    const r = refRun(ref, c.x, c.y);
    expect(Number.isFinite(r.loss)).toBe(true);
    assertClose([g.loss], [r.loss], TOL, 'loss');
    assertClose(flat(out), flat(r.out[r.out.length - 1]!), TOL, 'outputs');
    g.layers.forEach((l, i) => {
      assertClose(l.weights, flat(r.gW[i]!), TOL, `∇W[${i}]`);
      assertClose(l.bias!, r.gb[i]!, TOL, `∇b[${i}]`);
      assertClose(l.delta, flat(r.delta[i]!), TOL, `δ[${i}]`);
      if (l.outputGrad) assertClose(l.outputGrad, flat(r.dout[i]!), TOL, `dE/dout[${i}]`);
    });
    assertClose(g.input, flat(r.gx), TOL, 'dE/dx');

    // and against central differences of the float64 loss (eps 1e-3: every case is locally linear or flat)
    const fd = finiteDiff(ref, c.x.map((row) => row.slice()), c.y, 1e-3);
    const fdTol = { atol: 1e-4, rtol: 1e-6 };
    g.layers.forEach((l, i) => {
      assertClose(l.weights, flat(fd.gW[i]!), fdTol, `∇W[${i}] vs central differences`);
      assertClose(l.bias!, fd.gb[i]!, fdTol, `∇b[${i}] vs central differences`);
    });
    assertClose(g.input, flat(fd.gx), fdTol, 'dE/dx vs central differences');
  });

  it('the loss of a probability of exactly 0 is the logit margin, not Infinity: −log softmax = 2e4', () => {
    const net = new Network({ layers: [1, 3], outputActivation: 'softmax', reduction: 'sum' });
    net.setWeights([{ weights: [[1e4], [-1e4], [0]], bias: [0, 0, 0] }]);
    expect(net.predict([1])[1]).toBeLessThan(1.18e-38);
    expect(net.gradients([1], [0, 1, 0]).loss).toBeCloseTo(2e4, 6);
    expect(net.evaluate([[1]], [[0, 1, 0]]).loss).toBeCloseTo(2e4, 6);
    // one step on it stays finite (the gradient is p − y = [1, −1, 0])
    net.trainBatch([1], [0, 1, 0]);
    for (const l of net.getWeights()) expect(l.weights.every(Number.isFinite)).toBe(true);
    net.dispose();
  });
});
