// ONNX export of layer lists (src/onnx.ts): dropout (no node), batch normalization (a node, or folded
// into the next Gemm with foldBatchNorm), layer normalization (one LayerNormalization node at opset
// 17, decomposed into opset-13 ops at 13). Every model runs in onnxruntime-node and onnxruntime-web
// (the wasm build, offline) against net.predict, with γ, β and moving statistics that are far from
// Keras's initial values (set at random, or trained), at both opsets, folded and not.
//
// Tolerance: |onnxruntime − predict| ≤ 1e-5·max(1, |predict|). Both sides compute in float32 but
// round differently: other summation orders in Gemm (k ≤ 16 here) and in the normalizations' means,
// ORT's own BatchNormalization/LayerNormalization formulas (x̂·γ + β vs (x − μ)·(γ/σ) + β), Div vs
// multiplying by 1/σ, and with foldBatchNorm a Gemm over W' = W·diag(s) with b' = b + W·t instead
// of rounding (x − μ)·s per feature. Each op is off by a few ulps (float32 ε = 1.2e-7) and a layer
// normalization scales what comes in by 1/σ (σ ≳ 0.1 here), so through up to 7 layers the error
// measured is ≤ 7.2e-7 (a linear output of ~3); 1e-5 leaves margin for other CPUs' kernels (FMA or not), while an export
// mistake (wrong ε, a missing γ or β, the batch's statistics instead of the moving ones, a dropout
// scaling, the wrong axis) moves the outputs by more than 1e-2 (checked below: resetting the
// normalizations to their initial values does).
import { createRequire } from 'node:module';
import { readFileSync } from 'node:fs';
import * as ortWeb from 'onnxruntime-web';
import type * as Protobuf from 'protobufjs';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import {
  Network, OptionError, toONNX, type BatchNormalizationWeights, type DenseWeights, type LayerInput, type AnyLayerWeights,
  type LayerWeightsInput, type OnnxOptions,
} from '../src/index.js';

const require = createRequire(import.meta.url);
const ortNode = require('onnxruntime-node') as typeof ortWeb;
const RUNTIMES = { 'onnxruntime-node': ortNode, 'onnxruntime-web': ortWeb } as const;
const TOL = 1e-5;

const pb = require('protobufjs') as typeof Protobuf;
const ModelProto = pb.parse(readFileSync(new URL('../proto/onnx.proto', import.meta.url), 'utf8'), { keepCase: true }).root
  .lookupType('onnx.ModelProto');

/** A node's attributes without their type tags. */
const attrs = (n: Decoded['graph']['node'][number]) => (n.attribute ?? []).map(({ type: _, ...a }) => a);

interface Decoded {
  ir_version: number; doc_string: string;
  opset_import: { domain?: string; version: number }[];
  graph: {
    node: { name: string; op_type: string; input: string[]; output: string[]; attribute?: { name: string; type?: number; i?: number; f?: number; ints?: number[] }[] }[];
    initializer: { name: string; dims?: number[]; raw_data: Uint8Array }[];
  };
}
function decode(bytes: Uint8Array): Decoded {
  return ModelProto.toObject(ModelProto.decode(bytes), { longs: Number, bytes: Uint8Array as never, defaults: false }) as unknown as Decoded;
}
const ops = (m: Decoded) => m.graph.node.map((n) => n.op_type);
function floats(m: Decoded, name: string): Float32Array {
  const t = m.graph.initializer.find((i) => i.name === name);
  if (!t) throw new Error(`no initializer ${name}`);
  return new Float32Array(t.raw_data.slice().buffer);
}

function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}
function batch(rows: number, cols: number, seed: number): Float32Array {
  const r = lcg(seed);
  return Float32Array.from({ length: rows * cols }, () => 4 * r() - 2);
}

/** γ ∈ [0.5, 1.5) with random signs, β ∈ [−0.5, 0.5), moving mean ∈ [−1, 1), moving variance ∈ [0.2, 2.2): far from ones/zeros/ones. */
function randomNormalizations(net: Network<LayerInput[]>, seed: number): void {
  const r = lcg(seed);
  const gamma = (g: Float32Array | null) => g && g.map(() => (r() < 0.2 ? -1 : 1) * (0.5 + r()));
  const beta = (b: Float32Array | null) => b && b.map(() => r() - 0.5);
  net.setWeights(net.getWeights().map((l): LayerWeightsInput => {
    switch (l.type) {
      case 'dense': return { weights: l.weights, bias: l.bias };
      case 'dropout': return {};
      case 'layerNormalization': return { gamma: gamma(l.gamma), beta: beta(l.beta) };
      case 'batchNormalization':
        return { gamma: gamma(l.gamma), beta: beta(l.beta), movingMean: l.movingMean.map(() => 2 * r() - 1), movingVariance: l.movingVariance.map(() => 0.2 + 2 * r()) };
    }
  }));
}

/** The networks: every layer type, center/scale off, a batch normalization right after the first dense layer, dropout before the output layer. */
const NETS: Record<string, LayerInput[]> = {
  'dense-BN-dense-LN-dropout-dense': [6,
    { type: 'dense', units: 12, activation: 'relu', l2: 1e-4 }, { type: 'batchNormalization' },
    { type: 'dense', units: 8, activation: 'tanh' }, { type: 'layerNormalization' },
    { type: 'dropout', rate: 0.2 }, { type: 'dense', units: 4, activation: 'softmax' }],
  'center/scale off, a dense without bias, dropout between BN and dense': [5,
    { type: 'dense', units: 9, activation: 'elu' }, { type: 'batchNormalization', scale: false }, { type: 'dropout', rate: 0.3 },
    { type: 'dense', units: 7, activation: 'swish', useBias: false }, { type: 'layerNormalization', center: false },
    { type: 'dense', units: 6, activation: 'gelu' }, { type: 'batchNormalization', center: false, scale: false, epsilon: 0.01 },
    { type: 'layerNormalization', scale: false, center: false, epsilon: 1e-4 }, { type: 'dense', units: 3, activation: 'linear' }],
  'dropout first, BN after BN, BN before LN': [4,
    { type: 'dropout', rate: 0.1 }, { type: 'dense', units: 8, activation: 'leakyRelu' },
    { type: 'batchNormalization' }, { type: 'batchNormalization', epsilon: 0.01, center: false },
    { type: 'dense', units: 5, activation: 'selu' }, { type: 'batchNormalization', scale: false }, { type: 'layerNormalization' },
    { type: 'dense', units: 2, activation: 'sigmoid' }],
};

async function run(ort: typeof ortWeb, bytes: Uint8Array, x: Float32Array, cols: number): Promise<Float32Array> {
  const session = await ort.InferenceSession.create(bytes);
  try {
    const result = await session.run({ input: new ort.Tensor('float32', x, [x.length / cols, cols]) });
    return result.output!.data as Float32Array;
  } finally {
    await session.release();
  }
}

/** The largest |got − want| / max(1, |want|). */
function worst(got: Float32Array, want: Float32Array): number {
  expect(got.length).toBe(want.length);
  let w = 0;
  for (let i = 0; i < want.length; i++) w = Math.max(w, Math.abs(got[i]! - want[i]!) / Math.max(1, Math.abs(want[i]!)));
  return w;
}

/** Runs every export variant of `net` in both runtimes on batches of 1 and 7 rows; returns the worst error. */
async function expectMatches(net: Network<LayerInput[]>, label: string, extra: OnnxOptions = {}): Promise<number> {
  const cols = net.sizes[0]!;
  let most = 0;
  for (const opset of [13, 17] as const) {
    for (const foldBatchNorm of [false, true]) {
      const bytes = toONNX(net, { ...extra, opset, foldBatchNorm });
      for (const rows of [1, 7]) {
        const x = batch(rows, cols, rows * 7 + opset);
        const pre = extra.input ? x.map((v) => (v - (extra.input!.mean as number)) / (extra.input!.std as number)) : x;
        const want = net.predict(pre);
        for (const [name, ort] of Object.entries(RUNTIMES)) {
          const e = worst(await run(ort, bytes, x, cols), want);
          expect(e, `${label}, opset ${opset}, fold ${foldBatchNorm}, ${rows} rows, ${name}`).toBeLessThanOrEqual(TOL);
          most = Math.max(most, e);
        }
      }
    }
  }
  return most;
}

beforeAll(() => {
  ortWeb.env.wasm.numThreads = 1;
  // Offline: onnxruntime-web must load its wasm from the package, never over the network.
  vi.stubGlobal('fetch', (url: unknown) => { throw new Error(`network access attempted: ${String(url)}`); });
});
afterAll(() => { vi.unstubAllGlobals(); });

describe('layer lists run in onnxruntime with net.predict\'s outputs (within 1e-5, relative above 1)', () => {
  for (const [label, layers] of Object.entries(NETS)) {
    it(`${label}: opset 13 and 17, folded and not`, async () => {
      const net = new Network<LayerInput[]>({ layers, seed: 21 });
      try {
        randomNormalizations(net, 5);
        await expectMatches(net, label);
        // the test has teeth: the same network with its normalizations at γ = 1, β = 0, mean 0, variance 1 (same seed, same dense weights) is > 1e-2 away
        const x = batch(7, net.sizes[0]!, 3);
        const reset = new Network<LayerInput[]>({ layers, seed: 21 });
        try {
          expect(worst(reset.predict(x), net.predict(x))).toBeGreaterThan(1e-2);
        } finally {
          reset.dispose();
        }
      } finally {
        net.dispose();
      }
    });
  }

  it('a trained network (γ, β and moving statistics from trainBatch), with the input standardization in the graph', async () => {
    const net = new Network<LayerInput[]>({
      layers: [3, { type: 'dense', units: 16, activation: 'relu' }, { type: 'batchNormalization', momentum: 0.5 }, { type: 'dropout', rate: 0.25 },
        { type: 'dense', units: 8, activation: 'selu' }, { type: 'layerNormalization' }, { type: 'dropout', rate: 0.1 }, { type: 'dense', units: 2, activation: 'softmax' }],
      loss: 'crossEntropy', optimizer: 'adam', learningRate: 0.02, seed: 8,
    });
    try {
      const r = lcg(99);
      const x = Array.from({ length: 32 }, () => [3 * r(), 2 * r() - 1, r() + 1]);
      const y = x.map(([a, b]) => (a! + b! > 1.5 ? [1, 0] : [0, 1]));
      for (let i = 0; i < 30; i++) net.trainBatch(x, y);
      const [, bn, , , ln] = net.getWeights() as AnyLayerWeights[];
      if (bn?.type !== 'batchNormalization' || ln?.type !== 'layerNormalization') throw new Error('unexpected stack');
      expect(Math.max(...bn.movingMean.map(Math.abs))).toBeGreaterThan(0.1);
      expect(Math.max(...bn.movingVariance.map((v) => Math.abs(v - 1)))).toBeGreaterThan(0.1);
      expect(Math.max(...bn.gamma!.map((g) => Math.abs(g - 1)))).toBeGreaterThan(1e-3);
      expect(Math.max(...ln.beta!.map(Math.abs))).toBeGreaterThan(1e-3);
      await expectMatches(net, 'trained', { input: { mean: 0.5, std: 2 } });
    } finally {
      net.dispose();
    }
  });

  it('a sizes-list network at opset 17 gives the same outputs as at 13 (only the versions differ)', async () => {
    const net = new Network({ layers: [4, 6, 3], activation: 'gelu', outputActivation: 'softmax', seed: 2 });
    try {
      const a = decode(toONNX(net)), b = decode(toONNX(net, { opset: 17 }));
      expect([a.ir_version, a.opset_import, b.ir_version, b.opset_import]).toEqual([7, [{ domain: '', version: 13 }], 8, [{ domain: '', version: 17 }]]);
      expect(b.graph).toEqual(a.graph);
      const x = batch(5, 4, 1);
      expect(worst(await run(ortNode, toONNX(net, { opset: 17 }), x, 4), net.predict(x))).toBeLessThanOrEqual(TOL);
    } finally {
      net.dispose();
    }
  });
});

describe('the exported graph of a layer list', () => {
  const layers = NETS['dense-BN-dense-LN-dropout-dense']!;

  it('opset 13: Gemm, Relu, BatchNormalization, Gemm, Tanh, the layer normalization decomposed, no Dropout, Gemm, Softmax', () => {
    const net = new Network<LayerInput[]>({ layers, seed: 4 });
    try {
      randomNormalizations(net, 1);
      const m = decode(toONNX(net));
      expect([m.ir_version, m.opset_import]).toEqual([7, [{ domain: '', version: 13 }]]);
      expect(m.graph.node.map((n) => [n.op_type, n.input, n.output])).toEqual([
        ['Gemm', ['input', 'layer0.weight', 'layer0.bias'], ['layer0.z']],
        ['Relu', ['layer0.z'], ['layer0.out']],
        ['BatchNormalization', ['layer0.out', 'layer1.gamma', 'layer1.beta', 'layer1.movingMean', 'layer1.movingVariance'], ['layer1.out']],
        ['Gemm', ['layer1.out', 'layer2.weight', 'layer2.bias'], ['layer2.z']],
        ['Tanh', ['layer2.z'], ['layer2.out']],
        ['ReduceMean', ['layer2.out'], ['layer3.layerNormalization.s0']],
        ['Sub', ['layer2.out', 'layer3.layerNormalization.s0'], ['layer3.layerNormalization.s1']],
        ['Mul', ['layer3.layerNormalization.s1', 'layer3.layerNormalization.s1'], ['layer3.layerNormalization.s2']],
        ['ReduceMean', ['layer3.layerNormalization.s2'], ['layer3.layerNormalization.s3']],
        ['Add', ['layer3.layerNormalization.s3', 'layer3.layerNormalization.c0'], ['layer3.layerNormalization.s4']],
        ['Sqrt', ['layer3.layerNormalization.s4'], ['layer3.layerNormalization.s5']],
        ['Div', ['layer3.layerNormalization.s1', 'layer3.layerNormalization.s5'], ['layer3.layerNormalization.s6']],
        ['Mul', ['layer3.layerNormalization.s6', 'layer3.gamma'], ['layer3.layerNormalization.s7']],
        ['Add', ['layer3.layerNormalization.s7', 'layer3.beta'], ['layer3.out']],
        ['Gemm', ['layer3.out', 'layer5.weight', 'layer5.bias'], ['layer5.z']], // layer 4, the dropout, is no node
        ['Softmax', ['layer5.z'], ['output']],
      ]);
      expect(attrs(m.graph.node[2]!)).toEqual([{ name: 'epsilon', f: Math.fround(1e-3) }]);
      for (const k of [5, 8]) expect(attrs(m.graph.node[k]!)).toEqual([{ name: 'axes', ints: [-1] }, { name: 'keepdims', i: 1 }]);
      expect(floats(m, 'layer3.layerNormalization.c0')).toEqual(Float32Array.of(1e-3));
      const w = net.getWeights() as AnyLayerWeights[];
      const bn = w[1] as BatchNormalizationWeights;
      expect(floats(m, 'layer1.gamma')).toEqual(bn.gamma);
      expect(floats(m, 'layer1.beta')).toEqual(bn.beta);
      expect(floats(m, 'layer1.movingMean')).toEqual(bn.movingMean);
      expect(floats(m, 'layer1.movingVariance')).toEqual(bn.movingVariance);
      expect(m.doc_string).toBe('wasmlp network 6 → dense 12 relu → batchNormalization (epsilon 0.001) → dense 8 tanh → '
        + 'layerNormalization (epsilon 0.001) → dropout 0.2 (identity at inference, no node) → dense 4 softmax');
    } finally {
      net.dispose();
    }
  });

  it('opset 17 (IR 8): the layer normalization is one LayerNormalization node (axis −1, epsilon)', () => {
    const net = new Network<LayerInput[]>({ layers, seed: 4 });
    try {
      const m = decode(toONNX(net, { opset: 17 }));
      expect([m.ir_version, m.opset_import]).toEqual([8, [{ domain: '', version: 17 }]]);
      expect(ops(m)).toEqual(['Gemm', 'Relu', 'BatchNormalization', 'Gemm', 'Tanh', 'LayerNormalization', 'Gemm', 'Softmax']);
      const ln = m.graph.node[5]!;
      expect([ln.name, ln.input, ln.output]).toEqual(['layer3.layerNormalization', ['layer2.out', 'layer3.gamma', 'layer3.beta'], ['layer3.out']]);
      expect(attrs(ln)).toEqual([{ name: 'axis', i: -1 }, { name: 'epsilon', f: Math.fround(1e-3) }]);
    } finally {
      net.dispose();
    }
  });

  it('without γ or β: ones and zeros for BatchNormalization and LayerNormalization; the opset-13 decomposition just leaves out Mul γ, Add β', () => {
    const net = new Network<LayerInput[]>({ layers: NETS['center/scale off, a dense without bias, dropout between BN and dense']!, seed: 4 });
    try {
      randomNormalizations(net, 2);
      const w = net.getWeights() as AnyLayerWeights[];
      const m13 = decode(toONNX(net)), m17 = decode(toONNX(net, { opset: 17 }));
      expect(ops(m17)).toEqual(['Gemm', 'Elu', 'BatchNormalization', 'Gemm', 'Sigmoid', 'Mul', 'LayerNormalization',
        'Gemm', 'Div', 'Erf', 'Add', 'Mul', 'Mul', 'BatchNormalization', 'LayerNormalization', 'Gemm']);
      expect(floats(m17, 'layer1.gamma')).toEqual(new Float32Array(9).fill(1)); // scale: false
      expect(floats(m17, 'layer1.beta')).toEqual((w[1] as BatchNormalizationWeights).beta);
      expect(floats(m17, 'layer4.beta')).toEqual(new Float32Array(7)); // center: false
      expect(floats(m17, 'layer6.gamma')).toEqual(new Float32Array(6).fill(1));
      expect(floats(m17, 'layer6.beta')).toEqual(new Float32Array(6));
      expect(floats(m17, 'layer7.gamma')).toEqual(new Float32Array(6).fill(1));
      expect(attrs(m17.graph.node[13]!)).toEqual([{ name: 'epsilon', f: Math.fround(0.01) }]);
      expect(attrs(m17.graph.node[14]!)).toEqual([{ name: 'axis', i: -1 }, { name: 'epsilon', f: Math.fround(1e-4) }]);
      const ln13 = (i: number) => m13.graph.node.filter((n) => n.name.startsWith(`layer${i}.layerNormalization.`)).map((n) => [n.op_type, n.input]);
      expect(ln13(4).slice(7)).toEqual([['Mul', ['layer4.layerNormalization.s6', 'layer4.gamma']]]); // no Add β
      expect(ln13(7).map(([op]) => op)).toEqual(['ReduceMean', 'Sub', 'Mul', 'ReduceMean', 'Add', 'Sqrt', 'Div']);
      expect(m13.graph.initializer.map((t) => t.name).filter((n) => /^layer[47]\.(gamma|beta)$/.test(n))).toEqual(['layer4.gamma']);
      expect(m13.doc_string).toContain('batchNormalization (epsilon 0.01, no gamma, no beta)');
      expect(m13.doc_string).toContain('dense 7 swish without bias');
    } finally {
      net.dispose();
    }
  });

  it('foldBatchNorm: no BatchNormalization node, the next Gemm holds W·diag(s) and b + W·t (float64, rounded once)', () => {
    const net = new Network<LayerInput[]>({ layers, seed: 4 });
    try {
      randomNormalizations(net, 3);
      const m = decode(toONNX(net, { foldBatchNorm: true }));
      expect(ops(m)).toEqual(['Gemm', 'Relu', 'Gemm', 'Tanh', 'ReduceMean', 'Sub', 'Mul', 'ReduceMean', 'Add', 'Sqrt', 'Div', 'Mul', 'Add', 'Gemm', 'Softmax']);
      expect(m.graph.node[2]!.input).toEqual(['layer0.out', 'layer2.weight', 'layer2.bias']);
      expect(m.graph.initializer.some((t) => t.name.startsWith('layer1.'))).toBe(false);
      const w = net.getWeights() as AnyLayerWeights[];
      const want = fold(w[2] as DenseWeights, w[1] as BatchNormalizationWeights, 1e-3);
      expectUlp(floats(m, 'layer2.weight'), want.weights, 'W\'');
      expectUlp(floats(m, 'layer2.bias'), want.bias, 'b\'');
      expect(worst(floats(m, 'layer2.weight'), (w[2] as DenseWeights).weights)).toBeGreaterThan(1e-2); // it did change
      expect(floats(m, 'layer0.weight')).toEqual((w[0] as DenseWeights).weights); // the dense layer before is untouched
      expect(m.doc_string).toContain('batchNormalization (epsilon 0.001, folded into layer 2)');
      expect(decode(toONNX(net, { foldBatchNorm: true, opset: 17 })).graph.node.map((n) => n.op_type))
        .toEqual(['Gemm', 'Relu', 'Gemm', 'Tanh', 'LayerNormalization', 'Gemm', 'Softmax']);
    } finally {
      net.dispose();
    }
  });

  it('foldBatchNorm across dropout into a dense without bias (which gets b\'), and without γ or β', () => {
    const net = new Network<LayerInput[]>({ layers: NETS['center/scale off, a dense without bias, dropout between BN and dense']!, seed: 4 });
    try {
      randomNormalizations(net, 4);
      const m = decode(toONNX(net, { foldBatchNorm: true, opset: 17 }));
      // layer 1 (scale: false, then dropout) folds into layer 3; layer 6 (no γ, no β) is followed by a layer normalization: it stays
      expect(ops(m)).toEqual(['Gemm', 'Elu', 'Gemm', 'Sigmoid', 'Mul', 'LayerNormalization',
        'Gemm', 'Div', 'Erf', 'Add', 'Mul', 'Mul', 'BatchNormalization', 'LayerNormalization', 'Gemm']);
      expect(m.graph.node[2]!.input).toEqual(['layer0.out', 'layer3.weight', 'layer3.bias']);
      const w = net.getWeights() as AnyLayerWeights[];
      expect((w[3] as DenseWeights).bias).toBeNull();
      const want = fold(w[3] as DenseWeights, w[1] as BatchNormalizationWeights, 1e-3);
      expectUlp(floats(m, 'layer3.weight'), want.weights, 'W\'');
      expectUlp(floats(m, 'layer3.bias'), want.bias, 'b\'');
    } finally {
      net.dispose();
    }
  });

  it('foldBatchNorm: a batch normalization followed by another one stays a node, the second folds; one before a layer normalization stays', () => {
    const net = new Network<LayerInput[]>({ layers: NETS['dropout first, BN after BN, BN before LN']!, seed: 4 });
    try {
      randomNormalizations(net, 6);
      const m = decode(toONNX(net, { foldBatchNorm: true }));
      expect(m.graph.node.map((n) => [n.op_type, n.input[0]]).slice(0, 5)).toEqual([
        ['Gemm', 'input'], ['LeakyRelu', 'layer1.z'], ['BatchNormalization', 'layer1.out'], ['Gemm', 'layer2.out'], ['Selu', 'layer4.z'],
      ]);
      expect(m.graph.node[5]).toMatchObject({ op_type: 'BatchNormalization', input: ['layer4.out', 'layer5.gamma', 'layer5.beta', 'layer5.movingMean', 'layer5.movingVariance'] });
      expect(m.graph.node[6]!.op_type).toBe('ReduceMean');
      const w = net.getWeights() as AnyLayerWeights[];
      const want = fold(w[4] as DenseWeights, w[3] as BatchNormalizationWeights, 0.01);
      expectUlp(floats(m, 'layer4.weight'), want.weights, 'W\'');
      expectUlp(floats(m, 'layer4.bias'), want.bias, 'b\'');
      expect(floats(m, 'layer5.gamma')).toEqual(new Float32Array(5).fill(1));
    } finally {
      net.dispose();
    }
  });

  it('a list of sizes keeps its doc_string words; opset 13 given explicitly is the default\'s bytes', () => {
    const net = new Network({ layers: [3, 5, 2], activation: 'relu', outputActivation: 'softmax', bias: false });
    const list = new Network<LayerInput[]>({ layers, seed: 1 });
    try {
      expect(decode(toONNX(net)).doc_string).toBe('wasmlp network 3-5-2: hidden relu, output softmax, without biases');
      for (const n of [net, list] as Network<LayerInput[]>[]) {
        expect(Buffer.from(toONNX(n, { opset: 13, foldBatchNorm: false })).equals(Buffer.from(toONNX(n)))).toBe(true);
      }
    } finally {
      net.dispose();
      list.dispose();
    }
  });
});

describe('toONNX options.opset and options.foldBatchNorm', () => {
  it('bad values are OptionErrors naming the option, what it expects and what it got', () => {
    const net = new Network({ layers: [2, 1] });
    try {
      for (const [v, got] of [[15, '15'], [18, '18'], ['17', '"17"'], [13.5, '13.5'], [null, 'null'], [Number.NaN, 'NaN'], [[13], 'an array of length 1']] as const) {
        const call = () => toONNX(net, { opset: v as never });
        expect(call).toThrow(OptionError);
        expect(call).toThrow(`toONNX: options.opset: expected 13 or 17, got ${got}`);
      }
      expect(() => toONNX(net, { foldBatchNorm: 'yes' as never })).toThrow(new OptionError('toONNX: options.foldBatchNorm: expected true or false, got "yes"'));
      expect(() => toONNX(net, { opSet: 17 } as never)).toThrow(new OptionError(
        "toONNX: options.opSet: unknown option (known: input, output, opset, foldBatchNorm); did you mean 'opset'?"));
      expect(() => toONNX(net, { opset: undefined, foldBatchNorm: undefined })).not.toThrow(); // undefined: the default
    } finally {
      net.dispose();
    }
  });
});

/** W' = W·diag(s), b' = b + W·t, s = γ/√(var + ε), t = β − mean·s, in float64 (ε as the network's float32). */
function fold(d: DenseWeights, bn: BatchNormalizationWeights, epsilon: number): { weights: number[]; bias: number[] } {
  const eps = Math.fround(epsilon);
  const s = Array.from(bn.movingVariance, (v, c) => (bn.gamma ? bn.gamma[c]! : 1) / Math.sqrt(v + eps));
  const t = Array.from(bn.movingMean, (mu, c) => (bn.beta ? bn.beta[c]! : 0) - mu * s[c]!);
  const weights: number[] = [], bias: number[] = [];
  for (let r = 0; r < d.rows; r++) {
    let b = d.bias ? d.bias[r]! : 0;
    for (let c = 0; c < d.cols; c++) {
      weights.push(d.weights[r * d.cols + c]! * s[c]!);
      b += d.weights[r * d.cols + c]! * t[c]!;
    }
    bias.push(b);
  }
  return { weights, bias };
}

/** Each float32 within one ulp of its float64 reference (the export rounds the float64 value once). */
function expectUlp(got: Float32Array, want: number[], label: string): void {
  expect(got.length, label).toBe(want.length);
  for (let i = 0; i < want.length; i++) {
    expect(Math.abs(got[i]! - want[i]!), `${label}[${i}]`).toBeLessThanOrEqual(2 ** -23 * Math.abs(want[i]!) + 1e-30);
  }
}
