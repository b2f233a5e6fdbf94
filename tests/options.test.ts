// Options are read-only both ways: the resolved options a network keeps (net.options) are frozen all
// the way down, so a write cannot change what predict reads or what save writes; and the caller's
// options object is only read (a frozen one is accepted, and it is unchanged afterwards). The same
// for the brain.js facade's constructor and train options and its options/trainOpts snapshots.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { NeuralNetwork } from '../src/brain/index.js';
import { Network, type NetworkOptions } from '../src/index.js';

/** The README's worked example: 2-4-3-2, sigmoid, no biases, ½Σ(t − out)², SGD lr 0.5. */
const WORKED: NetworkOptions = {
  layers: [2, 4, 3, 2], activation: ['sigmoid', 'sigmoid'], outputActivation: 'sigmoid', loss: 'mse',
  bias: false, reduction: 'sum', learningRate: 0.5, seed: 42,
};
const WEIGHTS = [
  { weights: [[0.1, 0.2], [0.3, 0.4], [0.5, 0.6], [0.7, 0.8]] },
  { weights: [[0.25, 0.3, 0.35, 0.4], [0.45, 0.5, 0.55, 0.6], [0.65, 0.7, 0.75, 0.8]] },
  { weights: [[0.3, 0.4, 0.5], [0.6, 0.7, 0.8]] },
];
/** Its float64 outputs for x = [1, 0] and loss for target [0, 1]. */
const OUT = [0.7199035875846265, 0.8374928869480537];
const LOSS = 0.2723;

function deepFreeze<T>(v: T): T {
  if (v !== null && typeof v === 'object') {
    for (const x of Object.values(v)) deepFreeze(x);
    Object.freeze(v);
  }
  return v;
}

/** Writes through a sloppy-mode function (this test file is an ES module, so strict); push would throw in either mode. */
const sloppyWrite = new Function('o', 'o.layers[0] = 3; o.layers[4] = 9; o.seed = 9; o.optimizer.learningRate = 7; o.activation[0] = "relu"; return o;') as
  (o: unknown) => unknown;

const tmp = mkdtempSync(join(tmpdir(), 'wasmlp-options-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function worked(options: NetworkOptions = WORKED): Network {
  const net = new Network(options);
  net.setWeights(WEIGHTS);
  return net;
}

function expectWorked(net: Network): void {
  const out = net.predict([1, 0]) as number[];
  out.forEach((v, i) => expect(v).toBeCloseTo(OUT[i]!, 6));
}

describe('net.options is read-only all the way down', () => {
  it('is frozen at every level, and typed so', () => {
    const net = worked();
    const o = net.options;
    expect(Object.isFrozen(o)).toBe(true);
    expect(Object.isFrozen(o.layers)).toBe(true);
    expect(Object.isFrozen(o.activation)).toBe(true);
    expect(Object.isFrozen(o.optimizer)).toBe(true);
    expect(o).toEqual({
      layers: [2, 4, 3, 2], activation: ['sigmoid', 'sigmoid'], outputActivation: 'sigmoid', loss: 'mse', bias: false,
      reduction: 'sum', optimizer: { type: 'sgd', learningRate: 0.5, momentum: 0, nesterov: false, weightDecay: 0 },
      learningRate: 0.5, seed: 42, leakyReluAlpha: 0.01, threads: 'auto',
    });
    // The @ts-expect-errors are the type half of the test: `npm run typecheck` fails if a write compiles.
    // @ts-expect-error: readonly array
    expect(() => { o.layers[0] = 3; }).toThrow(TypeError);
    // @ts-expect-error: readonly array
    expect(() => { o.layers.push(9); }).toThrow(TypeError);
    // @ts-expect-error: readonly property
    expect(() => { o.seed = 9; }).toThrow(TypeError);
    // @ts-expect-error: readonly nested property
    expect(() => { o.optimizer.learningRate = 7; }).toThrow(TypeError);
    // @ts-expect-error: readonly array
    expect(() => { o.activation[0] = 'relu'; }).toThrow(TypeError);
    expect(net.options.layers).toEqual([2, 4, 3, 2]);
    expectWorked(net);
    net.dispose();
  });

  it('ignores writes in sloppy mode: predict, trainBatch and save/load behave as before', async () => {
    const net = worked();
    sloppyWrite(net.options);
    expect(net.options.layers).toEqual([2, 4, 3, 2]);
    expect(net.options.seed).toBe(42);
    expect(net.options.optimizer.learningRate).toBe(0.5);
    expect(net.options.activation).toEqual(['sigmoid', 'sigmoid']);
    expect(net.sizes).toEqual([2, 4, 3, 2]);
    expectWorked(net);

    // What save writes, load accepts (with layers[0] = 3 it wrote a file load rejected).
    for (const name of ['m.wasmlp', 'm.json']) {
      const file = join(tmp, name);
      await net.save(file);
      const again = await Network.load(file);
      expect(again.options).toEqual(net.options);
      expectWorked(again);
      again.dispose();
    }
    expect(net.trainBatch([1, 0], [0, 1])).toBeCloseTo(LOSS, 4);
    expect(Array.from(net.getWeights()[2]!.weights.slice(0, 3)).map((v) => +v.toFixed(4))).toEqual([0.2501, 0.3434, 0.4382]);
    net.dispose();
  });

  it("never writes to the caller's options: a frozen object is accepted, a plain one is unchanged", async () => {
    const frozen = deepFreeze(structuredClone({ ...WORKED, optimizer: { type: 'sgd', momentum: 0 } as const }));
    const a = worked(frozen);
    expectWorked(a);
    expect(a.options.optimizer).toEqual({ type: 'sgd', learningRate: 0.5, momentum: 0, nesterov: false, weightDecay: 0 });
    expect(a.options.layers).not.toBe(frozen.layers);
    a.dispose();

    const given: NetworkOptions = { layers: [3, 5, 2], activation: 'relu', outputActivation: 'softmax', optimizer: { type: 'adam', beta1: 0.8 }, seed: 3 };
    const copy = structuredClone(given);
    const b = new Network(given);
    await b.fit([[1, 0, 0], [0, 1, 0]], [[1, 0], [0, 1]], { epochs: 2, batchSize: 1 });
    b.toJSON();
    expect(given).toEqual(copy);
    // and the network does not see later changes to the caller's object
    (given.layers as number[])[0] = 7;
    expect(b.options.layers).toEqual([3, 5, 2]);
    expect((b.predict([1, 0, 0]) as number[]).length).toBe(2);
    b.dispose();
  });
});

describe('toJSON hands out a copy of the options', () => {
  it('its arrays are plain and editable, and editing them leaves the network as it was', () => {
    const net = new Network({ layers: [2, 4, 3, 2], activation: ['tanh', 'relu'], seed: 4 });
    const before = net.predict([0.3, -0.7]);
    const json = net.toJSON() as unknown as { options: { layers: number[]; activation: string[] } };
    expect(Object.isFrozen(json.options.layers)).toBe(false);
    json.options.layers[1] = 5;
    json.options.activation[0] = 'sigmoid';
    expect(net.options.layers).toEqual([2, 4, 3, 2]);
    expect(net.options.activation).toEqual(['tanh', 'relu']);
    expect(net.predict([0.3, -0.7])).toEqual(before);
    net.dispose();
  });
});

describe('wasmlp/brain options are read-only too', () => {
  const xor = [
    { input: [0, 0], output: [0] }, { input: [0, 1], output: [1] },
    { input: [1, 0], output: [1] }, { input: [1, 1], output: [0] },
  ];

  it("accepts frozen constructor and train options and leaves the caller's objects unchanged", () => {
    const ctor = deepFreeze({ hiddenLayers: [3], learningRate: 0.6, binaryThresh: 0.5 });
    const trainOptions = deepFreeze({ iterations: 3000, errorThresh: 0.005, momentum: 0.1 });
    const data = deepFreeze(structuredClone(xor));
    const net = new NeuralNetwork(ctor);
    const res = net.train(data, trainOptions);
    expect(res.error).toBeLessThan(0.05);
    expect((net.run([1, 0]) as Float32Array)[0]).toBeGreaterThan(0.5);
    expect((net.run([1, 1]) as Float32Array)[0]).toBeLessThan(0.5);

    const plainCtor = { hiddenLayers: [3], learningRate: 0.6 };
    const plainTrain = { iterations: 50, log: false };
    const copies = structuredClone([plainCtor, plainTrain]);
    const other = new NeuralNetwork(plainCtor);
    other.train(xor, plainTrain);
    expect([plainCtor, plainTrain]).toEqual(copies);
    plainCtor.hiddenLayers[0] = 9;
    expect(other.options.hiddenLayers).toEqual([3]);
    expect(other.sizes).toEqual([2, 3, 1]);
    net.dispose();
    other.dispose();
  });

  it('net.options and net.trainOpts are frozen snapshots', () => {
    const net = new NeuralNetwork({ hiddenLayers: [4], inputSize: 2, outputSize: 1 });
    const o = net.options;
    expect(o).toEqual({ inputSize: 2, outputSize: 1, binaryThresh: 0.5, hiddenLayers: [4] });
    expect(Object.isFrozen(o) && Object.isFrozen(o.hiddenLayers)).toBe(true);
    // @ts-expect-error: readonly array
    expect(() => { o.hiddenLayers![0] = 9; }).toThrow(TypeError);
    // @ts-expect-error: readonly property
    expect(() => { o.inputSize = 3; }).toThrow(TypeError);
    const t = net.trainOpts;
    // @ts-expect-error: readonly property
    expect(() => { t.iterations = 1; }).toThrow(TypeError);
    expect(net.trainOpts.iterations).toBe(20000);
    expect(net.options.hiddenLayers).toEqual([4]);
    expect(net.sizes).toEqual([2, 4, 1]);
    net.dispose();
  });
});
