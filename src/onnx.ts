/**
 * ONNX export: a Network as an ONNX model (one Gemm per layer, then its activation node).
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
import type { LayerWeights } from './layers/layer.js';
import type { ResolvedOptions } from './options.js';
import { PACKAGE_ROOT } from './where.js';

/** The operator set the exported models import (default domain ''). Softmax-13 normalises along one axis. */
export const ONNX_OPSET = 13;
/** The IR version written (7 = ONNX 1.8, the first with opset 13). */
export const ONNX_IR_VERSION = 7;

/** Names of the graph's input and output (the batch dimension is the symbolic 'N'). */
export const ONNX_INPUT = 'input';
export const ONNX_OUTPUT = 'output';

interface OnnxTypes {
  Model: Protobuf.Type;
  FLOAT: number;
  INT: number;
  FLOAT_ATTR: number;
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
  types = { Model: root.lookupType('onnx.ModelProto'), FLOAT: dataType.FLOAT!, INT: attrType.INT!, FLOAT_ATTR: attrType.FLOAT! };
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
}

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
  readonly options: Readonly<ResolvedOptions>;
  getWeights(): readonly LayerWeights[];
}

/**
 * The network as a serialized ONNX ModelProto (IR version 7, opset 13): input `input` [N, inputs],
 * output `output` [N, outputs], float32. Each layer is Gemm(x, W, b; transB = 1) with W stored
 * [out × in] as in getWeights (no C input when the network has no biases), followed by its
 * activation's nodes from the table in src/activations.ts: Sigmoid, Tanh, Relu, LeakyRelu(alpha =
 * leakyReluAlpha), Elu(alpha = 1), Selu(Keras's alpha, gamma), Softplus, Softsign or
 * Softmax(axis = −1); gelu as Div(√2) → Erf → Add(1) → Mul(x) → Mul(0.5), swish as Sigmoid → Mul(x)
 * (opset 13 has neither op), with scalar constants as initializers; a linear layer adds no node.
 * `options.input` / `options.output` put a feature standardization / target scaling into the graph.
 */
export function toONNX(net: OnnxSource, options?: OnnxOptions): Uint8Array {
  if (net === null || typeof net !== 'object' || typeof (net as Partial<OnnxSource>).getWeights !== 'function') {
    throw new ArgumentTypeError(`toONNX: net: expected a Network, got ${describe(net)}`);
  }
  const layers = net.getWeights(); // throws DisposedError on a disposed network
  const o = net.options;
  const sizes = o.layers;
  if (options !== undefined && (options === null || typeof options !== 'object')) {
    throw new ArgumentTypeError(`toONNX: options: expected an object, got ${describe(options)}`);
  }
  for (const key of Object.keys(options ?? {})) {
    if (key !== 'input' && key !== 'output') throw new OptionError(`toONNX: options.${key}: unknown option (known: input, output)`);
  }
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
  layers.forEach((l, i) => {
    const last = i === layers.length - 1;
    const act: OutputActivation = last ? o.outputActivation : o.activation[i]!;
    const w = `layer${i}.weight`;
    initializer.push({ name: w, data_type: t.FLOAT, dims: [l.rows, l.cols], raw_data: rawFloats(l.weights) });
    const inputs = [x, w];
    if (l.bias) {
      const b = `layer${i}.bias`;
      initializer.push({ name: b, data_type: t.FLOAT, dims: [l.rows], raw_data: rawFloats(l.bias) });
      inputs.push(b);
    }
    const steps = ACTIVATIONS[act].onnx;
    const z = last && !steps ? FINAL : `layer${i}.z`;
    node.push({
      name: `layer${i}.gemm`, op_type: 'Gemm', input: inputs, output: [z],
      attribute: [{ name: 'transB', type: t.INT, i: 1 }],
    });
    x = z;
    if (steps) {
      const y = last ? FINAL : `layer${i}.out`;
      // one node (named layer<i>.<act>) or a decomposition (nodes layer<i>.<act>.<k> with outputs
      // layer<i>.<act>.s<k>; scalar constants layer<i>.<act>.c0, c1, … in order of use)
      const one = steps.length === 1, base = `layer${i}.${act}`;
      let constants = 0;
      const input = (v: string | number): string => {
        if (v === 'x') return z;
        if (typeof v === 'string') return `${base}.${v}`;
        const c = `${base}.c${constants++}`;
        initializer.push({ name: c, data_type: t.FLOAT, dims: [], raw_data: rawFloats(Float32Array.of(v)) });
        return c;
      };
      steps.forEach((s, k) => {
        const attribute = (s.attrs ?? []).map((a) => ('i' in a ? { name: a.name, type: t.INT, i: a.i }
          : { name: a.name, type: t.FLOAT_ATTR, f: a.f === 'alpha' ? o.leakyReluAlpha : a.f }));
        const output = k === steps.length - 1 ? y : `${base}.s${k}`;
        node.push({ name: one ? base : `${base}.${k}`, op_type: s.op, input: s.in.map(input), output: [output], attribute });
      });
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
    ir_version: ONNX_IR_VERSION,
    opset_import: [{ domain: '', version: ONNX_OPSET }],
    producer_name: 'wasmlp',
    producer_version: producerVersion(),
    doc_string: `wasmlp network ${sizes.join('-')}: hidden ${o.activation.join(', ') || '(none)'}, output ${o.outputActivation}, ${o.bias ? 'with' : 'without'} biases`,
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
