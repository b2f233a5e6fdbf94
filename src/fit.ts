// fit's public types and the checks of its options (the loop itself is Network.fit's).
import type { BatchInput } from './data.js';
import { ArgumentTypeError, OptionError, describe } from './errors.js';
import { suggest } from './options.js';

/** What `fit` reports after each epoch. */
export interface EpochLog {
  /** 1-based. */
  epoch: number;
  /** Mean per-sample training loss over the epoch (measured before each batch's update). */
  loss: number;
  valLoss?: number;
  /** Fraction correct: argmax for softmax outputs, each output > 0.5 for sigmoid outputs; absent for other outputs. */
  accuracy?: number;
  valAccuracy?: number;
  samplesPerSecond: number;
}

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
  validationData?: [BatchInput, BatchInput];
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
}

/** What `fit` resolves to. */
export interface History {
  epochs: EpochLog[];
  loss: number[];
  valLoss: number[];
  accuracy: number[];
  valAccuracy: number[];
  stopReason: 'completed' | 'earlyStopping' | 'errorThreshold' | 'aborted' | 'diverged';
  /** With stopReason 'diverged': where the non-finite loss (or weights) was seen; epoch 1-based, batch 0-based as in onBatchEnd. */
  diverged?: { epoch: number; batch: number };
}

export type ResolvedFit = Required<Pick<FitOptions, 'epochs' | 'batchSize' | 'shuffle'>> & FitOptions;

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
  return { ...(o as FitOptions), epochs, batchSize, shuffle };
}

const FIT_KEYS = ['epochs', 'batchSize', 'shuffle', 'validationSplit', 'validationData', 'onEpochEnd', 'onBatchEnd', 'earlyStopping', 'errorThreshold', 'signal', 'onNaN', 'rollback'];
