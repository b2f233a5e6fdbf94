// ************* metrics *************
// Every metric, once: its name, which output layers it applies to, how it accumulates batch by
// batch (fit's epochs, evaluate's chunks) and its value. Used by fit's logs, evaluate and the
// command line. Definitions follow scikit-learn (and Keras where scikit-learn has none).
import type { OutputActivation } from './activations.js';
import { OptionError, describe } from './errors.js';
import { suggest } from './suggest.js';

/**
 * The metrics `fit` and `evaluate` report by name. Class outputs (softmax: the class is the argmax
 * of a row; sigmoid: each output is a yes/no, output > 0.5, target > 0.5):
 * - 'accuracy': softmax, rows whose predicted class is the target's; sigmoid, outputs on the right side of 0.5;
 * - 'precision', 'recall', 'f1': per class tp/(tp+fp), tp/(tp+fn), 2tp/(2tp+fp+fn), each 0 where its
 *   denominator is 0; softmax: the mean over the classes present in the targets or the predictions
 *   (scikit-learn's average='macro'); sigmoid: the mean over the outputs (one output: binary);
 * - 'auc': ROC AUC of a binary output (one sigmoid output, or a 2-class softmax scored by its class-1
 *   probability), exact over all rows, ties counting ½ (scikit-learn's roc_auc_score); null when the
 *   targets hold one class only (the curve is undefined there).
 * Any output, against the target rows (with sparseCrossEntropy: the one-hot rows of the indices):
 * - 'mae': mean |output − target| over all rows and outputs; 'rmse': √(mean (output − target)²) over all
 *   rows and outputs (Keras's RootMeanSquaredError);
 * - 'r2': scikit-learn's r2_score with multioutput='uniform_average': per output 1 − Σ(t − p)²/Σ(t − t̄)²,
 *   then the mean over outputs; an output with constant targets scores 1 if predicted exactly, else 0.
 */
export const METRICS = ['accuracy', 'precision', 'recall', 'f1', 'auc', 'mae', 'rmse', 'r2'] as const;
export type Metric = (typeof METRICS)[number];
/** A metric's value: a finite number; for 'auc', null when the targets hold one class only. */
export type MetricValue<M extends Metric> = M extends 'auc' ? number | null : number;
/** Requested metrics by name. */
export type MetricValues = { [M in Metric]?: MetricValue<M> };
/** The same metrics on validation data: valAccuracy, valPrecision, …, valR2. */
export type ValMetricValues = { [M in Metric as `val${Capitalize<M>}`]?: MetricValue<M> };
/** What `evaluate` returns: the loss and the metrics asked for (by default accuracy for class outputs, mae, rmse and r2 otherwise). */
export interface Evaluation extends MetricValues {
  /** Reduced as the network's `reduction` says, over all rows, plus the layers' l1/l2 penalties. */
  loss: number;
}

/** The output layer as the metrics see it. */
export interface MetricOutput {
  readonly activation: OutputActivation;
  readonly cols: number;
}

const CLASS_METRICS: readonly Metric[] = ['accuracy', 'precision', 'recall', 'f1', 'auc'];

/** The name of a metric's validation value in fit's logs: 'f1' → 'valF1'. */
export function valName<M extends Metric>(m: M): `val${Capitalize<M>}` {
  return `val${m[0]!.toUpperCase()}${m.slice(1)}` as `val${Capitalize<M>}`;
}

/** Outputs with classes (and so an accuracy): softmax (by row) and sigmoid (by output). */
export function hasClasses(activation: OutputActivation): boolean {
  return activation === 'softmax' || activation === 'sigmoid';
}

/** What is reported without a `metrics` option: accuracy for class outputs; otherwise nothing in fit, mae/rmse/r2 in evaluate. */
export function defaultMetrics(out: MetricOutput, call: 'fit' | 'evaluate'): Metric[] {
  if (hasClasses(out.activation)) return ['accuracy'];
  return call === 'evaluate' ? ['mae', 'rmse', 'r2'] : [];
}

/** A `metrics` option checked by name: an array of known metric names, each once (`where`: 'fit options.metrics'). */
export function checkMetricNames(v: unknown, where: string): Metric[] {
  if (!Array.isArray(v)) throw new OptionError(`${where}: expected an array of metric names (${METRICS.join(', ')}), got ${describe(v)}`);
  const names: Metric[] = [];
  v.forEach((m: unknown, i) => {
    if (typeof m !== 'string') throw new OptionError(`${where}[${i}]: expected a metric name (${METRICS.join(', ')}), got ${describe(m)}`);
    if (!(METRICS as readonly string[]).includes(m)) {
      const hint = suggest(m, METRICS);
      throw new OptionError(`${where}[${i}]: unknown metric ${describe(m)}${hint ? ` (did you mean '${hint}'?)` : ''}; known metrics are ${METRICS.join(', ')}`);
    }
    const seen = names.indexOf(m as Metric);
    if (seen >= 0) throw new OptionError(`${where}[${i}]: ${describe(m)} is listed twice (also at [${seen}])`);
    names.push(m as Metric);
  });
  return names;
}

/** Throws an OptionError naming the first metric that does not apply to this output layer, and why. */
export function checkMetricsApply(names: readonly Metric[], out: MetricOutput, where: string): void {
  names.forEach((m, i) => {
    const what = `this network's output layer is ${out.cols} ${out.activation} output${out.cols === 1 ? '' : 's'}`;
    if (CLASS_METRICS.includes(m) && !hasClasses(out.activation)) {
      throw new OptionError(`${where}[${i}]: '${m}' needs class outputs (a softmax or sigmoid output layer); ${what}. For regression use 'mae', 'rmse' or 'r2'`);
    }
    if (m === 'auc' && !binaryScore(out)) {
      throw new OptionError(`${where}[${i}]: 'auc' is binary: it needs one sigmoid output or a 2-class softmax; ${what}. Use 'precision', 'recall' or 'f1' (macro-averaged) instead`);
    }
  });
}

/** evaluate's `metrics` option (the options object itself is checked in src/data.ts, evaluateOptions): names that apply; returns the metrics to report. */
export function evaluateMetrics(metrics: unknown, out: MetricOutput): Metric[] {
  if (metrics === undefined) return defaultMetrics(out, 'evaluate');
  const names = checkMetricNames(metrics, 'evaluate options.metrics');
  checkMetricsApply(names, out, 'evaluate options.metrics');
  return names;
}

/** AUC's binary score applies: one sigmoid output, or a 2-class softmax. */
function binaryScore(out: MetricOutput): boolean {
  return (out.activation === 'sigmoid' && out.cols === 1) || (out.activation === 'softmax' && out.cols === 2);
}

/**
 * Accumulates the requested metrics over batches of outputs and targets, allocating only when it
 * is made: class counts (the confusion matrix's diagonal and margins, per class or output), AUC's
 * scores (one buffer of `capacity` rows: positives from the front, negatives from the back) and
 * float64 sums for the regression metrics (r2: per output, batch means merged as Chan et al.).
 */
export class MetricAccumulator {
  private readonly cols: number;
  private readonly softmax: boolean;
  private readonly want: Readonly<Record<Metric, boolean>>;
  private rows = 0;
  private correct = 0;
  /** Per class (softmax) or output (sigmoid): true positives, predicted positives, actual positives. */
  private readonly tp: Float64Array | null;
  private readonly pred: Float64Array | null;
  private readonly act: Float64Array | null;
  private readonly scores: Float32Array | null;
  private nPos = 0;
  private nNeg = 0;
  private sae = 0;
  private sse = 0;
  /** r2, per output: Σ(t − p)², the targets' running mean and Σ(t − mean)², and a batch's mean. */
  private readonly r2: { sse: Float64Array; mean: Float64Array; m2: Float64Array; batch: Float64Array } | null;

  /** `capacity`: the most rows added between resets (needed for 'auc'). */
  constructor(readonly names: readonly Metric[], out: MetricOutput, private readonly capacity: number) {
    this.cols = out.cols;
    this.softmax = out.activation === 'softmax';
    const want = Object.fromEntries(METRICS.map((m) => [m, names.includes(m)])) as Record<Metric, boolean>;
    this.want = want;
    const counts = want.precision || want.recall || want.f1;
    this.tp = counts ? new Float64Array(out.cols) : null;
    this.pred = counts ? new Float64Array(out.cols) : null;
    this.act = counts ? new Float64Array(out.cols) : null;
    this.scores = want.auc ? new Float32Array(capacity) : null;
    this.r2 = want.r2 ? { sse: new Float64Array(out.cols), mean: new Float64Array(out.cols), m2: new Float64Array(out.cols), batch: new Float64Array(out.cols) } : null;
  }

  reset(): void {
    this.rows = this.correct = this.nPos = this.nNeg = this.sae = this.sse = 0;
    for (const a of [this.tp, this.pred, this.act]) a?.fill(0);
    if (this.r2) for (const a of [this.r2.sse, this.r2.mean, this.r2.m2]) a.fill(0);
  }

  /** Adds `rows` rows: outputs v[p ..], targets v[t ..], row-major [rows × cols] each. Allocates nothing. */
  add(v: Float32Array, p: number, t: number, rows: number): void {
    const cols = this.cols, w = this.want;
    if (w.accuracy || this.tp) this.addClasses(v, p, t, rows);
    if (this.scores) {
      if (this.nPos + this.nNeg + rows > this.capacity) throw new RangeError(`MetricAccumulator: more than ${this.capacity} rows between resets`);
      for (let r = 0; r < rows; r++) {
        // one sigmoid output: its value, positive when the target > 0.5; 2-class softmax: p(class 1), positive when argmax(target) = 1
        const s = this.softmax ? v[p + 2 * r + 1]! : v[p + r]!;
        const pos = this.softmax ? v[t + 2 * r + 1]! > v[t + 2 * r]! : v[t + r]! > 0.5;
        if (pos) this.scores[this.nPos++] = s;
        else this.scores[this.capacity - 1 - this.nNeg++] = s;
      }
    }
    if (w.mae || w.rmse) {
      let sae = 0, sse = 0;
      for (let i = 0; i < rows * cols; i++) { const d = v[p + i]! - v[t + i]!; sae += Math.abs(d); sse += d * d; }
      this.sae += sae; this.sse += sse;
    }
    if (this.r2) this.addR2(v, p, t, rows);
    this.rows += rows;
  }

  /** The metrics over everything added since the last reset (at least one row). */
  values(): MetricValues {
    const out: MetricValues = {};
    const n = this.rows * this.cols;
    for (const m of this.names) {
      switch (m) {
        case 'accuracy': out.accuracy = this.correct / (this.softmax ? this.rows : n); break;
        case 'precision': out.precision = this.macro((tp, pred) => (pred > 0 ? tp / pred : 0)); break;
        case 'recall': out.recall = this.macro((tp, _pred, act) => (act > 0 ? tp / act : 0)); break;
        case 'f1': out.f1 = this.macro((tp, pred, act) => (pred + act > 0 ? (2 * tp) / (pred + act) : 0)); break;
        case 'auc': out.auc = this.auc(); break;
        case 'mae': out.mae = this.sae / n; break;
        case 'rmse': out.rmse = Math.sqrt(this.sse / n); break;
        case 'r2': out.r2 = this.r2Score(); break;
      }
    }
    return out;
  }

  private addClasses(v: Float32Array, p: number, t: number, rows: number): void {
    const cols = this.cols, tp = this.tp, pred = this.pred, act = this.act;
    let correct = 0;
    if (this.softmax) {
      for (let r = 0; r < rows; r++) {
        const a = argmax(v, p + r * cols, cols), b = argmax(v, t + r * cols, cols);
        if (a === b) correct++;
        if (tp) { pred![a]! += 1; act![b]! += 1; if (a === b) tp[a]! += 1; }
      }
    } else {
      for (let r = 0, i = 0; r < rows; r++) {
        for (let j = 0; j < cols; j++, i++) {
          const yp = v[p + i]! > 0.5, yt = v[t + i]! > 0.5;
          if (yp === yt) correct++;
          if (tp) { if (yp) pred![j]! += 1; if (yt) act![j]! += 1; if (yp && yt) tp[j]! += 1; }
        }
      }
    }
    this.correct += correct;
  }

  private addR2(v: Float32Array, p: number, t: number, rows: number): void {
    const cols = this.cols, { sse, mean, m2, batch } = this.r2!;
    batch.fill(0);
    for (let r = 0, i = 0; r < rows; r++) for (let j = 0; j < cols; j++, i++) batch[j]! += v[t + i]!;
    for (let j = 0; j < cols; j++) batch[j]! /= rows;
    const n0 = this.rows, n = n0 + rows;
    for (let j = 0; j < cols; j++) {
      let s = 0, q = 0;
      const mb = batch[j]!;
      for (let r = 0; r < rows; r++) {
        const i = r * cols + j, y = v[t + i]!, d = y - v[p + i]!, c = y - mb;
        s += d * d; q += c * c;
      }
      const delta = mb - mean[j]!;
      sse[j]! += s;
      mean[j]! += (delta * rows) / n;
      m2[j]! += q + (delta * delta * n0 * rows) / n;
    }
  }

  /** The mean of f(tp, predicted, actual) over the classes present (softmax) or over all outputs (sigmoid). */
  private macro(f: (tp: number, pred: number, act: number) => number): number {
    const tp = this.tp!, pred = this.pred!, act = this.act!;
    let sum = 0, count = 0;
    for (let j = 0; j < this.cols; j++) {
      if (this.softmax && pred[j]! + act[j]! === 0) continue; // a class in neither the targets nor the predictions
      sum += f(tp[j]!, pred[j]!, act[j]!);
      count++;
    }
    return count > 0 ? sum / count : 0;
  }

  /** Mann–Whitney U / (positives × negatives): the area under the ROC curve, ties between a positive and a negative counting ½. */
  private auc(): number | null {
    const nP = this.nPos, nN = this.nNeg, s = this.scores!;
    if (nP === 0 || nN === 0) return null;
    const pos = s.subarray(0, nP).sort(), neg = s.subarray(this.capacity - nN).sort();
    let u = 0, below = 0, upTo = 0;
    for (let i = 0; i < nP; i++) {
      const x = pos[i]!;
      while (below < nN && neg[below]! < x) below++;
      if (upTo < below) upTo = below;
      while (upTo < nN && neg[upTo]! <= x) upTo++;
      u += below + 0.5 * (upTo - below);
    }
    return u / (nP * nN);
  }

  /** scikit-learn's r2_score (uniform average, force_finite): per output 1 − SSres/SStot; SStot = 0 gives 1 if SSres = 0, else 0. */
  private r2Score(): number {
    const { sse, m2 } = this.r2!;
    let sum = 0;
    for (let j = 0; j < this.cols; j++) {
      const num = sse[j]!, den = m2[j]!;
      sum += num === 0 ? 1 : den === 0 ? 0 : 1 - num / den;
    }
    return sum / this.cols;
  }
}

/** Index of the largest of v[at .. at+n) (the first one on ties). */
export function argmax(v: ArrayLike<number>, at: number, n: number): number {
  let best = 0;
  for (let j = 1; j < n; j++) if (v[at + j]! > v[at + best]!) best = j;
  return best;
}

/** Index of the largest value of each row of a row-major [rows × cols] array. */
export function argmaxRows(p: ArrayLike<number>, cols: number): Uint32Array {
  const out = new Uint32Array(p.length / cols);
  for (let r = 0; r < out.length; r++) out[r] = argmax(p, r * cols, cols);
  return out;
}
