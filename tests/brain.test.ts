// wasmlp/brain against the real brain.js: 2.0.0-beta.24 ('brain.js') and 1.6.1 ('brainjs-1'),
// both devDependencies installed without their GPU parts.
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { createHash } from 'node:crypto';
import {
  ArgumentTypeError, BusyError, DisposedError, FormatError, NeuralNetwork, NonFiniteError, NotRunnableError,
  OptionError, ShapeError, WasmlpError, type BrainActivation, type BrainNetworkJSON, type TrainingDatum,
} from '../src/brain/index.js';
import { backend } from '../src/wasm/kernels.js';
import { brain1, brain1From, brain2, toBrain1JSON, type BrainJsNet } from './ref/brainjs.js';
import { TestRng } from './helpers.js';

// brain.js and wasmlp/brain both initialise with Math.random(): seeded here so every run is the same.
beforeEach(() => {
  const rng = new TestRng(20240611);
  vi.spyOn(Math, 'random').mockImplementation(() => rng.next());
  return () => { vi.restoreAllMocks(); };
});

const ACTS: BrainActivation[] = ['sigmoid', 'relu', 'leaky-relu', 'tanh'];
const XOR = [
  { input: [0, 0], output: [0] }, { input: [0, 1], output: [1] },
  { input: [1, 0], output: [1] }, { input: [1, 1], output: [0] },
];

/** n samples of `nIn` inputs in [0, 1) and `nOut` targets in [0.1, 0.9] from a smooth rule (learnable, not separable). */
function dataset(seed: number, n: number, nIn: number, nOut: number): { input: number[]; output: number[] }[] {
  const rng = new TestRng(seed);
  return Array.from({ length: n }, () => {
    const input = Array.from({ length: nIn }, () => rng.next());
    const output = Array.from({ length: nOut }, (_, j) => 0.1 + 0.8 * (0.5 + 0.5 * Math.sin(3 * input[j % nIn]! - 2 * input[(j + 1) % nIn]! + j)));
    return { input, output };
  });
}

/** A brain.js 2 network of these sizes with brain.js's own random init (one pass of training sets it up), as JSON. */
function brainStart(data: unknown[], hiddenLayers: number[], activation: BrainActivation): BrainNetworkJSON {
  const b = new brain2.NeuralNetwork({ hiddenLayers, activation });
  b.train(data, { iterations: 1 });
  return b.toJSON();
}

function maxWeightDiff(a: BrainNetworkJSON, b: BrainNetworkJSON): number {
  let d = 0;
  a.layers.forEach((L, l) => {
    L.weights.forEach((row, j) => row.forEach((w, k) => { d = Math.max(d, Math.abs(w - b.layers[l]!.weights[j]![k]!)); }));
    L.biases.forEach((v, j) => { d = Math.max(d, Math.abs(v - b.layers[l]!.biases[j]!)); });
  });
  return d;
}

function maxRunDiff(ours: NeuralNetwork, theirs: BrainJsNet, inputs: unknown[]): number {
  let d = 0;
  for (const x of inputs) {
    const a = ours.run(x as number[]) as Float32Array | Record<string, number>;
    const b = theirs.run(x);
    for (const k of Object.keys(b)) d = Math.max(d, Math.abs((a as Record<string, number>)[k]! - (b as Record<string, number>)[k]!));
  }
  return d;
}

function randomInputs(seed: number, n: number, nIn: number): number[][] {
  const rng = new TestRng(seed);
  return Array.from({ length: n }, () => Array.from({ length: nIn }, () => rng.uniform(-1, 2)));
}

describe('wasmlp/brain: loading brain.js networks', () => {
  it.each(ACTS)('brain.js 2.0.0-beta.24 trained (%s): same run outputs within 1e-6', (activation) => {
    const data = dataset(1, 30, 5, 3);
    const b = new brain2.NeuralNetwork({ hiddenLayers: [7, 4], activation });
    b.train(data, { iterations: 200, learningRate: 0.1 });
    const ours = new NeuralNetwork().fromJSON(b.toJSON());
    expect(ours.sizes).toEqual([5, 7, 4, 3]);
    expect(ours.trainOpts.activation).toBe(activation);
    expect(maxRunDiff(ours, b, [...data.map((d) => d.input), ...randomInputs(2, 50, 5)])).toBeLessThan(1e-6);
    // and through JSON text, as it would be stored
    const again = new NeuralNetwork().fromJSON(JSON.stringify(b.toJSON()));
    expect(maxRunDiff(again, b, data.map((d) => d.input))).toBeLessThan(1e-6);
  });

  it.each(['sigmoid', 'relu', 'tanh'] as const)('brain.js 1.6.1 trained (%s): same run outputs within 1e-6', (activation) => {
    const data = dataset(3, 30, 4, 2);
    const b = new brain1.NeuralNetwork({ hiddenLayers: [6], activation });
    b.train(data, { iterations: 200, learningRate: 0.1 });
    const json = b.toJSON();
    expect(json.layers[1]['0']).toHaveProperty('weights'); // the 1.x format: named nodes
    const ours = new NeuralNetwork().fromJSON(json);
    expect(ours.sizes).toEqual([4, 6, 2]);
    expect(maxRunDiff(ours, b, [...data.map((d) => d.input), ...randomInputs(4, 50, 4)])).toBeLessThan(1e-6);
  });

  it('brain.js 1.6.1 with named inputs and outputs: same lookups and outputs', () => {
    const data = [
      { input: { r: 0.03, g: 0.7, b: 0.5 }, output: { black: 1 } },
      { input: { r: 0.16, g: 0.09, b: 0.2 }, output: { white: 1 } },
      { input: { r: 0.5, g: 0.5, b: 1.0 }, output: { white: 1 } },
    ];
    const b = new brain1.NeuralNetwork();
    b.train(data, { iterations: 300 });
    const ours = new NeuralNetwork().fromJSON(b.toJSON());
    expect(ours.inputLookup).toEqual({ r: 0, g: 1, b: 2 });
    expect(ours.outputLookup).toEqual({ black: 0, white: 1 });
    const probe = [{ r: 1, g: 0.4, b: 0 }, { r: 0.2, g: 0.9 }, {}];
    expect(maxRunDiff(ours, b, probe)).toBeLessThan(1e-6);
    expect(Object.keys(ours.run({ r: 1, g: 0.4, b: 0 }))).toEqual(['black', 'white']);
  });

  it('brain.js 1.6.1 leaky-relu differs (documented): 1.6.1 computes x < 0 ? 0 : α·x, 2.x and wasmlp max(x, α·x)', () => {
    const data = dataset(5, 10, 3, 2);
    const b2 = new brain2.NeuralNetwork({ hiddenLayers: [5], activation: 'leaky-relu' });
    b2.train(data, { iterations: 1 });
    const json2 = b2.toJSON();
    const b1 = brain1From(json2);
    const ours = new NeuralNetwork().fromJSON(toBrain1JSON(json2));
    const inputs = randomInputs(6, 20, 3);
    expect(maxRunDiff(ours, b2, inputs)).toBeLessThan(1e-6); // same weights, 2.x semantics
    expect(maxRunDiff(ours, b1, inputs)).toBeGreaterThan(1e-3); // 1.6.1's own forward pass is different
  });

  it('a Float32Array-trained brain.js 2 network (numeric lookup {0:0,…}) runs with arrays and Float32Arrays', () => {
    const data = XOR.map((d) => ({ input: Float32Array.from(d.input), output: Float32Array.from(d.output) }));
    const b = new brain2.NeuralNetwork({ hiddenLayers: [3] });
    b.train(data, { iterations: 100 });
    const json = b.toJSON();
    expect(json.inputLookup).toEqual({ 0: 0, 1: 1 });
    const ours = new NeuralNetwork().fromJSON(json);
    for (const d of data) {
      expect(Math.abs((ours.run(d.input) as Float32Array)[0]! - b.run(d.input)[0])).toBeLessThan(1e-6);
      expect(Math.abs((ours.run(Array.from(d.input)) as Float32Array)[0]! - b.run(d.input)[0])).toBeLessThan(1e-6);
    }
  });
});

describe('wasmlp/brain: training matches brain.js from the same weights', () => {
  const cases = [
    { name: 'XOR 2-3-1', data: XOR, hidden: [3], n: 300 },
    { name: '5-7-4-3 regression, 30 samples', data: dataset(7, 30, 5, 3), hidden: [7, 4], n: 150 },
    { name: '4-4-3, 12 samples (the narrow-network path)', data: dataset(23, 12, 4, 3), hidden: [4], n: 200 },
  ];
  for (const c of cases) {
    it.each(ACTS)(`${c.name}, %s: ${c.n} iterations end within 1e-4 of brain.js 2.0.0-beta.24`, (activation) => {
      const start = brainStart(c.data, c.hidden, activation);
      const b = new brain2.NeuralNetwork().fromJSON(start)!;
      const ours = new NeuralNetwork().fromJSON(start);
      const opts = { iterations: c.n, errorThresh: 1e-9, learningRate: activation === 'sigmoid' ? 0.3 : 0.05 };
      const rb = b.train(c.data, opts);
      const rw = ours.train(c.data, opts);
      expect(rw.iterations).toBe(rb.iterations);
      expect(Math.abs(rw.error - rb.error)).toBeLessThan(1e-4);
      expect(maxWeightDiff(ours.toJSON(), b.toJSON())).toBeLessThan(1e-4);
      expect(maxRunDiff(ours, b, c.data.map((d) => d.input))).toBeLessThan(1e-4);
    });

    it.each(['sigmoid', 'relu', 'tanh'] as const)(`${c.name}, %s: ${c.n} iterations end within 1e-4 of brain.js 1.6.1`, (activation) => {
      const start = brainStart(c.data, c.hidden, activation);
      const b = brain1From(start);
      const ours = new NeuralNetwork().fromJSON(toBrain1JSON(start));
      const opts = { iterations: c.n, errorThresh: 1e-9, learningRate: activation === 'sigmoid' ? 0.3 : 0.05 };
      const rb = b.train(c.data, opts);
      const rw = ours.train(c.data, opts);
      expect(rw.iterations).toBe(rb.iterations);
      expect(Math.abs(rw.error - rb.error)).toBeLessThan(1e-4);
      const bj = b.toJSON() as { layers: Record<string, { bias: number; weights: Record<string, number> }>[] };
      const oj = ours.toJSON();
      let d = 0;
      for (let l = 1; l < oj.layers.length; l++) {
        Object.values(bj.layers[l]!).forEach((node, j) => {
          d = Math.max(d, Math.abs(node.bias - oj.layers[l]!.biases[j]!));
          Object.values(node.weights).forEach((w, k) => { d = Math.max(d, Math.abs(w - oj.layers[l]!.weights[j]![k]!)); });
        });
      }
      expect(d).toBeLessThan(1e-4);
    });
  }

  it('stops at errorThresh on the same iteration as brain.js, with the same callback and log calls', () => {
    const start = new NeuralNetwork({ inputSize: 2, hiddenLayers: [3], outputSize: 1 }).toJSON(); // a start that converges
    const b = new brain2.NeuralNetwork().fromJSON(start)!;
    const ours = new NeuralNetwork().fromJSON(start);
    const seen: Record<string, { iterations: number; error: number }[]> = { b: [], w: [], bl: [], wl: [] };
    const rb = b.train(XOR, { callback: (s: { iterations: number; error: number }) => seen.b!.push({ ...s }), callbackPeriod: 500, log: (s: { iterations: number; error: number }) => seen.bl!.push({ ...s }), logPeriod: 1000 });
    const rw = ours.train(XOR, { callback: (s) => seen.w!.push({ ...s }), callbackPeriod: 500, log: (s) => seen.wl!.push({ ...s }), logPeriod: 1000 });
    expect(rb.error).toBeLessThanOrEqual(0.005);
    expect(rw.iterations).toBe(rb.iterations);
    expect(Math.abs(rw.error - rb.error)).toBeLessThan(1e-6);
    for (const [w, bb] of [['w', 'b'], ['wl', 'bl']] as const) {
      expect(seen[w]!.map((s) => s.iterations)).toEqual(seen[bb]!.map((s) => s.iterations));
      seen[w]!.forEach((s, i) => expect(Math.abs(s.error - seen[bb]![i]!.error)).toBeLessThan(1e-6));
    }
    expect(seen.w!.length).toBeGreaterThan(3);
  });

  it('keeps momentum and training options across train calls, as brain.js does', () => {
    const data = dataset(9, 12, 3, 2);
    const start = brainStart(data, [4], 'sigmoid');
    const b = new brain2.NeuralNetwork().fromJSON(start)!;
    const ours = new NeuralNetwork().fromJSON(start);
    for (const net of [b, ours]) {
      net.train(data, { iterations: 40, errorThresh: 1e-9, learningRate: 0.5 });
      net.train(data, { iterations: 40 }); // learningRate 0.5 and errorThresh persist; changes carry over
    }
    expect(ours.trainOpts.learningRate).toBe(0.5);
    expect(maxWeightDiff(ours.toJSON(), b.toJSON())).toBeLessThan(1e-5);
  });

  it('named inputs and outputs: same lookups as brain.js, same training from the same start', () => {
    const data = [
      { input: { r: 0.03, g: 0.7 }, output: { black: 1 } },
      { input: { r: 0.16, b: 0.2 }, output: { white: 1 } },
      { input: { g: 0.5, b: 1.0 }, output: { white: 1, black: 0.2 } },
    ];
    const start = brainStart(data, [4], 'sigmoid');
    expect(start.inputLookup).toEqual({ r: 0, g: 1, b: 2 });
    const b = new brain2.NeuralNetwork().fromJSON(start)!;
    const ours = new NeuralNetwork<Record<string, number>, Record<string, number>>().fromJSON(start);
    b.train(data, { iterations: 100, errorThresh: 1e-9 });
    ours.train(data, { iterations: 100, errorThresh: 1e-9 });
    expect(maxWeightDiff(ours.toJSON(), b.toJSON())).toBeLessThan(1e-4);
    const out = ours.run({ r: 0.1, b: 0.3 });
    expect(Object.keys(out)).toEqual(['black', 'white']);
    expect(Math.abs(out.black! - b.run({ r: 0.1, b: 0.3 }).black)).toBeLessThan(1e-4);

    // a fresh network builds the lookups itself, in brain.js's order
    const fresh = new NeuralNetwork();
    fresh.train(data, { iterations: 10 });
    expect(fresh.inputLookup).toEqual({ r: 0, g: 1, b: 2 });
    expect(fresh.outputLookup).toEqual({ black: 0, white: 1 });
    expect(fresh.sizes).toEqual([3, 3, 2]);
  });

  it('test() gives brain.js 2.0.0-beta.24\'s result (binary and multi-class)', () => {
    const start = brainStart(XOR, [3], 'sigmoid');
    const b = new brain2.NeuralNetwork().fromJSON(start)!;
    const ours = new NeuralNetwork().fromJSON(start);
    b.train(XOR, { iterations: 800 });
    ours.train(XOR, { iterations: 800 });
    const tb = b.test(XOR), tw = ours.test(XOR) as typeof tb;
    expect(Math.abs(tw.error - tb.error)).toBeLessThan(1e-5);
    for (const k of ['total', 'trueNeg', 'truePos', 'falseNeg', 'falsePos', 'precision', 'recall', 'accuracy']) expect(tw[k]).toBe(tb[k]);
    expect(tw.misclasses.length).toBe(tb.misclasses.length);

    const data = dataset(11, 20, 3, 3);
    const s3 = brainStart(data, [5], 'tanh');
    const b3 = new brain2.NeuralNetwork().fromJSON(s3)!;
    const o3 = new NeuralNetwork().fromJSON(s3);
    const t3b = b3.test(data), t3w = o3.test(data);
    expect(Math.abs(t3w.error - t3b.error)).toBeLessThan(1e-6);
    expect(t3w.misclasses.map((m) => [m.actual, m.expected])).toEqual(t3b.misclasses.map((m: { actual: number; expected: number }) => [m.actual, m.expected]));
    expect(t3w).not.toHaveProperty('accuracy');
  });
});

describe('wasmlp/brain: networks trained here, loaded into brain.js', () => {
  it.each(ACTS)('%s: brain.js 2.0.0-beta.24 fromJSON gives the same outputs (within 1e-6)', (activation) => {
    const data = dataset(13, 25, 4, 2);
    const ours = new NeuralNetwork({ hiddenLayers: [6, 3], activation });
    const r = ours.train(data, { iterations: 100, learningRate: 0.1 });
    expect(r.iterations).toBe(100);
    const b = new brain2.NeuralNetwork().fromJSON(JSON.parse(JSON.stringify(ours.toJSON())))!;
    expect(maxRunDiff(ours, b, [...data.map((d) => d.input), ...randomInputs(14, 30, 4)])).toBeLessThan(1e-6);
    // and brain.js can keep training it
    expect(b.train(data, { iterations: 5 }).iterations).toBe(5);
  });

  it('named inputs and outputs survive the trip (run gives the same objects)', () => {
    const data = [
      { input: { a: 1, b: 0 }, output: { yes: 1, no: 0 } },
      { input: { a: 0, b: 1 }, output: { yes: 0, no: 1 } },
      { input: { a: 1, b: 1 }, output: { yes: 1, no: 1 } },
    ];
    const ours = new NeuralNetwork<Record<string, number>, Record<string, number>>();
    ours.train(data, { iterations: 500 });
    const b = new brain2.NeuralNetwork().fromJSON(ours.toJSON())!;
    for (const x of [{ a: 1 }, { b: 1 }, { a: 0.5, b: 0.5 }]) {
      const mine = ours.run(x), theirs = b.run(x);
      expect(Object.keys(mine)).toEqual(Object.keys(theirs));
      for (const k of Object.keys(theirs)) expect(Math.abs(mine[k]! - theirs[k])).toBeLessThan(1e-6);
    }
    // round trip here too
    const back = new NeuralNetwork().fromJSON(ours.toJSON());
    expect(back.run({ a: 1 })).toEqual(ours.run({ a: 1 }));
  });
});

describe('wasmlp/brain: API', () => {
  it('is importable as wasmlp/brain (package exports)', async () => {
    const spec = 'wasmlp/brain';
    const mod = (await import(spec)) as { NeuralNetwork: new (o?: object) => { train(d: unknown, o?: object): { iterations: number } } };
    const net = new mod.NeuralNetwork({ hiddenLayers: [3] });
    expect(net.train(XOR, { iterations: 10 }).iterations).toBe(10);
  });

  it('learns XOR with brain.js defaults and returns { error, iterations }', () => {
    const net = new NeuralNetwork();
    const r = net.train(XOR);
    expect(r.error).toBeLessThanOrEqual(0.005);
    expect(r.iterations).toBeLessThan(20000);
    expect(net.sizes).toEqual([2, 3, 1]); // default hidden layer: max(3, ⌊2/2⌋)
    const out = net.run([0, 1]) as Float32Array;
    expect(out).toBeInstanceOf(Float32Array);
    expect(out[0]).toBeGreaterThan(0.9);
    expect((net.run([1, 1]) as Float32Array)[0]).toBeLessThan(0.1);
  });

  it('trainAsync gives the same result as train and yields to the event loop', async () => {
    const data = dataset(15, 40, 6, 3);
    const start = brainStart(data, [8], 'sigmoid');
    const a = new NeuralNetwork().fromJSON(start);
    const b = new NeuralNetwork().fromJSON(start);
    let ticks = 0;
    const timer = setInterval(() => { ticks++; }, 1);
    const ra = await a.trainAsync(data, { iterations: 20000, errorThresh: 1e-9 });
    clearInterval(timer);
    const rb = b.train(data, { iterations: 20000, errorThresh: 1e-9 });
    expect(ra).toEqual(rb);
    expect(a.toJSON()).toEqual(b.toJSON());
    expect(ticks).toBeGreaterThan(0);
  });

  it('inputSize/outputSize size the network up front; timeout stops early', () => {
    const net = new NeuralNetwork({ inputSize: 3, hiddenLayers: [4], outputSize: 2 });
    expect(net.sizes).toEqual([3, 4, 2]);
    expect(net.run([1, 2, 3])).toHaveLength(2);
    const w = net.toJSON().layers[1]!.weights.flat();
    expect(Math.min(...w)).toBeGreaterThanOrEqual(-0.2); // brain.js's init: uniform in [−0.2, 0.2)
    expect(Math.max(...w)).toBeLessThan(0.2);
    const big = dataset(17, 200, 3, 2);
    const t0 = Date.now();
    const r = net.train(big, { iterations: 1e7, errorThresh: 1e-9, timeout: 30 });
    expect(Date.now() - t0).toBeLessThan(1000);
    expect(r.iterations).toBeGreaterThan(0);
    expect(r.iterations).toBeLessThan(1e7);
  });

  it('batchSize: 1 is brain.js; larger batches use the mean gradient (checked against a float64 loop)', () => {
    const data = dataset(19, 10, 3, 2);
    const start = brainStart(data, [4], 'sigmoid');
    const one = new NeuralNetwork().fromJSON(start);
    const dflt = new NeuralNetwork().fromJSON(start);
    one.train(data, { iterations: 5, batchSize: 1, errorThresh: 1e-9 });
    dflt.train(data, { iterations: 5, errorThresh: 1e-9 });
    expect(one.toJSON().layers).toEqual(dflt.toJSON().layers);

    // float64 reference of the mini-batch rule: v = lr·mean(δ⊗in) + μ·v, w += v, b += lr·mean(δ)
    const lr = 0.3, mu = 0.1, B = 4;
    const W = start.layers.map((L) => L.weights.map((r) => [...r]));
    const Bs = start.layers.map((L) => [...L.biases]);
    const V = W.map((L) => L.map((r) => r.map(() => 0)));
    const sig = (z: number): number => 1 / (1 + Math.exp(-z));
    for (let pass = 0; pass < 3; pass++) {
      for (let s0 = 0; s0 < data.length; s0 += B) {
        const batch = data.slice(s0, s0 + B);
        const G = W.map((L) => L.map((r) => r.map(() => 0)));
        const Gb = Bs.map((b) => b.map(() => 0));
        for (const d of batch) {
          const outs: number[][] = [d.input];
          for (let l = 1; l < W.length; l++) outs.push(W[l]!.map((row, j) => sig(Bs[l]![j]! + row.reduce((s, w, k) => s + w * outs[l - 1]![k]!, 0))));
          const deltas: number[][] = [];
          for (let l = W.length - 1; l >= 1; l--) {
            deltas[l] = outs[l]!.map((o, j) => (l === W.length - 1 ? d.output[j]! - o : W[l + 1]!.reduce((s, row, k) => s + deltas[l + 1]![k]! * row[j]!, 0)) * o * (1 - o));
          }
          for (let l = 1; l < W.length; l++) {
            deltas[l]!.forEach((dl, j) => { Gb[l]![j]! += dl; outs[l - 1]!.forEach((x, k) => { G[l]![j]![k]! += dl * x; }); });
          }
        }
        for (let l = 1; l < W.length; l++) {
          W[l]!.forEach((row, j) => {
            row.forEach((_, k) => { V[l]![j]![k] = (lr / batch.length) * G[l]![j]![k]! + mu * V[l]![j]![k]!; row[k]! += V[l]![j]![k]!; });
            Bs[l]![j]! += (lr / batch.length) * Gb[l]![j]!;
          });
        }
      }
    }
    const mb = new NeuralNetwork().fromJSON(start);
    mb.train(data, { iterations: 3, batchSize: B, errorThresh: 1e-9 });
    const got = mb.toJSON();
    let d = 0;
    for (let l = 1; l < W.length; l++) {
      W[l]!.forEach((row, j) => { row.forEach((w, k) => { d = Math.max(d, Math.abs(w - got.layers[l]!.weights[j]![k]!)); }); d = Math.max(d, Math.abs(Bs[l]![j]! - got.layers[l]!.biases[j]!)); });
    }
    expect(d).toBeLessThan(1e-5);
    expect(got.trainOpts.batchSize).toBe(B);
  });

  it('dispose returns the wasm memory; a network sized by training allocates nothing per run', () => {
    const arena = backend().arena;
    const before = arena.liveBlocks;
    const net = new NeuralNetwork({ hiddenLayers: [5] });
    net.train(XOR, { iterations: 20 });
    const during = arena.liveBlocks;
    for (let i = 0; i < 100; i++) net.run([0, 1]);
    net.test(XOR);
    expect(arena.liveBlocks).toBe(during);
    net.dispose();
    expect(arena.liveBlocks).toBe(before);
    expect(() => net.run([0, 1])).toThrow(DisposedError);
  });
});

describe('wasmlp/brain: bad input gets typed errors', () => {
  const trained = (): NeuralNetwork => { const n = new NeuralNetwork({ hiddenLayers: [3] }); n.train(XOR, { iterations: 5 }); return n; };
  const cases: [string, () => unknown, new (...a: never[]) => WasmlpError, RegExp][] = [
    ['run before training', () => new NeuralNetwork().run([1, 2]), NotRunnableError, /run: the network has no weights yet/],
    ['toJSON before training', () => new NeuralNetwork().toJSON(), NotRunnableError, /toJSON/],
    ['run with the wrong length', () => trained().run([1, 2, 3]), ShapeError, /input: expected 2 numbers, got an array of length 3/],
    ['run with a string inside', () => trained().run([1, 'x' as unknown as number]), ArgumentTypeError, /input\[1\]: expected a number, got "x"/],
    ['run with NaN', () => trained().run([1, NaN]), NonFiniteError, /input\[1\]: expected a finite number, got NaN/],
    ['run with an object on a numeric network', () => trained().run({ a: 1 } as never), ArgumentTypeError, /takes an array of 2 numbers/],
    ['train on a non-array', () => new NeuralNetwork().train({ input: [1], output: [1] } as never), ArgumentTypeError, /data: expected an array of \{ input, output \} samples/],
    ['train on nothing', () => new NeuralNetwork().train([]), ShapeError, /data: expected at least one/],
    ['a sample without output', () => new NeuralNetwork().train([{ input: [1, 2] } as never]), ArgumentTypeError, /data\[0\]\.output/],
    ['ragged inputs', () => new NeuralNetwork().train([{ input: [1, 2], output: [1] }, { input: [1], output: [0] }]), ShapeError, /data\[1\]\.input: expected 2 numbers/],
    ['mixed forms', () => new NeuralNetwork().train([{ input: [1, 2], output: [1] }, { input: { a: 1 }, output: [0] }] as never), ArgumentTypeError, /data\[1\]\.input: data\[0\]\.input is an array of numbers/],
    ['Infinity in a target', () => new NeuralNetwork().train([{ input: [1, 2], output: [Infinity] }]), NonFiniteError, /data\[0\]\.output\[0\]/],
    ['learningRate out of brain.js\'s range', () => new NeuralNetwork().train(XOR, { learningRate: 2 }), OptionError, /train options\.learningRate: expected a number between 0 and 1/],
    ['a misspelt option', () => new NeuralNetwork({ hiddenLayer: [3] } as never), OptionError, /unknown option 'hiddenLayer' \(did you mean 'hiddenLayers'\?\)/],
    ['a misspelt activation', () => new NeuralNetwork({ activation: 'sigmod' as never }), OptionError, /did you mean 'sigmoid'/],
    ['bad hiddenLayers', () => new NeuralNetwork({ hiddenLayers: [3, 0] }), OptionError, /hiddenLayers: expected an array of layer sizes/],
    ['praxis adam', () => new NeuralNetwork({ praxis: 'adam' }), OptionError, /praxis: 'adam' is not supported/],
    ['fractional iterations', () => new NeuralNetwork().train(XOR, { iterations: 2.5 }), OptionError, /iterations: expected an integer ≥ 1/],
    ['inputSize that the data contradicts', () => new NeuralNetwork({ inputSize: 3, outputSize: 1 }).train(XOR), ShapeError, /data\[0\]\.input: expected 3 numbers/],
    ['fromJSON of a number', () => new NeuralNetwork().fromJSON(42 as never), ArgumentTypeError, /fromJSON: expected the object/],
    ['fromJSON with a short weight row', () => { const j = trained().toJSON(); j.layers[1]!.weights[0]!.pop(); return new NeuralNetwork().fromJSON(j); }, FormatError, /layers\[1\]\.weights\[0\]: expected 2 numbers/],
    ['fromJSON with a bad activation', () => { const j = trained().toJSON(); (j.trainOpts as { activation: string }).activation = 'softmax'; return new NeuralNetwork().fromJSON(j); }, FormatError, /trainOpts\.activation/],
    ['fromJSON of an LSTM', () => new NeuralNetwork().fromJSON({ type: 'LSTM', sizes: [1, 1], layers: [] } as never), FormatError, /only NeuralNetwork is supported/],
    ['fromJSON of bad JSON text', () => new NeuralNetwork().fromJSON('{"sizes": '), FormatError, /not valid JSON text/],
  ];
  it.each(cases)('%s', (_name, call, type, message) => {
    let thrown: unknown;
    try { call(); } catch (e) { thrown = e; }
    expect(thrown).toBeInstanceOf(type);
    expect(thrown).toBeInstanceOf(WasmlpError);
    expect((thrown as Error).message).toMatch(message);
  });

  it('a failed train leaves the network as it was', () => {
    const net = trained();
    const before = net.toJSON();
    expect(() => net.train([...XOR, { input: [1, NaN], output: [0] }], { iterations: 50 })).toThrow(NonFiniteError);
    expect(net.toJSON()).toEqual(before);
  });

  it('train while trainAsync runs is a BusyError; dispose during trainAsync rejects with DisposedError', async () => {
    const net = trained();
    const data = dataset(21, 200, 2, 1);
    const p = net.trainAsync(data, { iterations: 1e6, errorThresh: 1e-9 });
    expect(() => net.train(XOR)).toThrow(BusyError);
    await new Promise((r) => setTimeout(r, 5));
    net.dispose();
    await expect(p).rejects.toBeInstanceOf(DisposedError);
  });

  it('types: generic inputs and outputs', () => {
    const net = new NeuralNetwork<{ r: number; g: number }, { light: number }>();
    const data: TrainingDatum<{ r: number; g: number }, { light: number }>[] = [{ input: { r: 1, g: 1 }, output: { light: 1 } }, { input: { r: 0, g: 0 }, output: { light: 0 } }];
    net.train(data, { iterations: 50 });
    const out: { light: number } = net.run({ r: 1 });
    expect(typeof out.light).toBe('number');
  });
});

// Pinned bits: fixed, seeded training runs of every kernel path (the narrow register-resident
// variants, the general per-sample and mini-batch passes, brain_run_f32), hashed over the weights,
// biases, outputs and error. The hashes were recorded before issue 12's refactor (one activation
// numbering, shared SIMD helpers, the narrow path in its own file) so it is checked to change no bit.
// Baseline and relaxed builds round differently (fused multiply-add), hence one table per build.
describe('wasmlp/brain: pinned bits of fixed training runs', () => {
  const PINNED: Record<string, Record<string, string>> = {
    baseline: {
      'sigmoid XOR 2-3-1': '371a736d950a0279', 'sigmoid 3-4-1': '87e8bc189ed14bd5',
      'sigmoid 3-4-2': '962dfd2af350e5cf', 'sigmoid 4-8-3': '2a2944f29db8b0dc',
      'sigmoid 4-5-6-3': '530f2c884f5c5b0a', 'sigmoid 4-8-3 batch 5': 'f9364fa2683136bc',
      'relu XOR 2-3-1': 'a9716c89dfa085a3', 'relu 3-4-1': '4c3cf67197800412',
      'relu 3-4-2': 'e228ebd39b33d7e0', 'relu 4-8-3': '2edcc4dc42bc819f',
      'relu 4-5-6-3': '443294f8db2e90ea', 'relu 4-8-3 batch 5': '9ca2845900a3ac83',
      'leaky-relu XOR 2-3-1': 'c071ab0134fdd923', 'leaky-relu 3-4-1': '3ecf7acef694ca6d',
      'leaky-relu 3-4-2': '8c84be9c04451983', 'leaky-relu 4-8-3': '5fd385f1054bea95',
      'leaky-relu 4-5-6-3': '71a4c3ba68259e41', 'leaky-relu 4-8-3 batch 5': 'a22d647bb05ac769',
      'tanh XOR 2-3-1': 'e4e9944227377428', 'tanh 3-4-1': '5eb1f06c9447bceb',
      'tanh 3-4-2': 'c8a2fd8a47c9f4c4', 'tanh 4-8-3': '8ddeaba9ab9215cd',
      'tanh 4-5-6-3': '06baffc9a1aa26dd', 'tanh 4-8-3 batch 5': '46cfc56e49dcea2a',
    },
    relaxed: {
      'sigmoid XOR 2-3-1': '3d462937fc392cef', 'sigmoid 3-4-1': '789cc11833b41930',
      'sigmoid 3-4-2': '0ee81ae6254a06da', 'sigmoid 4-8-3': '828f4bf572a7c9ad',
      'sigmoid 4-5-6-3': 'e3fd6c986a99c97b', 'sigmoid 4-8-3 batch 5': '938ffd00abeab0dd',
      'relu XOR 2-3-1': 'a9716c89dfa085a3', 'relu 3-4-1': '4c3cf67197800412',
      'relu 3-4-2': '3099866bb6a2cacd', 'relu 4-8-3': 'c055bd1cf17f709f',
      'relu 4-5-6-3': '2619a623ccfacf31', 'relu 4-8-3 batch 5': 'fe696cbfa045f5e3',
      'leaky-relu XOR 2-3-1': 'a25309f56b90e615', 'leaky-relu 3-4-1': '78a425155af5d632',
      'leaky-relu 3-4-2': '977cb646c2197c49', 'leaky-relu 4-8-3': '4fbf158fd620f009',
      'leaky-relu 4-5-6-3': 'd14fddf7d2319c78', 'leaky-relu 4-8-3 batch 5': 'f8d38795b617107d',
      'tanh XOR 2-3-1': 'c0cd5985b200ae8d', 'tanh 3-4-1': '97f599fac8685666',
      'tanh 3-4-2': 'cfb28c5a6626b91a', 'tanh 4-8-3': '75ec912b3a364835',
      'tanh 4-5-6-3': 'd59f7a005dad6173', 'tanh 4-8-3 batch 5': 'b360a0f1aa043f92',
    },
  };
  const runs = [
    { name: 'XOR 2-3-1', data: XOR, hidden: [3], batchSize: 1 }, // narrow, one output, ≤ 2 inputs
    { name: '3-4-1', data: dataset(31, 8, 3, 1), hidden: [4], batchSize: 1 }, // narrow, one output
    { name: '3-4-2', data: dataset(32, 8, 3, 2), hidden: [4], batchSize: 1 }, // narrow, several outputs
    { name: '4-8-3', data: dataset(33, 12, 4, 3), hidden: [8], batchSize: 1 }, // general pass
    { name: '4-5-6-3', data: dataset(34, 12, 4, 3), hidden: [5, 6], batchSize: 1 }, // general, two hidden
    { name: '4-8-3 batch 5', data: dataset(35, 12, 4, 3), hidden: [8], batchSize: 5 }, // mini-batches
  ];
  const hashOf = (net: NeuralNetwork, data: { input: number[] }[], error: number, iterations: number): string => {
    const h = createHash('sha256');
    for (const L of net.toJSON().layers) {
      for (const row of L.weights) h.update(new Uint8Array(Float32Array.from(row).buffer));
      h.update(new Uint8Array(Float32Array.from(L.biases).buffer));
    }
    for (const d of data) h.update(new Uint8Array((net.run(d.input) as Float32Array).slice().buffer));
    h.update(new Uint8Array(Float64Array.of(error, iterations).buffer));
    return h.digest('hex').slice(0, 16);
  };
  it.each(ACTS)('%s: every path gives the recorded bits', (activation) => {
    const got: Record<string, string> = {};
    for (const r of runs) {
      const net = new NeuralNetwork({ hiddenLayers: r.hidden, activation });
      const { error, iterations } = net.train(r.data, { iterations: 300, errorThresh: 1e-12, batchSize: r.batchSize });
      got[`${activation} ${r.name}`] = hashOf(net, r.data, error, iterations);
      net.dispose();
    }
    const want = PINNED[backend().simd]!;
    if (process.env.WASMLP_PRINT_PINNED) console.log(backend().simd, JSON.stringify(got));
    for (const [k, v] of Object.entries(got)) expect(v, k).toBe(want[k]);
  });
});
