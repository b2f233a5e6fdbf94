import { HIDDEN_ACTIVATIONS, OUTPUT_ACTIVATIONS, type Activation, type OutputActivation } from './activations.js';
import { ArgumentTypeError, OptionError, OutOfMemoryError, describe } from './errors.js';
import { MAX_BYTES } from './wasm/memory.js';

export const LOSSES = ['mse', 'crossEntropy', 'binaryCrossEntropy'] as const;
/** 'mse' = ½Σ(target − out)² (the seed's E); 'crossEntropy' = −Σ t·log(softmax); 'binaryCrossEntropy' = −Σ t·log σ + (1−t)·log(1−σ). */
export type Loss = (typeof LOSSES)[number];
export const REDUCTIONS = ['mean', 'sum'] as const;
/** How a batch's per-sample losses (and so the gradients) combine. */
export type Reduction = (typeof REDUCTIONS)[number];

export interface NetworkOptions {
  /** Layer sizes, input first: any length ≥ 2, every width ≥ 1. */
  layers: number[];
  /** Hidden-layer activation, or one per hidden layer. Default 'sigmoid'. */
  activation?: Activation | Activation[];
  /** Output activation. Default 'sigmoid'. */
  outputActivation?: OutputActivation;
  /** Default: 'crossEntropy' with a softmax output, else 'mse'. */
  loss?: Loss;
  /** Biases on every layer. Default true. */
  bias?: boolean;
  /** 'mean' (default) or 'sum' over the samples of a batch, for the loss and the gradients. */
  reduction?: Reduction;
  /** Plain SGD step size. Default 0.1. */
  learningRate?: number;
  /** Seed of the weight initialisation (any integer). Default 1: same options, same weights. */
  seed?: number;
  /** Slope for x < 0 of 'leakyRelu', in [0, 1). Default 0.01. */
  leakyReluAlpha?: number;
}

/** Options with every default filled in. */
export interface ResolvedOptions {
  layers: number[];
  activation: Activation[];
  outputActivation: OutputActivation;
  loss: Loss;
  bias: boolean;
  reduction: Reduction;
  learningRate: number;
  seed: number;
  leakyReluAlpha: number;
}

const KNOWN = ['layers', 'activation', 'outputActivation', 'loss', 'bias', 'reduction', 'learningRate', 'seed', 'leakyReluAlpha'];

/** Validates user options (typed errors naming the option) and fills in defaults. */
export function resolveOptions(options: unknown): ResolvedOptions {
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
  if (!Array.isArray(layers)) throw new OptionError(`options.layers: expected an array of layer sizes such as [2, 4, 1], got ${describe(layers)}`);
  if (layers.length < 2) throw new OptionError(`options.layers: expected at least 2 sizes (input and output), got ${layers.length}`);
  layers.forEach((n, i) => {
    if (typeof n !== 'number' || !Number.isInteger(n) || n < 1) {
      throw new OptionError(`options.layers[${i}]: expected an integer ≥ 1, got ${describe(n)}`);
    }
  });
  let params = 0;
  for (let i = 1; i < layers.length; i++) params += (layers[i] as number) * ((layers[i - 1] as number) + 1);
  if (params * 8 > MAX_BYTES) {
    throw new OutOfMemoryError(`options.layers: ${params} parameters need ${params * 8} bytes (weights and gradients), more than wasm32's 4 GiB`);
  }
  const hidden = layers.length - 2;
  let activation: Activation[];
  if (o.activation === undefined) activation = new Array<Activation>(hidden).fill('sigmoid');
  else if (Array.isArray(o.activation)) {
    if (o.activation.length !== hidden) {
      throw new OptionError(`options.activation: expected one activation per hidden layer (${hidden}), got an array of length ${o.activation.length}`);
    }
    activation = o.activation.map((a, i) => oneOf(a, HIDDEN_ACTIVATIONS, `options.activation[${i}]`));
  } else activation = new Array<Activation>(hidden).fill(oneOf(o.activation, HIDDEN_ACTIVATIONS, 'options.activation'));
  const outputActivation = o.outputActivation === undefined ? 'sigmoid' : oneOf(o.outputActivation, OUTPUT_ACTIVATIONS, 'options.outputActivation');
  const loss: Loss = o.loss === undefined ? (outputActivation === 'softmax' ? 'crossEntropy' : 'mse') : oneOf(o.loss, LOSSES, 'options.loss');
  if (loss === 'crossEntropy' && outputActivation !== 'softmax') {
    throw new OptionError(`options.loss: 'crossEntropy' needs outputActivation 'softmax', got outputActivation '${outputActivation}' (use 'binaryCrossEntropy' with 'sigmoid')`);
  }
  if (loss === 'binaryCrossEntropy' && outputActivation !== 'sigmoid') {
    throw new OptionError(`options.loss: 'binaryCrossEntropy' needs outputActivation 'sigmoid', got outputActivation '${outputActivation}'`);
  }
  const bias = o.bias === undefined ? true : o.bias;
  if (typeof bias !== 'boolean') throw new OptionError(`options.bias: expected true or false, got ${describe(bias)}`);
  const reduction = o.reduction === undefined ? 'mean' : oneOf(o.reduction, REDUCTIONS, 'options.reduction');
  const learningRate = o.learningRate === undefined ? 0.1 : o.learningRate;
  if (typeof learningRate !== 'number' || !Number.isFinite(learningRate) || learningRate <= 0) {
    throw new OptionError(`options.learningRate: expected a finite number > 0, got ${describe(learningRate)}`);
  }
  const seed = o.seed === undefined ? 1 : o.seed;
  if (typeof seed !== 'number' || !Number.isSafeInteger(seed)) {
    throw new OptionError(`options.seed: expected an integer, got ${describe(seed)}`);
  }
  const leakyReluAlpha = o.leakyReluAlpha === undefined ? 0.01 : o.leakyReluAlpha;
  if (typeof leakyReluAlpha !== 'number' || !(leakyReluAlpha >= 0 && leakyReluAlpha < 1)) {
    throw new OptionError(`options.leakyReluAlpha: expected a number in [0, 1), got ${describe(leakyReluAlpha)}`);
  }
  return { layers: [...(layers as number[])], activation, outputActivation, loss, bias, reduction, learningRate, seed, leakyReluAlpha };
}

function oneOf<T extends string>(v: unknown, allowed: readonly T[], name: string): T {
  if (typeof v === 'string' && (allowed as readonly string[]).includes(v)) return v as T;
  const hint = typeof v === 'string' ? suggest(v, allowed) : undefined;
  throw new OptionError(`${name}: expected one of ${allowed.map((a) => `'${a}'`).join(', ')}, got ${describe(v)}${hint ? ` (did you mean '${hint}'?)` : ''}`);
}

/** The closest known name (edit distance ≤ 3, case-insensitive), if any. */
export function suggest(word: string, known: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestD = 4;
  for (const k of known) {
    const d = editDistance(word.toLowerCase(), k.toLowerCase());
    if (d < bestD) { bestD = d; best = k; }
  }
  return best;
}

function editDistance(a: string, b: string): number {
  const prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let diag = prev[0]!;
    prev[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const up = prev[j]!;
      prev[j] = Math.min(up + 1, prev[j - 1]! + 1, diag + (a[i - 1] === b[j - 1] ? 0 : 1));
      diag = up;
    }
  }
  return prev[b.length]!;
}
