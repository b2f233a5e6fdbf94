// Optimizers: every update rule checked over several trainBatch steps against the float64
// reference in tests/ref/optim.ts (gradients from tests/ref/network.ts), the Keras defaults, the
// learningRate shorthand, and typed errors for bad optimizer options.
import { describe, expect, it } from 'vitest';
import { Network, OptionError, type NetworkOptions } from '../src/index.js';
import { backend } from '../src/internal.js';
import { rand, refRun, type RefNet } from './ref/network.js';
import { RefOptimizer, type RefOptimizerConfig, type RefParam } from './ref/optim.js';

// A 3-5-4-2 tanh/sigmoid network: parameter blocks of 15, 5, 20, 4, 8 and 2 floats, so the
// kernels' 4-wide SIMD loop and their scalar tail both run.
const SIZES = [3, 5, 4, 2];
const STEPS = 8;
/**
 * Tolerance on every weight after every step: |actual − expected| ≤ TOL · max(|expected|, 1),
 * i.e. 1e-5 relative with a floor of 1 (the scale of the weights, which start in [−1, 1)). The
 * float32 engine stays within ~1.2e-6 of the float64 reference over 8 steps (the largest drift is
 * Adam's, from 1 − β2 rounded to float32); each "near miss" below moves the weights by > 10·TOL.
 */
const TOL = 1e-5;

const r = rand(42);
const u = (lo: number, hi: number): number => lo + (hi - lo) * r();
// Fixed weights (biases deliberately non-zero, so decaying them would show) and a fixed batch.
const W0 = SIZES.slice(1).map((o, l) => ({
  weights: Array.from({ length: o }, () => Array.from({ length: SIZES[l]! }, () => u(-1, 1))),
  bias: Array.from({ length: o }, () => u(-0.5, 0.5)),
}));
const X = Array.from({ length: 6 }, () => Array.from({ length: 3 }, () => u(-1, 1)));
const Y = Array.from({ length: 6 }, () => Array.from({ length: 2 }, () => u(0.1, 0.9)));

interface Run {
  /** Worst |actual − expected| / (TOL · max(|expected|, 1)) over all weights and steps: ≤ 1 passes. */
  weights: number;
  /** Worst relative error of the loss trainBatch returns (before each step). */
  loss: number;
  /** Worst |actual − expected| / max|expected| over the optimizer state blocks saved by toJSON (after the last step). */
  state: number;
  net: Network;
}

function refNetOf(params: RefParam[], reduction: 'mean' | 'sum'): RefNet {
  return {
    sizes: SIZES, acts: ['tanh', 'tanh', 'sigmoid'], loss: 'mse', reduction, alpha: 0.01,
    W: SIZES.slice(1).map((o, l) => Array.from({ length: o }, (_, i) => params[2 * l]!.w.slice(i * SIZES[l]!, (i + 1) * SIZES[l]!))),
    b: SIZES.slice(1).map((_, l) => params[2 * l + 1]!.w.slice()),
  };
}

function decodeBlock(b64: string): Float32Array {
  const buf = Buffer.from(b64, 'base64');
  const out = new Float32Array(buf.length / 4);
  for (let i = 0; i < out.length; i++) out[i] = buf.readFloatLE(i * 4);
  return out;
}

/**
 * Trains the network `STEPS` times on (X, Y) with `optimizer` and, in parallel, the float64
 * reference with `ref` (gradients by refRun on the reference's own float64 weights).
 * `decayBiases` makes the reference (wrongly) decay the biases too.
 */
function run(optimizer: NetworkOptions['optimizer'], ref: RefOptimizerConfig, opts: { reduction?: 'mean' | 'sum'; decayBiases?: boolean; extra?: Partial<NetworkOptions> } = {}): Run {
  const reduction = opts.reduction ?? 'mean';
  const net = new Network({ layers: SIZES, activation: 'tanh', outputActivation: 'sigmoid', loss: 'mse', reduction, optimizer, ...opts.extra });
  net.setWeights(W0);
  const params: RefParam[] = net.getWeights().flatMap((l) => [
    { w: Array.from(l.weights), decay: true },
    { w: Array.from(l.bias!), decay: opts.decayBiases === true },
  ]);
  const opt = new RefOptimizer(ref, params);
  let worstW = 0, worstLoss = 0;
  for (let s = 0; s < STEPS; s++) {
    const rr = refRun(refNetOf(params, reduction), X, Y);
    const loss = net.trainBatch(X, Y);
    worstLoss = Math.max(worstLoss, Math.abs(loss - rr.loss) / rr.loss);
    opt.step(rr.gW.flatMap((g, l) => [g.flat(), rr.gb[l]!]));
    const actual = net.getWeights().flatMap((l) => [...l.weights, ...l.bias!]);
    const expected = params.flatMap((p) => p.w);
    expect(actual).toHaveLength(expected.length);
    for (let i = 0; i < expected.length; i++) {
      const e = Math.abs(actual[i]! - expected[i]!) / (TOL * Math.max(Math.abs(expected[i]!), 1));
      if (!(e <= worstW)) worstW = Number.isNaN(e) ? Infinity : e;
    }
  }
  // optimizer state as saved: per parameter block, its slots (sgd: velocity; adam: m, v; rmsprop: v)
  const saved = net.toJSON().optimizer;
  expect(saved.iterations).toBe(STEPS);
  const slots = ref.type === 'adam' || ref.type === 'adamw' ? [opt.s1, opt.s2] : [opt.s1];
  const plainSgd = ref.type === 'sgd' && ref.momentum === 0 && ref.weightDecay === 0;
  let worstState = 0;
  if (!plainSgd) {
    expect(saved.state).toHaveLength(params.length * slots.length);
    saved.state.forEach((b64, j) => {
      const actual = decodeBlock(b64);
      const expected = slots[j % slots.length]![Math.floor(j / slots.length)]!;
      expect(actual).toHaveLength(expected.length);
      const scale = Math.max(...expected.map(Math.abs));
      expect(scale).toBeGreaterThan(0);
      for (let i = 0; i < expected.length; i++) worstState = Math.max(worstState, Math.abs(actual[i]! - expected[i]!) / scale);
    });
  }
  return { weights: worstW, loss: worstLoss, state: worstState, net };
}

function expectMatch(res: Run): void {
  expect(res.weights, 'weights vs float64 reference (in units of the tolerance)').toBeLessThanOrEqual(1);
  expect(res.loss, 'trainBatch loss vs float64 reference').toBeLessThan(1e-4);
  expect(res.state, 'optimizer state vs float64 reference').toBeLessThan(1e-4);
  res.net.dispose();
}

function expectMiss(res: Run): void {
  expect(res.weights, 'a wrong rule must be caught by the tolerance').toBeGreaterThan(10);
  res.net.dispose();
}

const sgd = (o: Partial<Extract<RefOptimizerConfig, { type: 'sgd' }>>): RefOptimizerConfig => ({ type: 'sgd', learningRate: 0.01, momentum: 0, nesterov: false, weightDecay: 0, ...o });
const adam = (o: Partial<Extract<RefOptimizerConfig, { type: 'adam' }>>): RefOptimizerConfig => ({ type: 'adam', learningRate: 0.001, beta1: 0.9, beta2: 0.999, epsilon: 1e-7, weightDecay: 0, ...o });
const adamw = (o: Partial<Extract<RefOptimizerConfig, { type: 'adamw' }>>): RefOptimizerConfig => ({ type: 'adamw', learningRate: 0.001, beta1: 0.9, beta2: 0.999, epsilon: 1e-7, weightDecay: 0.004, ...o });
const rmsprop = (o: Partial<Extract<RefOptimizerConfig, { type: 'rmsprop' }>>): RefOptimizerConfig => ({ type: 'rmsprop', learningRate: 0.001, decay: 0.9, epsilon: 1e-7, weightDecay: 0, ...o });

describe(`optimizers match the float64 reference over ${STEPS} steps`, () => {
  it('sgd (plain): w −= lr·g', () => {
    expectMatch(run({ type: 'sgd', learningRate: 0.5 }, sgd({ learningRate: 0.5 })));
    expectMatch(run('sgd', sgd({}))); // Keras default lr 0.01
    expectMatch(run({ type: 'sgd', learningRate: 0.5 }, sgd({ learningRate: 0.5 }), { reduction: 'sum' }));
    expectMiss(run({ type: 'sgd', learningRate: 0.5 }, sgd({ learningRate: 0.5 * 1.002 }))); // 0.2% off in lr is caught
  });

  it('sgd with momentum: v = μv − lr·g, w += v', () => {
    expectMatch(run({ type: 'sgd', learningRate: 0.2, momentum: 0.9 }, sgd({ learningRate: 0.2, momentum: 0.9 })));
    expectMatch(run({ type: 'sgd', learningRate: 0.1, momentum: 0.5 }, sgd({ learningRate: 0.1, momentum: 0.5 }), { reduction: 'sum' }));
    expectMiss(run({ type: 'sgd', learningRate: 0.2, momentum: 0.9 }, sgd({ learningRate: 0.2, momentum: 0.89 })));
  });

  it('sgd with Nesterov momentum: w += μv − lr·g', () => {
    expectMatch(run({ type: 'sgd', learningRate: 0.2, momentum: 0.9, nesterov: true }, sgd({ learningRate: 0.2, momentum: 0.9, nesterov: true })));
    expectMiss(run({ type: 'sgd', learningRate: 0.2, momentum: 0.9, nesterov: true }, sgd({ learningRate: 0.2, momentum: 0.9, nesterov: false })));
  });

  it('sgd with weight decay: g + wd·w on weights only, with and without momentum', () => {
    expectMatch(run({ type: 'sgd', learningRate: 0.2, weightDecay: 0.1 }, sgd({ learningRate: 0.2, weightDecay: 0.1 })));
    expectMatch(run({ type: 'sgd', learningRate: 0.2, momentum: 0.9, nesterov: true, weightDecay: 0.05 }, sgd({ learningRate: 0.2, momentum: 0.9, nesterov: true, weightDecay: 0.05 })));
    // decaying the biases too, or not decaying at all, would be caught
    expectMiss(run({ type: 'sgd', learningRate: 0.2, weightDecay: 0.1 }, sgd({ learningRate: 0.2, weightDecay: 0.1 }), { decayBiases: true }));
    expectMiss(run({ type: 'sgd', learningRate: 0.2, weightDecay: 0.1 }, sgd({ learningRate: 0.2 })));
  });

  it('adam with bias correction (α = lr·√(1−β2^t)/(1−β1^t))', () => {
    expectMatch(run({ type: 'adam', learningRate: 0.02 }, adam({ learningRate: 0.02 })));
    expectMatch(run('adam', adam({}))); // Keras defaults
    // non-default betas and a large ε, where ε's place (outside √v, after folding the correction into α) matters
    const o = { learningRate: 0.05, beta1: 0.8, beta2: 0.99, epsilon: 1e-2 };
    expectMatch(run({ type: 'adam', ...o }, adam(o)));
    expectMiss(run({ type: 'adam', learningRate: 0.02 }, adam({ learningRate: 0.02, biasCorrection: false })));
  });

  it('adam with weight decay', () => {
    expectMatch(run({ type: 'adam', learningRate: 0.02, weightDecay: 0.1 }, adam({ learningRate: 0.02, weightDecay: 0.1 })));
    expectMiss(run({ type: 'adam', learningRate: 0.02, weightDecay: 0.1 }, adam({ learningRate: 0.02, weightDecay: 0.1 }), { decayBiases: true }));
  });

  it('adamw: decoupled weight decay (w −= lr·wd·w, then the Adam step on the plain gradient), weights only', () => {
    expectMatch(run({ type: 'adamw', learningRate: 0.02, weightDecay: 0.5 }, adamw({ learningRate: 0.02, weightDecay: 0.5 })));
    expectMatch(run('adamw', adamw({}))); // Keras defaults: weight decay 0.004
    // the coupled rule (Adam with weightDecay), decaying the biases, or no decay at all would be caught
    expectMiss(run({ type: 'adamw', learningRate: 0.02, weightDecay: 0.5 }, adam({ learningRate: 0.02, weightDecay: 0.5 })));
    expectMiss(run({ type: 'adamw', learningRate: 0.02, weightDecay: 0.5 }, adamw({ learningRate: 0.02, weightDecay: 0.5 }), { decayBiases: true }));
    expectMiss(run({ type: 'adamw', learningRate: 0.02, weightDecay: 0.5 }, adamw({ learningRate: 0.02, weightDecay: 0 })));
  });

  it('rmsprop: v = ρv + (1−ρ)g², w −= lr·g/√(v + ε)', () => {
    expectMatch(run({ type: 'rmsprop', learningRate: 0.01 }, rmsprop({ learningRate: 0.01 })));
    expectMatch(run('rmsprop', rmsprop({}))); // Keras defaults
    expectMatch(run({ type: 'rmsprop', learningRate: 0.01, decay: 0.5, epsilon: 1e-3, weightDecay: 0.1 }, rmsprop({ learningRate: 0.01, decay: 0.5, epsilon: 1e-3, weightDecay: 0.1 })));
    expectMiss(run({ type: 'rmsprop', learningRate: 0.01 }, rmsprop({ learningRate: 0.01, epsilonInsideSqrt: false })));
  });

  it('the learningRate shorthand sets the named optimizer\'s rate', () => {
    expectMatch(run('adam', adam({ learningRate: 0.01 }), { extra: { learningRate: 0.01 } }));
    expectMatch(run({ type: 'rmsprop', decay: 0.8 }, rmsprop({ learningRate: 0.02, decay: 0.8 }), { extra: { learningRate: 0.02 } }));
    expectMatch(run(undefined, sgd({ learningRate: 0.3 }), { extra: { learningRate: 0.3 } }));
  });
});

describe('optimizer options', () => {
  const layers = [2, 3, 1];

  it('fills in the Keras defaults', () => {
    // keras.optimizers.SGD(learning_rate=0.01, momentum=0.0, nesterov=False),
    // Adam(learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-07),
    // RMSprop(learning_rate=0.001, rho=0.9, epsilon=1e-07),
    // AdamW(learning_rate=0.001, weight_decay=0.004, beta_1=0.9, beta_2=0.999, epsilon=1e-07)
    const keras = {
      sgd: { type: 'sgd', learningRate: 0.01, momentum: 0, nesterov: false, weightDecay: 0 },
      adam: { type: 'adam', learningRate: 0.001, beta1: 0.9, beta2: 0.999, epsilon: 1e-7, weightDecay: 0 },
      adamw: { type: 'adamw', learningRate: 0.001, beta1: 0.9, beta2: 0.999, epsilon: 1e-7, weightDecay: 0.004 },
      rmsprop: { type: 'rmsprop', learningRate: 0.001, decay: 0.9, epsilon: 1e-7, weightDecay: 0 },
    } as const;
    for (const type of ['sgd', 'adam', 'adamw', 'rmsprop'] as const) {
      const byName = new Network({ layers, optimizer: type });
      const byObject = new Network({ layers, optimizer: { type } });
      expect(byName.options.optimizer).toEqual(keras[type]);
      expect(byObject.options.optimizer).toEqual(keras[type]);
      expect(byName.options.learningRate).toBe(keras[type].learningRate);
      byName.dispose(); byObject.dispose();
    }
    const dflt = new Network({ layers });
    expect(dflt.options.optimizer).toEqual(keras.sgd);
    dflt.dispose();
  });

  it('learningRate is shorthand for the optimizer\'s learning rate', () => {
    const a = new Network({ layers, optimizer: 'adam', learningRate: 0.01 });
    expect(a.options.optimizer).toEqual({ type: 'adam', learningRate: 0.01, beta1: 0.9, beta2: 0.999, epsilon: 1e-7, weightDecay: 0 });
    expect(a.options.learningRate).toBe(0.01);
    const b = new Network({ layers, optimizer: { type: 'adam', beta1: 0.8 }, learningRate: 0.01 });
    expect(b.options.optimizer).toEqual({ type: 'adam', learningRate: 0.01, beta1: 0.8, beta2: 0.999, epsilon: 1e-7, weightDecay: 0 });
    const c = new Network({ layers, learningRate: 0.5 });
    expect(c.options.optimizer).toEqual({ type: 'sgd', learningRate: 0.5, momentum: 0, nesterov: false, weightDecay: 0 });
    // and trains exactly like the spelled-out form
    const d = new Network({ layers, optimizer: { type: 'adam', learningRate: 0.01 } });
    for (let i = 0; i < 5; i++) { a.trainBatch([[0.2, 0.9], [1, -1]], [[1], [0]]); d.trainBatch([[0.2, 0.9], [1, -1]], [[1], [0]]); }
    expect(a.getWeights()).toEqual(d.getWeights());
    expect(a.getWeights()).not.toEqual(new Network({ layers }).getWeights());
    for (const n of [a, b, c, d]) n.dispose();
  });

  const bad: [string, unknown, RegExp][] = [
    ['unknown adam setting', { type: 'adam', beta_1: 0.9 }, /options\.optimizer\.beta_1: unknown setting for 'adam' \(did you mean 'beta1'\?\)/],
    ['unknown sgd setting', { type: 'sgd', momentun: 0.9 }, /options\.optimizer\.momentun: unknown setting for 'sgd' \(did you mean 'momentum'\?\)/],
    ['adam setting on sgd', { type: 'sgd', beta1: 0.9 }, /options\.optimizer\.beta1: unknown setting for 'sgd'/],
    ['unknown optimizer name', 'adamx', /options\.optimizer: expected one of 'sgd', 'adam', 'adamw', 'rmsprop', got "adamx" \(did you mean 'adam'\?\)/],
    ['unknown optimizer type', { type: 'rmsprob' }, /options\.optimizer\.type: expected one of .*got "rmsprob" \(did you mean 'rmsprop'\?\)/],
    ['beta1 = 1', { type: 'adam', beta1: 1 }, /options\.optimizer\.beta1: expected a number in \[0, 1\), got 1/],
    ['beta1 > 1', { type: 'adam', beta1: 1.5 }, /options\.optimizer\.beta1: .*got 1\.5/],
    ['beta2 negative', { type: 'adam', beta2: -0.1 }, /options\.optimizer\.beta2: .*got -0\.1/],
    ['negative weightDecay', { type: 'adam', weightDecay: -0.01 }, /options\.optimizer\.weightDecay: expected a finite number ≥ 0, got -0\.01/],
    ['NaN weightDecay', { type: 'sgd', weightDecay: NaN }, /options\.optimizer\.weightDecay: .*got NaN/],
    ['momentum = 1', { type: 'sgd', momentum: 1 }, /options\.optimizer\.momentum: expected a number in \[0, 1\), got 1/],
    ['nesterov not boolean', { type: 'sgd', nesterov: 'yes' }, /options\.optimizer\.nesterov: expected true or false, got "yes"/],
    ['zero epsilon', { type: 'rmsprop', epsilon: 0 }, /options\.optimizer\.epsilon: expected a finite number > 0, got 0/],
    ['decay = 1', { type: 'rmsprop', decay: 1 }, /options\.optimizer\.decay: .*got 1/],
    ['negative learning rate', { type: 'adam', learningRate: -1 }, /options\.optimizer\.learningRate: expected a finite number > 0, got -1/],
    ['not an object', 42, /options\.optimizer: expected 'sgd', 'adam', 'adamw', 'rmsprop' or an object.*got 42/],
  ];

  it.each(bad)('%s → OptionError naming the setting', (_name, optimizer, message) => {
    const { arena } = backend();
    const live = arena.liveBlocks;
    let caught: unknown;
    try { new Network({ layers, optimizer: optimizer as NetworkOptions['optimizer'] }); } catch (e) { caught = e; }
    expect(caught).toBeInstanceOf(OptionError);
    expect((caught as Error).message).toMatch(message);
    expect(arena.liveBlocks).toBe(live);
  });

  it('learningRate given twice → OptionError naming both', () => {
    const { arena } = backend();
    const live = arena.liveBlocks;
    let caught: unknown;
    try { new Network({ layers, learningRate: 0.1, optimizer: { type: 'adam', learningRate: 0.01 } }); } catch (e) { caught = e; }
    expect(caught).toBeInstanceOf(OptionError);
    expect((caught as Error).message).toMatch(/options\.learningRate: given twice, as options\.learningRate \(0\.1\) and options\.optimizer\.learningRate \(0\.01\)/);
    expect(arena.liveBlocks).toBe(live);
  });
});
