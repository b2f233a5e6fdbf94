// Gradient checks on random architectures: the wasm float32 gradients against float64 central
// differences of the float64 reference loss (tests/ref/network.ts), with the network's weights
// copied into the reference (already float32-rounded, so both see the same function).
// Tolerance: max relative error ≤ 1e-3, where entries below 1% of their array's largest
// magnitude are held to an absolute 1e-5 of that magnitude (the documented floor).
import { describe, expect, it } from 'vitest';
import { Network, type Activation, type LayerInput, type Loss, type OutputActivation } from '../src/index.js';
import { finiteDiff, maxRelErr, rand, refRun, type RefNet } from './ref/network.js';
import { maskFromTrace, refStackForward, refStackOf, refStackRun, stackFiniteDiff, type ListLayer, type RefStackResult } from './ref/stack.js';

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

// ************* layer lists *************
// Fixed stacks of dense (with l1/l2), batchNormalization, dropout and layerNormalization layers
// against the float64 reference of tests/ref/stack.ts, the dropout masks read from the network's
// own trace(x, { training: true }) (which shows the masks the next gradients() uses):
//  - gradients() (training mode: batch statistics, the gradient through them): the loss within
//    1e-5 relative; every array it returns (∇W, ∇b, δ, dE/dout, ∇γ, ∇β, dE/dx) and the training
//    trace's net and out within STACK_TOL by maxRelErr with FLOOR (entries below 1% of their
//    array's largest magnitude held to an absolute STACK_TOL/100 of it).
//  - the reference against its own float64 central differences (h = 1e-6) over every parameter
//    and input: within 1e-6 (measured ≤ 4e-8 on the three stacks).
//  - predict and trace in inference mode (moving statistics set by setWeights, no dropout)
//    within INFER_TOL of the reference's inference forward, without changing the statistics.
// STACK_TOL = 1e-4 (≈ 1,700u, u = 2^−24): a float32 sum of k terms errs by up to (k − 1)·u of its
// Σ|terms|, and the normalizations' backward, (invstd/c)·(c·dy − Σdy − x̂·Σ(dy·x̂)) over c values,
// leaves a result smaller than the terms it subtracts (tests/kernels.norm.test.ts bounds it per
// element), which the layers below inherit. Measured worst on both builds: 2.5e-5 (dE/dout of the
// third stack's batch normalization, which the 4-feature layer normalization above it cancels
// most), so STACK_TOL is 4× that. The inference forward has no such cancellation: measured ≤ 8e-7,
// INFER_TOL = 1e-5.

const STACK_TOL = 1e-4;
const INFER_TOL = 1e-5;

interface StackFixture {
  name: string;
  inputs: number;
  list: ListLayer[];
  loss: Loss;
  reduction: 'mean' | 'sum';
  bias: boolean;
  rows: number;
  seed: number;
}

const STACKS: StackFixture[] = [
  {
    name: '5 → dense 7 relu (l2) → batchNormalization → dropout 0.5 → dense 6 tanh (l1) → layerNormalization → dense 3 softmax, crossEntropy, mean',
    inputs: 5,
    list: [
      { type: 'dense', units: 7, activation: 'relu', l2: 1e-3 }, { type: 'batchNormalization' }, { type: 'dropout', rate: 0.5 },
      { type: 'dense', units: 6, activation: 'tanh', l1: 1e-4 }, { type: 'layerNormalization' }, { type: 'dense', units: 3, activation: 'softmax' },
    ],
    loss: 'crossEntropy', reduction: 'mean', bias: true, rows: 4, seed: 11,
  },
  {
    name: '4 → dense 6 gelu (l1, l2) → batchNormalization (no γ, β; epsilon 1e-2) → dense 5 swish → layerNormalization (no γ) → dropout 0.3 → dense 2 sigmoid, binaryCrossEntropy, sum, no bias',
    inputs: 4,
    list: [
      { type: 'dense', units: 6, activation: 'gelu', l1: 1e-3, l2: 1e-3 }, { type: 'batchNormalization', center: false, scale: false, epsilon: 1e-2 },
      { type: 'dense', units: 5, activation: 'swish' }, { type: 'layerNormalization', scale: false }, { type: 'dropout', rate: 0.3 },
      { type: 'dense', units: 2, activation: 'sigmoid', l2: 1e-2 },
    ],
    loss: 'binaryCrossEntropy', reduction: 'sum', bias: false, rows: 3, seed: 12,
  },
  {
    name: '3 → dropout 0.5 → dense 4 tanh → batchNormalization (no β) → layerNormalization (no β) → dense 2 linear (l1), mse, mean',
    inputs: 3,
    list: [
      { type: 'dropout', rate: 0.5 }, { type: 'dense', units: 4, activation: 'tanh' }, { type: 'batchNormalization', center: false },
      { type: 'layerNormalization', center: false }, { type: 'dense', units: 2, activation: 'linear', l1: 1e-2 },
    ],
    loss: 'mse', reduction: 'mean', bias: true, rows: 5, seed: 13,
  },
];

/** The network of a fixture with seeded weights, random biases, γ, β and moving statistics; its batch and targets. */
function stackSetup(f: StackFixture): { net: Network<LayerInput[]>; x: number[][]; y: number[][] } {
  const r = rand(500 + f.seed);
  const net = new Network<LayerInput[]>({ layers: [f.inputs, ...f.list], loss: f.loss, reduction: f.reduction, bias: f.bias, seed: f.seed });
  net.setWeights(net.getWeights().map((l) => {
    if (l.type === 'dense') return { weights: l.weights, bias: l.bias ? l.bias.map(() => r() - 0.5) : null };
    if (l.type === 'dropout') return {};
    const gamma = l.gamma ? l.gamma.map(() => 0.5 + r()) : null, beta = l.beta ? l.beta.map(() => r() - 0.5) : null;
    if (l.type === 'layerNormalization') return { gamma, beta };
    return { gamma, beta, movingMean: l.movingMean.map(() => r() - 0.5), movingVariance: l.movingVariance.map(() => 0.25 + r()) };
  }));
  const x = Array.from({ length: f.rows }, () => Array.from({ length: f.inputs }, () => Math.fround(r() * 2 - 1)));
  const outs = (f.list[f.list.length - 1] as { units: number }).units;
  const y = Array.from({ length: f.rows }, (_, k) => {
    if (f.loss === 'crossEntropy') return Array.from({ length: outs }, (_, j) => (j === k % outs ? 1 : 0));
    if (f.loss === 'binaryCrossEntropy') return Array.from({ length: outs }, () => Math.round(r()));
    return Array.from({ length: outs }, () => r() * 2 - 1);
  });
  return { net, x, y };
}

/** The fixture's gradients, training trace and reference (masks from the trace). */
function stackRun(f: StackFixture): {
  g: ReturnType<Network<LayerInput[]>['gradients']>; trace: ReturnType<Network['trace']>; ref: ReturnType<typeof refStackOf>; exact: RefStackResult;
  x: number[][]; y: number[][]; dropped: number; kept: number;
} {
  const { net, x, y } = stackSetup(f);
  const before = net.getWeights();
  const trace = net.trace(x, { training: true });
  const g = net.gradients(x, y);
  const ws = net.getWeights();
  net.dispose();
  expect(ws, 'trace and gradients change nothing (moving statistics included)').toEqual(before);
  let dropped = 0, kept = 0;
  const masks = f.list.map((l, i) => {
    if (l.type !== 'dropout') return null;
    const out = trace.layers[i]!.out, m = maskFromTrace(i === 0 ? x.flat() : trace.layers[i - 1]!.out, out, f.rows, out.length / f.rows, l.rate);
    expect(m.unknown, `dropout ${i}: every mask entry readable (no input exactly 0)`).toEqual([]);
    dropped += m.dropped;
    kept += out.length - m.dropped;
    return m.mask;
  });
  const ref = refStackOf(f.list, ws, masks, { loss: f.loss, reduction: f.reduction, alpha: 0.01, rows: f.rows, inputs: f.inputs });
  return { g, trace, ref, exact: refStackRun(ref, x, y), x, y, dropped, kept };
}

/** Worst maxRelErr (FLOOR) of every array gradients() returns and of the training trace against the reference; `corrupt` changes ∇γ of the first normalization. */
function stackErrors(f: StackFixture, corrupt = false): Map<string, number> {
  const { g, trace, exact } = stackRun(f);
  const errs = new Map<string, number>();
  const put = (k: string, got: ArrayLike<number> | null, want: number[] | number[][] | null): void => {
    expect(got === null, `${k}: null exactly when the reference has none`).toBe(want === null);
    if (got && want) errs.set(k, maxRelErr(got, want, FLOOR));
  };
  g.layers.forEach((l, i) => {
    const e = exact.layers[i]!;
    expect(l.type).toBe(f.list[i]!.type);
    put(`out[${i}]`, trace.layers[i]!.out, e.out);
    put(`dE/dout[${i}]`, l.outputGrad, i === g.layers.length - 1 && l.outputGrad === null ? null : e.dout);
    if (l.type === 'dense') {
      put(`net[${i}]`, trace.layers[i]!.net, e.net);
      put(`∇W[${i}]`, l.weights, e.gW);
      put(`∇b[${i}]`, l.bias, e.gb);
      put(`δ[${i}]`, l.delta, e.delta);
    } else if (l.type !== 'dropout') {
      const gamma = corrupt && l.gamma ? l.gamma.map((v, j) => (j === 0 ? v * 1.01 + 1e-3 : v)) : l.gamma;
      corrupt = false;
      put(`∇γ[${i}]`, gamma, e.gGamma);
      put(`∇β[${i}]`, l.beta, e.gBeta);
    }
  });
  put('dE/dx', g.input, exact.gx);
  errs.set('loss', Math.abs(g.loss - exact.loss) / Math.max(1, Math.abs(exact.loss)));
  return errs;
}

describe('gradient check: layer lists (dense with l1/l2, batch normalization, dropout, layer normalization) against the float64 reference', () => {
  it.each(STACKS.map((f) => [f.name, f] as const))('%s: loss, every gradient array and the training trace', (_name, f) => {
    const errs = stackErrors(f);
    const loss = errs.get('loss')!;
    errs.delete('loss');
    expect(loss, 'loss').toBeLessThanOrEqual(1e-5);
    for (const [k, e] of errs) expect(e, k).toBeLessThanOrEqual(STACK_TOL);
  });

  it.each(STACKS.map((f) => [f.name, f] as const))('%s: the reference equals its own central differences', (_name, f) => {
    const { ref, exact, x, y, dropped, kept } = stackRun(f);
    // the masks drop some units and keep others; relu pre-activations stay clear of the kink
    expect(dropped).toBeGreaterThan(0);
    expect(kept).toBeGreaterThan(0);
    ref.layers.forEach((l, i) => { if (l.type === 'dense' && l.act === 'relu') expect(Math.min(...exact.layers[i]!.net.flat().map(Math.abs))).toBeGreaterThan(1e-3); });
    const fd = stackFiniteDiff(ref, x.map((row) => row.slice()), y);
    exact.layers.forEach((e, i) => {
      const d = fd.layers[i]!;
      for (const [k, a, b] of [['∇W', e.gW, d.gW], ['∇b', e.gb, d.gb], ['∇γ', e.gGamma, d.gGamma], ['∇β', e.gBeta, d.gBeta]] as const) {
        expect(a === null, `${k}[${i}]`).toBe(b === null);
        if (a && b) expect(maxRelErr(a as number[], b as number[], FLOOR), `${k}[${i}]`).toBeLessThanOrEqual(1e-6);
      }
    });
    expect(maxRelErr(exact.gx, fd.gx, FLOOR), 'dE/dx').toBeLessThanOrEqual(1e-6);
  });

  it.each(STACKS.map((f) => [f.name, f] as const))('%s: predict and trace in inference mode use the moving statistics and no dropout', (_name, f) => {
    const { net, x } = stackSetup(f);
    const ws = net.getWeights();
    const want = refStackForward(refStackOf(f.list, ws, [], { loss: f.loss, reduction: f.reduction, alpha: 0.01, rows: f.rows, inputs: f.inputs }), x, 'inference');
    const p = net.predict(x);
    const one = net.predict(x[0]!); // one sample: the path that skips the batch staging
    const t = net.trace(x);
    // and neither changed the moving statistics
    expect(net.getWeights()).toEqual(ws);
    net.dispose();
    expect(maxRelErr(p.flat(), want[want.length - 1]!.out, FLOOR), 'predict').toBeLessThanOrEqual(INFER_TOL);
    expect(maxRelErr(one, want[want.length - 1]!.out[0]!, FLOOR), 'predict one sample').toBeLessThanOrEqual(INFER_TOL);
    t.layers.forEach((l, i) => expect(maxRelErr(l.out, want[i]!.out, FLOOR), `trace out[${i}]`).toBeLessThanOrEqual(INFER_TOL));
  });

  it('has teeth: a 1% error in ∇γ fails the comparison, and central differences with a large eps fail', () => {
    const f = STACKS[0]!;
    expect(Math.max(...stackErrors(f).values())).toBeLessThanOrEqual(STACK_TOL);
    expect(stackErrors(f, true).get('∇γ[1]')).toBeGreaterThan(STACK_TOL);
    const { ref, exact, x, y } = stackRun(f);
    expect(maxRelErr(exact.gx, stackFiniteDiff(ref, x.map((row) => row.slice()), y, 0.7).gx, FLOOR)).toBeGreaterThan(1e-6);
  });
});
