// Property-based gradient checks (fast-check): generated networks — depth, widths, hidden
// activations, output activation and loss, bias, reduction, batch size and a data seed — each
// checked against float64 central differences of the float64 reference loss (tests/ref/network.ts)
// on the network's own (float32) weights.
//
// Per network: the loss within 1e-5 (relative), and for a sample of entries of every gradient
// array (up to ENTRIES per ∇W, ∇b and dE/dx) the relative error
//     |g − fd| / max(|g|, |fd|, floor)   ≤ 1e-3,
// where floor, the absolute floor for tiny gradients, is 1% of the largest |∂E/∂θ| of the whole
// network (over every ∇W, ∇b and dE/dx, from the float64 analytic gradient), and at least 1e-7.
// An entry below 1% of its network's largest gradient is so held to an absolute error of 1e-5 of
// that gradient: float32 sums of terms that cancel cannot do better (measured over 300,000
// generated networks: with the floor at 0.1% instead of 1%, about 1 network in 20,000 fails;
// at 1%, none did).
// Relu and leakyRelu are not differentiable at 0, so networks with a relu pre-activation within
// 1e-4 of 0 are skipped (fc.pre; a handful in a run).
//
// 1,000 networks per run (WASMLP_SOAK=1: 20,000); FC_SEED=<n> replays a run. On failure fast-check
// shrinks the network and prints the smallest failing one as the counterexample.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Network, type Activation, type Loss, type OutputActivation } from '../src/index.js';
import { rand, refLoss, refRun, type RefNet } from './ref/network.js';
import { SOAK } from './reliability.js';

const HIDDEN: Activation[] = ['sigmoid', 'tanh', 'relu', 'leakyRelu', 'linear', 'elu', 'selu', 'gelu', 'softplus', 'swish', 'softsign'];
const OUTPUTS: [OutputActivation, Loss][] = [
  ['sigmoid', 'mse'], ['tanh', 'mse'], ['relu', 'mse'], ['leakyRelu', 'mse'], ['linear', 'mse'],
  ['softmax', 'mse'], ['softmax', 'crossEntropy'], ['sigmoid', 'binaryCrossEntropy'],
  ['linear', 'mae'], ['tanh', 'huber'], ['sigmoid', 'poisson'], ['softmax', 'sparseCrossEntropy'],
  ['elu', 'mse'], ['selu', 'mse'], ['gelu', 'mse'], ['softplus', 'poisson'], ['swish', 'huber'], ['softsign', 'mse'],
];
const TOL = 1e-3;
const ENTRIES = 4;
const EPS = 1e-6;
const RUNS = SOAK ? 20_000 : 1_000;
const ALPHA = 0.1;

interface Case {
  sizes: number[]; hidden: Activation[]; output: OutputActivation; loss: Loss; bias: boolean;
  reduction: 'mean' | 'sum'; rows: number; seed: number;
}

/**
 * Networks of 1–4 weight layers, widths 1–8, 1–4 rows. Hidden layers are generated as
 * (width, activation) pairs so shrinking can drop one whole; everything shrinks towards a 1-1
 * network, sigmoid/mse, no bias, 'mean', 1 row, seed 0.
 */
const caseArb: fc.Arbitrary<Case> = fc.record({
  inputs: fc.integer({ min: 1, max: 8 }),
  hiddenLayers: fc.array(fc.record({ width: fc.integer({ min: 1, max: 8 }), activation: fc.constantFrom(...HIDDEN) }), { maxLength: 3 }),
  outputs: fc.integer({ min: 1, max: 8 }),
  out: fc.constantFrom(...OUTPUTS),
  bias: fc.boolean(),
  reduction: fc.constantFrom<'mean' | 'sum'>('mean', 'sum'),
  rows: fc.integer({ min: 1, max: 4 }),
  seed: fc.nat({ max: 1_000_000 }),
}).map(({ inputs, hiddenLayers, outputs, out, ...rest }) => ({
  sizes: [inputs, ...hiddenLayers.map((h) => h.width), outputs], hidden: hiddenLayers.map((h) => h.activation), output: out[0], loss: out[1], ...rest,
}));

function targets(c: Case, r: () => number): number[][] {
  const n = c.sizes[c.sizes.length - 1]!;
  return Array.from({ length: c.rows }, () => {
    // sparseCrossEntropy: one-hot rows for the reference; the network gets their class indices
    if (c.loss === 'sparseCrossEntropy') { const row = new Array<number>(n).fill(0); row[Math.floor(r() * n)] = 1; return row; }
    if (c.loss === 'poisson') return Array.from({ length: n }, () => (r() < 0.3 ? 0 : r() * 3));
    if (c.loss === 'huber') return Array.from({ length: n }, () => r() * 6 - 3); // both sides of |r| = 1
    if (c.loss === 'crossEntropy') {
      if (r() < 0.5) { const row = new Array<number>(n).fill(0); row[Math.floor(r() * n)] = 1; return row; }
      const p = Array.from({ length: n }, () => r() + 0.05);
      const s = p.reduce((a, b) => a + b, 0);
      return p.map((v) => v / s);
    }
    if (c.loss === 'binaryCrossEntropy') return Array.from({ length: n }, () => (r() < 0.3 ? Math.round(r()) : r()));
    return Array.from({ length: n }, () => r() * 2 - 1);
  });
}

/** A deliberate bug to show the check has teeth: applied to the wasm gradients before comparing. */
type Corrupt = (c: Case, g: ReturnType<Network['gradients']>) => void;

/** Checks one network; throws with what and where when a sampled entry is out of tolerance. */
function checkNetwork(c: Case, corrupt?: Corrupt): void {
  const r = rand(1 + c.seed);
  const net = new Network({
    layers: c.sizes, activation: c.hidden, outputActivation: c.output, loss: c.loss, bias: c.bias,
    reduction: c.reduction, seed: c.seed, leakyReluAlpha: ALPHA, threads: 1,
  });
  const init = net.getWeights();
  net.setWeights(init.map((l) => ({ weights: l.weights, bias: l.bias ? l.bias.map(() => r() - 0.5) : null })));
  const x = Array.from({ length: c.rows }, () => Array.from({ length: c.sizes[0]! }, () => Math.fround(r() * 2 - 1)));
  const y = targets(c, r);
  const g = net.gradients(x, c.loss === 'sparseCrossEntropy' ? y.map((row) => row.indexOf(1)) : y);
  const ws = net.getWeights();
  net.dispose();
  corrupt?.(c, g);

  const ref: RefNet = {
    sizes: c.sizes, acts: [...c.hidden, c.output], loss: c.loss, reduction: c.reduction, alpha: Math.fround(ALPHA),
    W: ws.map((l) => Array.from({ length: l.rows }, (_, i) => Array.from(l.weights.subarray(i * l.cols, (i + 1) * l.cols)))),
    b: ws.map((l) => (l.bias ? Array.from(l.bias) : null)),
  };
  const exact = refRun(ref, x, y);
  // relu kinks: central differences straddling 0 measure half a slope
  const acts = ref.acts;
  fc.pre(exact.net.every((layer, l) => (acts[l] !== 'relu' && acts[l] !== 'leakyRelu') || layer.every((row) => row.every((z) => Math.abs(z) > 1e-4))));

  const lossErr = Math.abs(g.loss - exact.loss) / Math.max(1, Math.abs(exact.loss));
  if (!(lossErr <= 1e-5)) throw new Error(`loss ${g.loss} vs float64 ${exact.loss}`);

  // every gradient array: [name, wasm values, float64 analytic values (for the scale), getter/setter of the parameter]
  type Arr = { name: string; got: ArrayLike<number>; exact: number[]; at: (i: number) => [() => number, (v: number) => void] };
  const arrays: Arr[] = [];
  ref.W.forEach((Wl, l) => {
    const cols = Wl[0]!.length;
    arrays.push({ name: `∇W[${l}]`, got: g.layers[l]!.weights, exact: exact.gW[l]!.flat(), at: (i) => [() => Wl[Math.floor(i / cols)]![i % cols]!, (v) => { Wl[Math.floor(i / cols)]![i % cols] = v; }] });
    const bl = ref.b[l];
    if (bl) arrays.push({ name: `∇b[${l}]`, got: g.layers[l]!.bias!, exact: exact.gb[l]!, at: (i) => [() => bl[i]!, (v) => { bl[i] = v; }] });
  });
  const cols0 = c.sizes[0]!;
  arrays.push({ name: 'dE/dx', got: g.input, exact: exact.gx.flat(), at: (i) => [() => x[Math.floor(i / cols0)]![i % cols0]!, (v) => { x[Math.floor(i / cols0)]![i % cols0] = v; }] });

  const scaleOf = (a: ArrayLike<number>): number => { let m = 0; for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]!)); return m; };
  const netScale = Math.max(...arrays.map((a) => scaleOf(a.exact)));
  const pick = rand(7 + c.seed);
  for (const a of arrays) {
    if (a.got.length !== a.exact.length) throw new Error(`${a.name}: length ${a.got.length}, expected ${a.exact.length}`);
    const floor = Math.max(0.01 * netScale, 1e-7);
    const n = a.got.length;
    const idx = n <= ENTRIES ? Array.from({ length: n }, (_, i) => i) : Array.from({ length: ENTRIES }, () => Math.floor(pick() * n));
    for (const i of idx) {
      const [get, set] = a.at(i);
      const v0 = get();
      set(v0 + EPS); const up = refLoss(ref, x, y);
      set(v0 - EPS); const down = refLoss(ref, x, y);
      set(v0);
      const fd = (up - down) / (2 * EPS);
      const gi = a.got[i]!;
      const err = Math.abs(gi - fd) / Math.max(Math.abs(gi), Math.abs(fd), floor);
      if (!(err <= TOL)) throw new Error(`${a.name}[${i}]: wasm ${gi}, central difference ${fd}, relative error ${err.toExponential(2)} > ${TOL} (floor ${floor.toExponential(2)})`);
    }
  }
}

const params = (numRuns: number): fc.Parameters<[Case]> => ({
  numRuns,
  includeErrorInReport: true,
  ...(process.env.FC_SEED ? { seed: Number(process.env.FC_SEED) } : {}),
});

describe('property: wasm gradients equal float64 central differences on generated networks', () => {
  it(`${RUNS} generated networks (depth 1–4, widths 1–8, every activation and loss, bias, reduction, 1–4 rows)`, () => {
    const seen = new Set<string>();
    fc.assert(fc.property(caseArb, (c) => {
      checkNetwork(c);
      for (const k of [...c.hidden, c.output, c.loss, `bias:${c.bias}`, c.reduction, `depth:${c.sizes.length - 1}`, `rows:${c.rows}`]) seen.add(k);
    }), params(RUNS));
    // the generator reaches every option (so 1,000 runs are not 1,000 copies of one network)
    for (const k of [...HIDDEN, 'softmax', ...OUTPUTS.map(([, l]) => l), 'bias:true', 'bias:false', 'mean', 'sum', 'depth:1', 'depth:4', 'rows:1', 'rows:4']) expect(seen).toContain(k);
  }, 120_000);

  it('has teeth: a broken gradient fails, and shrinking finds the smallest network that shows it', () => {
    // the bug: dE/dx off by 1% (+0.01) whenever a hidden layer is leakyRelu
    const bug: Corrupt = (c, g) => { if (c.hidden.includes('leakyRelu')) for (let i = 0; i < g.input.length; i++) g.input[i] = g.input[i]! * 1.01 + 0.01; };
    const out = fc.check(fc.property(caseArb, (c) => { checkNetwork(c, bug); }), { numRuns: 500, seed: 20240611, includeErrorInReport: true });
    expect(out.failed).toBe(true);
    const smallest = out.counterexample![0];
    // one hidden leakyRelu layer, every width 1, one row, and every other choice shrunk to its first value
    expect(smallest).toEqual({ sizes: [1, 1, 1], hidden: ['leakyRelu'], output: 'sigmoid', loss: 'mse', bias: false, reduction: 'mean', rows: 1, seed: 0 });
    const report = fc.defaultReportMessage(out) ?? '';
    expect(report).toMatch(/Counterexample: \[\{"sizes":\[1,1,1\],"hidden":\["leakyRelu"\]/);
    expect(report).toMatch(/dE\/dx\[0\]: wasm .*relative error/);
    // and without the bug the same run passes
    expect(fc.check(fc.property(caseArb, (c) => { checkNetwork(c); }), { numRuns: 200, seed: 20240611 }).failed).toBe(false);
  }, 60_000);
});
