import { OptionError, describe } from '../errors.js';
import { suggest } from '../suggest.js';
import { BRAIN_ACTIVATIONS, type BrainActivation } from './wasm-net.js';

/** What train's log and callback receive. */
export interface TrainStatus { iterations: number; error: number }

/** brain.js's training options (names, defaults and accepted ranges as brain.js 2.0.0-beta.24), plus `batchSize`. */
export interface BrainTrainOptions {
  /** Maximum passes over the data. Default 20000. */
  iterations?: number;
  /** Stop once the mean error of a pass is ≤ this; in (0, 1). Default 0.005. */
  errorThresh?: number;
  /** true: console.log every logPeriod passes; a function: called with { iterations, error }. Default false. */
  log?: boolean | ((status: TrainStatus) => void);
  /** Passes between logs. Default 10. */
  logPeriod?: number;
  /** In (0, 1). Default 0.3. */
  learningRate?: number;
  /** In (0, 1). Default 0.1. */
  momentum?: number;
  /** Called with { iterations, error } every callbackPeriod passes. */
  callback?: ((status: TrainStatus) => void) | null;
  /** Passes between callbacks. Default 10. */
  callbackPeriod?: number;
  /** Maximum training time in ms (checked between passes, at least every ms or so). Default Infinity. */
  timeout?: number;
  /** 'sigmoid' (default), 'relu', 'leaky-relu' or 'tanh', for every layer. */
  activation?: BrainActivation;
  /** The slope of leaky-relu below 0; in (0, 1). Default 0.01. */
  leakyReluAlpha?: number;
  /** wasmlp only: samples per update (1 = brain.js's per-sample updates). The update uses the mean gradient of the batch. Default 1. */
  batchSize?: number;
  /** brain.js's optional adam praxis: not supported here ('adam' is rejected); kept for JSON compatibility. */
  praxis?: 'adam' | null;
  /** Kept for brain.js JSON compatibility (used only by its adam praxis). */
  beta1?: number;
  beta2?: number;
  epsilon?: number;
}

/** brain.js's NeuralNetwork constructor options (any training option may also be given here). */
export interface BrainOptions extends BrainTrainOptions {
  /** Sizes of the hidden layers. Default: one layer of max(3, ⌊inputs / 2⌋). */
  hiddenLayers?: readonly number[] | null;
  /** With outputSize: sizes the network now (otherwise the first train call sizes it from the data). */
  inputSize?: number;
  outputSize?: number;
  /** test(): an output above this counts as 1 for single-output networks. Default 0.5. */
  binaryThresh?: number;
}

export interface ResolvedTrainOptions {
  iterations: number;
  errorThresh: number;
  log: false | ((status: TrainStatus) => void);
  logPeriod: number;
  learningRate: number;
  momentum: number;
  callback: ((status: TrainStatus) => void) | undefined;
  callbackPeriod: number;
  timeout: number;
  activation: BrainActivation;
  leakyReluAlpha: number;
  batchSize: number;
  praxis: 'adam' | undefined;
  beta1: number;
  beta2: number;
  epsilon: number;
}

export function trainDefaults(): ResolvedTrainOptions {
  return {
    iterations: 20000, errorThresh: 0.005, log: false, logPeriod: 10, learningRate: 0.3, momentum: 0.1,
    callback: undefined, callbackPeriod: 10, timeout: Infinity, activation: 'sigmoid', leakyReluAlpha: 0.01,
    batchSize: 1, praxis: undefined, beta1: 0.9, beta2: 0.999, epsilon: 1e-8,
  };
}

export const TRAIN_KEYS = [
  'iterations', 'errorThresh', 'log', 'logPeriod', 'learningRate', 'momentum', 'callback', 'callbackPeriod',
  'timeout', 'activation', 'leakyReluAlpha', 'batchSize', 'praxis', 'beta1', 'beta2', 'epsilon',
] as const;
export const NETWORK_KEYS = ['hiddenLayers', 'inputSize', 'outputSize', 'binaryThresh'] as const;

export function logTrainingStatus(status: TrainStatus): void {
  console.log(`iterations: ${status.iterations}, training error: ${status.error}`);
}

const inOpenUnit = (v: unknown): boolean => typeof v === 'number' && v > 0 && v < 1;
const positiveInt = (v: unknown): boolean => typeof v === 'number' && Number.isInteger(v) && v >= 1;

/**
 * Merges `given` into `base` (brain.js keeps training options across train calls), checking each
 * given value against the range brain.js accepts. `where` prefixes messages ("train options").
 */
export function mergeTrainOptions(base: ResolvedTrainOptions, given: Record<string, unknown>, where: string, extraKeys: readonly string[] = []): ResolvedTrainOptions {
  const out = { ...base };
  const known: readonly string[] = [...TRAIN_KEYS, ...extraKeys];
  for (const key of Object.keys(given)) {
    if (!known.includes(key)) {
      const s = suggest(key, known);
      throw new OptionError(`${where}: unknown option '${key}'${s ? ` (did you mean '${s}'?)` : ''}; known options are ${known.join(', ')}`);
    }
  }
  const bad = (key: string, expected: string): never => {
    throw new OptionError(`${where}.${key}: expected ${expected}, got ${describe(given[key])}`);
  };
  const has = (key: string): boolean => given[key] !== undefined;
  if (has('iterations')) {
    const v = given.iterations;
    if (!(positiveInt(v) || v === Infinity)) bad('iterations', 'an integer ≥ 1 (or Infinity)');
    out.iterations = v as number;
  }
  for (const key of ['errorThresh', 'learningRate', 'momentum', 'leakyReluAlpha', 'beta1', 'beta2', 'epsilon'] as const) {
    if (has(key)) {
      if (!inOpenUnit(given[key])) bad(key, 'a number between 0 and 1 (exclusive), the range brain.js accepts');
      out[key] = given[key] as number;
    }
  }
  if (has('log')) {
    const v = given.log;
    if (typeof v === 'function') out.log = v as (s: TrainStatus) => void;
    else if (typeof v === 'boolean') out.log = v ? logTrainingStatus : false;
    else bad('log', 'a boolean or a function');
  }
  for (const key of ['logPeriod', 'callbackPeriod', 'batchSize'] as const) {
    if (has(key)) {
      if (!positiveInt(given[key])) bad(key, 'an integer ≥ 1');
      out[key] = given[key] as number;
    }
  }
  if ('callback' in given) {
    const v = given.callback;
    if (v !== undefined && v !== null && typeof v !== 'function') bad('callback', 'a function');
    out.callback = typeof v === 'function' ? (v as (s: TrainStatus) => void) : undefined;
  }
  if (has('timeout')) {
    const v = given.timeout;
    if (!(typeof v === 'number' && v > 0)) bad('timeout', 'a number of milliseconds > 0 (or Infinity)');
    out.timeout = v as number;
  }
  if (has('activation')) {
    const v = given.activation;
    if (typeof v !== 'string' || !(BRAIN_ACTIVATIONS as readonly string[]).includes(v)) {
      const s = typeof v === 'string' ? suggest(v, BRAIN_ACTIVATIONS) : undefined;
      bad('activation', `one of ${BRAIN_ACTIVATIONS.map((a) => `'${a}'`).join(', ')}${s ? ` (did you mean '${s}'?)` : ''}`);
    }
    out.activation = v as BrainActivation;
  }
  if ('praxis' in given) {
    const v = given.praxis;
    if (v === 'adam') {
      throw new OptionError(`${where}.praxis: 'adam' is not supported by wasmlp/brain (it trains with brain.js's default per-sample momentum SGD); for adam use wasmlp's Network with optimizer 'adam'`);
    }
    if (v !== undefined && v !== null && v !== false) bad('praxis', "nothing (brain.js's only other value, 'adam', is not supported)");
    out.praxis = undefined;
  }
  return out;
}
