/**
 * ONNX export: a Network as an ONNX model. A dense layer is a Gemm and its activation's nodes, a
 * batch normalization a BatchNormalization node (or folded into the next Gemm), a layer
 * normalization a LayerNormalization node (opset 17) or its opset-13 decomposition; a dropout layer,
 * the identity at inference, adds nothing.
 *
 * Encoded by protobufjs from the official onnx.proto (ONNX 1.12.0, committed as proto/onnx.proto
 * and shipped in the package). protobufjs is an optional peer dependency, loaded on the first
 * export, so `npm install wasmlp` does not pull it in and importing wasmlp never needs it.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type * as Protobuf from 'protobufjs';
import { ACTIVATIONS, type OutputActivation } from './activations.js';
import { ArgumentTypeError, NonFiniteError, OptionError, ShapeError, WasmlpError, describe } from './errors.js';
import type { AnyLayerWeights, BatchNormalizationWeights, DenseWeights } from './layers/layer.js';
import type { LayerInput, ResolvedOptions } from './options.js';
import { describeLayer, stackOf, type LayerSpec, type StackEntry } from './layers/stack.js';
import { suggest } from './suggest.js';
import { PACKAGE_ROOT } from './where.js';

/** The operator sets toONNX writes (`options.opset`; default domain ''). */
export type OnnxOpset = 13 | 17;
/**
 * The IR version written with each opset: the first that supports it (7 = ONNX 1.8, the first with
 * opset 13; 8 = ONNX 1.10, the IR of opset 17 (ONNX 1.12, whose onnx.proto we ship)).
 */
export const ONNX_IR_VERSIONS: Readonly<Record<OnnxOpset, number>> = Object.freeze({ 13: 7, 17: 8 });
/** The default operator set. Softmax-13 normalises along one axis. */
export const ONNX_OPSET: OnnxOpset = 13;
/** The IR version written with the default opset. */
export const ONNX_IR_VERSION = ONNX_IR_VERSIONS[ONNX_OPSET];

/** Names of the graph's input and output (the batch dimension is the symbolic 'N'). */
export const ONNX_INPUT = 'input';
export const ONNX_OUTPUT = 'output';

interface OnnxTypes {
  Model: Protobuf.Type;
  FLOAT: number;
  INT: number;
  FLOAT_ATTR: number;
  INTS: number;
}

let types: OnnxTypes | null = null;

function onnxTypes(): OnnxTypes {
  if (types) return types;
  let pb: typeof Protobuf;
  try {
    pb = createRequire(new URL('package.json', PACKAGE_ROOT))('protobufjs') as typeof Protobuf;
  } catch (e) {
    throw new WasmlpError(`toONNX: needs the package protobufjs, an optional dependency of wasmlp: run \`npm install protobufjs\` (${(e as Error).message.split('\n')[0]})`);
  }
  const text = readFileSync(new URL('proto/onnx.proto', PACKAGE_ROOT), 'utf8');
  const root = pb.parse(text, { keepCase: true }).root;
  const dataType = root.lookupEnum('onnx.TensorProto.DataType').values;
  const attrType = root.lookupEnum('onnx.AttributeProto.AttributeType').values;
  types = { Model: root.lookupType('onnx.ModelProto'), FLOAT: dataType.FLOAT!, INT: attrType.INT!, FLOAT_ATTR: attrType.FLOAT!, INTS: attrType.INTS! };
  return types;
}

function producerVersion(): string {
  try {
    return (JSON.parse(readFileSync(new URL('package.json', PACKAGE_ROOT), 'utf8')) as { version: string }).version;
  } catch {
    return '';
  }
}

/** Little-endian float32 bytes, as TensorProto.raw_data wants whatever the host's byte order. */
function rawFloats(values: Float32Array): Uint8Array {
  const out = new Uint8Array(values.length * 4);
  const dv = new DataView(out.buffer);
  for (let i = 0; i < values.length; i++) dv.setFloat32(i * 4, values[i]!, true);
  return out;
}

/** An affine map per column: (x − mean) / std on the way in, y·std + mean on the way out. */
export interface OnnxScale {
  /** One value per column, or one for all columns. */
  mean: ArrayLike<number> | number;
  /** One nonzero value per column, or one for all columns. */
  std: ArrayLike<number> | number;
}

export interface OnnxOptions {
  /**
   * Standardize inside the model: the graph takes raw features and computes (input − mean) / std
   * (Sub, Div) before the first layer, as a network trained on standardized features expects.
   */
  input?: OnnxScale;
  /** Undo a target scaling inside the model: output = net·std + mean (Mul, Add) after the last layer. */
  output?: OnnxScale;
  /**
   * The operator set: 13 (default; IR 7, the same bytes as before this option) or 17 (IR 8), whose
   * LayerNormalization makes a layer normalization one node; at 13 it is decomposed.
   */
  opset?: OnnxOpset;
  /**
   * Fold each batch normalization into the next dense layer's Gemm when only dropout layers lie
   * between them: W' = W·diag(s), b' = b + W·t with s = γ/√(movingVariance + ε), t = β − movingMean·s,
   * computed in float64 and stored as float32 (a dense layer without biases gets b'). A batch
   * normalization followed by another normalization first stays a node. The folded graph computes
   * the same function with other float32 roundings: (x − mean)·s is no longer rounded per feature,
   * and b' holds −W·(mean·s), so the Gemm sums terms of the size of |W'·x| that cancel where |mean|
   * is large against the features' spread; its error scales with Σ|W'·x| + |b'| rather than with the
   * layer's output. Compare a folded model's outputs with a tolerance. Default false.
   */
  foldBatchNorm?: boolean;
}

const KNOWN_OPTIONS = ['input', 'output', 'opset', 'foldBatchNorm'] as const;

/** Validates a scale for `width` columns; returns float32 mean and std vectors. */
function scaleVectors(s: unknown, width: number, name: string): { mean: Float32Array; std: Float32Array } {
  if (s === null || typeof s !== 'object') throw new ArgumentTypeError(`toONNX: options.${name}: expected { mean, std }, got ${describe(s)}`);
  const out = { mean: new Float32Array(width), std: new Float32Array(width) };
  for (const key of ['mean', 'std'] as const) {
    const v = (s as Record<string, unknown>)[key];
    const label = `toONNX: options.${name}.${key}`;
    let values: ArrayLike<number>;
    if (typeof v === 'number') values = new Array<number>(width).fill(v);
    else if (v !== null && typeof v === 'object' && typeof (v as { length?: unknown }).length === 'number') values = v as ArrayLike<number>;
    else throw new ArgumentTypeError(`${label}: expected a number or ${width} numbers, got ${describe(v)}`);
    if (values.length !== width) throw new ShapeError(`${label}: expected ${width} numbers (one per ${name === 'input' ? 'input' : 'output'}), got ${values.length}`);
    for (let i = 0; i < width; i++) {
      const x = values[i];
      if (typeof x !== 'number') throw new ArgumentTypeError(`${label}[${i}]: expected a number, got ${describe(x)}`);
      if (!Number.isFinite(x)) throw new NonFiniteError(`${label}[${i}]: expected a finite number, got ${describe(x)}`);
      if (key === 'std' && x === 0) throw new OptionError(`${label}[${i}]: expected a nonzero number, got 0`);
      out[key][i] = x;
    }
  }
  return out;
}

/** What toONNX reads of a network: its options and its layers' weights (a Network is one). */
export interface OnnxSource {
  readonly options: Readonly<ResolvedOptions<LayerInput[]>>;
  getWeights(): readonly AnyLayerWeights[];
}

/**
 * One node of a chain of nodes (an activation's, from src/activations.ts, or a layer
 * normalization's decomposition). Inputs: 'x' is the chain's input, 's<k>' the output of step k, a
 * number a float32 scalar constant, any other name the layer's initializer layer<i>.<name>. An
 * attribute is a float (`f`; 'alpha': the network's leakyReluAlpha), an int (`i`) or ints (`ints`).
 */
interface Step {
  readonly op: string;
  readonly in: readonly (string | number)[];
  readonly attrs?: readonly ({ readonly name: string; readonly f: number | 'alpha' } | { readonly name: string; readonly i: number } | { readonly name: string; readonly ints: readonly number[] })[];
}

/**
 * Layer normalization over the last axis in opset-13 ops (no LayerNormalization before opset 17;
 * ReduceMean-13 takes its axes as an attribute): x̂ = (x − μ)/√(σ² + ε), then ·γ and +β when the
 * layer has them. The same two passes as assembly/norm.ts (biased variance of x − μ).
 */
function layerNormSteps(epsilon: number, scale: boolean, center: boolean): Step[] {
  const mean = [{ name: 'axes', ints: [-1] }, { name: 'keepdims', i: 1 }];
  const steps: Step[] = [
    { op: 'ReduceMean', in: ['x'], attrs: mean }, // s0 = μ
    { op: 'Sub', in: ['x', 's0'] }, // s1 = x − μ
    { op: 'Mul', in: ['s1', 's1'] }, // s2 = (x − μ)²
    { op: 'ReduceMean', in: ['s2'], attrs: mean }, // s3 = σ²
    { op: 'Add', in: ['s3', epsilon] }, // s4 = σ² + ε
    { op: 'Sqrt', in: ['s4'] }, // s5
    { op: 'Div', in: ['s1', 's5'] }, // s6 = x̂
  ];
  if (scale) steps.push({ op: 'Mul', in: [`s${steps.length - 1}`, 'gamma'] });
  if (center) steps.push({ op: 'Add', in: [`s${steps.length - 1}`, 'beta'] });
  return steps;
}

/** Where batch normalization layer i folds with foldBatchNorm: the next dense layer when only dropout lies between, else −1. */
function foldTarget(layers: readonly AnyLayerWeights[], i: number): number {
  let j = i + 1;
  while (layers[j]?.type === 'dropout') j++;
  return layers[j]?.type === 'dense' ? j : -1;
}

/**
 * A dense layer after a batch normalization, as one affine map: W' = W·diag(s), b' = b + W·t with
 * s = γ/√(movingVariance + ε), t = β − movingMean·s (ε as the network's float32), in float64.
 */
function foldedDense(d: DenseWeights, bn: BatchNormalizationWeights, epsilon: number): { weights: Float32Array; bias: Float32Array } {
  const { rows, cols } = d;
  const s = new Float64Array(cols), t = new Float64Array(cols);
  const eps = Math.fround(epsilon);
  for (let c = 0; c < cols; c++) {
    s[c] = (bn.gamma ? bn.gamma[c]! : 1) / Math.sqrt(bn.movingVariance[c]! + eps);
    t[c] = (bn.beta ? bn.beta[c]! : 0) - bn.movingMean[c]! * s[c]!;
  }
  const weights = new Float32Array(rows * cols), bias = new Float32Array(rows);
  for (let r = 0; r < rows; r++) {
    let b = d.bias ? d.bias[r]! : 0;
    for (let c = 0; c < cols; c++) {
      const w = d.weights[r * cols + c]!;
      weights[r * cols + c] = w * s[c]!;
      b += w * t[c]!;
    }
    bias[r] = b;
  }
  return { weights, bias };
}

/** The model's doc_string. A list of sizes keeps the words of earlier versions (so their bytes); a layer list names each layer. */
function docString(o: Readonly<ResolvedOptions<LayerInput[]>>, stack: readonly StackEntry[], folds: ReadonlyMap<number, number>): string {
  const sizes = [stack[0]!.inSize, ...stack.map((e) => e.outSize)];
  if (o.layers.every((e) => typeof e === 'number')) {
    return `wasmlp network ${sizes.join('-')}: hidden ${o.activation.join(', ') || '(none)'}, output ${o.outputActivation}, ${o.bias ? 'with' : 'without'} biases`;
  }
  const layer = (s: LayerSpec, i: number): string => {
    const d = describeLayer(s);
    if (s.type === 'dropout') return `${d} (identity at inference, no node)`;
    if (s.type === 'batchNormalization' && folds.has(i)) return `${d.slice(0, -1)}, folded into layer ${folds.get(i)})`;
    return d;
  };
  return `wasmlp network ${sizes[0]} → ${stack.map((e, i) => layer(e.spec, i)).join(' → ')}`;
}

/**
 * The network as a serialized ONNX ModelProto (IR version 7 with opset 13, the default, or IR 8 with
 * `options.opset` 17): input `input` [N, inputs], output `output` [N, outputs], float32. Layer i
 * becomes (names layer<i>.<…>):
 * - dense: Gemm(x, W, b; transB = 1) with W stored [out × in] as in getWeights (no C input without
 *   biases), followed by its activation's nodes from the table in src/activations.ts: Sigmoid, Tanh,
 *   Relu, LeakyRelu(alpha = leakyReluAlpha), Elu(alpha = 1), Selu(Keras's alpha, gamma), Softplus,
 *   Softsign or Softmax(axis = −1); gelu as Div(√2) → Erf → Add(1) → Mul(x) → Mul(0.5), swish as
 *   Sigmoid → Mul(x) (neither op is in opset 13), with scalar constants as initializers; a linear
 *   layer adds no node.
 * - dropout: nothing (the identity at inference).
 * - batchNormalization: BatchNormalization(x, γ, β, moving mean, moving variance; epsilon), in
 *   inference mode, with γ = ones without scale and β = zeros without center; with
 *   `options.foldBatchNorm`, folded into the next dense layer's Gemm where only dropout lies between
 *   (see OnnxOptions.foldBatchNorm).
 * - layerNormalization: LayerNormalization(x, γ, β; axis = −1, epsilon) at opset 17 (γ = ones, β =
 *   zeros when absent); at opset 13 ReduceMean → Sub → Mul → ReduceMean → Add(ε) → Sqrt → Div, then
 *   Mul(γ), Add(β) when the layer has them.
 * `options.input` / `options.output` put a feature standardization / target scaling into the graph.
 */
export function toONNX(net: OnnxSource, options?: OnnxOptions): Uint8Array {
  if (net === null || typeof net !== 'object' || typeof (net as Partial<OnnxSource>).getWeights !== 'function') {
    throw new ArgumentTypeError(`toONNX: net: expected a Network, got ${describe(net)}`);
  }
  const layers = net.getWeights(); // throws DisposedError on a disposed network
  const o = net.options;
  const stack = stackOf(o);
  const sizes = [stack[0]!.inSize, ...stack.map((e) => e.outSize)];
  if (options !== undefined && (options === null || typeof options !== 'object')) {
    throw new ArgumentTypeError(`toONNX: options: expected an object, got ${describe(options)}`);
  }
  for (const key of Object.keys(options ?? {})) {
    if (!(KNOWN_OPTIONS as readonly string[]).includes(key)) {
      const hint = suggest(key, KNOWN_OPTIONS);
      throw new OptionError(`toONNX: options.${key}: unknown option (known: ${KNOWN_OPTIONS.join(', ')})${hint ? `; did you mean '${hint}'?` : ''}`);
    }
  }
  const opset = options?.opset === undefined ? ONNX_OPSET : options.opset;
  if (typeof opset !== 'number' || !Object.hasOwn(ONNX_IR_VERSIONS, opset)) {
    throw new OptionError(`toONNX: options.opset: expected ${Object.keys(ONNX_IR_VERSIONS).join(' or ')}, got ${describe(opset)}`);
  }
  const fold = options?.foldBatchNorm === undefined ? false : options.foldBatchNorm;
  if (typeof fold !== 'boolean') throw new OptionError(`toONNX: options.foldBatchNorm: expected true or false, got ${describe(fold)}`);
  const inScale = options?.input === undefined ? null : scaleVectors(options.input, sizes[0]!, 'input');
  const outScale = options?.output === undefined ? null : scaleVectors(options.output, sizes[sizes.length - 1]!, 'output');
  const t = onnxTypes();
  const node: object[] = [];
  const initializer: object[] = [];
  const constant = (name: string, v: Float32Array) => initializer.push({ name, data_type: t.FLOAT, dims: [v.length], raw_data: rawFloats(v) });
  let x = ONNX_INPUT;
  if (inScale) {
    constant('input.mean', inScale.mean);
    constant('input.std', inScale.std);
    node.push({ name: 'input.center', op_type: 'Sub', input: [x, 'input.mean'], output: ['input.centered'] });
    node.push({ name: 'input.scale', op_type: 'Div', input: ['input.centered', 'input.std'], output: ['input.standardized'] });
    x = 'input.standardized';
  }
  const FINAL = outScale ? 'net.output' : ONNX_OUTPUT;
  /** A chain of steps from tensor `z` to tensor `y`: one node (named `base`) or nodes base.<k> with outputs base.s<k>; scalar constants base.c0, c1, … in order of use. */
  const chain = (steps: readonly Step[], base: string, layer: string, z: string, y: string) => {
    const one = steps.length === 1;
    let constants = 0;
    const input = (v: string | number): string => {
      if (v === 'x') return z;
      if (typeof v === 'number') {
        const c = `${base}.c${constants++}`;
        initializer.push({ name: c, data_type: t.FLOAT, dims: [], raw_data: rawFloats(Float32Array.of(v)) });
        return c;
      }
      return /^s\d+$/.test(v) ? `${base}.${v}` : `${layer}.${v}`;
    };
    steps.forEach((s, k) => {
      const attribute = (s.attrs ?? []).map((a) => ('i' in a ? { name: a.name, type: t.INT, i: a.i }
        : 'ints' in a ? { name: a.name, type: t.INTS, ints: a.ints }
          : { name: a.name, type: t.FLOAT_ATTR, f: a.f === 'alpha' ? o.leakyReluAlpha : a.f }));
      const output = k === steps.length - 1 ? y : `${base}.s${k}`;
      node.push({ name: one ? base : `${base}.${k}`, op_type: s.op, input: s.in.map(input), output: [output], attribute });
    });
  };
  /** Batch normalization layers folded, by index: the dense layer each folds into. */
  const folds = new Map<number, number>();
  let pending: BatchNormalizationWeights | null = null, pendingEpsilon = 0;
  layers.forEach((l, i) => {
    const last = i === layers.length - 1;
    const name = `layer${i}`;
    const spec = stack[i]!.spec;
    if (l.type === 'dropout') return; // the identity at inference
    if (l.type === 'batchNormalization' || l.type === 'layerNormalization') {
      if (spec.type !== l.type) throw new WasmlpError(`toONNX: internal error, layer ${i} is a ${l.type} layer in getWeights but a ${spec.type} layer in the options`);
      const y = last ? FINAL : `${name}.out`;
      const n = stack[i]!.outSize;
      const gamma = `${name}.gamma`, beta = `${name}.beta`;
      const params = () => {
        constant(gamma, l.gamma ?? new Float32Array(n).fill(1));
        constant(beta, l.beta ?? new Float32Array(n));
      };
      const epsilon = { name: 'epsilon', type: t.FLOAT_ATTR, f: spec.epsilon };
      if (l.type === 'batchNormalization') {
        const j = fold ? foldTarget(layers, i) : -1;
        if (j >= 0) { // no node: the next dense layer's Gemm takes it in
          folds.set(i, j);
          pending = l;
          pendingEpsilon = spec.epsilon;
          return;
        }
        params();
        constant(`${name}.movingMean`, l.movingMean);
        constant(`${name}.movingVariance`, l.movingVariance);
        node.push({
          name: `${name}.batchNormalization`, op_type: 'BatchNormalization',
          input: [x, gamma, beta, `${name}.movingMean`, `${name}.movingVariance`], output: [y], attribute: [epsilon],
        });
      } else if (opset >= 17) {
        params();
        node.push({
          name: `${name}.layerNormalization`, op_type: 'LayerNormalization', input: [x, gamma, beta], output: [y],
          attribute: [{ name: 'axis', type: t.INT, i: -1 }, epsilon],
        });
      } else {
        if (l.gamma) constant(gamma, l.gamma);
        if (l.beta) constant(beta, l.beta);
        chain(layerNormSteps(spec.epsilon, l.gamma !== null, l.beta !== null), `${name}.layerNormalization`, name, x, y);
      }
      x = y;
      return;
    }
    if (spec.type !== 'dense') throw new WasmlpError(`toONNX: internal error, layer ${i} is a dense layer in getWeights but a ${spec.type} layer in the options`);
    const act: OutputActivation = spec.activation;
    const { weights, bias } = pending ? foldedDense(l, pending, pendingEpsilon) : l;
    pending = null;
    const w = `${name}.weight`;
    initializer.push({ name: w, data_type: t.FLOAT, dims: [l.rows, l.cols], raw_data: rawFloats(weights) });
    const inputs = [x, w];
    if (bias) {
      const b = `${name}.bias`;
      initializer.push({ name: b, data_type: t.FLOAT, dims: [l.rows], raw_data: rawFloats(bias) });
      inputs.push(b);
    }
    const steps = ACTIVATIONS[act].onnx;
    const z = last && !steps ? FINAL : `${name}.z`;
    node.push({
      name: `${name}.gemm`, op_type: 'Gemm', input: inputs, output: [z],
      attribute: [{ name: 'transB', type: t.INT, i: 1 }],
    });
    x = z;
    if (steps) {
      const y = last ? FINAL : `${name}.out`;
      chain(steps, `${name}.${act}`, name, z, y);
      x = y;
    }
  });
  if (outScale) {
    constant('output.std', outScale.std);
    constant('output.mean', outScale.mean);
    node.push({ name: 'output.scale', op_type: 'Mul', input: [FINAL, 'output.std'], output: ['output.scaled'] });
    node.push({ name: 'output.shift', op_type: 'Add', input: ['output.scaled', 'output.mean'], output: [ONNX_OUTPUT] });
  }
  const tensor = (name: string, width: number): object => ({
    name,
    type: { tensor_type: { elem_type: t.FLOAT, shape: { dim: [{ dim_param: 'N' }, { dim_value: width }] } } },
  });
  const model = {
    ir_version: ONNX_IR_VERSIONS[opset],
    opset_import: [{ domain: '', version: opset }],
    producer_name: 'wasmlp',
    producer_version: producerVersion(),
    doc_string: docString(o, stack, folds),
    graph: {
      name: 'wasmlp',
      node,
      initializer,
      input: [tensor(ONNX_INPUT, sizes[0]!)],
      output: [tensor(ONNX_OUTPUT, sizes[sizes.length - 1]!)],
    },
  };
  const problem = t.Model.verify(model);
  if (problem) throw new WasmlpError(`toONNX: internal error, the model does not match onnx.proto: ${problem}`);
  return new Uint8Array(t.Model.encode(t.Model.fromObject(model)).finish());
}
