// ONNX export (src/onnx.ts): every exported model is run in onnxruntime (onnxruntime-web's wasm
// build, loaded from its npm package with the network switched off) and must give net.predict's
// outputs within 1e-5, for every hidden and output activation, with and without biases, on a
// batch of several rows. The bytes are also decoded with protobufjs and the graph checked.
import { createRequire } from 'node:module';
import { readFileSync } from 'node:fs';
import * as ort from 'onnxruntime-web';
import type * as Protobuf from 'protobufjs';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import {
  ArgumentTypeError, DisposedError, Network, ONNX_INPUT, ONNX_IR_VERSION, ONNX_OPSET, ONNX_OUTPUT, toONNX,
  type Activation, type OutputActivation,
} from '../src/index.js';

const HIDDEN: Activation[] = ['sigmoid', 'tanh', 'relu', 'leakyRelu', 'linear', 'elu', 'selu', 'gelu', 'softplus', 'swish', 'softsign'];
const OUTPUT: OutputActivation[] = ['sigmoid', 'softmax', 'linear', 'tanh', 'relu', 'leakyRelu', 'elu', 'selu', 'gelu', 'softplus', 'swish', 'softsign'];
const ROWS = 7;
const TOL = 1e-5;

const pb = createRequire(import.meta.url)('protobufjs') as typeof Protobuf;
const ModelProto = pb.parse(readFileSync(new URL('../proto/onnx.proto', import.meta.url), 'utf8'), { keepCase: true }).root
  .lookupType('onnx.ModelProto');

interface Decoded {
  ir_version: number; producer_name: string;
  opset_import: { domain?: string; version: number }[];
  graph: {
    node: { op_type: string; input: string[]; output: string[]; attribute?: { name: string; i?: number; f?: number }[] }[];
    initializer: { name: string; dims: number[]; data_type: number; raw_data: Uint8Array }[];
    input: { name: string; type: { tensor_type: { elem_type: number; shape: { dim: { dim_param?: string; dim_value?: number }[] } } } }[];
    output: { name: string; type: { tensor_type: { elem_type: number; shape: { dim: { dim_param?: string; dim_value?: number }[] } } } }[];
  };
}
function decode(bytes: Uint8Array): Decoded {
  return ModelProto.toObject(ModelProto.decode(bytes), { longs: Number, bytes: Uint8Array as never, defaults: false }) as unknown as Decoded;
}

function batch(rows: number, cols: number, seed: number): Float32Array {
  let s = seed >>> 0;
  const x = new Float32Array(rows * cols);
  for (let i = 0; i < x.length; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    x[i] = (s / 2 ** 32) * 4 - 2;
  }
  return x;
}

async function runOnnx(bytes: Uint8Array, x: Float32Array, cols: number): Promise<Float32Array> {
  const session = await ort.InferenceSession.create(bytes);
  try {
    const result = await session.run({ [ONNX_INPUT]: new ort.Tensor('float32', x, [x.length / cols, cols]) });
    const out = result[ONNX_OUTPUT]!;
    return out.data as Float32Array;
  } finally {
    await session.release();
  }
}

function expectClose(got: Float32Array, want: Float32Array, label: string): void {
  expect(got.length, label).toBe(want.length);
  let worst = 0;
  for (let i = 0; i < want.length; i++) worst = Math.max(worst, Math.abs(got[i]! - want[i]!));
  expect(worst, `${label}: max |onnxruntime − predict|`).toBeLessThanOrEqual(TOL);
}

beforeAll(() => {
  ort.env.wasm.numThreads = 1;
  // Offline: onnxruntime-web must load its wasm from the package, never over the network.
  vi.stubGlobal('fetch', (url: unknown) => { throw new Error(`network access attempted: ${String(url)}`); });
});
afterAll(() => { vi.unstubAllGlobals(); });

describe('toONNX runs in onnxruntime with net.predict\'s outputs (within 1e-5)', () => {
  for (const bias of [true, false]) {
    for (const hidden of HIDDEN) {
      it(`hidden ${hidden}, every output activation, bias ${bias}`, async () => {
        for (const output of OUTPUT) {
          const layers = [5, 8, 6, 3];
          const net = new Network({ layers, activation: hidden, outputActivation: output, bias, leakyReluAlpha: 0.2, seed: 11 });
          try {
            const x = batch(ROWS, layers[0]!, layers.length * 31 + HIDDEN.indexOf(hidden));
            const want = net.predict(x);
            const got = await runOnnx(toONNX(net), x, layers[0]!);
            expectClose(got, want, `${hidden} → ${output}, bias ${bias}`);
          } finally {
            net.dispose();
          }
        }
      });
    }
  }

  it('mixed activations per layer, a deep net, a net with no hidden layer, and a batch of one', async () => {
    const cases: { layers: number[]; activation: Activation[] | Activation; outputActivation: OutputActivation; bias?: boolean }[] = [
      { layers: [4, 16, 9, 12, 5, 2], activation: ['relu', 'tanh', 'leakyRelu', 'sigmoid'], outputActivation: 'softmax' },
      { layers: [3, 7, 7, 4], activation: ['linear', 'relu'], outputActivation: 'linear', bias: false },
      { layers: [6, 3], activation: 'relu', outputActivation: 'softmax' },
      { layers: [6, 1], activation: 'relu', outputActivation: 'linear' },
      { layers: [33, 17, 10], activation: 'leakyRelu', outputActivation: 'sigmoid' },
      { layers: [8, 24, 16, 12, 3], activation: ['gelu', 'swish', 'selu'], outputActivation: 'softmax' },
      { layers: [5, 9, 9, 2], activation: ['elu', 'softsign'], outputActivation: 'softplus', bias: false },
    ];
    for (const c of cases) {
      const net = new Network({ ...c, seed: 3 });
      try {
        for (const rows of [1, ROWS, 64]) {
          const x = batch(rows, c.layers[0]!, rows);
          expectClose(await runOnnx(toONNX(net), x, c.layers[0]!), net.predict(x), `${c.layers.join('-')} rows ${rows}`);
        }
      } finally {
        net.dispose();
      }
    }
  });

  it('trained weights (not just the initialisation) are exported', async () => {
    const net = new Network({ layers: [2, 4, 1], activation: 'tanh', outputActivation: 'sigmoid', optimizer: 'adam', learningRate: 0.05, seed: 5 });
    try {
      const x = [[0, 0], [0, 1], [1, 0], [1, 1]], y = [[0], [1], [1], [0]];
      const before = await runOnnx(toONNX(net), Float32Array.from(x.flat()), 2);
      for (let i = 0; i < 200; i++) net.trainBatch(x, y);
      const xf = Float32Array.from(x.flat());
      const after = await runOnnx(toONNX(net), xf, 2);
      expect(Array.from(after)).not.toEqual(Array.from(before));
      expectClose(after, net.predict(xf), 'after training');
    } finally {
      net.dispose();
    }
  });
});

describe('options.input / options.output: standardization and target scaling inside the graph', () => {
  it('raw features in, (x − mean) / std before the first layer, y·std + mean after the last', async () => {
    const net = new Network({ layers: [4, 6, 2], activation: 'tanh', outputActivation: 'linear', seed: 9 });
    try {
      const mean = [5.8, 3.0, 3.7, 1.2], std = [0.8, 0.4, 1.7, 0.75];
      const outMean = [10, -2], outStd = [3, 0.5];
      const raw = batch(ROWS, 4, 77).map((v, i) => mean[i % 4]! + 2 * v);
      const standardized = raw.map((v, i) => (v - mean[i % 4]!) / std[i % 4]!);
      const p = net.predict(standardized);
      const want = p.map((v, i) => v * outStd[i % 2]! + outMean[i % 2]!);
      const bytes = toONNX(net, { input: { mean, std }, output: { mean: outMean, std: outStd } });
      const got = await runOnnx(bytes, raw, 4);
      // float32 rounding of x − mean and of y·std + mean (values up to ~12): relative 1e-6
      for (let i = 0; i < want.length; i++) expect(Math.abs(got[i]! - want[i]!)).toBeLessThanOrEqual(1e-6 * Math.max(1, Math.abs(want[i]!)));
      const g = decode(bytes).graph;
      expect(g.node.map((n) => n.op_type)).toEqual(['Sub', 'Div', 'Gemm', 'Tanh', 'Gemm', 'Mul', 'Add']);
      expect(g.node.at(-1)!.output).toEqual(['output']);
      // a scalar applies to every column; softmax output with input scaling only
      const soft = new Network({ layers: [3, 2], outputActivation: 'softmax', seed: 2 });
      try {
        const xr = batch(ROWS, 3, 5);
        const pr = soft.predict(xr.map((v) => (v - 0.5) / 2));
        expectClose(await runOnnx(toONNX(soft, { input: { mean: 0.5, std: 2 } }), xr, 3), pr, 'scalar input scale');
      } finally {
        soft.dispose();
      }
    } finally {
      net.dispose();
    }
  });

  it('rejects bad scales', () => {
    const net = new Network({ layers: [2, 1] });
    try {
      expect(() => toONNX(net, { input: { mean: [1], std: [1, 1] } })).toThrow(/toONNX: options.input.mean: expected 2 numbers \(one per input\), got 1/);
      expect(() => toONNX(net, { output: { mean: 0, std: 0 } })).toThrow(/toONNX: options.output.std\[0\]: expected a nonzero number, got 0/);
      expect(() => toONNX(net, { input: { mean: [Number.NaN, 0], std: 1 } })).toThrow(/options.input.mean\[0\]: expected a finite number, got NaN/);
      expect(() => toONNX(net, { input: { mean: '0', std: 1 } as never })).toThrow(ArgumentTypeError);
      expect(() => toONNX(net, { scale: 1 } as never)).toThrow(/toONNX: options.scale: unknown option \(known: input, output, opset, foldBatchNorm\)/);
    } finally {
      net.dispose();
    }
  });
});

describe('the exported graph', () => {
  it('is IR 7 / opset 13 with one Gemm (transB = 1) per layer and its activation node', () => {
    const net = new Network({ layers: [3, 4, 5, 2], activation: ['leakyRelu', 'linear'], outputActivation: 'softmax', leakyReluAlpha: 0.25 });
    try {
      const bytes = toONNX(net);
      expect(bytes).toBeInstanceOf(Uint8Array);
      expect(Object.getPrototypeOf(bytes)).toBe(Uint8Array.prototype); // a plain Uint8Array, not a Buffer
      const m = decode(bytes);
      expect(m.ir_version).toBe(ONNX_IR_VERSION);
      expect(ONNX_IR_VERSION).toBe(7);
      expect(m.opset_import).toEqual([{ domain: '', version: ONNX_OPSET }]);
      expect(ONNX_OPSET).toBe(13);
      expect(m.producer_name).toBe('wasmlp');
      const g = m.graph;
      expect(g.node.map((n) => n.op_type)).toEqual(['Gemm', 'LeakyRelu', 'Gemm', 'Gemm', 'Softmax']);
      expect(g.node[0]).toMatchObject({ input: ['input', 'layer0.weight', 'layer0.bias'], output: ['layer0.z'], attribute: [{ name: 'transB', i: 1 }] });
      expect(g.node[1]!.attribute![0]!.name).toBe('alpha');
      expect(g.node[1]!.attribute![0]!.f).toBeCloseTo(0.25, 7);
      expect(g.node[2]!.input[0]).toBe('layer0.out');
      expect(g.node[3]!.input[0]).toBe('layer1.z'); // linear layer: no node, Gemm feeds Gemm
      expect(g.node[4]).toMatchObject({ input: ['layer2.z'], output: ['output'], attribute: [{ name: 'axis', i: -1 }] });
      const w = net.getWeights();
      expect(g.initializer.map((t) => [t.name, t.dims])).toEqual([
        ['layer0.weight', [4, 3]], ['layer0.bias', [4]], ['layer1.weight', [5, 4]], ['layer1.bias', [5]], ['layer2.weight', [2, 5]], ['layer2.bias', [2]],
      ]);
      for (const t of g.initializer) expect(t.data_type).toBe(1); // FLOAT
      const w0 = g.initializer[0]!.raw_data;
      expect(new Float32Array(w0.slice().buffer)).toEqual(w[0]!.weights);
      const dims = (v: Decoded['graph']['input'][number]) => v.type.tensor_type.shape.dim;
      expect(g.input.map((v) => [v.name, dims(v)])).toEqual([['input', [{ dim_param: 'N' }, { dim_value: 3 }]]]);
      expect(g.output.map((v) => [v.name, dims(v)])).toEqual([['output', [{ dim_param: 'N' }, { dim_value: 2 }]]]);
    } finally {
      net.dispose();
    }
  });

  it('elu, selu, softplus, softsign are single opset-13 nodes; gelu and swish are decomposed (Erf, Sigmoid)', () => {
    const net = new Network({ layers: [3, 4, 4, 4, 4, 2], activation: ['gelu', 'swish', 'elu', 'selu'], outputActivation: 'softsign', seed: 1 });
    const soft = new Network({ layers: [3, 2], outputActivation: 'softplus', seed: 1 });
    try {
      const g = decode(toONNX(net)).graph;
      expect(g.node.map((n) => [n.op_type, n.input, n.output])).toEqual([
        ['Gemm', ['input', 'layer0.weight', 'layer0.bias'], ['layer0.z']],
        ['Div', ['layer0.z', 'layer0.gelu.c0'], ['layer0.gelu.s0']],
        ['Erf', ['layer0.gelu.s0'], ['layer0.gelu.s1']],
        ['Add', ['layer0.gelu.s1', 'layer0.gelu.c1'], ['layer0.gelu.s2']],
        ['Mul', ['layer0.z', 'layer0.gelu.s2'], ['layer0.gelu.s3']],
        ['Mul', ['layer0.gelu.s3', 'layer0.gelu.c2'], ['layer0.out']],
        ['Gemm', ['layer0.out', 'layer1.weight', 'layer1.bias'], ['layer1.z']],
        ['Sigmoid', ['layer1.z'], ['layer1.swish.s0']],
        ['Mul', ['layer1.z', 'layer1.swish.s0'], ['layer1.out']],
        ['Gemm', ['layer1.out', 'layer2.weight', 'layer2.bias'], ['layer2.z']],
        ['Elu', ['layer2.z'], ['layer2.out']],
        ['Gemm', ['layer2.out', 'layer3.weight', 'layer3.bias'], ['layer3.z']],
        ['Selu', ['layer3.z'], ['layer3.out']],
        ['Gemm', ['layer3.out', 'layer4.weight', 'layer4.bias'], ['layer4.z']],
        ['Softsign', ['layer4.z'], ['output']],
      ]);
      const scalar = (name: string) => {
        const t = g.initializer.find((x) => x.name === name)!;
        expect(t.dims ?? []).toEqual([]);
        return new Float32Array(t.raw_data.slice().buffer)[0];
      };
      expect([scalar('layer0.gelu.c0'), scalar('layer0.gelu.c1'), scalar('layer0.gelu.c2')]).toEqual([Math.fround(Math.SQRT2), 1, 0.5]);
      expect(g.node[10]!.attribute).toMatchObject([{ name: 'alpha', f: 1 }]);
      const selu = g.node[12]!.attribute!;
      expect(selu.map((a) => a.name)).toEqual(['alpha', 'gamma']);
      expect(selu[0]!.f).toBe(Math.fround(1.6732632423543772));
      expect(selu[1]!.f).toBe(Math.fround(1.0507009873554805));
      expect(decode(toONNX(soft)).graph.node.map((n) => n.op_type)).toEqual(['Gemm', 'Softplus']);
    } finally {
      net.dispose();
      soft.dispose();
    }
  });

  it('without biases Gemm has two inputs; a linear output layer\'s Gemm writes the output', () => {
    const net = new Network({ layers: [2, 3, 1], activation: 'relu', outputActivation: 'linear', bias: false });
    try {
      const g = decode(toONNX(net)).graph;
      expect(g.node.map((n) => [n.op_type, n.input, n.output])).toEqual([
        ['Gemm', ['input', 'layer0.weight'], ['layer0.z']],
        ['Relu', ['layer0.z'], ['layer0.out']],
        ['Gemm', ['layer0.out', 'layer1.weight'], ['output']],
      ]);
      expect(g.initializer.map((t) => t.name)).toEqual(['layer0.weight', 'layer1.weight']);
    } finally {
      net.dispose();
    }
  });

  it('is deterministic, and Network#toONNX (where present) gives the same bytes', () => {
    const net = new Network({ layers: [3, 2], outputActivation: 'sigmoid' });
    try {
      const a = toONNX(net), b = toONNX(net);
      expect(Buffer.from(a).equals(Buffer.from(b))).toBe(true);
      const method = (net as unknown as { toONNX?: () => Uint8Array }).toONNX;
      if (typeof method === 'function') expect(Buffer.from(method.call(net)).equals(Buffer.from(a))).toBe(true);
    } finally {
      net.dispose();
    }
  });

  it('the schema it reads at run time ships with the package, and protobufjs is an optional peer dependency', () => {
    const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
      files: string[]; dependencies?: Record<string, string>; peerDependencies?: Record<string, string>;
      peerDependenciesMeta?: Record<string, { optional?: boolean }>;
    };
    expect(pkg.files).toContain('proto/onnx.proto');
    expect(pkg.dependencies?.protobufjs).toBeUndefined();
    expect(pkg.peerDependencies?.protobufjs).toBeDefined();
    expect(pkg.peerDependenciesMeta?.protobufjs?.optional).toBe(true);
    expect(readFileSync(new URL('../proto/onnx.proto', import.meta.url), 'utf8')).toMatch(/^package onnx;$/m);
  });

  it('rejects a disposed network and things that are not networks', () => {
    const net = new Network({ layers: [2, 1] });
    net.dispose();
    expect(() => toONNX(net)).toThrow(DisposedError);
    expect(() => toONNX({} as Network)).toThrow(new ArgumentTypeError('toONNX: net: expected a Network, got an object (Object)'));
    expect(() => toONNX(null as unknown as Network)).toThrow(ArgumentTypeError);
  });
});
