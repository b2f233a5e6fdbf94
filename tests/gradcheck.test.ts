// Gradient checks on random architectures: the wasm float32 gradients against float64 central
// differences of the float64 reference loss (tests/ref/network.ts), with the network's weights
// copied into the reference (already float32-rounded, so both see the same function).
// Tolerance: max relative error ≤ 1e-3, where entries below 1% of their array's largest
// magnitude are held to an absolute 1e-5 of that magnitude (the documented floor).
import { describe, expect, it } from 'vitest';
import { Network, type Activation, type Loss, type OutputActivation } from '../src/index.js';
import { finiteDiff, maxRelErr, rand, refRun, type RefNet } from './ref/network.js';

const HIDDEN: Activation[] = ['sigmoid', 'tanh', 'relu', 'leakyRelu', 'linear', 'elu', 'selu', 'gelu', 'softplus', 'swish', 'softsign'];
const OUTPUTS: [OutputActivation, Loss][] = [
  ['sigmoid', 'mse'], ['tanh', 'mse'], ['relu', 'mse'], ['leakyRelu', 'mse'], ['linear', 'mse'],
  ['softmax', 'mse'], ['softmax', 'crossEntropy'], ['sigmoid', 'binaryCrossEntropy'],
  ['linear', 'mae'], ['tanh', 'huber'], ['sigmoid', 'poisson'], ['softmax', 'sparseCrossEntropy'],
  ['elu', 'mse'], ['selu', 'mse'], ['gelu', 'mse'], ['softplus', 'poisson'], ['swish', 'huber'], ['softsign', 'mse'],
];
const TOL = 1e-3;
const FLOOR = -0.01;

interface Case {
  sizes: number[]; hidden: Activation[]; output: OutputActivation; loss: Loss; bias: boolean;
  reduction: 'mean' | 'sum'; rows: number; seed: number;
}

function makeCase(i: number): Case {
  const r = rand(9000 + i);
  const pick = <T>(a: readonly T[]): T => a[Math.floor(r() * a.length)]!;
  const depth = 1 + Math.floor(r() * 5); // weight layers: 1..5, so 2..6 sizes
  // mostly small widths, now and then up to 40
  const sizes = Array.from({ length: depth + 1 }, () => (r() < 0.25 ? 1 + Math.floor(r() * 40) : 1 + Math.floor(r() * 8)));
  const [output, loss] = OUTPUTS[i % OUTPUTS.length]!;
  if (output === 'softmax' && sizes[depth]! < 2) sizes[depth] = 2 + Math.floor(r() * 5);
  return {
    sizes, hidden: Array.from({ length: depth - 1 }, () => pick(HIDDEN)), output, loss,
    bias: r() < 0.7, reduction: r() < 0.5 ? 'mean' : 'sum', rows: 1 + Math.floor(r() * 6), seed: i,
  };
}

function targets(c: Case, r: () => number): number[][] {
  const n = c.sizes[c.sizes.length - 1]!;
  return Array.from({ length: c.rows }, () => {
    // sparseCrossEntropy: one-hot rows for the reference; the network gets their class indices
    if (c.loss === 'sparseCrossEntropy') { const row = new Array(n).fill(0); row[Math.floor(r() * n)] = 1; return row; }
    if (c.loss === 'poisson') return Array.from({ length: n }, () => (r() < 0.3 ? 0 : r() * 3));
    if (c.loss === 'huber') return Array.from({ length: n }, () => r() * 6 - 3); // both sides of |r| = 1
    if (c.loss === 'crossEntropy') {
      if (r() < 0.5) { const row = new Array(n).fill(0); row[Math.floor(r() * n)] = 1; return row; }
      const p = Array.from({ length: n }, () => r() + 0.05); // a soft distribution
      const s = p.reduce((a, b) => a + b, 0);
      return p.map((v) => v / s);
    }
    if (c.loss === 'binaryCrossEntropy') return Array.from({ length: n }, () => (r() < 0.3 ? Math.round(r()) : r()));
    return Array.from({ length: n }, () => r() * 2 - 1);
  });
}

/** Worst relative error of the wasm gradients against float64 central differences, on a sample of entries. */
function check(c: Case, opts: { eps?: number; corrupt?: boolean } = {}): number {
  const r = rand(77 + c.seed);
  const net = new Network({
    layers: c.sizes, activation: c.hidden, outputActivation: c.output, loss: c.loss, bias: c.bias,
    reduction: c.reduction, seed: c.seed, leakyReluAlpha: 0.1,
  });
  // the seeded init, then biases made nonzero so their path is exercised
  const w = net.getWeights();
  net.setWeights(w.map((l) => ({ weights: l.weights, bias: l.bias ? l.bias.map(() => r() - 0.5) : null })));
  const x = Array.from({ length: c.rows }, () => Array.from({ length: c.sizes[0]! }, () => Math.fround(r() * 2 - 1)));
  const y = targets(c, r);
  const g = net.gradients(x, c.loss === 'sparseCrossEntropy' ? y.map((row) => row.indexOf(1)) : y);
  const ws = net.getWeights();
  net.dispose();
  const ref: RefNet = {
    sizes: c.sizes, acts: [...c.hidden, c.output], loss: c.loss, reduction: c.reduction, alpha: Math.fround(0.1),
    W: ws.map((l) => Array.from({ length: l.rows }, (_, i) => Array.from(l.weights.subarray(i * l.cols, (i + 1) * l.cols)))),
    b: ws.map((l) => (l.bias ? Array.from(l.bias) : null)),
  };
  // the float64 reference itself must agree with its own finite differences
  const fd = finiteDiff(ref, x.map((row) => row.slice()), y, opts.eps ?? 1e-6);
  const exact = refRun(ref, x, y);
  expect(Math.abs(g.loss - exact.loss)).toBeLessThanOrEqual(1e-5 * Math.max(1, Math.abs(exact.loss)));
  let worst = 0;
  g.layers.forEach((l, i) => {
    const gw = opts.corrupt && i === 0 ? l.weights.map((v, j) => (j === 0 ? v * 1.01 + 1e-3 : v)) : l.weights;
    worst = Math.max(worst, maxRelErr(gw, fd.gW[i]!, FLOOR));
    if (l.bias) worst = Math.max(worst, maxRelErr(l.bias, fd.gb[i]!, FLOOR));
  });
  return Math.max(worst, maxRelErr(g.input, fd.gx, FLOOR));
}

describe('gradient check: 64 random architectures against float64 central differences', () => {
  const cases = Array.from({ length: 64 }, (_, i) => makeCase(i));

  it('covers depth 1–5 weight layers, widths 1–40, every activation and loss, bias on/off, both reductions', () => {
    const seen = new Set(cases.flatMap((c) => [...c.hidden, c.output, c.loss, `bias:${c.bias}`, c.reduction, `depth:${c.sizes.length - 1}`]));
    for (const a of [...HIDDEN, 'softmax', ...OUTPUTS.map(([, l]) => l), 'bias:true', 'bias:false', 'mean', 'sum']) expect(seen, a).toContain(a);
    for (let d = 1; d <= 5; d++) expect(seen).toContain(`depth:${d}`);
    expect(Math.max(...cases.flatMap((c) => c.sizes))).toBeGreaterThan(30);
  });

  it.each(cases.map((c, i) => [i, `${c.sizes.join('-')} ${[...c.hidden, c.output].join('/')} ${c.loss} bias=${c.bias} ${c.reduction} rows=${c.rows}`, c] as const))(
    'case %i: %s', (_i, _name, c) => {
      expect(check(c)).toBeLessThanOrEqual(TOL);
    });

  it('has teeth: a large eps, or a gradient off by 1%, fails the same check', () => {
    const c: Case = { sizes: [3, 4, 2], hidden: ['sigmoid'], output: 'sigmoid', loss: 'mse', bias: true, reduction: 'sum', rows: 2, seed: 5 };
    expect(check(c)).toBeLessThanOrEqual(TOL);
    expect(check(c, { eps: 0.7 })).toBeGreaterThan(TOL);
    expect(check(c, { corrupt: true })).toBeGreaterThan(TOL);
    // the same for the activations whose derivative comes from the input (gelu, swish)
    const d: Case = { sizes: [3, 5, 4, 2], hidden: ['gelu', 'swish'], output: 'elu', loss: 'mse', bias: true, reduction: 'sum', rows: 3, seed: 6 };
    expect(check(d)).toBeLessThanOrEqual(TOL);
    expect(check(d, { eps: 0.7 })).toBeGreaterThan(TOL);
    expect(check(d, { corrupt: true })).toBeGreaterThan(TOL);
  });
});
