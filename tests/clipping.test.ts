// Gradient clipping (src/optim/clip.ts, kernels sumsq_f32 and clamp_f32 of assembly/clip.ts):
// clipNorm (per parameter block), globalClipNorm (all blocks together) and clipValue (elementwise),
// on every optimizer type.
// Tolerances:
//  - sumsq_f32 against a plain float64 loop: relative 1e-13 (the same exact squares, summed in
//    another order; n ≤ 1027 terms); clamp_f32: bit for bit;
//  - a plain SGD step with clipped huge gradients, Δw = −lr·clip(g) with clip(g) computed here in
//    float64 from the float32 gradients net.gradients reports: per weight |w' − (w + Δw)| ≤
//    2^-22·|w'| + 1e-6·|Δw| (two float32 ulps of the result, plus the float32 roundings of the
//    scale factor, of g·scale and of lr·g'); the clipped norms ‖Δw‖/lr equal the limit to 1e-5
//    relative (a block's share of the global limit to 1e-4: small blocks, same float32 roundings);
//  - every optimizer type with clipping over 6 steps against tests/ref/optim.ts fed the clipped
//    gradients: |w − ref| ≤ 1e-5·max(|ref|, 1), as tests/optim.test.ts; the unclipped reference
//    misses by more than 10 times that (the comparison has teeth);
//  - gradients within the limits: the weights are bit for bit those of a network without clipping.
import { describe, expect, it } from 'vitest';
import { Network, OptionError, type NetworkOptions } from '../src/index.js';
import { backend } from '../src/internal.js';
import { clipGradients, resolveClipping } from '../src/optim/clip.js';
import { MARGIN, Mem, SENTINEL, TestRng, assertUntouched, simdVariants } from './helpers.js';
import { RefOptimizer, type RefOptimizerConfig, type RefParam } from './ref/optim.js';

const f = Math.fround;
const LENGTHS = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 15, 16, 17, 33, 100, 1027];
const OFFSETS = [0, 1, 3];

// ************* kernels *************

describe.each(simdVariants())('clipping kernels [%s]', (variant) => {
  const mem = new Mem(variant);
  const CAP = 1027 + 2 * MARGIN + 3;
  const X = mem.alloc(CAP), Y = mem.alloc(CAP);

  it('sumsq_f32: Σx² in float64 for every length and alignment; reads nothing outside x', () => {
    const rng = new TestRng(0xc11b);
    for (const n of LENGTHS) for (const off of OFFSETS) {
      const x = Float32Array.from({ length: n }, () => rng.uniform(-3, 3));
      const v = mem.f32(X, CAP).fill(NaN); // a read past either end makes the sum NaN
      v.set(x, MARGIN + off);
      let ref = 0;
      for (let i = 0; i < n; i++) ref += x[i]! * x[i]!;
      const got = mem.k.sumsq_f32(X + (MARGIN + off) * 4, n);
      expect(Math.abs(got - ref), `n=${n} off=${off}: ${got} vs ${ref}`).toBeLessThanOrEqual(1e-13 * ref);
    }
  });

  it('sumsq_f32: no overflow at float32 max, exact 0 for zeros', () => {
    const v = mem.f32(X, 5);
    v.set([3e38, -3e38, 3e38, -3e38, 3e38]);
    const big = f(3e38) ** 2;
    expect(mem.k.sumsq_f32(X, 5) / (5 * big)).toBeCloseTo(1, 14);
    v.fill(0);
    expect(Object.is(mem.k.sumsq_f32(X, 5), 0)).toBe(true);
  });

  it('clamp_f32: min(max(x, lo), hi) bit for bit, in place or not; in-range values (−0 too) and NaN pass unchanged; nothing outside y written', () => {
    const rng = new TestRng(0xc1a9);
    for (const n of LENGTHS) for (const off of OFFSETS) for (const inPlace of [false, true]) {
      const x = Float32Array.from({ length: n }, (_, i) => (i % 7 === 3 ? -0 : i % 11 === 5 ? NaN : rng.uniform(-2, 2)));
      const vx = mem.f32(X, CAP).fill(NaN);
      vx.set(x, MARGIN + off);
      const out = inPlace ? X : Y;
      if (!inPlace) mem.f32(Y, CAP).fill(SENTINEL);
      mem.k.clamp_f32(out + (MARGIN + off) * 4, X + (MARGIN + off) * 4, -0.75, 0.75, n);
      const y = mem.f32(out, CAP);
      for (let i = 0; i < n; i++) {
        const e = Number.isNaN(x[i]!) ? NaN : x[i]! > 0.75 ? 0.75 : x[i]! < -0.75 ? -0.75 : x[i]!;
        expect(Object.is(y[MARGIN + off + i], e), `n=${n} off=${off} [${i}]: ${y[MARGIN + off + i]} vs ${e}`).toBe(true);
      }
      if (!inPlace) {
        assertUntouched(y, 0, MARGIN + off, SENTINEL, `n=${n} off=${off} before y`);
        assertUntouched(y, MARGIN + off + n, CAP, SENTINEL, `n=${n} off=${off} past y`);
      }
    }
  });
});

describe('clipGradients', () => {
  it('all-zero gradients stay +0 in every mode (no 0/0)', () => {
    const { kernels, arena } = backend();
    const g = arena.alloc(6);
    try {
      for (const c of [{ clipNorm: 1 }, { globalClipNorm: 1 }, { clipValue: 1 }, { clipNorm: 1e-30, clipValue: 1e-30 }]) {
        arena.view(g, 6).fill(0);
        clipGradients(kernels, [{ grad: g, length: 4 }, { grad: g + 16, length: 2 }], c);
        expect(Array.from(arena.view(g, 6)).every((v) => Object.is(v, 0)), JSON.stringify(c)).toBe(true);
      }
    } finally {
      arena.free(g);
    }
  });
});

// ************* through a network *************

// A linear 3-4-2 network with large inputs and targets: its gradients are in the hundreds to thousands.
const BIG_X = [[40, -25, 60], [-35, 50, 10], [20, 30, -45]];
const BIG_Y = [[-300, 250], [400, -150], [100, 500]];
const BASE: NetworkOptions = { layers: [3, 4, 2], activation: 'linear', outputActivation: 'linear', loss: 'mse', seed: 11 };

type Clip = { clipNorm?: number; globalClipNorm?: number; clipValue?: number };

/** The parameter blocks of a network in order (per dense layer: weights, bias), as float64 arrays. */
const blocks = (net: Network): number[][] => net.getWeights().flatMap((l) => [Array.from(l.weights), Array.from(l.bias ?? [])]);
const gradBlocks = (net: Network, x: number[][], y: number[][]): number[][] => net.gradients(x, y).layers.flatMap((l) => {
  const d = l as { weights: Float32Array; bias: Float32Array | null };
  return [Array.from(d.weights), Array.from(d.bias ?? [])];
});
const norm = (v: number[]): number => Math.sqrt(v.reduce((s, x) => s + x * x, 0));

/** Keras's clipping in float64: clipnorm per block, global_clipnorm over all, then clipvalue (wasmlp applies a norm clip and clipValue both when both are set). */
function clipRef(g: number[][], c: Clip): number[][] {
  let out = g.map((b) => b.slice());
  if (c.clipNorm !== undefined) out = out.map((b) => { const n = norm(b); return n > c.clipNorm! ? b.map((x) => (x * c.clipNorm!) / n) : b; });
  else if (c.globalClipNorm !== undefined) {
    const n = Math.sqrt(out.reduce((s, b) => s + norm(b) ** 2, 0));
    if (n > c.globalClipNorm) out = out.map((b) => b.map((x) => (x * c.globalClipNorm!) / n));
  }
  if (c.clipValue !== undefined) out = out.map((b) => b.map((x) => Math.min(Math.max(x, -c.clipValue!), c.clipValue!)));
  return out;
}

describe('clipping huge gradients with plain SGD: Δw = −lr·clip(g)', () => {
  // The gradients' blocks have norms of about 190 to 23 000, their elements 57 to 13 000 in magnitude.
  const LR = 1e-3, LIMIT = 100, VALUE = 500;
  const MODES: [string, Clip][] = [['clipNorm', { clipNorm: LIMIT }], ['globalClipNorm', { globalClipNorm: LIMIT }], ['clipValue', { clipValue: VALUE }], ['clipNorm + clipValue', { clipNorm: LIMIT, clipValue: VALUE }]];
  /** (w1 − w0)/lr is known to ±ulp(w1)/lr: the float32 rounding of the new weight. */
  const slack = (w1: number): number => (2 ** -22 * Math.abs(w1)) / LR;

  /** One step of a network with clipping `c`: the weights before and after and the float32 gradients before. */
  function step(c: Clip): { w0: number[][]; w1: number[][]; g: number[][] } {
    const net = new Network({ ...BASE, optimizer: { type: 'sgd', learningRate: LR, ...c } });
    const w0 = blocks(net), g = gradBlocks(net, BIG_X, BIG_Y);
    net.trainBatch(BIG_X, BIG_Y);
    const w1 = blocks(net);
    net.dispose();
    return { w0, w1, g };
  }

  it.each(MODES)('%s moves every weight by exactly −lr·clip(g)', (_name, c) => {
    const { w0, w1, g } = step(c);
    const gc = clipRef(g, c);
    expect(g.some((b, k) => b.some((x, i) => x !== gc[k]![i]!)), 'the gradients are large enough to be clipped').toBe(true);
    w1.forEach((b, k) => b.forEach((w, i) => {
      const dw = -LR * gc[k]![i]!;
      expect(Math.abs(w - (w0[k]![i]! + dw)), `block ${k} [${i}]`).toBeLessThanOrEqual(2 ** -22 * Math.abs(w) + 1e-6 * Math.abs(dw));
    }));
    const steps = w1.map((b, k) => b.map((w, i) => (w - w0[k]![i]!) / LR));
    if (c.clipNorm !== undefined && c.clipValue === undefined) for (const s of steps) expect(Math.abs(norm(s) / LIMIT - 1), 'each block clipped to the limit').toBeLessThan(1e-5);
    if (c.globalClipNorm !== undefined) expect(Math.abs(Math.sqrt(steps.reduce((t, s) => t + norm(s) ** 2, 0)) / LIMIT - 1), 'all blocks together at the limit').toBeLessThan(1e-5);
    if (c.clipValue !== undefined) w1.forEach((b, k) => b.forEach((w, i) => expect(Math.abs(steps[k]![i]!)).toBeLessThanOrEqual(VALUE + slack(w))));
  });

  it('the three modes give different updates on the same gradients, each as documented', () => {
    const runs = MODES.slice(0, 3).map(([, c]) => step(c));
    // same starting weights and gradients …
    for (const r of runs) { expect(r.w0).toEqual(runs[0]!.w0); expect(r.g).toEqual(runs[0]!.g); }
    // … different results
    for (let a = 0; a < 3; a++) for (let b = a + 1; b < 3; b++) expect(runs[a]!.w1, `${MODES[a]![0]} vs ${MODES[b]![0]}`).not.toEqual(runs[b]!.w1);
    const [perBlock, global, value] = runs.map((r) => r.w1.map((b, k) => b.map((w, i) => (w - r.w0[k]![i]!) / LR)));
    // per block: every block has norm 1; global: only the total is 1, the blocks keep their proportions
    const g = runs[0]!.g, gn = Math.sqrt(g.reduce((s, b) => s + norm(b) ** 2, 0));
    perBlock!.forEach((s) => expect(Math.abs(norm(s) / LIMIT - 1)).toBeLessThan(1e-5));
    global!.forEach((s, k) => expect(Math.abs(norm(s) / (LIMIT * norm(g[k]!) / gn) - 1)).toBeLessThan(1e-4));
    // value: the direction changes: large elements capped at the value, small ones kept as they were
    const flatG = g.flat(), flatV = value!.flat();
    expect(flatV.filter((x, i) => Math.abs(flatG[i]!) > VALUE && Math.abs(Math.abs(x) - VALUE) < 1e-3).length).toBeGreaterThan(5);
    expect(flatV.filter((x, i) => Math.abs(flatG[i]!) < VALUE && Math.abs(x - -flatG[i]!) < 1e-3).length).toBeGreaterThan(5);
  });
});

describe('gradients within the limits are untouched', () => {
  const X = [[0.3, -0.2, 0.1], [0.5, 0.4, -0.6]];
  const Y = [[0.1, -0.2], [0.3, 0.2]];
  it.each(['sgd', 'adam', 'adamw', 'rmsprop'] as const)('%s: weights bit for bit those without clipping', (type) => {
    const ref = new Network({ ...BASE, optimizer: { type, learningRate: 0.01 } });
    for (let t = 0; t < 5; t++) ref.trainBatch(X, Y);
    for (const c of [{ clipNorm: 1e3 }, { globalClipNorm: 1e3 }, { clipValue: 1e3 }, { clipNorm: 1e3, clipValue: 1e3 }]) {
      const net = new Network({ ...BASE, optimizer: { type, learningRate: 0.01, ...c } });
      expect(Math.max(...gradBlocks(net, X, Y).flat().map(Math.abs)), 'small gradients').toBeLessThan(10);
      for (let t = 0; t < 5; t++) net.trainBatch(X, Y);
      expect(blocks(net), JSON.stringify(c)).toEqual(blocks(ref));
      net.dispose();
    }
    ref.dispose();
  });
});

describe('every optimizer clips before its update (and before adding weightDecay·w)', () => {
  const STEPS = 6, TOL = 1e-5;
  const CONFIGS: RefOptimizerConfig[] = [
    { type: 'sgd', learningRate: 0.01, momentum: 0.9, nesterov: true, weightDecay: 0.01 },
    { type: 'adam', learningRate: 0.01, beta1: 0.9, beta2: 0.999, epsilon: 1e-7, weightDecay: 0 },
    { type: 'adamw', learningRate: 0.01, beta1: 0.9, beta2: 0.999, epsilon: 1e-7, weightDecay: 0.004 },
    { type: 'rmsprop', learningRate: 0.01, decay: 0.9, epsilon: 1e-7, weightDecay: 0 },
  ];
  const MODES: Clip[] = [{ clipNorm: 2 }, { globalClipNorm: 2 }, { clipValue: 0.3 }];
  // the rows vary per step so the gradients' proportions change (Adam's first step alone ignores scale)
  const batch = (t: number): [number[][], number[][]] => [BIG_X.map((r) => r.map((v, j) => v * (1 + 0.3 * Math.sin(t + j)))), BIG_Y.map((r) => r.map((v, j) => v * (1 + 0.5 * Math.cos(2 * t + j))))];

  it.each(CONFIGS.flatMap((cfg) => MODES.map((c) => [cfg.type, JSON.stringify(c), cfg, c] as const)))('%s %s: matches the float64 rule fed the clipped gradients', (_t, _c, cfg, c) => {
    const { learningRate, type: _type, ...settings } = cfg;
    const net = new Network({ ...BASE, optimizer: { type: cfg.type, learningRate, ...settings, ...c } as NetworkOptions['optimizer'] });
    const start = (): RefParam[] => blocks(net).map((w, k) => ({ w, decay: k % 2 === 0 }));
    const ref = new RefOptimizer(cfg, start()), unclipped = new RefOptimizer(cfg, start());
    let worst = 0, worstUnclipped = 0;
    for (let t = 0; t < STEPS; t++) {
      const [x, y] = batch(t);
      const g = gradBlocks(net, x, y);
      ref.step(clipRef(g, c));
      unclipped.step(g);
      net.trainBatch(x, y);
      blocks(net).forEach((b, k) => b.forEach((w, i) => {
        worst = Math.max(worst, Math.abs(w - ref.params[k]!.w[i]!) / (TOL * Math.max(Math.abs(ref.params[k]!.w[i]!), 1)));
        worstUnclipped = Math.max(worstUnclipped, Math.abs(w - unclipped.params[k]!.w[i]!) / (TOL * Math.max(Math.abs(unclipped.params[k]!.w[i]!), 1)));
      }));
    }
    expect(worst, 'against the clipped rule, in units of the tolerance').toBeLessThanOrEqual(1);
    expect(worstUnclipped, 'the unclipped rule is rejected').toBeGreaterThan(10);
    net.dispose();
  });
});

describe('clipping options', () => {
  it('are kept in the resolved options only when given, and saved and loaded with the model', () => {
    const plain = new Network({ ...BASE, optimizer: 'adam' });
    expect(Object.keys(plain.options.optimizer)).not.toContain('clipNorm');
    const net = new Network({ ...BASE, optimizer: { type: 'adam', globalClipNorm: 0.5, clipValue: 2 } });
    expect(net.options.optimizer).toMatchObject({ globalClipNorm: 0.5, clipValue: 2 });
    const again = Network.fromJSON(JSON.parse(JSON.stringify(net.toJSON())));
    expect(again.options.optimizer).toEqual(net.options.optimizer);
    for (const n of [plain, net, again]) n.dispose();
  });

  it.each([
    [{ clipNorm: 0 }, 'options.optimizer.clipNorm: expected a finite number > 0, got 0'],
    [{ globalClipNorm: -1 }, 'options.optimizer.globalClipNorm: expected a finite number > 0, got -1'],
    [{ clipValue: Infinity }, 'options.optimizer.clipValue: expected a finite number > 0, got Infinity'],
    [{ clipValue: '1' }, 'options.optimizer.clipValue: expected a finite number > 0, got "1"'],
    [{ clipNorm: 1, globalClipNorm: 2 }, 'options.optimizer.globalClipNorm: set at most one of clipNorm (1) and globalClipNorm (2)'],
    [{ clipnorm: 1 }, "options.optimizer.clipnorm: unknown setting for 'sgd' (did you mean 'clipNorm'?)"],
    [{ global_clipnorm: 1 }, "options.optimizer.global_clipnorm: unknown setting for 'sgd' (did you mean 'globalClipNorm'?)"],
  ] as [Record<string, unknown>, string][])('%o is an OptionError', (c, message) => {
    expect(() => new Network({ ...BASE, optimizer: { type: 'sgd', ...c } as never })).toThrow(OptionError);
    expect(() => new Network({ ...BASE, optimizer: { type: 'sgd', ...c } as never })).toThrow(message);
  });

  it('resolveClipping keeps only the given settings', () => {
    expect(resolveClipping({ type: 'sgd', clipValue: 3 }, 'o')).toEqual({ clipValue: 3 });
    expect(resolveClipping({}, 'o')).toEqual({});
  });
});
