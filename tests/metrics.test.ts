// Metrics (src/metrics.ts) through the front door: every metric of evaluate and of fit's epoch logs
// against a float64 computation written here from the network's own outputs (predict, trace): a
// confusion table counted by hand, ROC AUC by its O(n²) pairwise definition (a tie counts ½),
// mae/rmse/r2 by their formulas; the degenerate cases; the defaults; the option errors.
import { describe, expect, it } from 'vitest';
import { ArgumentTypeError, Network, OptionError, type EpochLog, type NetworkOptions } from '../src/index.js';
import { rand } from './ref/network.js';

// ************* float64 references *************

type Ref = { accuracy: number; precision: number; recall: number; f1: number };

const argmaxRow = (v: ArrayLike<number>, r: number, k: number): number => {
  let best = 0;
  for (let j = 1; j < k; j++) if (v[r * k + j]! > v[r * k + best]!) best = j;
  return best;
};

/** Precision, recall and f1 of one class from its counts; 0 where a denominator is 0 (scikit-learn's zero_division=0). */
function prf(tp: number, fp: number, fn: number): [number, number, number] {
  const p = tp + fp > 0 ? tp / (tp + fp) : 0, r = tp + fn > 0 ? tp / (tp + fn) : 0;
  return [p, r, p + r > 0 ? (2 * p * r) / (p + r) : 0];
}

/** softmax: a k × k confusion matrix C[actual][predicted], macro over the classes in either the targets or the predictions. */
function refSoftmax(p: ArrayLike<number>, t: ArrayLike<number>, k: number): Ref {
  const rows = p.length / k;
  const C = Array.from({ length: k }, () => new Array<number>(k).fill(0));
  for (let r = 0; r < rows; r++) C[argmaxRow(t, r, k)]![argmaxRow(p, r, k)]!++;
  let diag = 0, n = 0;
  const sums = [0, 0, 0];
  for (let c = 0; c < k; c++) {
    diag += C[c]![c]!;
    const actual = C[c]!.reduce((a, b) => a + b, 0), predicted = C.reduce((a, row) => a + row[c]!, 0);
    if (actual + predicted === 0) continue;
    n++;
    prf(C[c]![c]!, predicted - C[c]![c]!, actual - C[c]![c]!).forEach((v, i) => { sums[i]! += v; });
  }
  return { accuracy: diag / rows, precision: sums[0]! / n, recall: sums[1]! / n, f1: sums[2]! / n };
}

/** sigmoid: a 2 × 2 table per output (> 0.5), then the mean over outputs. */
function refSigmoid(p: ArrayLike<number>, t: ArrayLike<number>, cols: number): Ref {
  const rows = p.length / cols;
  let right = 0;
  const sums = [0, 0, 0];
  for (let j = 0; j < cols; j++) {
    let tp = 0, fp = 0, fn = 0, tn = 0;
    for (let r = 0; r < rows; r++) {
      const yp = p[r * cols + j]! > 0.5, yt = t[r * cols + j]! > 0.5;
      if (yp && yt) tp++; else if (yp) fp++; else if (yt) fn++; else tn++;
    }
    right += tp + tn;
    prf(tp, fp, fn).forEach((v, i) => { sums[i]! += v; });
  }
  return { accuracy: right / (rows * cols), precision: sums[0]! / cols, recall: sums[1]! / cols, f1: sums[2]! / cols };
}

/** ROC AUC by definition: the fraction of (positive, negative) pairs ordered right, a tie counting ½; null with one class. */
function refAuc(scores: ArrayLike<number>, positive: ArrayLike<boolean>): number | null {
  let pairs = 0, sum = 0;
  for (let i = 0; i < scores.length; i++) {
    if (!positive[i]) continue;
    for (let j = 0; j < scores.length; j++) {
      if (positive[j]) continue;
      pairs++;
      sum += scores[i]! > scores[j]! ? 1 : scores[i]! === scores[j]! ? 0.5 : 0;
    }
  }
  return pairs === 0 ? null : sum / pairs;
}

/** mae and rmse over all values; r2 per output (two passes), scikit-learn's constant-target rule, then the mean. */
function refRegression(p: ArrayLike<number>, t: ArrayLike<number>, cols: number): { mae: number; rmse: number; r2: number } {
  const rows = p.length / cols;
  let sa = 0, ss = 0, r2 = 0;
  for (let i = 0; i < p.length; i++) { sa += Math.abs(p[i]! - t[i]!); ss += (p[i]! - t[i]!) ** 2; }
  for (let j = 0; j < cols; j++) {
    let mean = 0;
    for (let r = 0; r < rows; r++) mean += t[r * cols + j]!;
    mean /= rows;
    let res = 0, tot = 0;
    for (let r = 0; r < rows; r++) { res += (t[r * cols + j]! - p[r * cols + j]!) ** 2; tot += (t[r * cols + j]! - mean) ** 2; }
    r2 += tot === 0 ? (res === 0 ? 1 : 0) : 1 - res / tot;
  }
  return { mae: sa / p.length, rmse: Math.sqrt(ss / p.length), r2: r2 / cols };
}

// ************* data *************

/** n rows of `cols` uniform values in [lo, hi), float32-exact (the network stages targets as float32: the metrics compare with those). */
function matrix(seed: number, n: number, cols: number, lo = -1, hi = 1): number[][] {
  const r = rand(seed);
  return Array.from({ length: n }, () => Array.from({ length: cols }, () => Math.fround(lo + (hi - lo) * r())));
}
const classes = (seed: number, n: number, k: number): number[] => { const r = rand(seed); return Array.from({ length: n }, () => Math.floor(r() * k)); };
const oneHot = (c: number[], k: number): number[][] => c.map((i) => Array.from({ length: k }, (_, j) => (j === i ? 1 : 0)));
const flat = (rows: number[][]): Float32Array => Float32Array.from(rows.flat());
/** A log's field by name (metric names are data here). */
const field = (log: EpochLog, k: string): unknown => (log as unknown as Record<string, unknown>)[k];
const bits = (net: Network): string => JSON.stringify(net.toJSON());
const weightBits = (net: Network): number[][] => net.getWeights().map((l) => [...new Uint32Array(l.weights.slice().buffer)]);

/** Classification metrics agree with the reference to this (ratios of counts: only the order of a few float64 operations differs). */
const CLASS_TOL = 1e-12;
/** mae, rmse, r2: float64 sums in another order (chunks, Chan's merge of batch means). */
const REG_TOL = 1e-9;

function expectClose(got: number | null | undefined, want: number | null, tol: number, label: string): void {
  if (want === null) { expect(got, label).toBeNull(); return; }
  expect(typeof got, label).toBe('number');
  expect(Math.abs((got as number) - want), `${label}: got ${got}, want ${want}`).toBeLessThanOrEqual(tol * Math.max(1, Math.abs(want)));
}

const ALL_CLASS = ['accuracy', 'precision', 'recall', 'f1'] as const;
const REGRESSION = ['mae', 'rmse', 'r2'] as const;

// ************* evaluate *************

describe('evaluate: class metrics against a confusion matrix counted by hand', () => {
  it('softmax, 4 classes (macro over the classes present in the targets or the predictions), trained off its initialisation', () => {
    const net = new Network({ layers: [3, 8, 4], activation: 'tanh', outputActivation: 'softmax', seed: 3, optimizer: 'adam', learningRate: 0.05 });
    const tx = matrix(1, 40, 3), ty = oneHot(classes(2, 40, 4), 4);
    for (let i = 0; i < 15; i++) net.trainBatch(tx, ty);
    for (const rows of [37, 2100]) { // 2100: evaluate runs in chunks of 1024 rows
      const x = matrix(3 + rows, rows, 3, -2, 2), y = oneHot(classes(4 + rows, rows, 4), 4);
      const p = net.predict(flat(x)), ref = refSoftmax(p, y.flat(), 4);
      const ev = net.evaluate(x, y, { metrics: [...ALL_CLASS, ...REGRESSION] });
      for (const m of ALL_CLASS) expectClose(ev[m], ref[m], CLASS_TOL, `${rows} rows: ${m}`);
      const reg = refRegression(p, y.flat(), 4);
      for (const m of REGRESSION) expectClose(ev[m], reg[m], REG_TOL, `${rows} rows: ${m}`);
      expect(ev.accuracy).toBe(net.evaluate(x, y).accuracy); // the default accuracy is the same count
      expect(ref.precision).toBeGreaterThan(0); expect(ref.precision).toBeLessThan(1); // counts that can be off
    }
    net.dispose();
  });

  it('a class in neither the targets nor the predictions is left out of the macro average; one only predicted counts 0', () => {
    // W = 10·I: the predicted class is the argmax of the input, so the confusion matrix is chosen here
    const net = new Network({ layers: [3, 3], outputActivation: 'softmax', seed: 1 });
    net.setWeights([{ weights: [[10, 0, 0], [0, 10, 0], [0, 0, 10]], bias: [0, 0, 0] }]);
    const x = [[1, 0, 0], [1, 0, 0], [0, 1, 0], [0, 1, 0], [1, 0, 0]], c = [0, 0, 1, 0, 1];
    // class 2: never a target, never predicted → not averaged; class 0: tp 2, fp 1, fn 1; class 1: tp 1, fp 1, fn 1
    const ev = net.evaluate(x, oneHot(c, 3), { metrics: [...ALL_CLASS] });
    expect(ev).toEqual({ loss: ev.loss, accuracy: 3 / 5, precision: (2 / 3 + 1 / 2) / 2, recall: (2 / 3 + 1 / 2) / 2, f1: (2 / 3 + 1 / 2) / 2 });
    const ref = refSoftmax(net.predict(flat(x)), oneHot(c, 3).flat(), 3);
    for (const m of ALL_CLASS) expectClose(ev[m], ref[m], CLASS_TOL, m);
    // class 2 predicted once but never a target: averaged, with precision 0 and recall 0
    const ev2 = net.evaluate([...x, [0, 0, 1]], oneHot([...c, 0], 3), { metrics: ['precision', 'recall', 'f1'] });
    const ref2 = refSoftmax(net.predict(flat([...x, [0, 0, 1]])), oneHot([...c, 0], 3).flat(), 3);
    for (const m of ['precision', 'recall', 'f1'] as const) expectClose(ev2[m], ref2[m], CLASS_TOL, m);
    expect(ev2.recall).toBeCloseTo((2 / 4 + 1 / 2 + 0) / 3, 14);
    net.dispose();
  });

  it('sparseCrossEntropy (class indices staged as one-hot rows) gives the metrics of crossEntropy on the one-hot rows', () => {
    const o: NetworkOptions = { layers: [3, 5, 3], activation: 'relu', outputActivation: 'softmax', seed: 9 };
    const dense = new Network(o), sparse = new Network({ ...o, loss: 'sparseCrossEntropy' });
    const x = matrix(5, 30, 3, -2, 2), c = classes(6, 30, 3);
    const metrics = [...ALL_CLASS, ...REGRESSION];
    const evS = sparse.evaluate(x, c, { metrics }), evD = dense.evaluate(x, oneHot(c, 3), { metrics });
    expect(evS).toEqual(evD);
    const ref = refSoftmax(sparse.predict(flat(x)), oneHot(c, 3).flat(), 3);
    for (const m of ALL_CLASS) expectClose(evS[m], ref[m], CLASS_TOL, m);
    expect(sparse.evaluate(x, c)).toEqual(dense.evaluate(x, oneHot(c, 3))); // { loss, accuracy }
    dense.dispose(); sparse.dispose();
  });

  it('sigmoid, 3 outputs: per output binary, then the mean over outputs (an output with no positives counts 0)', () => {
    const net = new Network({ layers: [2, 6, 3], activation: 'tanh', outputActivation: 'sigmoid', loss: 'binaryCrossEntropy', seed: 4 });
    const x = matrix(7, 50, 2, -3, 3);
    const r = rand(8);
    const y = x.map(() => [r() < 0.5 ? 1 : 0, r() < 0.3 ? 1 : 0, 0]); // output 2: never positive
    const p = net.predict(flat(x)), ref = refSigmoid(p, y.flat(), 3);
    const ev = net.evaluate(x, y, { metrics: [...ALL_CLASS] });
    for (const m of ALL_CLASS) expectClose(ev[m], ref[m], CLASS_TOL, m);
    expect(ev.accuracy).toBe(net.evaluate(x, y).accuracy);
    net.dispose();
  });
});

describe('evaluate: auc against the pairwise definition (ties ½)', () => {
  it('one sigmoid output, with ties between positives and negatives, 2500 rows (chunked)', () => {
    // σ(w·x) with x on a coarse grid: many rows share a score exactly
    const net = new Network({ layers: [1, 1], outputActivation: 'sigmoid', seed: 2 });
    net.setWeights([{ weights: [[1.5]], bias: [0.1] }]);
    const r = rand(12);
    const x = Array.from({ length: 2500 }, () => [Math.round(r() * 40 - 20) / 8]);
    const y = x.map(([v]) => [r() < 1 / (1 + Math.exp(-v!)) ? 1 : 0]);
    const p = net.predict(flat(x));
    const want = refAuc(p, y.map(([t]) => t! > 0.5));
    expect(want).toBeGreaterThan(0.6); expect(want).toBeLessThan(0.95);
    expectClose(net.evaluate(x, y, { metrics: ['auc'] }).auc, want, CLASS_TOL, 'auc');
    net.dispose();
  });

  it('2-class softmax, scored by p(class 1), positive when the target is class 1', () => {
    const net = new Network({ layers: [2, 4, 2], activation: 'tanh', outputActivation: 'softmax', seed: 6 });
    const x = matrix(13, 60, 2, -2, 2), c = classes(14, 60, 2);
    const p = net.predict(flat(x));
    const want = refAuc(Array.from({ length: 60 }, (_, i) => p[2 * i + 1]!), c.map((k) => k === 1));
    expectClose(net.evaluate(x, oneHot(c, 2), { metrics: ['auc'] }).auc, want, CLASS_TOL, 'auc');
    net.dispose();
  });

  it('perfect, reversed and all-tied scores give 1, 0 and ½', () => {
    const net = new Network({ layers: [1, 1], outputActivation: 'sigmoid', seed: 2 });
    net.setWeights([{ weights: [[1]], bias: [0] }]);
    const x = [[-2], [-1], [1], [2]];
    expect(net.evaluate(x, [[0], [0], [1], [1]], { metrics: ['auc'] }).auc).toBe(1);
    expect(net.evaluate(x, [[1], [1], [0], [0]], { metrics: ['auc'] }).auc).toBe(0);
    expect(net.evaluate([[3], [3], [3]], [[0], [1], [1]], { metrics: ['auc'] }).auc).toBe(0.5);
    net.dispose();
  });
});

describe('evaluate: degenerate cases are defined numbers (auc: null), never NaN', () => {
  const net = new Network({ layers: [1, 1], outputActivation: 'sigmoid', seed: 2 });
  net.setWeights([{ weights: [[1]], bias: [0] }]);
  const all = [...ALL_CLASS, 'auc', ...REGRESSION] as const;
  const cases: [string, number[][], number[][], Partial<Record<(typeof all)[number], number | null>>][] = [
    ['no predicted positives: precision 0', [[-1], [-2], [-3]], [[1], [0], [1]], { precision: 0, recall: 0, f1: 0 }],
    ['no actual positives: recall 0, and auc null (one class)', [[1], [-2], [3]], [[0], [0], [0]], { precision: 0, recall: 0, f1: 0, auc: null }],
    ['neither: precision, recall and f1 0, accuracy 1', [[-1], [-2]], [[0], [0]], { accuracy: 1, precision: 0, recall: 0, f1: 0, auc: null }],
    ['only positives: auc null', [[1], [-2]], [[1], [1]], { auc: null }],
    ['one row', [[1]], [[1]], { accuracy: 1, precision: 1, recall: 1, f1: 1, auc: null }],
  ];
  it.each(cases)('%s', (_name, x, y, want) => {
    const ev = net.evaluate(x, y, { metrics: [...all] });
    const p = net.predict(flat(x)), ref = refSigmoid(p, y.flat(), 1), reg = refRegression(p, y.flat(), 1);
    for (const m of ALL_CLASS) expectClose(ev[m], ref[m], CLASS_TOL, m);
    expectClose(ev.auc, refAuc(p, y.map(([t]) => t! > 0.5)), CLASS_TOL, 'auc');
    for (const m of REGRESSION) expectClose(ev[m], reg[m], REG_TOL, m);
    for (const [m, v] of Object.entries(want)) expect(ev[m as keyof typeof ev], m).toBe(v);
    for (const [m, v] of Object.entries(ev)) if (m !== 'auc') expect(Number.isFinite(v), m).toBe(true);
  });

  it('r2 with constant targets (scikit-learn, force_finite): 1 when predicted exactly, else 0; the mean over outputs', () => {
    const lin = new Network({ layers: [1, 2], outputActivation: 'linear', seed: 1 });
    lin.setWeights([{ weights: [[0], [2]], bias: [0.75, 0] }]); // output 0 is 0.75 whatever x; output 1 is 2x
    const x = [[0.5], [1], [-0.25]];
    const exact = lin.evaluate(x, [[0.75, 1], [0.75, 2], [0.75, -0.5]]); // both exact
    expect(exact.r2).toBe(1);
    expect(exact.mae).toBe(0); expect(exact.rmse).toBe(0);
    const y = [[0.5, 1.5], [0.5, 2], [0.5, -1]]; // output 0 constant but missed (0), output 1 imperfect
    const ev = lin.evaluate(x, y);
    const reg = refRegression(lin.predict(flat(x)), y.flat(), 2);
    for (const m of REGRESSION) expectClose(ev[m], reg[m], REG_TOL, m);
    expect(ev.r2).toBeCloseTo((0 + (1 - (0.25 + 0 + 0.25) / (((1.5 - 2.5 / 3) ** 2) + ((2 - 2.5 / 3) ** 2) + ((-1 - 2.5 / 3) ** 2)))) / 2, 12);
    expect(lin.evaluate([[1]], [[0.75, 2]]).r2).toBe(1); // one row: constant targets, predicted exactly
    expect(lin.evaluate([[1]], [[0.75, 3]]).r2).toBe(0.5); // output 1 missed: 0
    lin.dispose();
  });
});

describe('evaluate: defaults', () => {
  it('regression outputs report loss, mae, rmse and r2', () => {
    const net = new Network({ layers: [3, 4, 2], activation: 'tanh', outputActivation: 'linear', seed: 5 });
    for (const rows of [9, 1500]) {
      const x = matrix(20 + rows, rows, 3), y = matrix(21 + rows, rows, 2, -1, 3);
      const ev = net.evaluate(x, y);
      expect(Object.keys(ev)).toEqual(['loss', 'mae', 'rmse', 'r2']);
      const reg = refRegression(net.predict(flat(x)), y.flat(), 2);
      for (const m of REGRESSION) expectClose(ev[m], reg[m], REG_TOL, `${rows} rows: ${m}`);
      expect(net.evaluate(x, y, {})).toEqual(ev);
      expect(net.evaluate(x, y, { metrics: [] })).toEqual({ loss: ev.loss });
    }
    net.dispose();
  });

  it('class outputs keep { loss, accuracy }', () => {
    for (const outputActivation of ['softmax', 'sigmoid'] as const) {
      const net = new Network({ layers: [3, 3], outputActivation, seed: 5 });
      const x = matrix(30, 8, 3), y = oneHot(classes(31, 8, 3), 3);
      const ev = net.evaluate(x, y);
      expect(Object.keys(ev)).toEqual(['loss', 'accuracy']);
      expect(net.evaluate(x, y, { metrics: ['accuracy'] })).toEqual(ev);
      net.dispose();
    }
  });
});

// ************* fit *************

/**
 * Training metrics per epoch: SGD with a learning rate of 1e-30 and no biases leaves every weight
 * unchanged in float32 (asserted), so each epoch's forward passes give the outputs trace() gives
 * for the same batches (shuffle off, so the batches are known).
 */
async function fitAndCheck(o: NetworkOptions, x: number[][], y: number[][] | number[], yRows: number[][], xv: number[][], yv: number[][] | number[], metrics: readonly string[], check: (p: Float32Array, t: number[], label: string, got: EpochLog, val: boolean) => void): Promise<void> {
  const net = new Network({ ...o, bias: false, optimizer: { type: 'sgd', learningRate: 1e-30 } });
  const before = weightBits(net);
  const batchSize = 7;
  const outs: number[] = [];
  for (let s = 0; s < x.length; s += batchSize) outs.push(...net.trace(x.slice(s, s + batchSize)).layers.at(-1)!.out);
  const trainOut = Float32Array.from(outs);
  const valEvals: unknown[] = [];
  const h = await net.fit(x, y, {
    epochs: 3, batchSize, shuffle: false, validationData: [xv, yv], metrics: metrics as never,
    onEpochEnd: () => { valEvals.push(net.evaluate(xv, yv, { metrics: metrics as never })); },
  });
  expect(weightBits(net), 'the weights did not move (the construction holds)').toEqual(before);
  expect(h.epochs).toHaveLength(3);
  const vOut = net.predict(flat(xv));
  h.epochs.forEach((log, e) => {
    check(trainOut, yRows.flat(), `epoch ${e + 1}`, log, false);
    check(vOut, typeof yv[0] === 'number' ? oneHot(yv as number[], o.layers.at(-1) as number).flat() : (yv as number[][]).flat(), `epoch ${e + 1} val`, log, true);
    // the val metrics are evaluate on the validation data after the epoch
    const ev = valEvals[e] as Record<string, unknown>;
    expect(log.valLoss).toBe(ev.loss);
    for (const m of metrics) expect(field(log, `val${m[0]!.toUpperCase()}${m.slice(1)}`), m).toBe(ev[m]);
  });
  // the history has one array per metric and its val version
  const hist = h as unknown as Record<string, unknown[]>;
  for (const m of metrics) {
    const v = `val${m[0]!.toUpperCase()}${m.slice(1)}`;
    expect(hist[m], m).toEqual(h.epochs.map((l) => field(l, m)));
    expect(hist[v], v).toEqual(h.epochs.map((l) => field(l, v)));
  }
  net.dispose();
}

describe('fit: per-epoch training metrics are those of the epoch\'s outputs; val metrics are evaluate after the epoch', () => {
  const pick = (log: EpochLog, m: string, val: boolean): number | null | undefined => field(log, val ? `val${m[0]!.toUpperCase()}${m.slice(1)}` : m) as number | null | undefined;

  it('softmax, 3 classes (crossEntropy and sparseCrossEntropy)', async () => {
    const x = matrix(40, 38, 4, -2, 2), c = classes(41, 38, 3), xv = matrix(42, 17, 4, -2, 2), cv = classes(43, 17, 3);
    const metrics = [...ALL_CLASS, ...REGRESSION];
    const check = (p: Float32Array, t: number[], label: string, log: EpochLog, val: boolean): void => {
      const ref = refSoftmax(p, t, 3), reg = refRegression(p, t, 3);
      for (const m of ALL_CLASS) expectClose(pick(log, m, val), ref[m], CLASS_TOL, `${label} ${m}`);
      for (const m of REGRESSION) expectClose(pick(log, m, val), reg[m], REG_TOL, `${label} ${m}`);
      expect(ref.f1).toBeGreaterThan(0); expect(ref.f1).toBeLessThan(1);
    };
    const o: NetworkOptions = { layers: [4, 6, 3], activation: 'tanh', outputActivation: 'softmax', seed: 7 };
    await fitAndCheck(o, x, oneHot(c, 3), oneHot(c, 3), xv, oneHot(cv, 3), metrics, check);
    await fitAndCheck({ ...o, loss: 'sparseCrossEntropy' }, x, c, oneHot(c, 3), xv, cv, metrics, check);
  });

  it('one sigmoid output: accuracy, precision, recall, f1 and auc', async () => {
    const x = matrix(50, 40, 2, -2, 2), xv = matrix(51, 19, 2, -2, 2);
    const r = rand(52);
    const y = x.map(() => [r() < 0.4 ? 1 : 0]), yv = xv.map(() => [r() < 0.5 ? 1 : 0]);
    await fitAndCheck({ layers: [2, 5, 1], activation: 'tanh', outputActivation: 'sigmoid', loss: 'binaryCrossEntropy', seed: 8 }, x, y, y, xv, yv, [...ALL_CLASS, 'auc'],
      (p, t, label, log, val) => {
        const ref = refSigmoid(p, t, 1);
        for (const m of ALL_CLASS) expectClose(pick(log, m, val), ref[m], CLASS_TOL, `${label} ${m}`);
        const auc = refAuc(p, t.map((v) => v > 0.5));
        expect(auc).not.toBeNull();
        expectClose(pick(log, 'auc', val), auc, CLASS_TOL, `${label} auc`);
      });
  });

  it('regression: mae, rmse and r2 over 2 linear outputs', async () => {
    const x = matrix(60, 45, 3), y = matrix(61, 45, 2, -1, 2), xv = matrix(62, 11, 3), yv = matrix(63, 11, 2, -1, 2);
    await fitAndCheck({ layers: [3, 4, 2], activation: 'tanh', outputActivation: 'linear', seed: 9 }, x, y, y, xv, yv, [...REGRESSION],
      (p, t, label, log, val) => {
        const reg = refRegression(p, t, 2);
        for (const m of REGRESSION) expectClose(pick(log, m, val), reg[m], REG_TOL, `${label} ${m}`);
      });
  });

  it('without metrics the logs are as before: accuracy for class outputs, the loss only otherwise; metrics do not change training', async () => {
    const x = matrix(70, 20, 3), c = classes(71, 20, 3), xv = matrix(72, 6, 3), cv = classes(73, 6, 3);
    const o: NetworkOptions = { layers: [3, 4, 3], activation: 'tanh', outputActivation: 'softmax', optimizer: 'adam', seed: 10 };
    const a = new Network(o), b = new Network(o);
    const ha = await a.fit(x, oneHot(c, 3), { epochs: 2, batchSize: 6, validationData: [xv, oneHot(cv, 3)] });
    const hb = await b.fit(x, oneHot(c, 3), { epochs: 2, batchSize: 6, validationData: [xv, oneHot(cv, 3)], metrics: ['accuracy', 'f1'] });
    expect(Object.keys(ha.epochs[0]!).sort()).toEqual(['accuracy', 'epoch', 'learningRate', 'loss', 'samplesPerSecond', 'valAccuracy', 'valLoss']);
    expect(Object.keys(ha).sort()).toEqual(['accuracy', 'epochs', 'loss', 'stopReason', 'valAccuracy', 'valLoss']);
    expect(Object.keys(hb).sort()).toEqual(['accuracy', 'epochs', 'f1', 'loss', 'stopReason', 'valAccuracy', 'valF1', 'valLoss']);
    expect(bits(b)).toBe(bits(a));
    expect(hb.accuracy).toEqual(ha.accuracy);
    expect(hb.valAccuracy).toEqual(ha.valAccuracy);
    const lin = new Network({ layers: [3, 2], outputActivation: 'linear', seed: 1 });
    const hl = await lin.fit(x, matrix(74, 20, 2), { epochs: 1, validationData: [xv, matrix(75, 6, 2)] });
    expect(Object.keys(hl.epochs[0]!).sort()).toEqual(['epoch', 'learningRate', 'loss', 'samplesPerSecond', 'valLoss']);
    const h0 = await a.fit(x, oneHot(c, 3), { epochs: 1, metrics: [] });
    expect(Object.keys(h0.epochs[0]!).sort()).toEqual(['epoch', 'learningRate', 'loss', 'samplesPerSecond']);
    a.dispose(); b.dispose(); lin.dispose();
  });
});

// ************* option errors *************

describe('metric options: typed errors, the network unchanged', () => {
  const soft3 = (): Network => new Network({ layers: [2, 3], outputActivation: 'softmax', seed: 1 });
  const X = [[1, 2], [3, 4]], Y = [[1, 0, 0], [0, 1, 0]];
  const cases: [string, () => Network, (n: Network) => unknown, new (...a: never[]) => Error, RegExp][] = [
    ['fit: an unknown metric, with a suggestion', soft3, (n) => n.fit(X, Y, { metrics: ['accuracy', 'f1', 'precison' as never] }), OptionError, /fit options\.metrics\[2\]: unknown metric "precison" \(did you mean 'precision'\?\)/],
    ['evaluate: an unknown metric, with a suggestion', soft3, (n) => n.evaluate(X, Y, { metrics: ['acuracy' as never] }), OptionError, /evaluate options\.metrics\[0\]: unknown metric "acuracy" \(did you mean 'accuracy'\?\)/],
    ['evaluate: an unknown option', soft3, (n) => n.evaluate(X, Y, { metric: ['f1'] } as never), OptionError, /evaluate options\.metric: unknown option \(did you mean 'metrics'\?\)/],
    ['evaluate: options not an object', soft3, (n) => n.evaluate(X, Y, 'f1' as never), ArgumentTypeError, /evaluate options: expected an object/],
    ['evaluate: metrics not an array', soft3, (n) => n.evaluate(X, Y, { metrics: 'f1' as never }), OptionError, /evaluate options\.metrics: expected an array of metric names .*got "f1"/],
    ['fit: a metric listed twice', soft3, (n) => n.fit(X, Y, { metrics: ['f1', 'recall', 'f1'] }), OptionError, /fit options\.metrics\[2\]: "f1" is listed twice \(also at \[0\]\)/],
    ['fit: auc on a 3-class softmax', soft3, (n) => n.fit(X, Y, { metrics: ['accuracy', 'auc'] }), OptionError, /fit options\.metrics\[1\]: 'auc' is binary: it needs one sigmoid output or a 2-class softmax; this network's output layer is 3 softmax outputs/],
    ['evaluate: auc on 2 sigmoid outputs', () => new Network({ layers: [2, 2], seed: 1 }), (n) => n.evaluate(X, [[0, 1], [1, 0]], { metrics: ['auc'] }), OptionError, /'auc' is binary.*2 sigmoid outputs/],
    ['evaluate: precision on a linear output', () => new Network({ layers: [2, 1], outputActivation: 'linear', seed: 1 }), (n) => n.evaluate(X, [[0], [1]], { metrics: ['mae', 'precision'] }), OptionError, /evaluate options\.metrics\[1\]: 'precision' needs class outputs \(a softmax or sigmoid output layer\); this network's output layer is 1 linear output/],
  ];
  it.each(cases)('%s', async (_name, make, call, error, message) => {
    const net = make();
    await net.fit(X, net.sizes.at(-1) === 3 ? Y : net.sizes.at(-1) === 2 ? [[0, 1], [1, 0]] : [[0], [1]], { epochs: 1 });
    const before = bits(net);
    let caught: unknown;
    try { await call(net); } catch (e) { caught = e; }
    expect(caught).toBeInstanceOf(error);
    expect((caught as Error).message).toMatch(message);
    expect(bits(net)).toBe(before);
    net.dispose();
  });
});
