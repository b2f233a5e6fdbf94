import { LOSS, LOSSES, defaultLoss, type Loss } from './losses.js';
import { HIDDEN_ACTIVATIONS, OUTPUT_ACTIVATIONS, type Activation, type OutputActivation } from './activations.js';
import { ArgumentTypeError, OptionError, OutOfMemoryError, describe } from './errors.js';
import { MAX_BYTES } from './wasm/memory.js';
import { suggest } from './suggest.js';
import { CLIP_KEYS, resolveClipping, type ClipConfig, type OptimizerConfig } from './optim/index.js';
import { describeLearningRate, resolveLearningRate, type LearningRate, type ResolvedLearningRate } from './schedules.js';
import { isLayerList, paramCountOf, resolveLayerList, stackOf, type LayerInput, type LayerSpec } from './layers/stack.js';

export type { LayerInput, LayerSpec } from './layers/stack.js';

/**
 * An optimizer by name (Keras defaults) or with its settings. Every type also takes a learning-rate
 * schedule as `learningRate` (src/schedules.ts) and the clipping settings clipNorm, globalClipNorm,
 * clipValue (src/optim/clip.ts).
 */
export type OptimizerOption =
  | 'sgd' | 'adam' | 'adamw' | 'rmsprop'
  | ({ type: 'sgd'; learningRate?: LearningRate; momentum?: number; nesterov?: boolean; weightDecay?: number } & ClipConfig)
  | ({ type: 'adam'; learningRate?: LearningRate; beta1?: number; beta2?: number; epsilon?: number; weightDecay?: number } & ClipConfig)
  | ({ type: 'adamw'; learningRate?: LearningRate; beta1?: number; beta2?: number; epsilon?: number; weightDecay?: number } & ClipConfig)
  | ({ type: 'rmsprop'; learningRate?: LearningRate; decay?: number; epsilon?: number; weightDecay?: number } & ClipConfig);

/** Keras's defaults. */
const OPTIMIZER_DEFAULTS: Record<OptimizerConfig['type'], OptimizerConfig> = {
  sgd: { type: 'sgd', learningRate: 0.01, momentum: 0, nesterov: false, weightDecay: 0 },
  adam: { type: 'adam', learningRate: 0.001, beta1: 0.9, beta2: 0.999, epsilon: 1e-7, weightDecay: 0 },
  adamw: { type: 'adamw', learningRate: 0.001, beta1: 0.9, beta2: 0.999, epsilon: 1e-7, weightDecay: 0.004 },
  rmsprop: { type: 'rmsprop', learningRate: 0.001, decay: 0.9, epsilon: 1e-7, weightDecay: 0 },
};

export { LOSSES, type Loss } from './losses.js';
export const REDUCTIONS = ['mean', 'sum'] as const;
/** How a batch's per-sample losses (and so the gradients) combine. */
export type Reduction = (typeof REDUCTIONS)[number];

/**
 * A network's options. L is the `layers` option's type: inferred from a literal; as an annotation
 * the default is a list of sizes, `NetworkOptions<LayerInput[]>` takes layer objects too.
 */
export interface NetworkOptions<L extends readonly LayerInput[] = readonly number[]> {
  /**
   * Layer sizes, input first (`[784, 256, 10]`: every layer dense), or a layer list: the input size,
   * then numbers (dense layers) and layer objects (`{ type: 'dense', units, activation, l1, l2, useBias }`,
   * `{ type: 'dropout', rate }`, `{ type: 'batchNormalization', momentum, epsilon, center, scale }`,
   * `{ type: 'layerNormalization', epsilon, center, scale }`), the last one dense.
   */
  layers: L;
  /** Hidden dense layers' activation, or one per hidden dense layer (a layer object's own activation wins). Default 'sigmoid'. */
  activation?: Activation | readonly Activation[];
  /** Output activation (the last dense layer's). Default 'sigmoid'. */
  outputActivation?: OutputActivation;
  /** Default: 'crossEntropy' with a softmax output, else 'mse'. */
  loss?: Loss;
  /** Biases on every dense layer (a layer object's useBias wins). Default true. */
  bias?: boolean;
  /** 'mean' (default) or 'sum' over the samples of a batch, for the loss and the gradients. */
  reduction?: Reduction;
  /** Optimizer: 'sgd' (default), 'adam', 'rmsprop' or an object with settings; defaults as in Keras. */
  optimizer?: OptimizerOption;
  /** Shorthand for the optimizer's learning rate (with a named or default optimizer): a number, a schedule object or a function (step, epoch) => rate. Default: the optimizer's (SGD 0.01). */
  learningRate?: LearningRate;
  /** Seed of the weight initialisation (any integer). Default 1: same options, same weights. */
  seed?: number;
  /** Slope for x < 0 of 'leakyRelu', in [0, 1). Default 0.01. */
  leakyReluAlpha?: number;
  /** Threads for the matrix products: 'auto' (default: os.availableParallelism(), used only for products large enough to pay) or a count ≥ 1. Results are bit-identical for any count. */
  threads?: 'auto' | number;
}

/** T with every property, array element and nested property read-only. */
export type DeepReadonly<T> =
  T extends (...args: never[]) => unknown ? T
  : T extends readonly (infer E)[] ? readonly DeepReadonly<E>[]
  : T extends object ? { readonly [K in keyof T]: DeepReadonly<T[K]> }
  : T;

/**
 * Options with every default filled in (L as in NetworkOptions: as an annotation, a network of
 * sizes; `ResolvedOptions<LayerInput[]>` is any network's). A network's are frozen all the way down (`net.options.layers[0] = 3`
 * throws in strict mode and is ignored otherwise): they describe the buffers it allocated.
 */
export type ResolvedOptions<L extends readonly LayerInput[] = readonly number[]> = DeepReadonly<{
  /** As given when all numbers; else the input size and every layer with its settings filled in. */
  layers: L extends readonly number[] ? number[] : (number | LayerSpec)[];
  activation: Activation[];
  outputActivation: OutputActivation;
  loss: Loss;
  bias: boolean;
  reduction: Reduction;
  optimizer: OptimizerConfig;
  learningRate: ResolvedLearningRate;
  seed: number;
  leakyReluAlpha: number;
  threads: 'auto' | number;
}>;

const KNOWN = ['layers', 'activation', 'outputActivation', 'loss', 'bias', 'reduction', 'optimizer', 'learningRate', 'seed', 'leakyReluAlpha', 'threads'];

/**
 * Validates user options (typed errors naming the option) and fills in defaults. The result is a
 * new object, frozen all the way down; the caller's object is only read (it may itself be frozen).
 */
export function resolveOptions(options: unknown): ResolvedOptions<LayerInput[]> {
  if (options === null || typeof options !== 'object' || Array.isArray(options)) {
    throw new ArgumentTypeError(`options: expected an object such as { layers: [2, 4, 1] }, got ${describe(options)}`);
  }
  const o = options as Record<string, unknown>;
  for (const key of Object.keys(o)) {
    if (!KNOWN.includes(key)) {
      const hint = suggest(key, KNOWN);
      throw new OptionError(`options.${key}: unknown option${hint ? ` (did you mean '${hint}'?)` : ''}; known options are ${KNOWN.join(', ')}`);
    }
  }
  const layers = o.layers;
  if (!Array.isArray(layers)) throw new OptionError(`options.layers: expected an array of layer sizes such as [2, 4, 1] or a layer list, got ${describe(layers)}`);
  if (layers.length < 2) throw new OptionError(`options.layers: expected at least 2 sizes (the input size and a layer), got ${layers.length}`);
  const act = o.activation === undefined ? undefined
    : Array.isArray(o.activation) ? o.activation.map((a, i) => oneOf(a, HIDDEN_ACTIVATIONS, `options.activation[${i}]`))
    : oneOf(o.activation, HIDDEN_ACTIVATIONS, 'options.activation');
  const outAct = o.outputActivation === undefined ? undefined : oneOf(o.outputActivation, OUTPUT_ACTIVATIONS, 'options.outputActivation');
  const bias = o.bias === undefined ? true : o.bias;
  if (typeof bias !== 'boolean') throw new OptionError(`options.bias: expected true or false, got ${describe(bias)}`);
  let sizes: (number | LayerSpec)[];
  let activation: Activation[];
  let outputActivation: OutputActivation;
  if (isLayerList(layers)) {
    const list = resolveLayerList(layers, act, outAct, bias);
    sizes = [list.input, ...list.layers];
    activation = list.hidden;
    outputActivation = list.output;
  } else {
    layers.forEach((n, i) => {
      if (typeof n !== 'number' || !Number.isInteger(n) || n < 1) {
        throw new OptionError(`options.layers[${i}]: expected an integer ≥ 1, got ${describe(n)}`);
      }
    });
    sizes = [...(layers as number[])];
    const hidden = layers.length - 2;
    if (act === undefined) activation = new Array<Activation>(hidden).fill('sigmoid');
    else if (Array.isArray(act)) {
      if (act.length !== hidden) {
        throw new OptionError(`options.activation: expected one activation per hidden layer (${hidden}), got an array of length ${act.length}`);
      }
      activation = act;
    } else activation = new Array<Activation>(hidden).fill(act as Activation);
    outputActivation = outAct ?? 'sigmoid';
  }
  let params = 0;
  for (const e of stackOf({ layers: sizes, activation, outputActivation, bias })) params += paramCountOf(e);
  if (params * 8 > MAX_BYTES) {
    throw new OutOfMemoryError(`options.layers: ${params} parameters need ${params * 8} bytes (weights and gradients), more than wasm32's 4 GiB`);
  }
  const loss: Loss = o.loss === undefined ? defaultLoss(outputActivation) : oneOf(o.loss, LOSSES, 'options.loss');
  const needs = LOSS[loss].fusedWith;
  if (needs && outputActivation !== needs) {
    throw new OptionError(`options.loss: '${loss}' needs outputActivation '${needs}', got outputActivation '${outputActivation}'${LOSS[loss].pairingHint ?? ''}`);
  }
  const accepts = LOSS[loss].outputs?.filter((a) => (OUTPUT_ACTIVATIONS as readonly string[]).includes(a));
  if (accepts && !accepts.includes(outputActivation)) {
    throw new OptionError(`options.loss: '${loss}' needs outputActivation ${accepts.length > 1 ? 'one of ' : ''}${accepts.map((a) => `'${a}'`).join(', ')}, got outputActivation '${outputActivation}'${LOSS[loss].pairingHint ?? ''}`);
  }
  const reduction = o.reduction === undefined ? 'mean' : oneOf(o.reduction, REDUCTIONS, 'options.reduction');
  const optimizer = resolveOptimizer(o.optimizer, o.learningRate);
  const learningRate = optimizer.learningRate;
  const seed = o.seed === undefined ? 1 : o.seed;
  if (typeof seed !== 'number' || !Number.isSafeInteger(seed)) {
    throw new OptionError(`options.seed: expected an integer, got ${describe(seed)}`);
  }
  const leakyReluAlpha = o.leakyReluAlpha === undefined ? 0.01 : o.leakyReluAlpha;
  if (typeof leakyReluAlpha !== 'number' || !(leakyReluAlpha >= 0 && leakyReluAlpha < 1)) {
    throw new OptionError(`options.leakyReluAlpha: expected a number in [0, 1), got ${describe(leakyReluAlpha)}`);
  }
  const threads = o.threads === undefined ? 'auto' : o.threads;
  if (threads !== 'auto' && (typeof threads !== 'number' || !Number.isInteger(threads) || threads < 1 || threads > 256)) {
    throw new OptionError(`options.threads: expected 'auto' or an integer in [1, 256], got ${describe(threads)}`);
  }
  return Object.freeze({
    layers: Object.freeze(sizes.map((e) => (typeof e === 'number' ? e : Object.freeze({ ...e })))), activation: Object.freeze(activation), outputActivation, loss, bias, reduction,
    optimizer: Object.freeze(optimizer), learningRate, seed, leakyReluAlpha, threads,
  });
}

function positive(v: unknown, name: string): number {
  if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0) throw new OptionError(`${name}: expected a finite number > 0, got ${describe(v)}`);
  return v;
}

function inRange(v: unknown, name: string, lo: number, hi: number, hiOpen = true): number {
  if (typeof v !== 'number' || !(v >= lo && (hiOpen ? v < hi : v <= hi))) {
    throw new OptionError(`${name}: expected a number in [${lo}, ${hi}${hiOpen ? ')' : ']'}, got ${describe(v)}`);
  }
  return v;
}

const OPTIMIZER_KEYS: Record<OptimizerConfig['type'], string[]> = {
  sgd: ['type', 'learningRate', 'momentum', 'nesterov', 'weightDecay', ...CLIP_KEYS],
  adam: ['type', 'learningRate', 'beta1', 'beta2', 'epsilon', 'weightDecay', ...CLIP_KEYS],
  adamw: ['type', 'learningRate', 'beta1', 'beta2', 'epsilon', 'weightDecay', ...CLIP_KEYS],
  rmsprop: ['type', 'learningRate', 'decay', 'epsilon', 'weightDecay', ...CLIP_KEYS],
};

/**
 * The optimizer option with Keras's defaults filled in; `shorthand` is the top-level learningRate
 * (checked first). Clipping settings appear in the result only when given.
 */
export function resolveOptimizer(opt: unknown, shorthand: unknown): OptimizerConfig {
  const learningRate = shorthand === undefined ? undefined : resolveLearningRate(shorthand, 'options.learningRate');
  const types = Object.keys(OPTIMIZER_DEFAULTS) as OptimizerConfig['type'][];
  if (opt === undefined || typeof opt === 'string') {
    const type = opt === undefined ? 'sgd' : oneOf(opt, types, 'options.optimizer');
    return { ...OPTIMIZER_DEFAULTS[type], ...(learningRate !== undefined ? { learningRate } : {}) };
  }
  if (opt === null || typeof opt !== 'object' || Array.isArray(opt)) {
    throw new OptionError(`options.optimizer: expected 'sgd', 'adam', 'adamw', 'rmsprop' or an object such as { type: 'adam', learningRate: 0.001 }, got ${describe(opt)}`);
  }
  const o = opt as Record<string, unknown>;
  const type = oneOf(o.type, types, 'options.optimizer.type');
  for (const key of Object.keys(o)) {
    if (!OPTIMIZER_KEYS[type].includes(key)) {
      const hint = suggest(key, OPTIMIZER_KEYS[type]);
      throw new OptionError(`options.optimizer.${key}: unknown setting for '${type}'${hint ? ` (did you mean '${hint}'?)` : ''}; it takes ${OPTIMIZER_KEYS[type].join(', ')}`);
    }
  }
  if (learningRate !== undefined && o.learningRate !== undefined) {
    throw new OptionError(`options.learningRate: given twice, as options.learningRate (${describeLearningRate(learningRate)}) and options.optimizer.learningRate (${describe(o.learningRate)}); keep one`);
  }
  const c = { ...OPTIMIZER_DEFAULTS[type], ...(learningRate !== undefined ? { learningRate } : {}) } as Record<string, unknown>;
  for (const [k, v] of Object.entries(o)) if (v !== undefined) c[k] = v;
  if (o.learningRate !== undefined) c.learningRate = resolveLearningRate(o.learningRate, 'options.optimizer.learningRate');
  resolveClipping(c, 'options.optimizer');
  if (typeof c.weightDecay !== 'number' || !(c.weightDecay >= 0) || !Number.isFinite(c.weightDecay)) {
    throw new OptionError(`options.optimizer.weightDecay: expected a finite number ≥ 0, got ${describe(c.weightDecay)}`);
  }
  if (type === 'sgd') {
    inRange(c.momentum, 'options.optimizer.momentum', 0, 1);
    if (typeof c.nesterov !== 'boolean') throw new OptionError(`options.optimizer.nesterov: expected true or false, got ${describe(c.nesterov)}`);
  } else if (type === 'adam' || type === 'adamw') {
    inRange(c.beta1, 'options.optimizer.beta1', 0, 1);
    inRange(c.beta2, 'options.optimizer.beta2', 0, 1);
    positive(c.epsilon, 'options.optimizer.epsilon');
  } else {
    inRange(c.decay, 'options.optimizer.decay', 0, 1);
    positive(c.epsilon, 'options.optimizer.epsilon');
  }
  return c as unknown as OptimizerConfig;
}

function oneOf<T extends string>(v: unknown, allowed: readonly T[], name: string): T {
  if (typeof v === 'string' && (allowed as readonly string[]).includes(v)) return v as T;
  const hint = typeof v === 'string' ? suggest(v, allowed) : undefined;
  throw new OptionError(`${name}: expected one of ${allowed.map((a) => `'${a}'`).join(', ')}, got ${describe(v)}${hint ? ` (did you mean '${hint}'?)` : ''}`);
}
