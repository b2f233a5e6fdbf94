// The optimizer kernels (sgd_f32, sgd_momentum_f32 with and without Nesterov and weight decay,
// adam_f32, rmsprop_f32) at kernel level: several steps on one parameter block against the
// float64 rule of tests/ref/optim.ts, over lengths around the 4-wide SIMD loop and its scalar
// tail, at aligned and unaligned addresses. The gradient has NaN on either side (a kernel that
// reads past it and uses the value fails); w and the state slots have SENTINEL on either side
// (a kernel that writes past them fails). Hyperparameters are rounded to float32 before the
// reference sees them (the kernels take f32), so only the float32 arithmetic is measured.
// tests/optim.test.ts checks the same rules end to end through Network.trainBatch.
import { describe, expect, it } from 'vitest';
import { projectVariant } from './gemm-tester.js';
import { assertUntouched, MARGIN, Mem, SENTINEL, TestRng } from './helpers.js';
import { RefOptimizer, type RefOptimizerConfig } from './ref/optim.js';
import type { Kernels } from '../src/wasm/kernels.js';

const LENGTHS = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 15, 16, 17, 33, 100, 1027];
const STEPS = 5;
/** |actual − ref| ≤ max(ATOL·max|ref of the block|, RTOL·|ref|), per element, after every step. */
const RTOL = 1e-5, ATOL = 1e-6;

const f = Math.fround;
const sgd = (o: Partial<Extract<RefOptimizerConfig, { type: 'sgd' }>>): Extract<RefOptimizerConfig, { type: 'sgd' }> =>
  ({ type: 'sgd', learningRate: f(0.1), momentum: 0, nesterov: false, weightDecay: 0, ...o });
const adam = (o: Partial<Extract<RefOptimizerConfig, { type: 'adam' }>>): Extract<RefOptimizerConfig, { type: 'adam' }> =>
  ({ type: 'adam', learningRate: f(0.02), beta1: f(0.9), beta2: f(0.999), epsilon: f(1e-7), weightDecay: 0, ...o });
const rmsprop = (o: Partial<Extract<RefOptimizerConfig, { type: 'rmsprop' }>>): Extract<RefOptimizerConfig, { type: 'rmsprop' }> =>
  ({ type: 'rmsprop', learningRate: f(0.01), decay: f(0.9), epsilon: f(1e-7), weightDecay: 0, ...o });

interface Case {
  name: string;
  /** The rule the kernel implements (its state slots: sgd 1 unless plain, adam 2, rmsprop 1). */
  ref: RefOptimizerConfig;
  /** A slightly different rule the comparison must reject. */
  miss: RefOptimizerConfig;
  slots: number;
  /** One step of the kernel: w, g, state slots s1, s2 (byte addresses), step t (1-based), length n. */
  step(k: Kernels, w: number, g: number, s1: number, s2: number, t: number, n: number): void;
}

const sgdStep = (c: Extract<RefOptimizerConfig, { type: 'sgd' }>): Case['step'] => (k, w, g, v, _s2, _t, n) =>
  k.sgd_momentum_f32(w, g, v, c.learningRate, c.momentum, c.weightDecay, c.nesterov ? 1 : 0, n);
const adamStep = (c: Extract<RefOptimizerConfig, { type: 'adam' }>): Case['step'] => (k, w, g, m, v, t, n) =>
  k.adam_f32(w, g, m, v, c.learningRate * Math.sqrt(1 - c.beta2 ** t) / (1 - c.beta1 ** t), c.beta1, c.beta2, c.epsilon, c.weightDecay, n);
const rmspropStep = (c: Extract<RefOptimizerConfig, { type: 'rmsprop' }>): Case['step'] => (k, w, g, v, _s2, _t, n) =>
  k.rmsprop_f32(w, g, v, c.learningRate, c.decay, c.epsilon, c.weightDecay, n);

const momentum = sgd({ momentum: f(0.9) });
const nesterov = sgd({ momentum: f(0.9), nesterov: true, weightDecay: f(0.05) });
const decayed = sgd({ momentum: f(0.5), weightDecay: f(0.1) });
const adamDefault = adam({});
const adamDecayed = adam({ learningRate: f(0.05), beta1: f(0.8), beta2: f(0.99), epsilon: f(1e-2), weightDecay: f(0.1) });
const rms = rmsprop({});
const rmsDecayed = rmsprop({ decay: f(0.5), epsilon: f(1e-3), weightDecay: f(0.1) });

const CASES: Case[] = [
  { name: 'sgd_f32: w −= lr·g', ref: sgd({}), miss: sgd({ learningRate: f(0.1 * 1.001) }), slots: 0,
    step: (k, w, g, _s1, _s2, _t, n) => k.sgd_f32(w, g, f(0.1), n) },
  { name: 'sgd_momentum_f32: v = μv − lr·g, w += v', ref: momentum, miss: { ...momentum, momentum: f(0.899) }, slots: 1, step: sgdStep(momentum) },
  { name: 'sgd_momentum_f32 Nesterov + weight decay', ref: nesterov, miss: { ...nesterov, nesterov: false }, slots: 1, step: sgdStep(nesterov) },
  { name: 'sgd_momentum_f32 weight decay', ref: decayed, miss: { ...decayed, weightDecay: 0 }, slots: 1, step: sgdStep(decayed) },
  { name: 'adam_f32 (Keras defaults, lr 0.02)', ref: adamDefault, miss: { ...adamDefault, biasCorrection: false }, slots: 2, step: adamStep(adamDefault) },
  { name: 'adam_f32 betas 0.8/0.99, ε 1e-2, weight decay', ref: adamDecayed, miss: { ...adamDecayed, epsilon: f(1.01e-2) }, slots: 2, step: adamStep(adamDecayed) },
  { name: 'rmsprop_f32 (Keras defaults)', ref: rms, miss: { ...rms, learningRate: f(0.01 * 1.001) }, slots: 1, step: rmspropStep(rms) },
  { name: 'rmsprop_f32 ρ 0.5, ε 1e-3, weight decay', ref: rmsDecayed, miss: { ...rmsDecayed, decay: f(0.501) }, slots: 1, step: rmspropStep(rmsDecayed) },
];

/** Worst |actual − ref| over the allowed error (≤ 1 passes), NaN counting as infinitely bad. */
function worst(actual: ArrayLike<number>, ref: ArrayLike<number>): number {
  let scale = 0;
  for (let i = 0; i < ref.length; i++) scale = Math.max(scale, Math.abs(ref[i]!));
  let w = 0;
  for (let i = 0; i < ref.length; i++) {
    const r = Math.abs(actual[i]! - ref[i]!) / Math.max(ATOL * scale, RTOL * Math.abs(ref[i]!), 1e-30);
    if (!(r <= w)) w = Number.isNaN(r) ? Infinity : r;
  }
  return w;
}

const variant = projectVariant();

describe(`optimizer kernels [${variant}]`, () => {
  const mem = new Mem(variant);
  const OFFSETS = [0, 1, 3];
  const CAP = Math.max(...LENGTHS) + 2 * MARGIN + Math.max(...OFFSETS);
  const W = mem.alloc(CAP), G = mem.alloc(CAP), S1 = mem.alloc(CAP), S2 = mem.alloc(CAP);

  /** STEPS steps of `c` on n floats at float offset `off`; returns the worst error against `ref` over w and the state. */
  function run(c: Case, ref: RefOptimizerConfig, n: number, off: number, seed: number): number {
    const label = `${variant} ${c.name} n=${n} off=${off}`;
    const rng = new TestRng(seed);
    const at = (base: number): number => base + (MARGIN + off) * 4;
    const frame = (base: number, edge: number, vals: ArrayLike<number>): void => {
      const v = mem.f32(base, CAP).fill(edge);
      v.set(vals, MARGIN + off);
    };
    const w0 = Float32Array.from({ length: n }, () => rng.uniform(-1, 1));
    frame(W, SENTINEL, w0);
    for (const s of [S1, S2]) frame(s, SENTINEL, new Float32Array(n)); // state starts at 0, as the optimizers allocate it
    const opt = new RefOptimizer(ref, [{ w: Array.from(w0), decay: true }]);
    let bad = 0;
    for (let t = 1; t <= STEPS; t++) {
      const g = Float32Array.from({ length: n }, () => rng.uniform(-1, 1));
      frame(G, NaN, g);
      c.step(mem.k, at(W), at(G), at(S1), at(S2), t, n);
      opt.step([Array.from(g)]);
      bad = Math.max(bad, worst(mem.f32(at(W), n), opt.params[0]!.w));
      if (c.slots >= 1) bad = Math.max(bad, worst(mem.f32(at(S1), n), opt.s1[0]!));
      if (c.slots >= 2) bad = Math.max(bad, worst(mem.f32(at(S2), n), opt.s2[0]!));
      for (const [name, base] of [['w', W], ['slot 1', S1], ['slot 2', S2]] as const) {
        const v = mem.f32(base, CAP);
        assertUntouched(v, 0, MARGIN + off, SENTINEL, `${label} step ${t}: before ${name}`);
        assertUntouched(v, MARGIN + off + n, 2 * MARGIN + off + n, SENTINEL, `${label} step ${t}: past ${name}`);
      }
      if (c.slots < 2) assertUntouched(mem.f32(at(S2), n), 0, n, 0, `${label}: unused slot 2 written`);
      if (c.slots < 1) assertUntouched(mem.f32(at(S1), n), 0, n, 0, `${label}: unused slot 1 written`);
    }
    return bad;
  }

  it.each(CASES)('$name: every length, aligned and not, matches float64 over the steps', (c) => {
    for (const n of LENGTHS) for (const off of OFFSETS) {
      const bad = run(c, c.ref, n, off, 0x0971 + n * 7 + off);
      expect(bad, `${variant} ${c.name} n=${n} off=${off}: worst error in units of the tolerance`).toBeLessThanOrEqual(1);
    }
  });

  it.each(CASES)('$name: a slightly different rule is rejected (the tolerance has teeth)', (c) => {
    for (const n of [3, 33]) expect(run(c, c.miss, n, 1, 0x51de + n), `n=${n}`).toBeGreaterThan(10);
  });
});
