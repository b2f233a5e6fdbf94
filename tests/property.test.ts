// Property-based gradient checks (fast-check): generated networks, each checked against float64
// central differences of the float64 reference loss (tests/ref/stack.ts, whose dense layers use
// the activations and losses of tests/ref/network.ts) on the network's own (float32) weights.
//
// One run mixes two generators. A third of the networks are plain dense networks (caseArb, the
// sizes shorthand: depth, widths, hidden activations, output activation and loss, bias,
// reduction, batch size and a data seed). The rest are layer lists (stackArb) mixing dense layers
// (l1 and l2 each from {0, 1e-3, 0.03}), batchNormalization and layerNormalization (center and
// scale random, epsilon the default 1e-3 or 1e-2) and dropout (rate 0 half the time, else 0.1, 0.5
// or 0.8, the masks read from the network's own trace(x, { training: true }) and handed to the
// reference). As the layer list's validation requires, the first layer is dense or dropout, the
// last is dense and softmax is only on the last. gradients() runs in training mode: batch
// normalization uses the batch's statistics and its gradient flows through them; stacks with a
// batch normalization get 2–5 rows (1 row has zero variance: x̂ = 0).
//
// Per network: the loss within 1e-5 (relative), and for a sample of entries of every gradient
// array (up to ENTRIES per ∇W, ∇b, ∇γ, ∇β and dE/dx) the relative error
//     |g − fd| / max(|g|, |fd|, floor)   ≤ 1e-3,
// where floor, the absolute floor for tiny entries, is the largest of
//  - 1% (FLOOR; with a normalization layer 3%, below) of the network's scale: the size of the
//    largest terms the float32 backward adds or subtracts, taken (float64 reference) as the
//    largest entry of every array gradients() returns (∇W, ∇b, ∇γ, ∇β, dE/dx and each layer's δ
//    and dE/d(output), the output layer's only where not fused with the loss) and of lossTerms,
//    the two terms the output's dE/dout (fused: δ) is the difference of (out − t, 1 − t/out,
//    p − t). An entry below the floor is so held to an absolute error of 1e-5 of the scale: float32
//    sums of terms that cancel cannot do better (with the floor at 0.1% instead of 1%, about 1
//    network in 20,000 failed, measured over 300,000 plain networks with the scale of the parameter
//    gradients alone). With dropout mask entries the trace cannot show (below), the scale is the
//    larger of the two reference runs (entries dropped, entries kept): the network did one or the
//    other, and its float32 sums carry the terms of the one it did.
//  - fdFloor: the float64 central difference's own rounding over TOL (about |E|·2^-52/EPS: 9e-10
//    at |E| = 6.4). Never the largest of the three in the measurements below, it keeps a network
//    whose gradients are all 0 (the second case below) from failing on that rounding whatever the
//    scale.
//  - 1e-7 (for E and every gradient 0).
// For networks without a normalization the scale used to be the parameter gradients' alone, and
// 0.2–0.6% of runs failed (3 of 500 runs; 4 of 2,000 and 3 of 40 WASMLP_SOAK runs, below). Each
// failure was a term that scale missed, none a kink:
//  - Rows that cancel. Huber past |r| = 1 gives dE/dout = ±1 whatever the output, and rows with
//    near-equal outputs and residuals of opposite sign (targets span [−3, 3]) give δ of about ±1
//    whose sums over the rows cancel. In {sizes [1,3,6,8,1], sigmoid/softplus/linear, tanh,
//    huber, bias, sum, 2 rows, seed 177046} ∇b[2][3] = δ₁ + δ₂ = −0.6124315 + 0.6124320 = 4.5e-7,
//    and the float32 sum keeps an ulp of 0.6 (3.2e-8): 2.3e-3 of the old floor (1% of the largest
//    parameter gradient, 1.4e-3), 3e-6 of the new (1e-2). In {sizes [6,4,1,8,1], tanh/relu/selu,
//    swish, huber, bias, sum, 4 rows, seed 464351} the 1-unit relu layer is off on every row, so
//    the rows' outputs are equal, their ±1 slopes cancel exactly and every gradient is 0 (the
//    wasm's too): the central difference read −8.9e-10, its own rounding, 8.9e-3 of the 1e-7
//    floor. The residuals were 0.23 or more from huber's kink at |r| = 1 (where f'' jumps, so a
//    central difference straddling it errs by up to EPS·|∂r/∂θ|²/4 per unit of scale, 2.5e-5 of
//    the floor at |∂r/∂θ| = 1, for the residuals within EPS·|∂r/∂θ| of ±1: about 1 in 10⁶; not
//    skipped).
//  - An output near its target: dE/dout = out − t is then small but keeps the float32 output's
//    rounding. In {inputs 8, dense 7 leakyRelu, dense 4 selu, elu output, mse, bias, mean, 2 rows,
//    seed 853950} (FC_SEED=9012 WASMLP_SOAK=1) out = 0.8534 against t = 0.8584 came out 1.7e-7 off
//    (3 ulps), δ 3.3e-5 of itself, and the rows' δ cancel 28-fold in ∇b[0][4]: 1.03e-3 (floor
//    4.1e-5 then, 4.3e-3 now). crossEntropy's p − t likewise: a 1-row softmax with p ≈ t reached
//    0.93 of the tolerance.
//  - Unknown dropout mask entries: three batch normalizations over columns the dropout left
//    constant (x̂ = 0, 1/√ε = 32 per layer): the float32 ∇β, exactly 0, came out −4.6e-5 from
//    the terms of the run that kept them (scale 8,300 against 0.45 with them dropped).
// Measured with fc.check as 2,000 runs of 1,000 networks (seeds 1000–2999; 1,200,000 without a
// normalization, 800,000 with): the old rules failed 4 networks (4 runs), these none; the worst
// entry without a normalization reached 0.08 of the tolerance, with one 0.83 (the rules below, as
// before). 40 runs with WASMLP_SOAK=1 (FC_SEED 9001–9040, 800,000 networks): the old rules failed
// 3, these none. The floor of a network without a normalization is within 3.2× of the old one for
// 77% of them, 3.2–10× for 17% and more for 6% (1.8% had every parameter gradient near 0, where
// the old floor was 1e-7); with a normalization within 3.2× for 98%. The teeth tests below fail
// as before.
//
// With a normalization layer three things change, measured over 200,000 generated layer lists
// (120,000 with a normalization, 38,000 of them with one over 2 values), none failing:
//  - The floor is 3% (NORM_FLOOR) of the scale. A normalization's backward,
//    (γ·invstd/c)·(c·dy − Σdy − x̂·Σ(dy·x̂)) over c values, subtracts terms as large as the
//    dE/d(output) above it, and what is left
//    (gradients of the layers below, possibly near 0) carries their float32 error: with the floor
//    at 1% of the largest parameter gradient 5 stacks in 3,000 failed (up to 3.8e-3), at 1% of
//    every returned array about 1 in 30,000; at 3%, worst 3.4e-4.
//  - Below a normalization over 2 values (batch normalization of 2 rows, layer normalization of 2
//    features) the tolerance is PAIR_TOL = 5e-2: there x̂ = ±σ/√(σ² + ε) whatever the inputs, so the
//    gradient passed down is the part ε/(σ² + ε) (down to 1/3,000 here) left of float32 terms that
//    cancel, and chaining such layers compounds it: measured up to 1.2e-2 (once in 100,000 such
//    stacks; typically below 1e-3). The layers above it, and its own ∇γ and ∇β, keep 1e-3.
//  - The loss: 1e-5 relative plus lossRounding, a first-order bound on how far the float32
//    forward's rounding moves the loss (x − μ keeps the rounding of x however much of it cancels,
//    and each normalization above scales that by up to |γ|/√(σ² + ε)): a 2-row batch normalization
//    of nearly equal columns under a layer normalization reached 7e-5 relative. Measured errors stay
//    below 10% of this tolerance.
// Kinks are skipped (fc.pre), as central differences straddling one measure neither slope: relu,
// leakyRelu and selu (λ to the right of 0, λα to the left) pre-activations within 1e-4 of 0 (about
// 1.5% of the networks), mae residuals out − t within 1e-4 of 0 (1 in 10,000), and weights within
// 1e-5 of 0 in a layer with l1 > 0 (1 in 3,000; EPS = 1e-6). A dropout mask entry whose input is
// exactly 0 cannot be read from the trace: it is set to 0, and the reference must give the same
// gradients with it at 1/(1 − rate) (such entries sit behind a relu at rest or a zeroed unit and
// carry no gradient), else the stack is skipped (none was, in the 200,000); the floor's scale is
// then the larger of the two runs' (above).
//
// 1,000 networks per run (WASMLP_SOAK=1: 20,000); FC_SEED=<n> replays a run. On failure fast-check
// shrinks the network and prints the smallest failing one as the counterexample.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Network, type Activation, type LayerInput, type Loss, type OutputActivation } from '../src/index.js';
import { flat, lossRow, rand } from './ref/network.js';
import { centralDiff, maskFromTrace, refEntries, refStackOf, refStackRun, type ListLayer, type RefStack, type RefStackResult } from './ref/stack.js';
import { SOAK } from './reliability.js';

const HIDDEN: Activation[] = ['sigmoid', 'tanh', 'relu', 'leakyRelu', 'linear', 'elu', 'selu', 'gelu', 'softplus', 'swish', 'softsign'];
const OUTPUTS: [OutputActivation, Loss][] = [
  ['sigmoid', 'mse'], ['tanh', 'mse'], ['relu', 'mse'], ['leakyRelu', 'mse'], ['linear', 'mse'],
  ['softmax', 'mse'], ['softmax', 'crossEntropy'], ['sigmoid', 'binaryCrossEntropy'],
  ['linear', 'mae'], ['tanh', 'huber'], ['sigmoid', 'poisson'], ['softmax', 'sparseCrossEntropy'],
  ['elu', 'mse'], ['selu', 'mse'], ['gelu', 'mse'], ['softplus', 'poisson'], ['swish', 'huber'], ['softsign', 'mse'],
];
const TOL = 1e-3;
/** The tolerance below a normalization over 2 values (see pairLayer and the header). */
const PAIR_TOL = 5e-2;
const U = 2 ** -24;
const FLOOR = 0.01;
/** The floor with a normalization layer, as a fraction of the largest entry of every array gradients() returns (see the header). */
const NORM_FLOOR = 0.03;
const ENTRIES = 4;
const EPS = 1e-6;
const RUNS = SOAK ? 20_000 : 1_000;
const ALPHA = 0.1;
/** The activations whose derivative jumps at 0 (selu: λ on the right, λα on the left). */
const KINKED: readonly string[] = ['relu', 'leakyRelu', 'selu'];
const PENALTIES = [0, 1e-3, 0.03];
const RATES = [0.1, 0.5, 0.8];

interface Case {
  sizes: number[]; hidden: Activation[]; output: OutputActivation; loss: Loss; bias: boolean;
  reduction: 'mean' | 'sum'; rows: number; seed: number;
}

/** A hidden layer of a generated layer list. */
type Hidden =
  | { type: 'dense'; units: number; activation: Activation; l1: number; l2: number }
  | { type: 'dropout'; rate: number }
  | { type: 'batchNormalization' | 'layerNormalization'; center: boolean; scale: boolean; epsilon: number };

/** A generated layer list: input size, hidden layers, then the dense output layer. */
interface StackCase {
  inputs: number; hidden: Hidden[]; outputs: number; output: OutputActivation; loss: Loss; l1: number; l2: number;
  bias: boolean; reduction: 'mean' | 'sum'; rows: number; seed: number;
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

/** A plain network as a layer list (no penalties): what checkStack checks it as. */
function fromCase(c: Case): StackCase {
  return {
    inputs: c.sizes[0]!, hidden: c.hidden.map((activation, i) => ({ type: 'dense', units: c.sizes[i + 1]!, activation, l1: 0, l2: 0 })),
    outputs: c.sizes[c.sizes.length - 1]!, output: c.output, loss: c.loss, l1: 0, l2: 0, bias: c.bias, reduction: c.reduction, rows: c.rows, seed: c.seed,
  };
}

const penaltyArb = fc.constantFrom(...PENALTIES);
const denseArb: fc.Arbitrary<Hidden> = fc.record({
  type: fc.constant('dense' as const), units: fc.integer({ min: 1, max: 8 }), activation: fc.constantFrom(...HIDDEN), l1: penaltyArb, l2: penaltyArb,
});
const dropoutArb: fc.Arbitrary<Hidden> = fc.record({ type: fc.constant('dropout' as const), rate: fc.oneof(fc.constant(0), fc.constantFrom(...RATES)) });
const normArb = (type: 'batchNormalization' | 'layerNormalization'): fc.Arbitrary<Hidden> =>
  fc.record({ type: fc.constant(type), center: fc.boolean(), scale: fc.boolean(), epsilon: fc.constantFrom(1e-3, 1e-2) });

/**
 * Layer lists of 1–5 hidden layers (the first dense or dropout, then any mix, dense most often)
 * and a dense output layer, widths 1–8, 1–5 rows (2–5 with a batch normalization). Shrinks
 * towards [1 → dense 1 sigmoid → dense 1 sigmoid/mse], no penalties, no bias, 'mean', seed 0.
 */
const stackArb: fc.Arbitrary<StackCase> = fc.record({
  inputs: fc.integer({ min: 1, max: 8 }),
  first: fc.oneof({ arbitrary: denseArb, weight: 3 }, { arbitrary: dropoutArb, weight: 1 }),
  rest: fc.array(fc.oneof(
    { arbitrary: denseArb, weight: 3 }, { arbitrary: normArb('batchNormalization'), weight: 2 },
    { arbitrary: normArb('layerNormalization'), weight: 2 }, { arbitrary: dropoutArb, weight: 1 },
  ), { maxLength: 4 }),
  outputs: fc.integer({ min: 1, max: 8 }),
  out: fc.constantFrom(...OUTPUTS),
  l1: penaltyArb,
  l2: penaltyArb,
  bias: fc.boolean(),
  reduction: fc.constantFrom<'mean' | 'sum'>('mean', 'sum'),
  rows: fc.integer({ min: 1, max: 5 }),
  seed: fc.nat({ max: 1_000_000 }),
}).map(({ first, rest, out, rows, ...o }) => {
  const hidden = [first, ...rest];
  return { ...o, hidden, output: out[0], loss: out[1], rows: hidden.some((h) => h.type === 'batchNormalization') ? Math.max(rows, 2) : rows };
});

/** The runs: plain dense networks a third of the time, layer lists otherwise. */
const anyArb: fc.Arbitrary<StackCase> = fc.oneof({ arbitrary: caseArb.map(fromCase), weight: 1 }, { arbitrary: stackArb, weight: 2 });

function targets(c: StackCase, r: () => number): number[][] {
  const n = c.outputs;
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

/** The layer list a generated stack stands for (epsilon given only when not the default). */
function layerList(c: StackCase): LayerInput[] {
  return [
    c.inputs,
    ...c.hidden.map((h): LayerInput => {
      if (h.type === 'dense' || h.type === 'dropout') return h;
      return { type: h.type, center: h.center, scale: h.scale, ...(h.epsilon !== 1e-3 ? { epsilon: h.epsilon } : {}) };
    }),
    { type: 'dense', units: c.outputs, activation: c.output, l1: c.l1, l2: c.l2 },
  ];
}

type Grads = ReturnType<Network<LayerInput[]>['gradients']>;
/** A deliberate bug to show the check has teeth: applied to the wasm gradients before comparing. */
type Corrupt = (c: StackCase, g: Grads) => void;

/** What a check saw, for the coverage assertions. */
interface Seen { droppedUnits: number }

/** Checks one network; throws with what and where when a sampled entry is out of tolerance. */
function checkStack(c: StackCase, corrupt?: Corrupt): Seen {
  const r = rand(1 + c.seed);
  const plain = c.hidden.every((h) => h.type === 'dense' && h.l1 === 0 && h.l2 === 0) && c.l1 === 0 && c.l2 === 0;
  const common = { loss: c.loss, bias: c.bias, reduction: c.reduction, seed: c.seed, leakyReluAlpha: ALPHA, threads: 1 } as const;
  // plain networks through the sizes shorthand, as users write them
  const net: Network<LayerInput[]> = plain
    ? new Network({ layers: [c.inputs, ...c.hidden.map((h) => (h as { units: number }).units), c.outputs], activation: c.hidden.map((h) => (h as { activation: Activation }).activation), outputActivation: c.output, ...common })
    : new Network({ layers: layerList(c), ...common });
  // the seeded weights; biases, γ, β and the moving statistics drawn so their paths are exercised
  net.setWeights(net.getWeights().map((l) => {
    if (l.type === 'dense') return { weights: l.weights, bias: l.bias ? l.bias.map(() => r() - 0.5) : null };
    if (l.type === 'dropout') return {};
    const gamma = l.gamma ? l.gamma.map(() => (r() < 0.2 ? -1 : 1) * (0.5 + r())) : null;
    const beta = l.beta ? l.beta.map(() => r() - 0.5) : null;
    return l.type === 'layerNormalization' ? { gamma, beta } : { gamma, beta, movingMean: l.movingMean, movingVariance: l.movingVariance };
  }));
  const x = Array.from({ length: c.rows }, () => Array.from({ length: c.inputs }, () => Math.fround(r() * 2 - 1)));
  const y = targets(c, r);
  const dropping = c.hidden.some((h) => h.type === 'dropout' && h.rate > 0);
  const trace = dropping ? net.trace(x, { training: true }) : null;
  const g = net.gradients(x, c.loss === 'sparseCrossEntropy' ? y.map((row) => row.indexOf(1)) : y);
  const ws = net.getWeights();
  net.dispose();
  corrupt?.(c, g);

  // the reference: the network's weights, and each dropout layer's mask as the trace shows it (0 or 1/(1 − rate))
  const list: ListLayer[] = [...c.hidden, { type: 'dense', units: c.outputs, activation: c.output, l1: c.l1, l2: c.l2 }];
  const unknown: [number[][], number, number, number][] = [];
  let droppedUnits = 0;
  const masks = list.map((l, i) => {
    if (l.type !== 'dropout' || l.rate === 0 || !trace) return null;
    const out = trace.layers[i]!.out, m = maskFromTrace(i === 0 ? x.flat() : trace.layers[i - 1]!.out, out, c.rows, out.length / c.rows, l.rate);
    droppedUnits += m.dropped;
    for (const [r, j] of m.unknown) unknown.push([m.mask, r, j, 1 / (1 - l.rate)]);
    return m.mask;
  });
  const ref = refStackOf(list, ws, masks, { loss: c.loss, reduction: c.reduction, alpha: Math.fround(ALPHA), rows: c.rows, inputs: c.inputs });
  const layers = ref.layers;
  const exact = refStackRun(ref, x, y);
  // relu, leakyRelu and selu kinks (f' jumps at 0): central differences straddling 0 measure neither slope
  fc.pre(layers.every((l, i) => l.type !== 'dense' || !KINKED.includes(l.act) || exact.layers[i]!.net.every((row) => row.every((z) => Math.abs(z) > 1e-4))));
  // mae's kink: |out − t| at 0
  fc.pre(c.loss !== 'mae' || exact.layers[layers.length - 1]!.out.every((row, k) => row.every((o, j) => Math.abs(o - y[k]![j]!) > 1e-4)));
  // l1 kinks: |w| at 0
  fc.pre(layers.every((l) => l.type !== 'dense' || l.l1 === 0 || l.W.every((wi) => wi.every((w) => Math.abs(w) > 1e-5))));
  // mask entries the trace cannot show (input 0): the gradients must not depend on them
  let other: RefStackResult | null = null;
  if (unknown.length > 0) {
    for (const [m, k, j, keep] of unknown) m[k]![j] = keep;
    other = refStackRun(ref, x, y);
    for (const [m, k, j] of unknown) m[k]![j] = 0;
    const same = (a: number[], b: number[]): boolean => a.every((v, i) => Math.abs(v - b[i]!) <= 1e-12 * Math.max(1, Math.abs(v)));
    const grads = (e: typeof exact): number[] => [...e.layers.flatMap((l) => flat([...(l.gW ?? []), l.gb ?? [], l.gGamma ?? [], l.gBeta ?? []])), ...flat(e.gx)];
    fc.pre(same(grads(exact), grads(other!)));
  }

  const normalizing = layers.some((l) => l.type === 'batchNormalization' || l.type === 'layerNormalization');
  const lossTol = 1e-5 * Math.max(1, Math.abs(exact.loss)) + (normalizing ? lossRounding(ref, exact, x) : 0);
  if (!(Math.abs(g.loss - exact.loss) <= lossTol)) throw new Error(`loss ${g.loss} vs float64 ${exact.loss}, tolerance ${lossTol.toExponential(2)}`);

  // every gradient array: its name, the wasm values, the float64 analytic values and the reference's entries to perturb
  const SYMBOL = { weights: 'W', bias: 'b', gamma: 'γ', beta: 'β' } as const;
  const arrays = refEntries(ref, x).map((e) => {
    if (e.kind === 'input') return { name: 'dE/dx', got: g.input as ArrayLike<number>, exact: flat(exact.gx), e };
    const ex = exact.layers[e.layer]!, name = `∇${SYMBOL[e.kind]}[${e.layer}]`;
    const want = { weights: ex.gW, bias: ex.gb, gamma: ex.gGamma, beta: ex.gBeta }[e.kind]!;
    const got = (g.layers[e.layer] as unknown as Record<string, Float32Array | null>)[e.kind];
    if (!got) throw new Error(`${name}: gradients() gave null for a ${g.layers[e.layer]!.type} layer that has ${e.kind}`);
    return { name, got: got as ArrayLike<number>, exact: flat(want), e };
  });

  // the floor (see the header): its scale is the largest entry, in the float64 reference, of every array gradients() returns (∇W, ∇b,
  // ∇γ, ∇β, dE/dx, each layer's δ and dE/d(output); the output layer's dE/dout only where not fused), over both runs with unknown
  // mask entries, and the loss's terms; and never below what the central difference resolves
  const scaleOf = (a: ArrayLike<number> | number[][] | null): number => { let m = 0; for (const v of a ? flat(a) : []) m = Math.max(m, Math.abs(v)); return m; };
  const scaleOfRun = (e: RefStackResult): number => Math.max(scaleOf(e.gx), ...e.layers.map((l, i) => Math.max(
    scaleOf(l.gW), scaleOf(l.gb), scaleOf(l.gGamma), scaleOf(l.gBeta), scaleOf(l.delta), i < layers.length - 1 || g.layers[i]!.outputGrad ? scaleOf(l.dout) : 0)));
  const netScale = Math.max(scaleOfRun(exact), other ? scaleOfRun(other) : 0, lossTerms(ref, exact, y));
  const floor = Math.max((normalizing ? NORM_FLOOR : FLOOR) * netScale, fdFloor(ref, exact, x, y, c.outputs), 1e-7);
  const pair = pairLayer(ref, exact, c.rows);
  const pick = rand(7 + c.seed);
  for (const a of arrays) {
    if (a.got.length !== a.exact.length) throw new Error(`${a.name}: length ${a.got.length}, expected ${a.exact.length}`);
    const n = a.got.length;
    const idx = n <= ENTRIES ? Array.from({ length: n }, (_, i) => i) : Array.from({ length: ENTRIES }, () => Math.floor(pick() * n));
    for (const i of idx) {
      const fd = centralDiff(ref, x, y, a.e, i, EPS, 'training', exact);
      const gi = a.got[i]!;
      const err = Math.abs(gi - fd) / Math.max(Math.abs(gi), Math.abs(fd), floor);
      const tol = a.e.layer < pair ? PAIR_TOL : TOL;
      if (!(err <= tol)) throw new Error(`${a.name}[${i}]: wasm ${gi}, central difference ${fd}, relative error ${err.toExponential(2)} > ${tol} (floor ${floor.toExponential(2)})`);
    }
  }
  return { droppedUnits };
}

/**
 * A first-order bound on how far float32 rounding in the forward pass moves the loss: the sum over
 * every value v the layers compute of |∂E/∂v| (float64 reference) times a bound on v's rounding.
 * A dense layer's z = Σ_k w·x + b errs by at most (k + 1)·u·(Σ|w·x| + |b|) (reaching E through δ)
 * and f(z) by 2u·|f(z)|; a normalization's y = γ·(x − μ)/√(σ² + ε) + β over a group of c values by
 * (c + 6)·u·(|γ|·(|x| + |μ|)/√(σ² + ε) + |β|) (μ within (c + 1)·u·mean|x|, and x − μ keeps that
 * error however much of x cancels); dropout's x·mask by u·|y|.
 */
function lossRounding(ref: RefStack, exact: RefStackResult, x: number[][]): number {
  let b = 0;
  const last = ref.layers.length - 1;
  ref.layers.forEach((l, i) => {
    const r = exact.layers[i]!, inp = i === 0 ? x : exact.layers[i - 1]!.out;
    // Σ |∂E/∂out|·(rounding bound of out)
    const each = (f: (row: number, j: number) => number): void => r.dout.forEach((dr, row) => dr.forEach((d, j) => { b += Math.abs(d) * f(row, j); }));
    if (l.type === 'dense') {
      const k = inp[0]!.length;
      r.delta!.forEach((dr, row) => dr.forEach((d, j) => {
        let t = l.b ? Math.abs(l.b[j]!) : 0;
        for (let q = 0; q < k; q++) t += Math.abs(l.W[j]![q]! * inp[row]![q]!);
        b += Math.abs(d) * (k + 1) * U * t;
      }));
      if (i < last) each((row, j) => 2 * U * Math.abs(r.out[row]![j]!));
    } else if (l.type === 'dropout') {
      each((row, j) => U * Math.abs(r.out[row]![j]!));
    } else {
      const { mean, variance } = r.stats!;
      const byRow = l.type === 'layerNormalization', c = byRow ? inp[0]!.length : inp.length;
      each((row, j) => {
        const gi = byRow ? row : j;
        const t = Math.abs(l.gamma ? l.gamma[j]! : 1) * (Math.abs(inp[row]![j]!) + Math.abs(mean[gi]!)) / Math.sqrt(variance[gi]! + l.epsilon) + (l.beta ? Math.abs(l.beta[j]!) : 0);
        return (c + 6) * U * t;
      });
    }
  });
  return b;
}

/**
 * The size of the two terms the output layer's dE/dout (fused: δ) is the difference of, largest over
 * the rows and outputs, times 1/rows for 'mean': out − t for mse and for huber where |out − t| < 1
 * (max(|out|, |t|)), 1 − t/(out + 1e-7) for poisson (max(1, |t/(out + 1e-7)|)), p − t for the fused
 * crossEntropy, sparseCrossEntropy and binaryCrossEntropy (max(p, t)); none for mae and huber past
 * |out − t| = 1 (±1 exactly). Near a fit the difference is small and keeps the float32 rounding of
 * the output the forward computed, a rounding of these terms' size.
 */
function lossTerms(ref: RefStack, exact: RefStackResult, y: number[][]): number {
  const out = exact.layers[ref.layers.length - 1]!.out, scale = ref.reduction === 'mean' ? 1 / y.length : 1;
  let m = 0;
  out.forEach((row, k) => row.forEach((o, j) => {
    const t = y[k]![j]!;
    if (ref.loss === 'mse' || (ref.loss === 'huber' && Math.abs(o - t) < 1)) m = Math.max(m, Math.abs(o), Math.abs(t));
    else if (ref.loss === 'poisson') m = Math.max(m, 1, Math.abs(t / (o + 1e-7)));
    else if (ref.loss !== 'mae' && ref.loss !== 'huber') m = Math.max(m, o, t);
  }));
  return scale * m;
}

/**
 * The floor below which a float64 central difference cannot be held to TOL: E(θ ± EPS) each err by
 * up to about R = (the forward's rounding: lossRounding at float64's u = 2^-53) + (rows·outputs + 4)
 * ·2^-53·(Σ_rows |row loss|·(1/rows for 'mean') + penalty) (the loss's own sum), so (E₊ − E₋)/2EPS
 * errs by up to R/EPS, and R/(EPS·TOL) is the floor that error stays within TOL of. Without it a
 * network whose gradients are all 0 fails on the difference's rounding, ±|E|·2^-52/EPS (9e-10 at
 * |E| = 6.4) against the 1e-7 floor.
 */
function fdFloor(ref: RefStack, exact: RefStackResult, x: number[][], y: number[][], outputs: number): number {
  const last = exact.layers[ref.layers.length - 1]!, scale = ref.reduction === 'mean' ? 1 / x.length : 1;
  let terms = exact.penalty;
  last.out.forEach((o, k) => { terms += scale * Math.abs(lossRow(ref.loss, last.net[k]!, o, y[k]!)); });
  const r = lossRounding(ref, exact, x) * 2 ** -29 + (x.length * outputs + 4) * 2 ** -53 * terms;
  return r / (EPS * TOL);
}

/**
 * The last layer that normalizes over 2 values (a batch normalization of 2 rows, a layer
 * normalization of 2 features), −1 without. Its x̂ = ±σ/√(σ² + ε) whatever its inputs, so the
 * gradient it passes down is the part ε/(σ² + ε) left of float32 terms that cancel: every array
 * below it (and dE/dx) is held to PAIR_TOL.
 */
function pairLayer(ref: RefStack, exact: RefStackResult, rows: number): number {
  let p = -1;
  ref.layers.forEach((l, i) => {
    if ((l.type === 'batchNormalization' && rows === 2) || (l.type === 'layerNormalization' && exact.layers[i]!.out[0]!.length === 2)) p = i;
  });
  return p;
}

/** A plain network's check (the teeth test below shrinks these). */
function checkNetwork(c: Case, corrupt?: (c: Case, g: Grads) => void): void {
  checkStack(fromCase(c), corrupt && ((_s, g) => corrupt(c, g)));
}

// ************* the properties *************

const params = <T>(numRuns: number): fc.Parameters<[T]> => ({
  numRuns,
  includeErrorInReport: true,
  ...(process.env.FC_SEED ? { seed: Number(process.env.FC_SEED) } : {}),
});

describe('property: wasm gradients equal float64 central differences on generated networks', () => {
  it(`${RUNS} generated networks (plain dense and layer lists: dense with l1/l2, batch/layer normalization, dropout; depth 1–6, widths 1–8, every activation and loss, bias, reduction, 1–5 rows)`, () => {
    const seen = new Set<string>();
    fc.assert(fc.property(anyArb, (c) => {
      const s = checkStack(c);
      for (const h of c.hidden) {
        if (h.type === 'dense') { seen.add(h.activation); if (h.l1 > 0) seen.add('l1'); if (h.l2 > 0) seen.add('l2'); }
        else if (h.type === 'dropout') seen.add(h.rate > 0 ? 'dropout:rate>0' : 'dropout:0');
        else { seen.add(h.type); if (!h.center) seen.add(`${h.type}:center:false`); if (!h.scale) seen.add(`${h.type}:scale:false`); if (h.epsilon !== 1e-3) seen.add(`${h.type}:epsilon`); }
      }
      if (s.droppedUnits > 0) seen.add('dropped');
      if (c.hidden.every((h) => h.type === 'dense')) seen.add('plain');
      if (c.hidden.some((h) => h.type === 'batchNormalization') && c.rows === 2) seen.add('batchNormalization:rows:2');
      for (const k of [c.output, c.loss, `bias:${c.bias}`, c.reduction, `depth:${c.hidden.length + 1}`, `rows:${c.rows}`]) seen.add(k);
    }), params(RUNS));
    // the generator reaches every option (so 1,000 runs are not 1,000 copies of one network)
    for (const k of [...HIDDEN, 'softmax', ...OUTPUTS.map(([, l]) => l), 'bias:true', 'bias:false', 'mean', 'sum', 'depth:1', 'depth:4', 'depth:6', 'rows:1', 'rows:5',
      'plain', 'l1', 'l2', 'dropout:0', 'dropout:rate>0', 'dropped', 'batchNormalization', 'layerNormalization', 'batchNormalization:rows:2',
      'batchNormalization:center:false', 'batchNormalization:scale:false', 'layerNormalization:center:false', 'layerNormalization:scale:false',
      'batchNormalization:epsilon', 'layerNormalization:epsilon']) expect(seen).toContain(k);
  }, 120_000);

  it('has teeth: a broken gradient fails, and shrinking finds the smallest network that shows it', () => {
    // the bug: dE/dx off by 1% (+0.01) whenever a hidden layer is leakyRelu
    const bug = (c: Case, g: Grads): void => { if (c.hidden.includes('leakyRelu')) for (let i = 0; i < g.input.length; i++) g.input[i] = g.input[i]! * 1.01 + 0.01; };
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

  it('has teeth on layer lists: a broken ∇γ of batch normalization fails, and shrinks to the smallest stack that has one', () => {
    // the bug: ∇γ off by 1% (+0.01) in every batch normalization layer
    const bug: Corrupt = (_c, g) => {
      for (const l of g.layers) if (l.type === 'batchNormalization' && l.gamma) for (let i = 0; i < l.gamma.length; i++) l.gamma[i] = l.gamma[i]! * 1.01 + 0.01;
    };
    const out = fc.check(fc.property(stackArb, (c) => { checkStack(c, bug); }), { numRuns: 300, seed: 20240611, includeErrorInReport: true });
    expect(out.failed).toBe(true);
    // one dense 1-unit sigmoid layer, then the batch normalization (scale: the bug needs γ), 2 rows, every other choice shrunk to its first value
    expect(out.counterexample![0]).toEqual({
      inputs: 1, hidden: [{ type: 'dense', units: 1, activation: 'sigmoid', l1: 0, l2: 0 }, { type: 'batchNormalization', center: false, scale: true, epsilon: 1e-3 }],
      outputs: 1, output: 'sigmoid', loss: 'mse', l1: 0, l2: 0, bias: false, reduction: 'mean', rows: 2, seed: 0,
    });
    expect(fc.defaultReportMessage(out) ?? '').toMatch(/∇γ\[1\]\[0\]: wasm .*relative error/);
  }, 60_000);
});
