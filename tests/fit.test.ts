// fit, evaluate and bounded memory: the training loop checked against hand-run trainBatch steps,
// the seed's swap task, determinism, input forms, validation, early stopping, abort, yielding,
// epoch logs, bad options; evaluate against float64 sums over predict's outputs; predict,
// evaluate and fit on large inputs in bounded wasm memory.
import { describe, expect, it } from 'vitest';
import { ArgumentTypeError, Network, OptionError, ShapeError, WasmlpError, type NetworkOptions } from '../src/index.js';
import { backend } from '../src/internal.js';
import { rand } from './ref/network.js';

// ************* helpers *************

/** All weights and biases as raw float32 bits, for bit-for-bit comparisons. */
function bits(net: Network): number[] {
  return net.getWeights().flatMap((l) => [...new Uint32Array(l.weights.slice().buffer), ...(l.bias ? new Uint32Array(l.bias.slice().buffer) : [])]);
}

/** n rows of `cols` uniform values in [lo, hi) from a seeded generator independent of src/. */
function matrix(seed: number, n: number, cols: number, lo = -1, hi = 1): number[][] {
  const r = rand(seed);
  return Array.from({ length: n }, () => Array.from({ length: cols }, () => lo + (hi - lo) * r()));
}

/** n one-hot rows of width k. */
function oneHot(seed: number, n: number, k: number): number[][] {
  const r = rand(seed);
  return Array.from({ length: n }, () => { const row = new Array<number>(k).fill(0); row[Math.floor(r() * k)] = 1; return row; });
}

const flat = (rows: number[][]): Float32Array => Float32Array.from(rows.flat());

/** Float64 loss from predicted outputs: ½Σ(t−o)² (mse) or −Σ t·log p (crossEntropy), summed or averaged over rows. */
function lossFromOutputs(kind: 'mse' | 'crossEntropy', p: ArrayLike<number>, t: number[][], reduction: 'mean' | 'sum'): number {
  const cols = t[0]!.length;
  let s = 0;
  t.forEach((row, r) => row.forEach((ti, j) => {
    const pi = p[r * cols + j]!;
    s += kind === 'mse' ? 0.5 * (ti - pi) ** 2 : (ti > 0 ? -ti * Math.log(pi) : 0);
  }));
  return reduction === 'mean' ? s / t.length : s;
}

/** Fraction of rows whose argmax of p equals the argmax of t. */
function argmaxAccuracy(p: ArrayLike<number>, t: number[][]): number {
  const cols = t[0]!.length;
  let ok = 0;
  t.forEach((row, r) => {
    let bp = 0, bt = 0;
    for (let j = 1; j < cols; j++) {
      if (p[r * cols + j]! > p[r * cols + bp]!) bp = j;
      if (row[j]! > row[bt]!) bt = j;
    }
    if (bp === bt) ok++;
  });
  return ok / t.length;
}

/** Fraction of outputs on the same side of 0.5 as their target. */
function thresholdAccuracy(p: ArrayLike<number>, t: number[][]): number {
  const f = t.flat();
  return f.filter((ti, i) => (p[i]! > 0.5) === (ti > 0.5)).length / f.length;
}

function rel(a: number, b: number): number { return Math.abs(a - b) / Math.max(Math.abs(b), 1e-30); }

const SWAP_X = [[1, 1], [1, 0], [0, 1], [0, 0]];
const SWAP_Y = [[1, 1], [0, 1], [1, 0], [0, 0]];

// A small softmax classifier used by most fit tests.
const CLS: NetworkOptions = { layers: [4, 6, 3], activation: 'tanh', outputActivation: 'softmax', optimizer: 'adam', learningRate: 0.01, seed: 5 };

// ************* bounded memory (first: wasm memory never shrinks, so these need a fresh process's small memory) *************

describe('bounded wasm memory on large inputs', () => {
  const MB = 1 << 20;
  /** Upper bound of the arena's free space: memory − static data − live blocks. */
  const headroom = (): number => { const { arena, kernels } = backend(); return arena.memoryBytes - kernels.heap_base() - arena.bytesInUse; };

  it('predict and evaluate on 1,000,000 rows of a 2-4-1 network grow wasm memory by < 2 MB (the input is 8 MB)', () => {
    const { arena } = backend();
    const net = new Network({ layers: [2, 4, 1], seed: 2 });
    const n = 1_000_000;
    const x = new Float32Array(n * 2);
    const r = rand(11);
    for (let i = 0; i < x.length; i++) x[i] = r() * 2 - 1;
    const y = new Float32Array(n);
    for (let i = 0; i < n; i++) y[i] = x[2 * i]! > x[2 * i + 1]! ? 1 : 0;
    // precondition: the arena has less than 1 MB free, so copying the input whole would have to grow memory by > 7 MB
    expect(headroom()).toBeLessThan(1 * MB);
    const before = arena.memoryBytes;
    const p = net.predict(x);
    expect(arena.memoryBytes - before).toBeLessThan(2 * MB);
    expect(p).toHaveLength(n);
    // spot-check rows in different chunks against one-row predictions (which sum in another order:
    // equal within README's stated tolerance for predict of ≤ 2 rows, not bit for bit)
    for (const row of [0, 1023, 1024, 500_000, n - 1]) {
      const one = net.predict([x[2 * row]!, x[2 * row + 1]!])[0]!;
      expect(Math.abs(p[row]! - one)).toBeLessThanOrEqual(1e-6 + 1e-5 * Math.abs(one));
    }
    const ev = net.evaluate(x, y);
    expect(arena.memoryBytes - before).toBeLessThan(2 * MB);
    // and the chunked evaluate agrees with a float64 sum over predict's outputs
    let s = 0, ok = 0;
    for (let i = 0; i < n; i++) { s += 0.5 * (y[i]! - p[i]!) ** 2; if ((p[i]! > 0.5) === (y[i]! > 0.5)) ok++; }
    expect(rel(ev.loss, s / n)).toBeLessThan(1e-5);
    expect(ev.accuracy).toBe(ok / n);
    net.dispose();
  });

  it('fit on 100,000 rows of 16 inputs (6.4 MB) with batchSize 64 grows wasm memory by < 2 MB', async () => {
    const { arena } = backend();
    const n = 100_000;
    const net = new Network({ layers: [16, 4, 1], seed: 3, optimizer: 'adam' });
    const x = new Float32Array(n * 16);
    const r = rand(12);
    for (let i = 0; i < x.length; i++) x[i] = r() * 2 - 1;
    const y = new Float32Array(n).map((_, i) => (x[16 * i]! > 0 ? 1 : 0));
    expect(headroom()).toBeLessThan(1 * MB);
    const before = arena.memoryBytes;
    let batches = 0;
    const h = await net.fit(x, y, { epochs: 1, batchSize: 64, onBatchEnd: () => { batches++; } });
    expect(arena.memoryBytes - before).toBeLessThan(2 * MB);
    expect(batches).toBe(Math.ceil(n / 64)); // 1563: the last batch of 32 rows included
    expect(h.loss[0]).toBeLessThan(0.125); // learned something (an untrained sigmoid output gives ≈ 0.125)
    net.dispose();
  });
});

// ************* fit *************

describe('fit trains the seed\'s swap task with Adam', () => {
  it('reaches a low loss with every output on the right side of 0.5', async () => {
    const net = new Network({ layers: [2, 4, 3, 2], activation: 'sigmoid', outputActivation: 'sigmoid', loss: 'mse', optimizer: 'adam', learningRate: 0.05, seed: 1 });
    const before = lossFromOutputs('mse', net.predict(SWAP_X).flat(), SWAP_Y, 'mean');
    const h = await net.fit(SWAP_X, SWAP_Y, { epochs: 500, batchSize: 4 });
    expect(h.stopReason).toBe('completed');
    expect(h.loss).toHaveLength(500);
    const out = net.predict(SWAP_X);
    const loss = lossFromOutputs('mse', out.flat(), SWAP_Y, 'mean');
    expect(before).toBeGreaterThan(0.1);
    expect(loss).toBeLessThan(0.002);
    out.forEach((row, r) => row.forEach((v, j) => {
      if (SWAP_Y[r]![j] === 1) expect(v, `output ${j} of row ${r}`).toBeGreaterThan(0.5);
      else expect(v, `output ${j} of row ${r}`).toBeLessThan(0.5);
    }));
    const ev = net.evaluate(SWAP_X, SWAP_Y);
    expect(rel(ev.loss, loss)).toBeLessThan(1e-5);
    expect(ev.accuracy).toBe(1);
    net.dispose();
  });
});

describe('fit is deterministic and shuffles with the network\'s seed', () => {
  const x = matrix(1, 50, 4), y = oneHot(2, 50, 3);
  const fitted = async (o: NetworkOptions, shuffle: boolean, init?: Network): Promise<number[]> => {
    const net = new Network(o);
    if (init) net.setWeights(init.getWeights());
    await net.fit(x, y, { epochs: 3, batchSize: 8, shuffle });
    const b = bits(net);
    net.dispose();
    return b;
  };

  it('same seed, data and options → bit-identical weights (shuffle on)', async () => {
    const a = await fitted(CLS, true);
    const b = await fitted(CLS, true);
    expect(a).toEqual(b);
    // the shuffle changed something: the same start without shuffling ends elsewhere
    expect(a).not.toEqual(await fitted(CLS, false));
  });

  it('another seed gives another order: same starting weights, different result only when shuffling', async () => {
    const ref = new Network(CLS);
    const other = { ...CLS, seed: 6 };
    expect(await fitted(other, false, ref)).toEqual(await fitted(CLS, false));
    expect(await fitted(other, true, ref)).not.toEqual(await fitted(CLS, true));
    ref.dispose();
  });

  it('fit(1 epoch) twice equals fit(2 epochs): an epoch\'s order depends only on the seeded generator (shuffle on)', async () => {
    // what makes resuming after save/load exact: the generator's state is saved, an order held
    // only inside one fit call is not
    const one = new Network(CLS), two = new Network(CLS);
    await one.fit(x, y, { epochs: 2, batchSize: 8 });
    await two.fit(x, y, { epochs: 1, batchSize: 8 });
    await two.fit(x, y, { epochs: 1, batchSize: 8 });
    expect(bits(two)).toEqual(bits(one));
    one.dispose(); two.dispose();
  });

  it('each epoch uses every row exactly once (shuffled): the epoch loss is the mean loss over all rows', async () => {
    // with a learning rate too small to move a float32 weight, every batch sees the initial
    // weights, so Σ batch loss·rows / n must equal the loss over all rows, whatever the order
    const x10 = matrix(3, 10, 4), y10 = oneHot(4, 10, 3);
    const net = new Network({ ...CLS, optimizer: 'sgd', learningRate: 1e-20 });
    // non-zero biases: 0 − 1e-20·g would be a representable change, 0.1 − 1e-20·g rounds back to 0.1
    net.setWeights(net.getWeights().map((l) => ({ weights: l.weights, bias: new Float32Array(l.rows).fill(0.1) })));
    const w = bits(net);
    const p = net.predict(x10).flat();
    const h = await net.fit(x10, y10, { epochs: 3, batchSize: 3, shuffle: true });
    expect(bits(net)).toEqual(w);
    const expected = lossFromOutputs('crossEntropy', p, y10, 'mean');
    for (const l of h.loss) expect(rel(l, expected)).toBeLessThan(1e-5);
    for (const a of h.accuracy) expect(a).toBe(argmaxAccuracy(p, y10));
    net.dispose();
  });
});

describe('fit uses the last partial batch', () => {
  it('n = 10, batchSize 4: three batches per epoch, equal to three trainBatch calls by hand', async () => {
    const x = matrix(7, 10, 4), y = oneHot(8, 10, 3);
    const net = new Network(CLS);
    const hand = new Network(CLS);
    const calls: { batch: number; loss: number }[] = [];
    const h = await net.fit(x, y, { epochs: 2, batchSize: 4, shuffle: false, onBatchEnd: (l) => { calls.push(l); } });
    expect(calls.map((c) => c.batch)).toEqual([0, 1, 2, 0, 1, 2]);
    const losses: number[] = [];
    for (let e = 0; e < 2; e++) for (const [s, t] of [[0, 4], [4, 8], [8, 10]] as const) losses.push(hand.trainBatch(x.slice(s, t), y.slice(s, t)));
    expect(bits(net)).toEqual(bits(hand));
    expect(calls.map((c) => c.loss)).toEqual(losses);
    // epoch loss: per-sample mean, weighting the last batch by its 2 rows
    expect(h.loss[0]).toBeCloseTo((4 * losses[0]! + 4 * losses[1]! + 2 * losses[2]!) / 10, 12);
    expect(h.loss[1]).toBeCloseTo((4 * losses[3]! + 4 * losses[4]! + 2 * losses[5]!) / 10, 12);
    net.dispose(); hand.dispose();
  });

  it('batchSize larger than the data: one batch of all rows', async () => {
    const x = matrix(9, 5, 4), y = oneHot(10, 5, 3);
    const net = new Network(CLS), hand = new Network(CLS);
    let n = 0;
    await net.fit(x, y, { epochs: 1, batchSize: 32, shuffle: false, onBatchEnd: () => { n++; } });
    hand.trainBatch(x, y);
    expect(n).toBe(1);
    expect(bits(net)).toEqual(bits(hand));
    net.dispose(); hand.dispose();
  });
});

describe('fit accepts number[][], Float32Array and { data, rows, cols }', () => {
  it('all three give bit-identical weights', async () => {
    const x = matrix(11, 23, 4), y = oneHot(12, 23, 3);
    const forms: [unknown, unknown][] = [
      [x, y],
      [flat(x), flat(y)],
      [{ data: flat(x), rows: 23, cols: 4 }, { data: flat(y), rows: 23, cols: 3 }],
    ];
    const results: number[][] = [];
    for (const [fx, fy] of forms) {
      const net = new Network(CLS);
      await net.fit(fx as number[][], fy as number[][], { epochs: 2, batchSize: 5 });
      results.push(bits(net));
      net.dispose();
    }
    expect(results[1]).toEqual(results[0]);
    expect(results[2]).toEqual(results[0]);
    expect(results[0]).not.toEqual(bits(new Network(CLS))); // it trained
  });
});

describe('validation', () => {
  const x = matrix(13, 10, 4), y = oneHot(14, 10, 3);

  it('validationSplit holds out the last rows: valLoss is evaluate on them, training uses the rest', async () => {
    const net = new Network(CLS);
    const seen: { valLoss?: number; valAccuracy?: number; expected: { loss: number; accuracy?: number } }[] = [];
    const h = await net.fit(x, y, {
      epochs: 3, batchSize: 3, validationSplit: 0.2, // floor(10 · 0.2) = 2 rows held out: rows 8 and 9
      onEpochEnd: (log) => { seen.push({ valLoss: log.valLoss, valAccuracy: log.valAccuracy, expected: net.evaluate(x.slice(8), y.slice(8)) }); },
    });
    expect(seen).toHaveLength(3);
    for (const s of seen) {
      expect(s.valLoss).toBe(s.expected.loss);
      expect(s.valAccuracy).toBe(s.expected.accuracy);
    }
    expect(h.valLoss).toEqual(seen.map((s) => s.valLoss));
    // training saw exactly rows 0..7, in the same seeded order as a fit on those rows alone
    const alone = new Network(CLS);
    await alone.fit(x.slice(0, 8), y.slice(0, 8), { epochs: 3, batchSize: 3 });
    expect(bits(net)).toEqual(bits(alone));
    // the held-out loss is a real evaluation: not the training loss
    expect(h.valLoss[2]).not.toBe(h.loss[2]);
    net.dispose(); alone.dispose();
  });

  it('validationData: valLoss/valAccuracy equal evaluate on it, training is unaffected; it takes precedence over validationSplit', async () => {
    const xv = matrix(15, 7, 4), yv = oneHot(16, 7, 3);
    const net = new Network(CLS);
    const checks: [number | undefined, number, number | undefined, number | undefined][] = [];
    await net.fit(x, y, {
      epochs: 2, batchSize: 4, validationData: [xv, yv], validationSplit: 0.5,
      onEpochEnd: (log) => {
        const ev = net.evaluate(xv, yv);
        checks.push([log.valLoss, ev.loss, log.valAccuracy, ev.accuracy]);
      },
    });
    expect(checks).toHaveLength(2);
    for (const [a, b, c, d] of checks) { expect(a).toBe(b); expect(c).toBe(d); }
    const plain = new Network(CLS);
    await plain.fit(x, y, { epochs: 2, batchSize: 4 });
    expect(bits(net)).toEqual(bits(plain)); // all 10 rows trained, as without validation
    net.dispose(); plain.dispose();
  });
});

describe('stopping', () => {
  const x = matrix(17, 12, 4), y = oneHot(18, 12, 3);

  it('earlyStopping on loss with a huge minDelta stops after patience + 1 epochs', async () => {
    // epoch 1 always improves on best = Infinity; no later epoch can beat best − 1e9, so wait
    // becomes 1, 2, …: with patience 2 the stop comes at epoch 3 (= patience + 1)
    const net = new Network(CLS);
    const h = await net.fit(x, y, { epochs: 20, earlyStopping: { monitor: 'loss', patience: 2, minDelta: 1e9 } });
    expect(h.stopReason).toBe('earlyStopping');
    expect(h.loss).toHaveLength(3);
    expect(h.epochs.map((e) => e.epoch)).toEqual([1, 2, 3]);
    // patience 0 (Keras: stop at the first epoch without improvement): epoch 2
    const h0 = await new Network(CLS).fit(x, y, { epochs: 20, earlyStopping: { monitor: 'loss', patience: 0, minDelta: 1e9 } });
    expect(h0.stopReason).toBe('earlyStopping');
    expect(h0.loss).toHaveLength(2);
    // minDelta 0 on a steadily falling training loss never stops
    const hc = await new Network(CLS).fit(x, y, { epochs: 8, batchSize: 12, earlyStopping: { monitor: 'loss', patience: 1 } });
    expect(hc.stopReason).toBe('completed');
    expect(hc.loss).toHaveLength(8);
    net.dispose();
  });

  it('earlyStopping on valLoss stops where the rule applied to the recorded valLoss says', async () => {
    // random validation labels: the validation loss rises once the network fits the training rows
    const xv = matrix(19, 12, 4), yv = oneHot(20, 12, 3);
    const net = new Network({ ...CLS, learningRate: 0.05 });
    const patience = 2, minDelta = 0.001;
    const h = await net.fit(x, y, { epochs: 200, batchSize: 4, validationData: [xv, yv], earlyStopping: { monitor: 'valLoss', patience, minDelta } });
    let best = Infinity, wait = 0, stopAt = -1;
    for (let e = 0; e < h.valLoss.length; e++) {
      if (h.valLoss[e]! < best - minDelta) { best = h.valLoss[e]!; wait = 0; }
      else if (++wait >= patience) { stopAt = e + 1; break; }
    }
    expect(stopAt, 'the rule must call for a stop within the recorded epochs').toBeGreaterThan(0);
    expect(h.stopReason).toBe('earlyStopping');
    expect(h.valLoss).toHaveLength(stopAt);
    expect(stopAt).toBeLessThan(200);
    net.dispose();
  });

  it('errorThreshold stops at the first epoch whose loss is below it', async () => {
    const net = new Network({ layers: [2, 4, 3, 2], loss: 'mse', optimizer: 'adam', learningRate: 0.05, seed: 1 });
    const h = await net.fit(SWAP_X, SWAP_Y, { epochs: 5000, batchSize: 4, errorThreshold: 0.01 });
    expect(h.stopReason).toBe('errorThreshold');
    expect(h.loss.length).toBeGreaterThan(1);
    expect(h.loss.length).toBeLessThan(5000);
    expect(h.loss.at(-1)).toBeLessThan(0.01);
    for (const l of h.loss.slice(0, -1)) expect(l).toBeGreaterThanOrEqual(0.01);
    net.dispose();
  });

  it('an AbortController aborted from onBatchEnd after 3 batches: stopReason aborted, weights = 3 trainBatch steps', async () => {
    const x20 = matrix(21, 20, 4), y20 = oneHot(22, 20, 3);
    const net = new Network(CLS), hand = new Network(CLS);
    const ac = new AbortController();
    let calls = 0;
    const h = await net.fit(x20, y20, {
      epochs: 3, batchSize: 4, shuffle: false, signal: ac.signal,
      onBatchEnd: ({ batch }) => { calls++; if (batch === 2) ac.abort(); },
    });
    expect(h.stopReason).toBe('aborted');
    expect(calls).toBe(3);
    for (const [s, t] of [[0, 4], [4, 8], [8, 12]] as const) hand.trainBatch(x20.slice(s, t), y20.slice(s, t));
    expect(bits(net)).toEqual(bits(hand));
    // an already aborted signal: nothing trained
    const fresh = new Network(CLS);
    const w = bits(fresh);
    const h2 = await fresh.fit(x20, y20, { epochs: 3, signal: ac.signal });
    expect(h2.stopReason).toBe('aborted');
    expect(h2.epochs).toHaveLength(0);
    expect(bits(fresh)).toEqual(w);
    net.dispose(); hand.dispose(); fresh.dispose();
  });
});

describe('fit yields to the event loop', () => {
  it('timers fire between batches during a long fit (784-64-10, 3,000 rows)', async () => {
    const n = 3000;
    const r = rand(23);
    const x = new Float32Array(n * 784).map(() => r());
    const y = new Float32Array(n * 10);
    for (let i = 0; i < n; i++) y[i * 10 + Math.floor(r() * 10)] = 1;
    const net = new Network({ layers: [784, 64, 10], activation: 'relu', outputActivation: 'softmax', optimizer: 'adam', seed: 4 });
    let ticks = 0, timeoutFired = false;
    const interval = setInterval(() => { ticks++; }, 1);
    setTimeout(() => { timeoutFired = true; }, 0);
    const atBatch: number[] = [];
    let firedBeforeFirstEpochEnd = false;
    let batchesInEpoch1 = 0;
    let epoch = 1;
    try {
      await net.fit(x, y, {
        epochs: 2, batchSize: 32,
        onBatchEnd: () => { atBatch.push(ticks); if (epoch === 1) { batchesInEpoch1++; firedBeforeFirstEpochEnd = timeoutFired; } },
        onEpochEnd: () => { epoch++; },
      });
    } finally {
      clearInterval(interval);
    }
    expect(batchesInEpoch1).toBe(Math.ceil(n / 32));
    // the 0 ms timeout and the interval ran while epoch 1 was still going (between its batches)
    expect(firedBeforeFirstEpochEnd).toBe(true);
    expect(atBatch[batchesInEpoch1 - 1]).toBeGreaterThan(0);
    // and more than once: the tick count rose at several distinct batches
    const rises = atBatch.filter((t, i) => i > 0 && t > atBatch[i - 1]!).length;
    expect(rises).toBeGreaterThan(2);
    net.dispose();
  });
});

describe('epoch logs', () => {
  it('onEpochEnd gets epoch, loss, accuracy, valLoss, valAccuracy, learningRate, samplesPerSecond with sensible values', async () => {
    const x = matrix(25, 40, 4), y = oneHot(26, 40, 3);
    const xv = matrix(27, 9, 4), yv = oneHot(28, 9, 3);
    const net = new Network(CLS);
    const logs: Parameters<NonNullable<Parameters<Network['fit']>[2]>['onEpochEnd'] & object>[0][] = [];
    const t0 = performance.now();
    const elapsed: number[] = [];
    const h = await net.fit(x, y, { epochs: 4, batchSize: 16, validationData: [xv, yv], onEpochEnd: (l) => { logs.push({ ...l }); elapsed.push(performance.now() - t0); } });
    expect(logs.map((l) => l.epoch)).toEqual([1, 2, 3, 4]);
    logs.forEach((l, i) => {
      expect(Object.keys(l).sort()).toEqual(['accuracy', 'epoch', 'learningRate', 'loss', 'samplesPerSecond', 'valAccuracy', 'valLoss']);
      expect(l.learningRate).toBe(net.options.optimizer.learningRate); // a constant rate
      expect(Number.isFinite(l.loss) && l.loss > 0).toBe(true);
      expect(Number.isFinite(l.valLoss!) && l.valLoss! > 0).toBe(true);
      // accuracies are counts of rows: k/40 and k/9
      expect(l.accuracy! * 40).toBeCloseTo(Math.round(l.accuracy! * 40), 9);
      expect(l.valAccuracy! * 9).toBeCloseTo(Math.round(l.valAccuracy! * 9), 9);
      expect(l.accuracy).toBeGreaterThanOrEqual(0); expect(l.accuracy).toBeLessThanOrEqual(1);
      // samples per second: the epoch took at most the time since fit started
      expect(Number.isFinite(l.samplesPerSecond)).toBe(true);
      expect(l.samplesPerSecond).toBeGreaterThanOrEqual(40 / (elapsed[i]! / 1000) * 0.99);
    });
    expect(h.loss).toEqual(logs.map((l) => l.loss));
    expect(h.accuracy).toEqual(logs.map((l) => l.accuracy));
    expect(h.valLoss).toEqual(logs.map((l) => l.valLoss));
    expect(h.valAccuracy).toEqual(logs.map((l) => l.valAccuracy));
    expect(h.epochs).toEqual(logs);
    expect(logs[3]!.loss).toBeLessThan(logs[0]!.loss); // it learns
    net.dispose();
  });

  it('one full batch: epoch 1 loss and accuracy are those of the starting weights, from predict', async () => {
    const x = matrix(29, 30, 4), y = oneHot(30, 30, 3);
    const net = new Network(CLS);
    const p = net.predict(x).flat();
    const h = await net.fit(x, y, { epochs: 1, batchSize: 30, shuffle: false });
    expect(rel(h.loss[0]!, lossFromOutputs('crossEntropy', p, y, 'mean'))).toBeLessThan(1e-5);
    expect(h.accuracy[0]).toBe(argmaxAccuracy(p, y));
    // sigmoid outputs: accuracy per output > 0.5; linear outputs: none
    const sig = new Network({ layers: [4, 5, 2], loss: 'mse', seed: 9 });
    const ys = matrix(31, 30, 2, 0, 1);
    const ps = sig.predict(x).flat();
    const hs = await sig.fit(x, ys, { epochs: 1, batchSize: 30, shuffle: false });
    expect(rel(hs.loss[0]!, lossFromOutputs('mse', ps, ys, 'mean'))).toBeLessThan(1e-5);
    expect(hs.accuracy[0]).toBe(thresholdAccuracy(ps, ys));
    const lin = new Network({ layers: [4, 2], outputActivation: 'linear', seed: 9 });
    const hl = await lin.fit(x, ys, { epochs: 1 });
    expect(hl.accuracy).toEqual([]);
    expect('accuracy' in hl.epochs[0]!).toBe(false);
    net.dispose(); sig.dispose(); lin.dispose();
  });
});

describe('bad fit options: typed errors, weights unchanged', () => {
  const x = matrix(33, 10, 4), y = oneHot(34, 10, 3);
  const cases: [string, () => [unknown, unknown, unknown], new (...a: never[]) => WasmlpError, RegExp][] = [
    ['unknown option with a suggestion', () => [x, y, { epoch: 5 }], OptionError, /fit options\.epoch: unknown option \(did you mean 'epochs'\?\)/],
    ['batchSize 0', () => [x, y, { batchSize: 0 }], OptionError, /fit options\.batchSize: expected an integer ≥ 1, got 0/],
    ['fractional epochs', () => [x, y, { epochs: 1.5 }], OptionError, /fit options\.epochs: expected an integer ≥ 1, got 1\.5/],
    ['validationSplit 1.5', () => [x, y, { validationSplit: 1.5 }], OptionError, /fit options\.validationSplit: expected a number in \(0, 1\), got 1\.5/],
    ['validationSplit leaving no validation rows', () => [x, y, { validationSplit: 0.05 }], OptionError, /fit options\.validationSplit: 0\.05 of 10 rows leaves 0 for validation/],
    ['monitor valLoss without validation data', () => [x, y, { earlyStopping: { monitor: 'valLoss', patience: 1 } }], OptionError, /fit options\.earlyStopping\.monitor: 'valLoss' needs validationData or validationSplit/],
    ['earlyStopping defaults to valLoss, so it needs validation data too', () => [x, y, { earlyStopping: { patience: 1 } }], OptionError, /'valLoss' needs validationData/],
    ['unknown monitor', () => [x, y, { earlyStopping: { monitor: 'val_loss' } }], OptionError, /fit options\.earlyStopping\.monitor: expected 'loss' or 'valLoss', got "val_loss"/],
    ['unknown earlyStopping setting', () => [x, y, { earlyStopping: { patince: 1 } }], OptionError, /fit options\.earlyStopping\.patince: unknown option/],
    ['negative patience', () => [x, y, { earlyStopping: { monitor: 'loss', patience: -1 } }], OptionError, /patience: expected an integer ≥ 0, got -1/],
    ['shuffle not boolean', () => [x, y, { shuffle: 'yes' }], OptionError, /fit options\.shuffle: expected true or false, got "yes"/],
    ['onEpochEnd not a function', () => [x, y, { onEpochEnd: 1 }], OptionError, /fit options\.onEpochEnd: expected a function, got 1/],
    ['errorThreshold ≤ 0', () => [x, y, { errorThreshold: 0 }], OptionError, /fit options\.errorThreshold: expected a number > 0, got 0/],
    ['signal without aborted', () => [x, y, { signal: {} }], OptionError, /fit options\.signal: expected an AbortSignal/],
    ['validationData not a pair', () => [x, y, { validationData: [x] }], OptionError, /fit options\.validationData: expected \[x, y\]/],
    ['options not an object', () => [x, y, 5], ArgumentTypeError, /fit options: expected an object, got 5/],
    ['y rows ≠ x rows', () => [x, y.slice(1), {}], ShapeError, /y: expected 10 rows of targets.*got 9/],
    ['validation targets of the wrong width', () => [x, y, { validationData: [x, matrix(1, 10, 2)] }], ShapeError, /validationData\[1\]\[0\]: expected a row of 3 numbers/],
  ];

  it.each(cases)('%s', async (_name, args, error, message) => {
    const net = new Network(CLS);
    const w = bits(net);
    let batches = 0;
    const [fx, fy, fo] = args();
    const opts = fo !== null && typeof fo === 'object' ? { ...(fo as object), onBatchEnd: () => { batches++; } } : fo;
    let caught: unknown;
    try { await net.fit(fx as number[][], fy as number[][], opts as object); } catch (e) { caught = e; }
    expect(caught, 'fit must reject').toBeInstanceOf(error);
    expect((caught as Error).message).toMatch(message);
    expect(batches).toBe(0);
    expect(bits(net)).toEqual(w);
    net.dispose();
  });
});

// ************* evaluate *************

describe('evaluate equals a float64 computation from predict', () => {
  const cases: [string, NetworkOptions, 'mse' | 'crossEntropy'][] = [
    ['softmax + crossEntropy, mean', { layers: [5, 7, 4], activation: 'tanh', outputActivation: 'softmax', seed: 2 }, 'crossEntropy'],
    ['softmax + crossEntropy, sum', { layers: [5, 7, 4], activation: 'tanh', outputActivation: 'softmax', reduction: 'sum', seed: 2 }, 'crossEntropy'],
    ['sigmoid + mse, mean', { layers: [5, 7, 3], outputActivation: 'sigmoid', loss: 'mse', seed: 3 }, 'mse'],
    ['sigmoid + mse, sum', { layers: [5, 7, 3], outputActivation: 'sigmoid', loss: 'mse', reduction: 'sum', seed: 3 }, 'mse'],
  ];

  for (const rows of [13, 2500]) {
    it.each(cases)(`%s, ${rows} rows${rows > 1024 ? ' (chunked)' : ''}`, (_name, o, kind) => {
      const net = new Network(o);
      // move the weights off their initialisation so the outputs are not all near 0.5 / uniform
      const k = o.layers.at(-1)!;
      const tx = matrix(40, 16, 5), ty = kind === 'crossEntropy' ? oneHot(41, 16, k) : matrix(41, 16, k, 0, 1);
      for (let i = 0; i < 20; i++) net.trainBatch(tx, ty);
      const x = matrix(42 + rows, rows, 5, -2, 2);
      const y = kind === 'crossEntropy' ? oneHot(43 + rows, rows, k) : matrix(43 + rows, rows, k, 0, 1);
      const w = bits(net);
      const p = net.predict(flat(x));
      const ev = net.evaluate(x, y);
      expect(rel(ev.loss, lossFromOutputs(kind, p, y, o.reduction ?? 'mean'))).toBeLessThan(1e-5);
      const acc = kind === 'crossEntropy' ? argmaxAccuracy(p, y) : thresholdAccuracy(p, y);
      expect(ev.accuracy).toBe(acc);
      expect(acc).toBeGreaterThan(0); expect(acc).toBeLessThan(1); // a count that can be off
      expect(net.evaluate(flat(x), flat(y))).toEqual(ev); // input form does not matter
      expect(bits(net)).toEqual(w); // evaluate changes nothing
      net.dispose();
    });
  }

  it('linear outputs: loss only, no accuracy', () => {
    const net = new Network({ layers: [3, 2], outputActivation: 'linear', seed: 1 });
    const x = matrix(50, 6, 3), y = matrix(51, 6, 2);
    const ev = net.evaluate(x, y);
    expect(rel(ev.loss, lossFromOutputs('mse', net.predict(flat(x)), y, 'mean'))).toBeLessThan(1e-5);
    expect(ev.accuracy).toBeUndefined();
    net.dispose();
  });
});
