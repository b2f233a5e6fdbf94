// fit: its public types, the checks of its options, and the epoch/batch loop (Network.fit stages
// the data and hands the loop a FitEngine: its own staging, steps and evaluation; and FitHelpers:
// the divergence guard, the best epoch's copy, the checkpoint writer), with its epoch-end
// controls: early stopping and the best epoch's state, checkpoints, verbose output.
import { accessSync, constants, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import type { Batch, BatchInput, RowWeights, TargetInput } from './data.js';
import { ArgumentTypeError, DivergenceError, FileError, OptionError, WasmlpError, describe } from './errors.js';
import type { Loss } from './losses.js';
import { MetricAccumulator, checkMetricNames, checkMetricsApply, defaultMetrics, valName, type Evaluation, type Metric, type MetricOutput, type MetricValues, type ValMetricValues } from './metrics.js';
import { shuffleInPlace, type Rng } from './random.js';
import type { Rollback, StateCopy } from './rollback.js';
import { assertSavable, type ResolvedLearningRate } from './schedules.js';
import { suggest } from './suggest.js';
import { ProgressBar, detectStyle, fmt, lossStr } from './progress.js';

/**
 * What `fit` reports after each epoch: the loss, and each metric of the `metrics` option (see
 * METRICS in src/metrics.ts; without the option, accuracy for softmax and sigmoid outputs) under
 * its name, over the rows trained on in the epoch (the outputs of each batch's forward pass, before
 * its update), and under `val` + its name (valAccuracy, valF1, …) on the validation data after the epoch.
 */
export interface EpochLog extends MetricValues, ValMetricValues {
  /** 1-based; with `initialEpoch` n, the first epoch of the fit is n + 1. */
  epoch: number;
  /** Mean per-sample training loss over the epoch (measured before each batch's update). */
  loss: number;
  /** The learning rate of the epoch's last step (a schedule's value then). */
  learningRate?: number;
  valLoss?: number;
  samplesPerSecond: number;
}

/** A history array per metric of EpochLog, one value per epoch (auc's may hold null). */
export type MetricHistory = { [K in keyof (MetricValues & ValMetricValues)]?: Exclude<(MetricValues & ValMetricValues)[K], undefined>[] };

export interface FitOptions {
  /** The number of the last epoch: passes over the data when initialEpoch is 0. Default 1. */
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
  /** Stop when `monitor` has not improved by more than `minDelta` for `patience` epochs (Keras's EarlyStopping). */
  earlyStopping?: EarlyStopping;
  /** Lower the learning rate when `monitor` stops improving (Keras's ReduceLROnPlateau): a factor on every later step's rate, saved with the model. */
  reduceLROnPlateau?: ReduceLROnPlateau;
  /** Save the network at the end of epochs (Keras's ModelCheckpoint). */
  checkpoint?: Checkpoint;
  /**
   * The number of epochs already trained (Keras's initial_epoch): epochs are numbered from
   * initialEpoch + 1 and run up to `epochs`, the number of the last one. To resume from a
   * checkpoint saved at the end of epoch n, load it and fit with initialEpoch n. Default 0.
   */
  initialEpoch?: number;
  /** One weight per training row (finite, ≥ 0): the loss is Σ wᵢ·Lᵢ / rows for 'mean', Σ wᵢ·Lᵢ for 'sum'; with validationSplit the held-out rows' weights weight the validation loss. */
  sampleWeight?: readonly number[] | Float32Array;
  /** A weight per class ({ [class]: weight }, missing classes 1, or one per class) for softmax or one-sigmoid outputs; multiplies sampleWeight. Training rows only. */
  classWeight?: Readonly<Record<number, number>> | readonly number[] | Float32Array;
  /** Print one line per epoch to stdout (epoch, loss, metrics, val loss and metrics, time); on a terminal also a progress bar during each epoch. Default false. */
  verbose?: boolean;
  /** Stop once the epoch's training loss is below this. */
  errorThreshold?: number;
  /** An AbortSignal (anything with `aborted`): stops between batches; the network keeps the last completed step (with earlyStopping.restoreBestWeights: the best epoch's state). */
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

/** fit's `earlyStopping` option. */
export interface EarlyStopping {
  /** The quantity watched, lower is better. Default 'valLoss' (needs validationData or validationSplit). */
  monitor?: 'loss' | 'valLoss';
  /** Epochs without improvement before stopping. Default 0. */
  patience?: number;
  /** An epoch improves when its value is below the best one minus this. Default 0. */
  minDelta?: number;
  /**
   * When fit ends (stopped early or not), put back the weights, optimizer state, moving statistics,
   * step count and shuffle state of the end of the best epoch (history.bestEpoch), as Keras 3 does
   * (Keras restores the weights only). Costs one copy of that state per improving epoch. Default false.
   */
  restoreBestWeights?: boolean;
}

/** fit's `reduceLROnPlateau` option (Keras's ReduceLROnPlateau, its defaults). */
export interface ReduceLROnPlateau {
  /** The quantity watched, lower is better. Default 'valLoss' (needs validationData or validationSplit). */
  monitor?: 'loss' | 'valLoss';
  /** The rate is multiplied by this, in (0, 1). Default 0.1. */
  factor?: number;
  /** Epochs without improvement before reducing. Default 10. */
  patience?: number;
  /** An epoch improves when its value is below the best one minus this. Default 1e-4. */
  minDelta?: number;
  /** Epochs after a reduction during which no improvement is awaited. Default 0. */
  cooldown?: number;
  /** The rate is never reduced below this. Default 0. */
  minLearningRate?: number;
}

/** fit's `checkpoint` option. */
export interface Checkpoint {
  /** The file: `.wasmlp` for the binary format, any other name for JSON (as save()). Its folder must exist. */
  path: string;
  /** With saveBestOnly: the quantity watched, lower is better. Default 'valLoss' (needs validationData or validationSplit). */
  monitor?: 'loss' | 'valLoss';
  /** Save only at the end of an epoch whose `monitor` is below every earlier epoch's of this fit. Default true. */
  saveBestOnly?: boolean;
  /** With saveBestOnly false: save at the end of every epoch whose number is a multiple of this. Default 1. */
  every?: number;
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
  /** With earlyStopping: the epoch (numbered as EpochLog.epoch) with the lowest monitored value; with restoreBestWeights, the network ends in its state. Absent when no epoch ran to its end with a finite value. */
  bestEpoch?: number;
}

type Monitor = 'loss' | 'valLoss';
export type ResolvedFit = Required<Pick<FitOptions, 'epochs' | 'batchSize' | 'shuffle' | 'initialEpoch' | 'verbose'>> & Omit<FitOptions, 'metrics' | 'earlyStopping' | 'checkpoint' | 'reduceLROnPlateau'> & {
  reduceLROnPlateau?: Required<ReduceLROnPlateau>;
  metrics?: Metric[];
  earlyStopping?: Required<EarlyStopping>;
  checkpoint?: Required<Checkpoint>;
};

const FIT_KEYS = ['epochs', 'batchSize', 'shuffle', 'validationSplit', 'validationData', 'onEpochEnd', 'onBatchEnd', 'earlyStopping', 'errorThreshold', 'signal', 'onNaN', 'rollback', 'metrics', 'checkpoint', 'initialEpoch', 'verbose', 'sampleWeight', 'classWeight', 'reduceLROnPlateau'];
const PLATEAU_KEYS = ['monitor', 'factor', 'patience', 'minDelta', 'cooldown', 'minLearningRate'];
const EARLY_STOPPING_KEYS = ['monitor', 'patience', 'minDelta', 'restoreBestWeights'];
const CHECKPOINT_KEYS = ['path', 'monitor', 'saveBestOnly', 'every'];
const MONITORS: readonly Monitor[] = ['valLoss', 'loss'];

/** OptionError for the first key of `o` not in `known`, with "did you mean". */
function checkKeys(o: object, known: readonly string[], where: string): void {
  for (const k of Object.keys(o)) {
    if (!known.includes(k)) {
      const hint = suggest(k, known);
      throw new OptionError(`${where}.${k}: unknown option${hint ? ` (did you mean '${hint}'?)` : ''}; known options are ${known.join(', ')}`);
    }
  }
}

function checkMonitor(v: unknown, where: string): Monitor {
  if (v === undefined) return 'valLoss';
  if (v === 'loss' || v === 'valLoss') return v;
  const hint = typeof v === 'string' ? suggest(v, MONITORS) : undefined;
  throw new OptionError(`${where}: expected 'loss' or 'valLoss', got ${describe(v)}${hint ? ` (did you mean '${hint}'?)` : ''}`);
}

function checkBoolean(v: unknown, where: string, dflt: boolean): boolean {
  if (v === undefined) return dflt;
  if (typeof v !== 'boolean') throw new OptionError(`${where}: expected true or false, got ${describe(v)}`);
  return v;
}

export function resolveFitOptions(options: unknown): ResolvedFit {
  if (options === null || typeof options !== 'object' || Array.isArray(options)) throw new ArgumentTypeError(`fit options: expected an object, got ${describe(options)}`);
  const o = options as Record<string, unknown>;
  checkKeys(o, FIT_KEYS, 'fit options');
  const int = (v: unknown, name: string, dflt: number, min = 1): number => {
    if (v === undefined) return dflt;
    if (typeof v !== 'number' || !Number.isInteger(v) || v < min) throw new OptionError(`fit options.${name}: expected an integer ≥ ${min}, got ${describe(v)}`);
    return v;
  };
  const epochs = int(o.epochs, 'epochs', 1);
  const batchSize = int(o.batchSize, 'batchSize', 32);
  const initialEpoch = int(o.initialEpoch, 'initialEpoch', 0, 0);
  if (initialEpoch > epochs) {
    throw new OptionError(`fit options.initialEpoch: ${initialEpoch} is past epochs ${epochs}; epochs is the number of the last epoch (as Keras's), not a count: to train 3 more epochs after epoch ${initialEpoch}, pass initialEpoch ${initialEpoch} and epochs ${initialEpoch + 3}`);
  }
  const shuffle = checkBoolean(o.shuffle, 'fit options.shuffle', true);
  const verbose = checkBoolean(o.verbose, 'fit options.verbose', false);
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
  checkBoolean(o.rollback, 'fit options.rollback', true);
  let earlyStopping: Required<EarlyStopping> | undefined;
  if (o.earlyStopping !== undefined) {
    const e = o.earlyStopping as Record<string, unknown>;
    const where = 'fit options.earlyStopping';
    if (e === null || typeof e !== 'object' || Array.isArray(e)) throw new OptionError(`${where}: expected { monitor, patience, minDelta, restoreBestWeights }, got ${describe(e)}`);
    checkKeys(e, EARLY_STOPPING_KEYS, where);
    const monitor = checkMonitor(e.monitor, `${where}.monitor`);
    if (e.patience !== undefined && (typeof e.patience !== 'number' || !Number.isInteger(e.patience) || e.patience < 0)) throw new OptionError(`${where}.patience: expected an integer ≥ 0, got ${describe(e.patience)}`);
    if (e.minDelta !== undefined && (typeof e.minDelta !== 'number' || !(e.minDelta >= 0))) throw new OptionError(`${where}.minDelta: expected a number ≥ 0, got ${describe(e.minDelta)}`);
    const restoreBestWeights = checkBoolean(e.restoreBestWeights, `${where}.restoreBestWeights`, false);
    earlyStopping = { monitor, patience: (e.patience as number | undefined) ?? 0, minDelta: (e.minDelta as number | undefined) ?? 0, restoreBestWeights };
  }
  let checkpoint: Required<Checkpoint> | undefined;
  if (o.checkpoint !== undefined) {
    const c = o.checkpoint as Record<string, unknown>;
    const where = 'fit options.checkpoint';
    if (c === null || typeof c !== 'object' || Array.isArray(c)) throw new OptionError(`${where}: expected { path, monitor, saveBestOnly, every }, got ${describe(c)}`);
    checkKeys(c, CHECKPOINT_KEYS, where);
    if (typeof c.path !== 'string' || c.path === '') throw new OptionError(`${where}.path: expected a file path (.wasmlp for the binary format, any other name for JSON), got ${describe(c.path)}`);
    const monitor = checkMonitor(c.monitor, `${where}.monitor`);
    const saveBestOnly = checkBoolean(c.saveBestOnly, `${where}.saveBestOnly`, true);
    if (c.every !== undefined && saveBestOnly) throw new OptionError(`${where}.every: ${describe(c.every)} needs saveBestOnly: false (with saveBestOnly, the default, it saves whenever ${monitor} improves)`);
    const every = int(c.every, 'checkpoint.every', 1);
    checkpoint = { path: c.path, monitor, saveBestOnly, every };
  }
  let reduceLROnPlateau: Required<ReduceLROnPlateau> | undefined;
  if (o.reduceLROnPlateau !== undefined) {
    const p = o.reduceLROnPlateau as Record<string, unknown>;
    const where = 'fit options.reduceLROnPlateau';
    if (p === null || typeof p !== 'object' || Array.isArray(p)) throw new OptionError(`${where}: expected { monitor, factor, patience, minDelta, cooldown, minLearningRate }, got ${describe(p)}`);
    checkKeys(p, PLATEAU_KEYS, where);
    const monitor = checkMonitor(p.monitor, `${where}.monitor`);
    const factor = p.factor === undefined ? 0.1 : p.factor;
    if (typeof factor !== 'number' || !(factor > 0 && factor < 1)) throw new OptionError(`${where}.factor: expected a number in (0, 1), got ${describe(factor)}`);
    for (const k of ['patience', 'cooldown'] as const) {
      if (p[k] !== undefined && (typeof p[k] !== 'number' || !Number.isInteger(p[k]) || (p[k] as number) < 0)) throw new OptionError(`${where}.${k}: expected an integer ≥ 0, got ${describe(p[k])}`);
    }
    for (const k of ['minDelta', 'minLearningRate'] as const) {
      if (p[k] !== undefined && (typeof p[k] !== 'number' || !((p[k] as number) >= 0) || !Number.isFinite(p[k]))) throw new OptionError(`${where}.${k}: expected a finite number ≥ 0, got ${describe(p[k])}`);
    }
    reduceLROnPlateau = {
      monitor, factor, patience: (p.patience as number | undefined) ?? 10, minDelta: (p.minDelta as number | undefined) ?? 1e-4,
      cooldown: (p.cooldown as number | undefined) ?? 0, minLearningRate: (p.minLearningRate as number | undefined) ?? 0,
    };
  }
  const metrics = o.metrics === undefined ? undefined : checkMetricNames(o.metrics, 'fit options.metrics');
  return { ...(o as FitOptions), epochs, batchSize, shuffle, initialEpoch, verbose, metrics, earlyStopping, checkpoint, reduceLROnPlateau };
}

/**
 * The checks of fit's options that need the data and the network, before fit allocates or trains:
 * a 'valLoss' monitor needs validation data; a checkpoint needs a network that can be saved and an
 * existing, writable folder (a FileError now, not at the end of the first epoch).
 */
export function checkFitSetup(o: ResolvedFit, hasValidation: boolean, learningRate: ResolvedLearningRate): void {
  if (!hasValidation) {
    if (o.earlyStopping?.monitor === 'valLoss') throw new OptionError(`fit options.earlyStopping.monitor: 'valLoss' needs validationData or validationSplit`);
    if (o.reduceLROnPlateau?.monitor === 'valLoss') throw new OptionError(`fit options.reduceLROnPlateau.monitor: 'valLoss' (the default) needs validationData or validationSplit; use monitor 'loss'`);
    if (o.checkpoint?.saveBestOnly && o.checkpoint.monitor === 'valLoss') {
      throw new OptionError(`fit options.checkpoint.monitor: 'valLoss' (the default) needs validationData or validationSplit; use monitor 'loss' or saveBestOnly: false`);
    }
  }
  const c = o.checkpoint;
  if (!c) return;
  try { assertSavable(learningRate); } catch (e) {
    if (e instanceof WasmlpError) throw new OptionError(`fit options.checkpoint: this network cannot be saved: ${e.message}`);
    throw e;
  }
  const folder = dirname(resolve(c.path));
  const fail = (code: string, why: string): never => { throw new FileError(`fit options.checkpoint.path: cannot write ${JSON.stringify(c.path)}: ${why} (${code})`, code); };
  let isDir: boolean;
  try { isDir = statSync(folder).isDirectory(); } catch (e) {
    const code = (e as NodeJS.ErrnoException).code ?? 'error';
    return fail(code, code === 'ENOENT' ? `the folder ${JSON.stringify(folder)} does not exist` : `the folder ${JSON.stringify(folder)} cannot be read`);
  }
  if (!isDir) fail('ENOTDIR', `${JSON.stringify(folder)} is not a folder`);
  try { accessSync(folder, constants.W_OK); } catch (e) { fail((e as NodeJS.ErrnoException).code ?? 'EACCES', `the folder ${JSON.stringify(folder)} is not writable`); }
  let target: ReturnType<typeof statSync> | undefined;
  try { target = statSync(c.path); } catch { /* not there yet: the first save creates it */ }
  if (target?.isDirectory()) fail('EISDIR', 'it is a folder');
}

/** The metrics fit reports: the `metrics` option, checked against the output layer (OptionError naming the first that does not apply), or the default. */
export function fitMetrics(o: ResolvedFit, output: MetricOutput): Metric[] {
  if (!o.metrics) return defaultMetrics(output, 'fit');
  checkMetricsApply(o.metrics, output, 'fit options.metrics');
  return o.metrics;
}

/** fit yields to the event loop when this many ms have passed since it last did. */
const YIELD_MS = 8;

const nextTick = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/** What the loop needs of a network. */
export interface FitEngine {
  readonly loss: Loss;
  readonly reduction: 'mean' | 'sum';
  /** Copies rows order[start .. start+rows) of x and y (and their weights, if any) into the staging buffers. */
  stageRows(xb: Batch, yb: Batch, order: Uint32Array, start: number, rows: number, weights: RowWeights | null): void;
  /** Forward pass and loss of the staged rows (reduced; weighted by the staged row weights when `weighted`); leaves the output layer's δ ready. */
  forwardLoss(rows: number, weighted: boolean): number;
  /** The output layer, as the metrics see it. */
  readonly output: MetricOutput;
  /** Adds the staged rows' outputs (of the last forward) and targets to `acc`. */
  measure(acc: MetricAccumulator, rows: number): void;
  /** Commits what the forward staged (moving statistics), then the backward pass and one optimizer step; returns the learning rate it used. */
  backwardStep(rows: number): number;
  /** The 0-based epoch a function learning-rate schedule sees. */
  setEpoch(epoch: number): void;
  /** The rate the next step will use. */
  nextLearningRate(): number;
  /** Multiplies every later step's rate by `factor` (the optimizer's saved rateScale). */
  scaleLearningRate(factor: number): void;
  /** Loss of validation batches (rows weighted by `sample` if given), and the metrics of `acc` (reset first) if any. */
  evaluate(xb: Batch, yb: Batch, acc: MetricAccumulator | null, sample: ArrayLike<number> | null): Evaluation;
  /** Throws DisposedError if a callback disposed the network. */
  live(): void;
}

/** What the loop keeps besides the network: the divergence guard, the best epoch's copy (restoreBestWeights) and the checkpoint writer. */
export interface FitHelpers {
  guard: Rollback;
  best: StateCopy | null;
  /** Writes the network (options, weights, optimizer and layer state, step count, shuffle state) to a model file, atomically. */
  save(path: string): Promise<void>;
  /** Per-row weights of the training rows (sampleWeight, classWeight), or null. */
  weights: RowWeights | null;
  /** sampleWeight's entries for the rows validationSplit held out, or null. */
  valSample: ArrayLike<number> | null;
}

/**
 * Epochs of mini-batches: shuffles (each epoch's order depends only on the generator's state),
 * steps, reports, validates, and at each epoch's end tracks the best epoch, saves checkpoints,
 * prints (verbose) and stops early; on divergence rolls back through the guard.
 */
export async function runFit(net: FitEngine, xb: Batch, yb: Batch, val: [Batch, Batch] | null, o: ResolvedFit, batch: number, helpers: FitHelpers, shuffleRng: Rng): Promise<History> {
  const { guard, best: bestCopy, weights, valSample } = helpers;
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
  const es = o.earlyStopping ?? null, ck = o.checkpoint ?? null;
  const report = o.verbose ? reporter(o, Math.ceil(n / batch), metrics, val !== null) : null;
  let esBest = Infinity, wait = 0, ckBest = Infinity;
  const plateau = o.reduceLROnPlateau ?? null;
  let plBest = Infinity, plWait = 0, plCooldown = 0;
  let lastYield = performance.now();
  const scaleOf = (rows: number): number => (net.reduction === 'mean' ? rows : 1);
  const monitored = (m: Monitor, log: EpochLog): number => (m === 'loss' ? log.loss : log.valLoss!);
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
  try {
    for (let epoch = o.initialEpoch + 1; epoch <= o.epochs; epoch++) {
      if (o.shuffle) { // each epoch's order depends only on the generator state (saved with the model)
        for (let i = 0; i < n; i++) order[i] = i;
        shuffleInPlace(order, shuffleRng);
      }
      const t0 = performance.now();
      let lossSum = 0, seen = 0, batchIndex = 0;
      train?.reset();
      report?.start(epoch);
      net.setEpoch(epoch - 1); // absolute and 0-based: a resumed fit gives a function schedule the same epochs
      let lr: number | undefined;
      for (let start = 0; start < n; start += batch) {
        if (o.signal?.aborted) { history.stopReason = 'aborted'; break; }
        const rows = Math.min(batch, n - start);
        net.stageRows(xb, yb, order, start, rows, weights);
        const loss = net.forwardLoss(rows, weights !== null);
        if (!Number.isFinite(loss)) { diverged(epoch, batchIndex, `the ${net.loss} loss became ${loss}`); break; }
        guard.save();
        if (train) net.measure(train, rows);
        lr = net.backwardStep(rows);
        lossSum += loss * scaleOf(rows);
        seen += rows;
        o.onBatchEnd?.({ batch: batchIndex, loss });
        batchIndex++;
        report?.batch(batchIndex, loss);
        if (performance.now() - lastYield >= YIELD_MS) { await nextTick(); lastYield = performance.now(); }
        net.live(); // a callback may have disposed the network
      }
      if (history.stopReason !== 'diverged' && seen > 0) {
        const bad = guard.nonFinite();
        if (bad) diverged(epoch, batchIndex - 1, `weight ${bad.index} of parameter block ${bad.block} became ${bad.value} in the step`);
      }
      // an epoch cut short (aborted, or rolled back) is logged, but not monitored nor saved
      const complete = history.stopReason !== 'aborted' && history.stopReason !== 'diverged';
      if (!complete && seen === 0) break;
      const ms = performance.now() - t0;
      const log: EpochLog = { epoch, loss: lossSum / seen, samplesPerSecond: seen / Math.max(ms, 1e-3) * 1000 };
      if (lr !== undefined) log.learningRate = lr;
      if (train) Object.assign(log, train.values());
      if (val) {
        const ev = net.evaluate(val[0], val[1], valAcc, valSample);
        log.valLoss = ev.loss;
        const fields = log as unknown as Record<string, unknown>;
        for (const m of metrics) fields[valName(m)] = ev[m];
      }
      history.epochs.push(log);
      history.loss.push(log.loss);
      if (log.valLoss !== undefined) history.valLoss.push(log.valLoss);
      for (const k of logged) arrays[k]!.push((log as unknown as Record<string, unknown>)[k]);
      // epoch-end controls, before onEpochEnd (which may read the checkpoint)
      let saved: string | null = null;
      if (complete && es) {
        const v = monitored(es.monitor, log);
        if (v < esBest - es.minDelta) {
          esBest = v; wait = 0; history.bestEpoch = epoch;
          bestCopy?.save();
        } else wait++;
      }
      if (complete && plateau) { // Keras 3's ReduceLROnPlateau.on_epoch_end, step for step
        const v = monitored(plateau.monitor, log);
        if (plCooldown > 0) { plCooldown--; plWait = 0; }
        if (v < plBest - plateau.minDelta) { plBest = v; plWait = 0; }
        else if (plCooldown <= 0 && ++plWait >= plateau.patience) {
          const old = net.nextLearningRate();
          if (old > Math.fround(plateau.minLearningRate)) {
            const lr = Math.max(old * plateau.factor, plateau.minLearningRate);
            net.scaleLearningRate(lr / old);
            plCooldown = plateau.cooldown;
            plWait = 0;
          }
        }
      }
      if (complete && ck) { // after the plateau's reduction: a resumed fit continues at the reduced rate
        let save = epoch % ck.every === 0;
        if (ck.saveBestOnly) {
          const v = monitored(ck.monitor, log);
          save = v < ckBest;
          if (save) ckBest = v;
        }
        if (save) {
          try { await helpers.save(ck.path); } catch (e) {
            if (e instanceof FileError) throw new FileError(`fit options.checkpoint.${e.message} at the end of epoch ${epoch}; the network is as that epoch left it`, e.code);
            throw e;
          }
          saved = ck.path;
        }
      }
      report?.epoch(log, performance.now() - t0, saved);
      await o.onEpochEnd?.(log);
      await nextTick();
      net.live();
      lastYield = performance.now();
      if (!complete) break;
      if (o.errorThreshold !== undefined && log.loss < o.errorThreshold) { history.stopReason = 'errorThreshold'; break; }
      if (es && wait > 0 && wait >= es.patience) { history.stopReason = 'earlyStopping'; break; }
      if (o.signal?.aborted) { history.stopReason = 'aborted'; break; }
    }
  } finally {
    report?.close(); // a bar left running would keep its redraw timer (and the process) alive
  }
  // Keras 3's EarlyStopping restores at the end of training, stopped early or not
  const restored = bestCopy?.restore() ?? false;
  report?.end(history, restored ? esBest : null);
  return history;
}

// ************* verbose *************

/** What `verbose` prints, to stdout. */
interface Reporter {
  start(epoch: number): void;
  batch(done: number, loss: number): void;
  epoch(log: EpochLog, ms: number, saved: string | null): void;
  /** After the last epoch: why training stopped (unless it completed) and which epoch was restored (its monitored value). */
  end(history: History, restoredValue: number | null): void;
  /** Removes the bar, also when fit throws. */
  close(): void;
}

/** The progress bar is redrawn at most this often (ms). */
const BAR_MS = 100;

/** A metric: 4 significant digits; auc may be null. */
const metricText = (x: unknown): string => (typeof x === 'number' ? fmt(x) : 'n/a');
const timeText = (ms: number): string => (ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(2)} s`);

/** A bar on a terminal, cleared when the epoch's line is printed; nothing on a pipe (src/progress.ts). */
interface Bar { start(epoch: number): void; update(done: number, loss: number): void; stop(): void }

function progressBar(epochs: number, batches: number): Bar | null {
  const style = detectStyle();
  if (!style.tty) return null;
  const bar = new ProgressBar(`epoch {epoch}/${epochs} {bar} {value}/{total} batches | loss {loss}`, style);
  return {
    start(epoch) { bar.start(batches, { epoch, loss: '-' }); },
    update(done, loss) { bar.update(done, { loss: lossStr(loss) }); },
    stop() { bar.stop(); },
  };
}

/** A progress bar per epoch on a terminal, and one plain line per epoch on stdout (terminal or not). */
function reporter(o: ResolvedFit, batches: number, metrics: readonly Metric[], hasVal: boolean): Reporter {
  const bar = progressBar(o.epochs, batches);
  const width = String(o.epochs).length;
  const print = (line: string): void => { process.stdout.write(`${line}\n`); };
  let drawn = 0;
  return {
    start(epoch) {
      bar?.start(epoch);
      drawn = performance.now();
    },
    batch(done, loss) {
      if (!bar || performance.now() - drawn < BAR_MS) return;
      bar.update(done, loss);
      drawn = performance.now();
    },
    epoch(log, ms, saved) {
      bar?.stop();
      const fields = log as unknown as Record<string, unknown>;
      const parts = [`epoch ${String(log.epoch).padStart(width)}/${o.epochs}`, `loss ${lossStr(log.loss)}`];
      for (const m of metrics) parts.push(`${m} ${metricText(fields[m])}`);
      if (hasVal) {
        parts.push(`valLoss ${lossStr(log.valLoss!)}`);
        for (const m of metrics) parts.push(`${valName(m)} ${metricText(fields[valName(m)])}`);
      }
      parts.push(timeText(ms));
      if (saved) parts.push(`saved ${saved}`);
      print(parts.join('  '));
    },
    close() { bar?.stop(); },
    end(history, restoredValue) {
      const last = history.epochs.at(-1)?.epoch ?? o.initialEpoch;
      const es = o.earlyStopping;
      if (history.stopReason === 'earlyStopping' && es) print(`early stopping at epoch ${last}: ${es.monitor} has not improved by more than ${es.minDelta} since epoch ${history.bestEpoch}`);
      if (history.stopReason === 'errorThreshold') print(`stopped at epoch ${last}: loss below errorThreshold ${o.errorThreshold}`);
      if (history.stopReason === 'aborted') print(`aborted in epoch ${last}`);
      if (history.stopReason === 'diverged' && history.diverged) print(`diverged at epoch ${history.diverged.epoch}, batch ${history.diverged.batch}`);
      if (restoredValue !== null && es) print(`restored the state at the end of epoch ${history.bestEpoch} (best ${es.monitor} ${lossStr(restoredValue)})`);
    },
  };
}
