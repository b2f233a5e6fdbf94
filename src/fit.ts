// fit: its public types, the checks of its options, and the epoch/batch loop (Network.fit stages
// the data and hands the loop a FitEngine: its own staging, steps and evaluation).
import type { Batch, BatchInput, TargetInput } from './data.js';
import { ArgumentTypeError, DivergenceError, OptionError, describe } from './errors.js';
import type { Loss } from './losses.js';
import { MetricAccumulator, checkMetricNames, checkMetricsApply, defaultMetrics, valName, type Evaluation, type Metric, type MetricOutput, type MetricValues, type ValMetricValues } from './metrics.js';
import { shuffleInPlace, type Rng } from './random.js';
import type { Rollback } from './rollback.js';
import { suggest } from './suggest.js';

/**
 * What `fit` reports after each epoch: the loss, and each metric of the `metrics` option (see
 * METRICS in src/metrics.ts; without the option, accuracy for softmax and sigmoid outputs) under
 * its name, over the rows trained on in the epoch (the outputs of each batch's forward pass, before
 * its update), and under `val` + its name (valAccuracy, valF1, …) on the validation data after the epoch.
 */
export interface EpochLog extends MetricValues, ValMetricValues {
  /** 1-based. */
  epoch: number;
  /** Mean per-sample training loss over the epoch (measured before each batch's update). */
  loss: number;
  valLoss?: number;
  samplesPerSecond: number;
}

/** A history array per metric of EpochLog, one value per epoch (auc's may hold null). */
export type MetricHistory = { [K in keyof (MetricValues & ValMetricValues)]?: Exclude<(MetricValues & ValMetricValues)[K], undefined>[] };

export interface FitOptions {
  /** Passes over the data. Default 1. */
  epochs?: number;
  /** Samples per step; the last partial batch is used. Default 32. */
  batchSize?: number;
  /** Shuffle the training rows every epoch with the network's seeded generator. Default true. */
  shuffle?: boolean;
  /** Hold out the last fraction of the rows (before shuffling) for validation, in (0, 1). */
  validationSplit?: number;
  /** Validation data [x, y]; takes precedence over validationSplit. */
  validationData?: [BatchInput, TargetInput];
  onEpochEnd?: (log: EpochLog) => void | Promise<void>;
  onBatchEnd?: (log: { batch: number; loss: number }) => void;
  /** Stop when `monitor` has not improved by more than `minDelta` for `patience` epochs. */
  earlyStopping?: { monitor?: 'loss' | 'valLoss'; patience?: number; minDelta?: number };
  /** Stop once the epoch's training loss is below this. */
  errorThreshold?: number;
  /** An AbortSignal (anything with `aborted`): stops between batches; the network keeps the last completed step. */
  signal?: { readonly aborted: boolean };
  /**
   * When the loss (or a weight) becomes NaN or ±Infinity, the weights and optimizer state are
   * rolled back to the last step whose loss was finite, and then: 'throw' (default) rejects with a
   * DivergenceError naming the epoch and batch; 'stop' resolves with stopReason 'diverged'.
   */
  onNaN?: 'stop' | 'throw';
  /**
   * Keep a copy of the weights and optimizer state before every step, so that a divergence rolls
   * them back (default true; costs a copy of all parameters and optimizer state per step). With
   * false no copy is kept and nothing is rolled back: a non-finite loss or weight still stops
   * training as `onNaN` says, but the network keeps the weights of the step that diverged.
   */
  rollback?: boolean;
  /**
   * Metrics to report each epoch, by name (see METRICS in src/metrics.ts): 'accuracy', 'precision',
   * 'recall', 'f1', 'auc', 'mae', 'rmse', 'r2'. Default: ['accuracy'] for softmax and sigmoid outputs,
   * none otherwise; [] reports the loss only.
   */
  metrics?: readonly Metric[];
}

/** What `fit` resolves to: the logs, and per quantity one value per epoch (each metric's and its val version's arrays are present when it was reported). */
export interface History extends MetricHistory {
  epochs: EpochLog[];
  loss: number[];
  valLoss: number[];
  /** Always present (empty when accuracy was not reported). */
  accuracy: number[];
  valAccuracy: number[];
  stopReason: 'completed' | 'earlyStopping' | 'errorThreshold' | 'aborted' | 'diverged';
  /** With stopReason 'diverged': where the non-finite loss (or weights) was seen; epoch 1-based, batch 0-based as in onBatchEnd. */
  diverged?: { epoch: number; batch: number };
}

export type ResolvedFit = Required<Pick<FitOptions, 'epochs' | 'batchSize' | 'shuffle'>> & Omit<FitOptions, 'metrics'> & { metrics?: Metric[] };

export function resolveFitOptions(options: unknown): ResolvedFit {
  if (options === null || typeof options !== 'object' || Array.isArray(options)) throw new ArgumentTypeError(`fit options: expected an object, got ${describe(options)}`);
  const o = options as Record<string, unknown>;
  for (const k of Object.keys(o)) {
    if (!FIT_KEYS.includes(k)) {
      const hint = suggest(k, FIT_KEYS);
      throw new OptionError(`fit options.${k}: unknown option${hint ? ` (did you mean '${hint}'?)` : ''}; known options are ${FIT_KEYS.join(', ')}`);
    }
  }
  const int = (v: unknown, name: string, dflt: number): number => {
    if (v === undefined) return dflt;
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 1) throw new OptionError(`fit options.${name}: expected an integer ≥ 1, got ${describe(v)}`);
    return v;
  };
  const epochs = int(o.epochs, 'epochs', 1);
  const batchSize = int(o.batchSize, 'batchSize', 32);
  const shuffle = o.shuffle === undefined ? true : o.shuffle;
  if (typeof shuffle !== 'boolean') throw new OptionError(`fit options.shuffle: expected true or false, got ${describe(shuffle)}`);
  if (o.validationSplit !== undefined && (typeof o.validationSplit !== 'number' || !(o.validationSplit > 0 && o.validationSplit < 1))) {
    throw new OptionError(`fit options.validationSplit: expected a number in (0, 1), got ${describe(o.validationSplit)}`);
  }
  if (o.validationData !== undefined && (!Array.isArray(o.validationData) || o.validationData.length !== 2)) {
    throw new OptionError(`fit options.validationData: expected [x, y], got ${describe(o.validationData)}`);
  }
  for (const k of ['onEpochEnd', 'onBatchEnd'] as const) {
    if (o[k] !== undefined && typeof o[k] !== 'function') throw new OptionError(`fit options.${k}: expected a function, got ${describe(o[k])}`);
  }
  if (o.errorThreshold !== undefined && (typeof o.errorThreshold !== 'number' || !(o.errorThreshold > 0))) {
    throw new OptionError(`fit options.errorThreshold: expected a number > 0, got ${describe(o.errorThreshold)}`);
  }
  if (o.signal !== undefined && (o.signal === null || typeof (o.signal as { aborted?: unknown }).aborted !== 'boolean')) throw new OptionError(`fit options.signal: expected an AbortSignal, got ${describe(o.signal)}`);
  if (o.onNaN !== undefined && o.onNaN !== 'stop' && o.onNaN !== 'throw') {
    const hint = typeof o.onNaN === 'string' ? suggest(o.onNaN, ['stop', 'throw']) : undefined;
    throw new OptionError(`fit options.onNaN: expected 'stop' or 'throw', got ${describe(o.onNaN)}${hint ? ` (did you mean '${hint}'?)` : ''}`);
  }
  if (o.rollback !== undefined && typeof o.rollback !== 'boolean') throw new OptionError(`fit options.rollback: expected true or false, got ${describe(o.rollback)}`);
  if (o.earlyStopping !== undefined) {
    const e = o.earlyStopping as Record<string, unknown>;
    if (e === null || typeof e !== 'object') throw new OptionError(`fit options.earlyStopping: expected { monitor, patience, minDelta }, got ${describe(e)}`);
    for (const k of Object.keys(e)) if (!['monitor', 'patience', 'minDelta'].includes(k)) throw new OptionError(`fit options.earlyStopping.${k}: unknown option; known options are monitor, patience, minDelta`);
    if (e.monitor !== undefined && e.monitor !== 'loss' && e.monitor !== 'valLoss') throw new OptionError(`fit options.earlyStopping.monitor: expected 'loss' or 'valLoss', got ${describe(e.monitor)}`);
    if (e.patience !== undefined && (typeof e.patience !== 'number' || !Number.isInteger(e.patience) || e.patience < 0)) throw new OptionError(`fit options.earlyStopping.patience: expected an integer ≥ 0, got ${describe(e.patience)}`);
    if (e.minDelta !== undefined && (typeof e.minDelta !== 'number' || !(e.minDelta >= 0))) throw new OptionError(`fit options.earlyStopping.minDelta: expected a number ≥ 0, got ${describe(e.minDelta)}`);
  }
  const metrics = o.metrics === undefined ? undefined : checkMetricNames(o.metrics, 'fit options.metrics');
  return { ...(o as FitOptions), epochs, batchSize, shuffle, metrics };
}

/** The metrics fit reports: the `metrics` option, checked against the output layer (OptionError naming the first that does not apply), or the default. */
export function fitMetrics(o: ResolvedFit, output: MetricOutput): Metric[] {
  if (!o.metrics) return defaultMetrics(output, 'fit');
  checkMetricsApply(o.metrics, output, 'fit options.metrics');
  return o.metrics;
}

const FIT_KEYS = ['epochs', 'batchSize', 'shuffle', 'validationSplit', 'validationData', 'onEpochEnd', 'onBatchEnd', 'earlyStopping', 'errorThreshold', 'signal', 'onNaN', 'rollback', 'metrics'];

/** fit yields to the event loop when this many ms have passed since it last did. */
const YIELD_MS = 8;

const nextTick = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/** What the loop needs of a network. */
export interface FitEngine {
  readonly loss: Loss;
  readonly reduction: 'mean' | 'sum';
  /** Copies rows order[start .. start+rows) of x and y into the staging buffers. */
  stageRows(xb: Batch, yb: Batch, order: Uint32Array, start: number, rows: number): void;
  /** Forward pass and loss of the staged rows (reduced); leaves the output layer's δ ready. */
  forwardLoss(rows: number): number;
  /** The output layer, as the metrics see it. */
  readonly output: MetricOutput;
  /** Adds the staged rows' outputs (of the last forward) and targets to `acc`. */
  measure(acc: MetricAccumulator, rows: number): void;
  /** Commits what the forward staged (moving statistics), then the backward pass and one optimizer step. */
  backwardStep(rows: number): void;
  /** Loss of validation batches, and the metrics of `acc` (reset first) if any. */
  evaluate(xb: Batch, yb: Batch, acc: MetricAccumulator | null): Evaluation;
  /** Throws DisposedError if a callback disposed the network. */
  live(): void;
}

/**
 * Epochs of mini-batches: shuffles (each epoch's order depends only on the generator's state),
 * steps, reports, validates, stops early, and on divergence rolls back through the guard.
 */
export async function runFit(net: FitEngine, xb: Batch, yb: Batch, val: [Batch, Batch] | null, o: ResolvedFit, batch: number, guard: Rollback, shuffleRng: Rng): Promise<History> {
  const n = xb.rows;
  const order = new Uint32Array(n).map((_, i) => i);
  const history: History = { epochs: [], loss: [], valLoss: [], accuracy: [], valAccuracy: [], stopReason: 'completed' };
  // The metrics: checked before any step; their buffers (AUC's scores) allocated once per fit.
  const metrics = fitMetrics(o, net.output);
  const train = metrics.length > 0 ? new MetricAccumulator(metrics, net.output, n) : null;
  const valAcc = metrics.length > 0 && val ? new MetricAccumulator(metrics, net.output, val[0].rows) : null;
  const logged = [...metrics, ...(val ? metrics.map(valName) : [])];
  const arrays = history as unknown as Record<string, unknown[]>;
  for (const k of logged) arrays[k] ??= [];
  const es = o.earlyStopping ? { monitor: o.earlyStopping.monitor ?? 'valLoss', patience: o.earlyStopping.patience ?? 0, minDelta: o.earlyStopping.minDelta ?? 0 } : null;
  let best = Infinity, wait = 0;
  let lastYield = performance.now();
  const scaleOf = (rows: number): number => (net.reduction === 'mean' ? rows : 1);
  // Divergence: a non-finite loss (or, at an epoch's end, non-finite weights) rolls the network
  // back to the copy the guard took before the last step, whose loss was finite (with rollback).
  const diverged = (epoch: number, batchIndex: number, what: string): void => {
    const rolled = guard.restore();
    const msg = `fit: ${what} at epoch ${epoch}, batch ${batchIndex} (epochs count from 1, batches from 0 as in onBatchEnd): training diverged; ` +
      (rolled ? 'the weights and optimizer state were rolled back to those before the last step, whose loss was finite'
        : guard.stepped ? 'rollback is off (fit option rollback: false), so the weights and optimizer state are those the diverging step left'
          : 'no step was taken in this fit, the weights are unchanged') +
      '. Normalise the inputs or lower the learning rate';
    if (o.onNaN !== 'stop') throw new DivergenceError(msg, epoch, batchIndex);
    history.stopReason = 'diverged';
    history.diverged = { epoch, batch: batchIndex };
  };
  for (let epoch = 1; epoch <= o.epochs; epoch++) {
    if (o.shuffle) { // each epoch's order depends only on the generator state (saved with the model)
      for (let i = 0; i < n; i++) order[i] = i;
      shuffleInPlace(order, shuffleRng);
    }
    const t0 = performance.now();
    let lossSum = 0, seen = 0, batchIndex = 0;
    train?.reset();
    for (let start = 0; start < n; start += batch) {
      if (o.signal?.aborted) { history.stopReason = 'aborted'; break; }
      const rows = Math.min(batch, n - start);
      net.stageRows(xb, yb, order, start, rows);
      const loss = net.forwardLoss(rows);
      if (!Number.isFinite(loss)) { diverged(epoch, batchIndex, `the ${net.loss} loss became ${loss}`); break; }
      guard.save();
      if (train) net.measure(train, rows);
      net.backwardStep(rows);
      lossSum += loss * scaleOf(rows);
      seen += rows;
      o.onBatchEnd?.({ batch: batchIndex, loss });
      batchIndex++;
      if (performance.now() - lastYield >= YIELD_MS) { await nextTick(); lastYield = performance.now(); }
      net.live(); // a callback may have disposed the network
    }
    if (history.stopReason !== 'diverged' && seen > 0) {
      const bad = guard.nonFinite();
      if (bad) diverged(epoch, batchIndex - 1, `weight ${bad.index} of parameter block ${bad.block} became ${bad.value} in the step`);
    }
    if ((history.stopReason === 'aborted' || history.stopReason === 'diverged') && seen === 0) break;
    const ms = performance.now() - t0;
    const log: EpochLog = { epoch, loss: lossSum / seen, samplesPerSecond: seen / Math.max(ms, 1e-3) * 1000 };
    if (train) Object.assign(log, train.values());
    if (val) {
      const ev = net.evaluate(val[0], val[1], valAcc);
      log.valLoss = ev.loss;
      const fields = log as unknown as Record<string, unknown>;
      for (const m of metrics) fields[valName(m)] = ev[m];
    }
    history.epochs.push(log);
    history.loss.push(log.loss);
    if (log.valLoss !== undefined) history.valLoss.push(log.valLoss);
    for (const k of logged) arrays[k]!.push((log as unknown as Record<string, unknown>)[k]);
    await o.onEpochEnd?.(log);
    await nextTick();
    net.live();
    lastYield = performance.now();
    if (history.stopReason === 'aborted' || history.stopReason === 'diverged') break;
    if (o.errorThreshold !== undefined && log.loss < o.errorThreshold) { history.stopReason = 'errorThreshold'; break; }
    if (es) {
      const v = es.monitor === 'loss' ? log.loss : log.valLoss!;
      if (v < best - es.minDelta) { best = v; wait = 0; }
      else if (++wait >= es.patience) { history.stopReason = 'earlyStopping'; break; }
    }
    if (o.signal?.aborted) { history.stopReason = 'aborted'; break; }
  }
  return history;
}

