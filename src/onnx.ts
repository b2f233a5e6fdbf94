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
import type { OutputActivation } from './activations.js';
import { ArgumentTypeError, WasmlpError, describe } from './errors.js';
import type { Network } from './model.js';

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
    pb = createRequire(import.meta.url)('protobufjs') as typeof Protobuf;
  } catch (e) {
    throw new WasmlpError(`toONNX: needs the package protobufjs, an optional dependency of wasmlp: run \`npm install protobufjs\` (${(e as Error).message.split('\n')[0]})`);
  }
  const text = readFileSync(new URL('../proto/onnx.proto', import.meta.url), 'utf8');
  const root = pb.parse(text, { keepCase: true }).root;
  const dataType = root.lookupEnum('onnx.TensorProto.DataType').values;
  const attrType = root.lookupEnum('onnx.AttributeProto.AttributeType').values;
  types = { Model: root.lookupType('onnx.ModelProto'), FLOAT: dataType.FLOAT!, INT: attrType.INT!, FLOAT_ATTR: attrType.FLOAT! };
  return types;
}

function producerVersion(): string {
  try {
    return (JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }).version;
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

const OP: Record<Exclude<OutputActivation, 'linear'>, string> = {
  sigmoid: 'Sigmoid', tanh: 'Tanh', relu: 'Relu', leakyRelu: 'LeakyRelu', softmax: 'Softmax',
};

/**
 * The network as a serialized ONNX ModelProto (IR version 7, opset 13): input `input` [N, inputs],
 * output `output` [N, outputs], float32. Each layer is Gemm(x, W, b; transB = 1) with W stored
 * [out × in] as in getWeights (no C input when the network has no biases), followed by Sigmoid,
 * Tanh, Relu, LeakyRelu(alpha = leakyReluAlpha) or Softmax(axis = −1); a linear layer adds no node.
 */
export function toONNX(net: Network): Uint8Array {
  if (net === null || typeof net !== 'object' || typeof (net as Partial<Network>).getWeights !== 'function') {
    throw new ArgumentTypeError(`toONNX: net: expected a Network, got ${describe(net)}`);
  }
  const layers = net.getWeights(); // throws DisposedError on a disposed network
  const o = net.options;
  const t = onnxTypes();
  const node: object[] = [];
  const initializer: object[] = [];
  let x = ONNX_INPUT;
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
    const z = last && act === 'linear' ? ONNX_OUTPUT : `layer${i}.z`;
    node.push({
      name: `layer${i}.gemm`, op_type: 'Gemm', input: inputs, output: [z],
      attribute: [{ name: 'transB', type: t.INT, i: 1 }],
    });
    x = z;
    if (act !== 'linear') {
      const y = last ? ONNX_OUTPUT : `layer${i}.out`;
      const attribute = act === 'leakyRelu' ? [{ name: 'alpha', type: t.FLOAT_ATTR, f: o.leakyReluAlpha }]
        : act === 'softmax' ? [{ name: 'axis', type: t.INT, i: -1 }] : [];
      node.push({ name: `layer${i}.${act}`, op_type: OP[act], input: [z], output: [y], attribute });
      x = y;
    }
  });
  const tensor = (name: string, width: number): object => ({
    name,
    type: { tensor_type: { elem_type: t.FLOAT, shape: { dim: [{ dim_param: 'N' }, { dim_value: width }] } } },
  });
  const sizes = o.layers;
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
