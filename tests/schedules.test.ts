// Learning-rate schedules (src/schedules.ts) as the optimizers' learningRate.
// Tolerances:
//  - schedule values against their Keras formulas, written here again in float64 from the Keras
//    docstrings (keras/src/optimizers/schedules/learning_rate_schedule.py): relative 1e-12 (only the
//    order of float64 operations differs); points whose value is known in closed form are checked
//    against that value to 1e-15 relative;
//  - an SGD step (no momentum) against w_{t+1} = w_t − lr_t·g_t, g_t from net.gradients just before
//    the step: bit for bit, with the kernel's float32 roundings spelled out (w + fround(fround(−lr)·g));
//  - a network saved and loaded mid-schedule against the uninterrupted one: bit for bit.
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Network, OptionError, type NetworkOptions } from '../src/index.js';
import { backend } from '../src/internal.js';
import { createOptimizer } from '../src/optim/index.js';
import { resolveOptimizer } from '../src/options.js';
import { learningRateAt, resolveLearningRate, type LearningRate, type ResolvedLearningRate } from '../src/schedules.js';

const f = Math.fround;
const RTOL = 1e-12;

function close(actual: number, expected: number, rtol: number, label: string): void {
  expect(Math.abs(actual - expected), `${label}: ${actual} vs ${expected}`).toBeLessThanOrEqual(rtol * Math.abs(expected));
}

const rate = (lr: LearningRate, step: number, epoch = 0): number => learningRateAt(resolveLearningRate(lr, 'lr') as ResolvedLearningRate, step, epoch);

// ************* the Keras formulas, again *************

const keras = {
  exponential: (init: number, ds: number, dr: number, stair: boolean, step: number): number => {
    const p = stair ? Math.floor(step / ds) : step / ds;
    return init * Math.exp(p * Math.log(dr));
  },
  inverseTime: (init: number, ds: number, dr: number, stair: boolean, step: number): number => {
    const p = stair ? Math.floor(step / ds) : step / ds;
    return init / (1 + dr * p);
  },
  /** CosineDecay(initial_learning_rate = warm0, decay_steps, alpha, warmup_target = peak, warmup_steps). */
  cosine: (warm0: number, peak: number, ds: number, alpha: number, ws: number, step: number): number => {
    const s = Math.min(step, ds + ws);
    if (s < ws) return (peak - warm0) * (s / ws) + warm0;
    const cosineDecayed = 0.5 * (1 + Math.cos(Math.PI * ((s - ws) / ds)));
    return peak * ((1 - alpha) * cosineDecayed + alpha);
  },
  piecewise: (boundaries: number[], values: number[], step: number): number => {
    for (let i = 0; i < boundaries.length; i++) if (step <= boundaries[i]!) return values[i]!;
    return values[values.length - 1]!;
  },
};

const STEPS = [0, 1, 2, 3, 7, 9, 10, 11, 15, 19, 20, 21, 99, 100, 101, 1000, 123_456];

describe('schedule values', () => {
  it('exponential: initial·decayRate^(step/decaySteps), staircase floors the exponent', () => {
    for (const stair of [false, true]) for (const step of STEPS) {
      close(rate({ type: 'exponential', initial: 0.1, decaySteps: 10, decayRate: 0.96, staircase: stair }, step), keras.exponential(0.1, 10, 0.96, stair, step), RTOL, `stair ${stair} step ${step}`);
    }
    close(rate({ type: 'exponential', initial: 0.1, decaySteps: 10, decayRate: 0.5 }, 20), 0.025, 1e-15, 'two halvings');
    close(rate({ type: 'exponential', initial: 0.1, decaySteps: 10, decayRate: 0.5 }, 15), 0.1 / Math.SQRT2 / 2, 1e-15, 'one and a half');
    close(rate({ type: 'exponential', initial: 0.1, decaySteps: 10, decayRate: 0.5, staircase: true }, 19), 0.05, 1e-15, 'staircase holds');
    expect(rate({ type: 'exponential', initial: 0.1, decaySteps: 10, decayRate: 0.5 }, 0)).toBe(0.1);
  });

  it('inverseTime: initial / (1 + decayRate·step/decaySteps), staircase floors step/decaySteps', () => {
    for (const stair of [false, true]) for (const step of STEPS) {
      close(rate({ type: 'inverseTime', initial: 0.5, decaySteps: 10, decayRate: 0.5, staircase: stair }, step), keras.inverseTime(0.5, 10, 0.5, stair, step), RTOL, `stair ${stair} step ${step}`);
    }
    close(rate({ type: 'inverseTime', initial: 0.1, decaySteps: 1, decayRate: 0.5 }, 2), 0.05, 1e-15, 'Keras docstring example at step 2');
    close(rate({ type: 'inverseTime', initial: 0.1, decaySteps: 4, decayRate: 1, staircase: true }, 7), 0.05, 1e-15, 'staircase');
  });

  it('cosine without warm-up: from initial to alpha·initial over decaySteps, then flat', () => {
    for (const alpha of [0, 0.1]) for (const step of STEPS) {
      close(rate({ type: 'cosine', initial: 0.2, decaySteps: 100, alpha }, step), keras.cosine(0.2, 0.2, 100, alpha, 0, step), alpha === 0 && step >= 100 ? 0 : RTOL, `alpha ${alpha} step ${step}`);
    }
    expect(rate({ type: 'cosine', initial: 0.2, decaySteps: 100 }, 0)).toBe(0.2);
    close(rate({ type: 'cosine', initial: 0.2, decaySteps: 100 }, 50), 0.1, 1e-15, 'half way');
    close(rate({ type: 'cosine', initial: 0.2, decaySteps: 100, alpha: 0.1 }, 50), 0.2 * (0.9 * 0.5 + 0.1), 1e-15, 'half way, alpha 0.1');
    expect(rate({ type: 'cosine', initial: 0.2, decaySteps: 100 }, 100)).toBe(0);
    close(rate({ type: 'cosine', initial: 0.2, decaySteps: 100, alpha: 0.1 }, 5000), 0.02, 1e-15, 'alpha·initial after decaySteps');
  });

  it('cosine with warm-up: linear from warmupInitial to initial over warmupSteps, then the cosine (Keras warmup_target = initial)', () => {
    for (const warm0 of [0, 0.01]) for (const step of STEPS) {
      const s = { type: 'cosine', initial: 0.1, decaySteps: 90, alpha: 0.05, warmupSteps: 10, warmupInitial: warm0 } as const;
      close(rate(s, step), keras.cosine(warm0, 0.1, 90, 0.05, 10, step), RTOL, `warmupInitial ${warm0} step ${step}`);
    }
    const s = { type: 'cosine', initial: 0.1, decaySteps: 90, warmupSteps: 10 } as const;
    expect(rate(s, 0)).toBe(0); // warmupInitial defaults to 0 (Keras's example: initial_learning_rate 0)
    close(rate(s, 5), 0.05, 1e-15, 'half the warm-up');
    expect(rate(s, 10)).toBe(0.1); // the peak, where the cosine starts
    close(rate(s, 55), 0.05, 1e-15, 'half the decay');
    expect(rate(s, 100)).toBe(0);
  });

  it('piecewise: values[0] while step ≤ boundaries[0], …, the last value after the last boundary', () => {
    const b = [3, 10], v = [1, 0.5, 0.1];
    for (const step of [0, 1, 2, 3, 4, 9, 10, 11, 1000]) expect(rate({ type: 'piecewise', boundaries: b, values: v }, step), `step ${step}`).toBe(keras.piecewise(b, v, step));
    expect([3, 4, 10, 11].map((s) => rate({ type: 'piecewise', boundaries: b, values: v }, s))).toEqual([1, 0.5, 0.5, 0.1]);
    expect(rate({ type: 'piecewise', boundaries: [], values: [0.3] }, 77)).toBe(0.3);
  });

  it('a number is its own rate; a function gets (step, epoch)', () => {
    expect(rate(0.25, 1234, 5)).toBe(0.25);
    expect(rate((step, epoch) => 0.001 * (step + 1) + epoch, 4, 2)).toBe(0.005 + 2);
  });

  it('resolved schedules have their defaults filled in and are frozen (arrays too)', () => {
    const c = resolveLearningRate({ type: 'cosine', initial: 0.1, decaySteps: 10 }, 'lr');
    expect(c).toEqual({ type: 'cosine', initial: 0.1, decaySteps: 10, alpha: 0, warmupSteps: 0, warmupInitial: 0 });
    expect(resolveLearningRate({ type: 'exponential', initial: 0.1, decaySteps: 10, decayRate: 0.9 }, 'lr')).toEqual({ type: 'exponential', initial: 0.1, decaySteps: 10, decayRate: 0.9, staircase: false });
    const p = resolveLearningRate({ type: 'piecewise', boundaries: [1], values: [1, 2] }, 'lr') as Extract<ResolvedLearningRate, { type: 'piecewise' }>;
    expect(Object.isFrozen(c)).toBe(true);
    expect(Object.isFrozen(p.boundaries)).toBe(true);
  });
});

// ************* training with a schedule *************

const X = [[0.3, -0.7], [0.9, 0.1], [-0.4, 0.5]];
const Y = [[0.2], [0.9], [0.6]];
const BASE: NetworkOptions = { layers: [2, 3, 1], activation: 'tanh', outputActivation: 'sigmoid', loss: 'mse', seed: 3 };

const flat = (net: Network): number[] => net.getWeights().flatMap((l) => [...l.weights, ...(l.bias ?? [])]);
const flatGrads = (net: Network): number[] => net.gradients(X, Y).layers.flatMap((l) => {
  const d = l as { weights: Float32Array; bias: Float32Array | null };
  return [...d.weights, ...(d.bias ?? [])];
});

/** Plain SGD's update as the kernel computes it: w + fround(fround(−lr)·g) in float32. */
const sgdStep = (w: number[], g: number[], lr: number): number[] => w.map((wi, i) => f(wi + f(f(-lr) * g[i]!)));

describe('SGD with a schedule', () => {
  const schedules: [string, LearningRate, (step: number) => number][] = [
    ['exponential', { type: 'exponential', initial: 0.5, decaySteps: 2, decayRate: 0.5 }, (s) => keras.exponential(0.5, 2, 0.5, false, s)],
    ['cosine with warm-up', { type: 'cosine', initial: 0.8, decaySteps: 4, warmupSteps: 2, warmupInitial: 0.1, alpha: 0.1 }, (s) => keras.cosine(0.1, 0.8, 4, 0.1, 2, s)],
    ['piecewise', { type: 'piecewise', boundaries: [1, 3], values: [0.9, 0.3, 0.05] }, (s) => keras.piecewise([1, 3], [0.9, 0.3, 0.05], s)],
    ['inverseTime, staircase', { type: 'inverseTime', initial: 0.6, decaySteps: 2, decayRate: 1, staircase: true }, (s) => keras.inverseTime(0.6, 2, 1, true, s)],
    ['a function', (step: number) => 0.1 * (step + 1), (s) => 0.1 * (s + 1)],
  ];

  it.each(schedules)('%s: each step moves the weights by −lr_t·g_t, lr_t at the steps taken before it', (_name, lr, expected) => {
    for (const where of ['optimizer', 'shorthand'] as const) {
      const net = new Network({ ...BASE, ...(where === 'optimizer' ? { optimizer: { type: 'sgd', learningRate: lr } } : { learningRate: lr }) });
      for (let t = 0; t < 7; t++) {
        const w = flat(net), g = flatGrads(net);
        net.trainBatch(X, Y);
        expect(flat(net), `${where} step ${t}`).toEqual(sgdStep(w, g, expected(t)));
      }
      net.dispose();
    }
  });

  it('a number learning rate trains exactly as before (the rate passed as it is)', () => {
    const net = new Network({ ...BASE, learningRate: 0.3 });
    for (let t = 0; t < 4; t++) {
      const w = flat(net), g = flatGrads(net);
      net.trainBatch(X, Y);
      expect(flat(net)).toEqual(sgdStep(w, g, 0.3));
    }
    net.dispose();
  });

  it('the schedule is saved in the options and a loaded network continues it (JSON and .wasmlp), bit for bit', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'wasmlp-sched-'));
    try {
      for (const optimizer of [
        { type: 'sgd', momentum: 0.9, learningRate: { type: 'exponential', initial: 0.3, decaySteps: 3, decayRate: 0.7 } },
        { type: 'adam', learningRate: { type: 'cosine', initial: 0.05, decaySteps: 6, warmupSteps: 3, warmupInitial: 0.001 } },
        { type: 'rmsprop', learningRate: { type: 'piecewise', boundaries: [2, 4], values: [0.01, 0.003, 0.001] } },
      ] as NetworkOptions['optimizer'][]) {
        const whole = new Network({ ...BASE, optimizer });
        for (let t = 0; t < 8; t++) whole.trainBatch(X, Y);
        const half = new Network({ ...BASE, optimizer });
        for (let t = 0; t < 4; t++) half.trainBatch(X, Y);
        const json = half.toJSON();
        expect(json.options.optimizer.learningRate).toEqual(half.options.optimizer.learningRate);
        expect(json.optimizer.iterations).toBe(4);
        const file = join(dir, 'half.wasmlp');
        await half.save(file);
        for (const again of [Network.fromJSON(JSON.parse(JSON.stringify(json))), await Network.load(file)]) {
          expect(again.options.optimizer.learningRate).toEqual(half.options.optimizer.learningRate);
          const lr = again.options.optimizer.learningRate as ResolvedLearningRate;
          for (let k = 4; k < 8; k++) expect(learningRateAt(lr, k, 0)).toBe(learningRateAt(whole.options.optimizer.learningRate as ResolvedLearningRate, k, 0));
          for (let t = 4; t < 8; t++) again.trainBatch(X, Y);
          expect(flat(again), `${optimizer && typeof optimizer === 'object' ? optimizer.type : ''}: resumed = uninterrupted`).toEqual(flat(whole));
          again.dispose();
        }
        // teeth: the same weights and optimizer state restarted at step 0 of the schedule end elsewhere
        const restarted = Network.fromJSON({ ...json, optimizer: { ...json.optimizer, iterations: 0 } });
        for (let t = 4; t < 8; t++) restarted.trainBatch(X, Y);
        expect(flat(restarted)).not.toEqual(flat(whole));
        for (const n of [whole, half, restarted]) n.dispose();
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

// ************* function schedules *************

describe('function schedules', () => {
  it('are called once per step with (steps taken before it, epoch); the optimizer is told the epoch by setEpoch', () => {
    const { kernels, arena } = backend();
    const n = 6;
    const w = arena.alloc(n), g = arena.alloc(n);
    arena.view(w, n).set([1, 2, 3, 4, 5, 6]);
    arena.view(g, n).set([0.5, -0.5, 1, -1, 2, -2]);
    const calls: [number, number][] = [];
    const opt = createOptimizer(kernels, arena, [{ param: w, grad: g, length: n, decay: true }],
      resolveOptimizer({ type: 'sgd', learningRate: (step: number, epoch: number) => { calls.push([step, epoch]); return 0.125 * (epoch + 1); } }, undefined));
    try {
      expect(opt.epoch).toBe(0);
      opt.step();
      opt.setEpoch(2);
      expect(opt.nextLearningRate()).toBe(0.375); // computed once for this step …
      opt.step(); // … and reused by it
      opt.step();
      expect(calls).toEqual([[0, 0], [1, 2], [2, 2]]);
      expect(opt.iterations).toBe(3);
      // w − 0.125·g − 0.375·g − 0.375·g, all exact in float32
      expect(Array.from(arena.view(w, n))).toEqual([1, 2, 3, 4, 5, 6].map((x, i) => x - 0.875 * [0.5, -0.5, 1, -1, 2, -2][i]!));
      expect(opt.learningRateAt(10, 0)).toBe(0.125);
      expect(calls.at(-1)).toEqual([10, 0]);
    } finally {
      opt.dispose();
      arena.free(w);
      arena.free(g);
    }
  });

  it('fit passes the 0-based epoch of the fit (and 0 again after it)', async () => {
    const calls: [number, number][] = [];
    const net = new Network({ ...BASE, learningRate: (step, epoch) => { calls.push([step, epoch]); return 0.1; } });
    await net.fit(X, Y, { epochs: 3, batchSize: 2, shuffle: false });
    net.trainBatch(X, Y);
    expect(calls).toEqual([[0, 0], [1, 0], [2, 1], [3, 1], [4, 2], [5, 2], [6, 0]]);
    net.dispose();
  });

  it("a resumed fit (initialEpoch) gives a function the absolute epoch; each EpochLog has the rate of the epoch's last step", async () => {
    const calls: [number, number][] = [];
    const net = new Network({ ...BASE, learningRate: (step, epoch) => { calls.push([step, epoch]); return 0.1 / (1 + step); } });
    const h = await net.fit(X, Y, { epochs: 4, initialEpoch: 2, batchSize: 2, shuffle: false });
    expect(calls).toEqual([[0, 2], [1, 2], [2, 3], [3, 3]]);
    // 3 rows in batches of 2: steps 0, 1 in epoch 3 and 2, 3 in epoch 4; the last step's rate 0.1 / (1 + step)
    expect(h.epochs.map((e) => e.learningRate)).toEqual([0.1 / 2, 0.1 / 4]);
    net.dispose();
    const exp = new Network({ ...BASE, learningRate: { type: 'exponential', initial: 0.1, decaySteps: 2, decayRate: 0.5 } });
    const he = await exp.fit(X, Y, { epochs: 2, batchSize: 3, shuffle: false });
    expect(he.epochs.map((e) => e.learningRate)).toEqual([0.1, 0.1 * 0.5 ** 0.5]); // steps 0 and 1: 0.1·0.5^(step/2)
    exp.dispose();
  });

  it.each([NaN, 0, -0.1, Infinity, '0.1', undefined])('a return value of %s is an OptionError naming the step, and the network is unchanged', (bad) => {
    let value: unknown = 0.1;
    const steps: number[] = [];
    const net = new Network({ ...BASE, optimizer: { type: 'sgd', momentum: 0.5, learningRate: (step) => { steps.push(step); return value as number; } } });
    net.trainBatch(X, Y);
    net.trainBatch(X, Y);
    value = bad;
    const before = flat(net);
    let caught: unknown;
    try { net.trainBatch(X, Y); } catch (e) { caught = e; }
    expect(caught).toBeInstanceOf(OptionError);
    expect((caught as Error).message).toMatch(/options\.optimizer\.learningRate: the schedule function returned .* for step 2 \(epoch 0\); expected a finite number > 0/);
    expect(flat(net)).toEqual(before);
    // the step count did not move: the next call is for step 2 again, and training goes on
    value = 0.1;
    net.trainBatch(X, Y);
    expect(steps).toEqual([0, 1, 2, 2]);
    net.dispose();
  });

  it('a network with one cannot be saved: toJSON and save throw an OptionError, no file is written', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'wasmlp-sched-'));
    const net = new Network({ ...BASE, learningRate: () => 0.1 });
    try {
      expect(() => net.toJSON()).toThrow(OptionError);
      expect(() => net.toJSON()).toThrow(/a function schedule cannot be saved/);
      for (const name of ['m.json', 'm.wasmlp']) {
        await expect(net.save(join(dir, name))).rejects.toThrow(OptionError);
        await expect(stat(join(dir, name))).rejects.toThrow();
      }
    } finally {
      net.dispose();
      await rm(dir, { recursive: true, force: true });
    }
  });
});

afterAll(() => {});
