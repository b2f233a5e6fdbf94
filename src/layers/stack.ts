// The layer list of `options.layers`: validation (typed errors naming the layer index and option,
// with "did you mean"), the network-level defaults filled in, and the stack of layers it builds.
// A list of numbers is the shorthand it always was: every layer dense.
import type { Activation, OutputActivation } from '../activations.js';
import { OptionError, describe } from '../errors.js';
import { suggest } from '../suggest.js';
import type { Backend } from '../wasm/kernels.js';
import type { Matmul } from '../wasm/threads.js';
import { DENSE_KEYS, Dense, resolveDense, type DenseSpec } from './dense.js';
import { DROPOUT_KEYS, Dropout, resolveDropout, type DropoutSpec } from './dropout.js';
import { LAYER_TYPES, type Layer, type LayerType } from './layer.js';
import {
  BATCH_NORMALIZATION_KEYS, BatchNormalization, LAYER_NORMALIZATION_KEYS, LayerNormalization,
  resolveBatchNormalization, resolveLayerNormalization, type BatchNormalizationSpec, type LayerNormalizationSpec,
} from './normalization.js';

export type { DenseSpec } from './dense.js';
export type { DropoutSpec } from './dropout.js';
export type { BatchNormalizationSpec, LayerNormalizationSpec } from './normalization.js';

/** One layer of a layer list, every setting filled in. */
export type LayerSpec = DenseSpec | DropoutSpec | BatchNormalizationSpec | LayerNormalizationSpec;

/** One entry of a layer list as written: a number (a dense layer of that many units) or a layer object with any defaults left out. */
export type LayerInput =
  | number
  | { type: 'dense'; units: number; activation?: OutputActivation; l1?: number; l2?: number; useBias?: boolean }
  | { type: 'dropout'; rate: number }
  | { type: 'batchNormalization'; momentum?: number; epsilon?: number; center?: boolean; scale?: boolean }
  | { type: 'layerNormalization'; epsilon?: number; center?: boolean; scale?: boolean };

const KEYS: Record<LayerType, readonly string[]> = {
  dense: DENSE_KEYS, dropout: DROPOUT_KEYS, batchNormalization: BATCH_NORMALIZATION_KEYS, layerNormalization: LAYER_NORMALIZATION_KEYS,
};

/** One layer of a network's stack: its spec and the sizes it maps between. */
export interface StackEntry {
  readonly spec: LayerSpec;
  readonly inSize: number;
  readonly outSize: number;
}

/** A layer list validated, with the network-level activation, outputActivation and bias applied. */
export interface ResolvedList {
  input: number;
  layers: LayerSpec[];
  /** The hidden dense layers' activations, in order. */
  hidden: Activation[];
  output: OutputActivation;
}

/** True when `layers` is a layer list (has an object after the input size) rather than the sizes shorthand. */
export function isLayerList(layers: readonly unknown[]): boolean {
  return layers.some((l, i) => i > 0 && typeof l === 'object' && l !== null);
}

/**
 * Validates a layer list. `activation` is the network's option as given (undefined, one name or
 * one per hidden dense layer, already validated as names), `outputActivation` likewise.
 */
export function resolveLayerList(list: readonly unknown[], activation: Activation | readonly Activation[] | undefined, outputActivation: OutputActivation | undefined, bias: boolean): ResolvedList {
  const input = list[0];
  if (typeof input !== 'number' || !Number.isInteger(input) || input < 1) {
    throw new OptionError(`options.layers[0]: expected the input size (an integer ≥ 1), got ${describe(input)}`);
  }
  const parsed = list.slice(1).map((entry, j) => {
    const i = j + 1, where = `options.layers[${i}]`;
    if (typeof entry === 'number') {
      if (!Number.isInteger(entry) || entry < 1) throw new OptionError(`${where}: expected an integer ≥ 1 or a layer object, got ${describe(entry)}`);
      return { type: 'dense' as const, units: entry, l1: 0, l2: 0 } as ReturnType<typeof resolveDense>;
    }
    if (entry === null || typeof entry !== 'object' || Array.isArray(entry)) {
      throw new OptionError(`${where}: expected a layer size or a layer object such as { type: 'dense', units: 8 }, got ${describe(entry)}`);
    }
    const o = entry as Record<string, unknown>;
    const type = o.type;
    if (typeof type !== 'string' || !(LAYER_TYPES as readonly string[]).includes(type)) {
      // a typo, or a shortening such as 'batchNorm' (too far for suggest's edit distance)
      const hint = typeof type === 'string'
        ? suggest(type, LAYER_TYPES) ?? (type.length >= 4 ? LAYER_TYPES.find((t) => t.toLowerCase().startsWith(type.toLowerCase())) : undefined)
        : undefined;
      throw new OptionError(`${where}.type: expected one of ${LAYER_TYPES.map((t) => `'${t}'`).join(', ')}, got ${describe(type)}${hint ? ` (did you mean '${hint}'?)` : ''}`);
    }
    const keys = KEYS[type as LayerType];
    for (const k of Object.keys(o)) {
      if (!keys.includes(k)) {
        const hint = suggest(k, keys);
        throw new OptionError(`${where}.${k}: unknown option of a ${type} layer${hint ? ` (did you mean '${hint}'?)` : ''}; it takes ${keys.join(', ')}`);
      }
    }
    switch (type as LayerType) {
      case 'dense': return resolveDense(o, where);
      case 'dropout': return resolveDropout(o, where);
      case 'batchNormalization': return resolveBatchNormalization(o, where);
      case 'layerNormalization': return resolveLayerNormalization(o, where);
    }
  });
  const last = parsed[parsed.length - 1];
  if (!last) throw new OptionError(`options.layers: expected the input size and at least one layer, got ${list.length} entr${list.length === 1 ? 'y' : 'ies'}`);
  if (last.type !== 'dense') {
    throw new OptionError(`options.layers[${parsed.length}]: the last layer must be dense (the loss reads its activation), got a ${last.type} layer; add { type: 'dense', units, activation } after it`);
  }
  const first = parsed[0]!;
  if (first.type === 'batchNormalization' || first.type === 'layerNormalization') {
    throw new OptionError(`options.layers[1]: a ${first.type} layer cannot come first: it would normalize the raw inputs (scale them before training instead), got it right after the input size`);
  }
  const denseAt = parsed.flatMap((p, i) => (p.type === 'dense' ? [i] : []));
  const hiddenCount = denseAt.length - 1;
  if (Array.isArray(activation) && activation.length !== hiddenCount) {
    throw new OptionError(`options.activation: expected one activation per hidden dense layer (${hiddenCount}), got an array of length ${activation.length}`);
  }
  if (outputActivation !== undefined && last.activation !== undefined && last.activation !== outputActivation) {
    throw new OptionError(`options.outputActivation: '${outputActivation}' contradicts options.layers[${parsed.length}].activation '${last.activation}'; give the output layer's activation once`);
  }
  const hidden: Activation[] = [];
  const layers = parsed.map((p, i): LayerSpec => {
    if (p.type !== 'dense') return p as LayerSpec;
    const d = p as ReturnType<typeof resolveDense>;
    const h = denseAt.indexOf(i);
    let act: OutputActivation;
    if (h === hiddenCount) act = d.activation ?? outputActivation ?? 'sigmoid';
    else {
      act = d.activation ?? (Array.isArray(activation) ? activation[h]! : (activation as Activation | undefined) ?? 'sigmoid');
      if (act === 'softmax') throw new OptionError(`options.layers[${i + 1}].activation: 'softmax' works on whole rows and is for the output layer only; use it on the last dense layer`);
      hidden.push(act as Activation);
    }
    return { type: 'dense', units: d.units, activation: act, l1: d.l1, l2: d.l2, useBias: d.useBias ?? bias };
  });
  return { input, layers, hidden, output: (layers[layers.length - 1] as DenseSpec).activation };
}

/** The layers a network's resolved options describe, with their sizes (the sizes shorthand: all dense). */
export function stackOf(o: {
  readonly layers: readonly (number | LayerSpec)[]; readonly activation: readonly Activation[]; readonly outputActivation: OutputActivation; readonly bias: boolean;
}): StackEntry[] {
  const out: StackEntry[] = [];
  let size = o.layers[0] as number;
  const n = o.layers.length - 1;
  for (let i = 1; i <= n; i++) {
    const e = o.layers[i]!;
    const spec: LayerSpec = typeof e === 'number'
      ? { type: 'dense', units: e, activation: i === n ? o.outputActivation : o.activation[i - 1]!, l1: 0, l2: 0, useBias: o.bias }
      : e;
    const outSize = spec.type === 'dense' ? spec.units : size;
    out.push({ spec, inSize: size, outSize });
    size = outSize;
  }
  return out;
}

/**
 * One layer in words, as the ONNX doc_string and `wasmlp info` print it: "dense 12 relu",
 * "dropout 0.25", "batchNormalization (epsilon 0.001, no gamma)"; with `training`, also what only
 * training uses (l1/l2, batch normalization's momentum).
 */
export function describeLayer(s: LayerSpec, training = false): string {
  const norm = (n: { epsilon: number; center: boolean; scale: boolean }, extra: string[]): string =>
    `(${[...extra, `epsilon ${n.epsilon}`, ...(n.scale ? [] : ['no gamma']), ...(n.center ? [] : ['no beta'])].join(', ')})`;
  switch (s.type) {
    case 'dense': {
      const reg = training ? [...(s.l1 ? [`l1 ${s.l1}`] : []), ...(s.l2 ? [`l2 ${s.l2}`] : [])] : [];
      return `dense ${s.units} ${s.activation}${s.useBias ? '' : ' without bias'}${reg.length ? ` (${reg.join(', ')})` : ''}`;
    }
    case 'dropout': return `dropout ${s.rate}`;
    case 'batchNormalization': return `batchNormalization ${norm(s, training ? [`momentum ${s.momentum}`] : [])}`;
    case 'layerNormalization': return `layerNormalization ${norm(s, [])}`;
  }
}

/** Trainable parameters of one layer. */
export function paramCountOf(e: StackEntry): number {
  const s = e.spec;
  switch (s.type) {
    case 'dense': return e.outSize * e.inSize + (s.useBias ? e.outSize : 0);
    case 'dropout': return 0;
    case 'batchNormalization':
    case 'layerNormalization': return e.outSize * ((s.scale ? 1 : 0) + (s.center ? 1 : 0));
  }
}

/**
 * The parameter blocks of one layer in saved order, with their names: trainable first (dense: W then
 * b; normalization: γ then β), then `state` blocks (batch normalization's moving mean and variance).
 */
export function blocksOf(e: StackEntry): { trainable: { name: string; length: number }[]; state: { name: string; length: number }[] } {
  const s = e.spec, n = e.outSize;
  switch (s.type) {
    case 'dense': return { trainable: [{ name: 'weights', length: n * e.inSize }, ...(s.useBias ? [{ name: 'bias', length: n }] : [])], state: [] };
    case 'dropout': return { trainable: [], state: [] };
    case 'batchNormalization':
    case 'layerNormalization': {
      const trainable = [...(s.scale ? [{ name: 'gamma', length: n }] : []), ...(s.center ? [{ name: 'beta', length: n }] : [])];
      return { trainable, state: s.type === 'batchNormalization' ? [{ name: 'movingMean', length: n }, { name: 'movingVariance', length: n }] : [] };
    }
  }
}

/** The dropout layers' mask keys: two uint32 drawn from the network's seed and the layer's index. */
export function dropoutKey(seed: number, index: number): [number, number] {
  const lo = (seed >>> 0) ^ Math.imul(index + 1, 0x9e3779b9);
  const hi = (Math.floor(seed / 4294967296) >>> 0) ^ Math.imul(index + 1, 0x85ebca6b) ^ 0x5eed;
  return [lo >>> 0, hi >>> 0];
}

/** Builds the layers of a stack (not initialized); on failure frees what it built. */
export function buildStack(be: Backend, mm: Matmul, stack: readonly StackEntry[], seed: number, leakyReluAlpha: number): Layer[] {
  const layers: Layer[] = [];
  try {
    stack.forEach((e, i) => {
      const s = e.spec;
      switch (s.type) {
        case 'dense': layers.push(new Dense(be, mm, e.inSize, e.outSize, s.activation, leakyReluAlpha, s.useBias, s.l1, s.l2)); break;
        case 'dropout': { const [lo, hi] = dropoutKey(seed, i); layers.push(new Dropout(be, e.inSize, s.rate, lo, hi)); break; }
        case 'batchNormalization': layers.push(new BatchNormalization(be, e.inSize, s)); break;
        case 'layerNormalization': layers.push(new LayerNormalization(be, e.inSize, s)); break;
      }
    });
  } catch (e) {
    for (const l of layers) l.dispose();
    throw e;
  }
  return layers;
}
