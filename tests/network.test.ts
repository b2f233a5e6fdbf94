// The Network API contract: input forms, seeding, typed errors that leave the network unchanged,
// and memory that is allocated once and returned on dispose().
import { describe, expect, it } from 'vitest';
import { ArgumentTypeError, DisposedError, DomainError, Network, NonFiniteError, OptionError, OutOfMemoryError, ShapeError, WasmlpError, type NetworkOptions } from '../src/index.js';
import { backend } from '../src/internal.js';

const base: NetworkOptions = { layers: [2, 3, 2], seed: 3 };

describe('predict input and output forms', () => {
  const net = new Network({ ...base, bias: true });
  it('number[] → number[], number[][] → number[][], Float32Array → Float32Array, all agreeing', () => {
    const one = net.predict([0.5, -1]);
    const rows = net.predict([[0.5, -1], [2, 0.25]]);
    const flat = net.predict(new Float32Array([0.5, -1, 2, 0.25]));
    expect(Array.isArray(one) && one.length === 2 && typeof one[0] === 'number').toBe(true);
    expect(rows).toHaveLength(2);
    expect(flat).toBeInstanceOf(Float32Array);
    expect(flat).toHaveLength(4);
    expect(rows[0]).toEqual(one);
    expect(Array.from(flat)).toEqual([...rows[0]!, ...rows[1]!]);
  });

  it('matches a hand-computed forward pass with the weights it reports', () => {
    const [l1, l2] = net.getWeights();
    const x = [2, 0.25];
    const sig = (v: number): number => 1 / (1 + Math.exp(-v));
    const h = [0, 1, 2].map((i) => sig(l1!.weights[i * 2]! * x[0]! + l1!.weights[i * 2 + 1]! * x[1]! + l1!.bias![i]!));
    const o = [0, 1].map((i) => sig(h.reduce((s, v, j) => s + l2!.weights[i * 3 + j]! * v, l2!.bias![i]!)));
    net.predict(x).forEach((v, i) => expect(v).toBeCloseTo(o[i]!, 6));
  });

  it('runs batches larger than one chunk (1024 rows) and matches row by row', () => {
    const n = 2500;
    const x = new Float32Array(n * 2).map((_, i) => Math.sin(i));
    const all = net.predict(x);
    for (const r of [0, 1023, 1024, 2047, 2048, 2499]) {
      const one = net.predict([x[r * 2]!, x[r * 2 + 1]!]);
      expect(all[r * 2]).toBeCloseTo(one[0]!, 6);
      expect(all[r * 2 + 1]).toBeCloseTo(one[1]!, 6);
    }
  });
});

describe('seeded initialisation', () => {
  const weightsOf = (o: NetworkOptions): number[] => { const n = new Network(o); const w = n.getWeights().flatMap((l) => Array.from(l.weights)); n.dispose(); return w; };

  it('same seed, same weights; another seed, other weights', () => {
    expect(weightsOf({ layers: [4, 8, 3], seed: 11 })).toEqual(weightsOf({ layers: [4, 8, 3], seed: 11 }));
    expect(weightsOf({ layers: [4, 8, 3], seed: 11 })).not.toEqual(weightsOf({ layers: [4, 8, 3], seed: 12 }));
  });

  it('Glorot-uniform for sigmoid, He-uniform for relu, zero biases', () => {
    const g = new Network({ layers: [30, 20, 10], activation: 'sigmoid', seed: 1 });
    const limitG = Math.sqrt(6 / (30 + 20));
    const wg = g.getWeights()[0]!.weights;
    expect(Math.max(...wg.map(Math.abs))).toBeLessThanOrEqual(limitG);
    expect(Math.max(...wg.map(Math.abs))).toBeGreaterThan(0.9 * limitG); // 600 draws fill the range
    expect(Array.from(g.getWeights()[0]!.bias!)).toEqual(new Array(20).fill(0));
    const h = new Network({ layers: [30, 20, 10], activation: 'relu', seed: 1 });
    const limitH = Math.sqrt(6 / 30);
    const wh = h.getWeights()[0]!.weights;
    expect(Math.max(...wh.map(Math.abs))).toBeLessThanOrEqual(limitH);
    expect(Math.max(...wh.map(Math.abs))).toBeGreaterThan(0.9 * limitH);
    g.dispose(); h.dispose();
  });
});

describe('options', () => {
  it('fills defaults: sigmoid, bias, mean, mse (crossEntropy with softmax)', () => {
    const n = new Network({ layers: [2, 5, 3, 1] });
    expect(n.options).toMatchObject({ activation: ['sigmoid', 'sigmoid'], outputActivation: 'sigmoid', loss: 'mse', bias: true, reduction: 'mean', learningRate: 0.01, seed: 1 });
    expect(n.options.optimizer).toEqual({ type: 'sgd', learningRate: 0.01, momentum: 0, nesterov: false, weightDecay: 0 });
    expect(new Network({ layers: [2, 3], outputActivation: 'softmax' }).options.loss).toBe('crossEntropy');
    expect(n.parameterCount).toBe(5 * 3 + 3 * 6 + 1 * 4);
    n.dispose();
  });
  it('takes one activation per hidden layer', () => {
    const n = new Network({ layers: [2, 4, 4, 1], activation: ['relu', 'tanh'] });
    expect(n.options.activation).toEqual(['relu', 'tanh']);
    n.dispose();
  });
});

// ************* bad input: class, message naming the argument and value, nothing changed *************

interface Bad { name: string; run: (n: Network) => unknown; error: new (...a: never[]) => WasmlpError; message: RegExp }

const badCalls: Bad[] = [
  { name: 'predict: wrong sample length', run: (n) => n.predict([1, 2, 3]), error: ShapeError, message: /x: expected one sample of 2 numbers.*length 3/ },
  { name: 'predict: ragged rows', run: (n) => n.predict([[1, 2], [3]]), error: ShapeError, message: /x\[1\]: expected a row of 2 numbers, got an array of length 1/ },
  { name: 'predict: NaN', run: (n) => n.predict([[1, 2], [NaN, 0]]), error: NonFiniteError, message: /x\[1\]\[0\].*NaN/ },
  { name: 'predict: Infinity in Float32Array', run: (n) => n.predict(new Float32Array([1, 2, 3, Infinity])), error: NonFiniteError, message: /x: .*Infinity at row 1, column 1/ },
  { name: 'predict: string entry', run: (n) => n.predict([1, '2' as unknown as number]), error: ArgumentTypeError, message: /x\[1\]: expected a number, got "2"/ },
  { name: 'predict: null', run: (n) => n.predict(null as unknown as number[]), error: ArgumentTypeError, message: /x: expected .*got null/ },
  { name: 'predict: object', run: (n) => n.predict({ a: 1 } as unknown as number[]), error: ArgumentTypeError, message: /x: expected .*got an object/ },
  { name: 'predict: empty array', run: (n) => n.predict([]), error: ShapeError, message: /x: expected at least one sample.*empty/ },
  { name: 'predict: Float32Array not a multiple of width', run: (n) => n.predict(new Float32Array(5)), error: ShapeError, message: /multiple of 2.*length 5/ },
  { name: 'predict: row of nulls', run: (n) => n.predict([[1, 2], [null, 1]] as unknown as number[][]), error: ArgumentTypeError, message: /x\[1\]\[0\]: expected a number, got null/ },
  { name: 'trainBatch: y rows ≠ x rows', run: (n) => n.trainBatch([[1, 2], [3, 4]], [[1, 0]]), error: ShapeError, message: /y: expected 2 rows.*got 1/ },
  { name: 'trainBatch: y wrong width', run: (n) => n.trainBatch([[1, 2]], [[1, 0, 0]]), error: ShapeError, message: /y\[0\]: expected a row of 2 numbers, got an array of length 3/ },
  { name: 'trainBatch: NaN target', run: (n) => n.trainBatch([1, 2], [0, NaN]), error: NonFiniteError, message: /y\[1\].*NaN/ },
  { name: 'trainBatch: -Infinity input', run: (n) => n.trainBatch([1, -Infinity], [0, 1]), error: NonFiniteError, message: /x\[1\].*-Infinity/ },
  { name: 'gradients: y missing', run: (n) => n.gradients([1, 2], undefined as unknown as number[]), error: ArgumentTypeError, message: /y: expected .*got undefined/ },
  { name: 'setWeights: wrong layer count', run: (n) => n.setWeights([]), error: ShapeError, message: /layers: expected 2 layers.*got 0/ },
  { name: 'setWeights: wrong matrix shape', run: (n) => n.setWeights([{ weights: [[1, 2]], bias: [0, 0, 0] }, { weights: [[1, 2, 3], [4, 5, 6]], bias: [0, 0] }]), error: ShapeError, message: /layers\[0\]\.weights: expected 3 rows × 2 columns.*got 1 rows/ },
  { name: 'setWeights: NaN in the second layer (first layer valid)', run: (n) => n.setWeights([{ weights: [[9, 9], [9, 9], [9, 9]], bias: [9, 9, 9] }, { weights: [[1, 2, 3], [4, NaN, 6]], bias: [0, 0] }]), error: NonFiniteError, message: /layers\[1\]\.weights\[1\]\[1\].*NaN/ },
  { name: 'setWeights: missing bias', run: (n) => n.setWeights([{ weights: [[1, 2], [1, 2], [1, 2]] }, { weights: [[1, 2, 3], [4, 5, 6]], bias: [0, 0] }]), error: ShapeError, message: /layers\[0\]\.bias: expected 3 numbers.*got undefined/ },
  { name: 'setWeights: bias wrong length', run: (n) => n.setWeights([{ weights: [[1, 2], [1, 2], [1, 2]], bias: [1, 2] }, { weights: [[1, 2, 3], [4, 5, 6]], bias: [0, 0] }]), error: ShapeError, message: /layers\[0\]\.bias: expected one sample of 3 numbers.*length 2/ },
  { name: 'setWeights: not an array', run: (n) => n.setWeights('w' as unknown as []), error: ArgumentTypeError, message: /layers: expected an array.*got "w"/ },
];

describe('bad calls get typed errors and leave the network unchanged', () => {
  it.each(badCalls.map((b) => [b.name, b] as const))('%s', (_name, b) => {
    const net = new Network({ ...base, outputActivation: 'sigmoid' });
    const before = net.getWeights();
    const probe = net.predict([[0.3, 0.7]]);
    let caught: unknown;
    try { b.run(net); } catch (e) { caught = e; }
    expect(caught, 'no error thrown').toBeInstanceOf(b.error);
    expect(caught).toBeInstanceOf(WasmlpError);
    expect(caught).not.toBeInstanceOf(WebAssembly.RuntimeError);
    expect((caught as Error).message).toMatch(b.message);
    expect(net.getWeights()).toEqual(before);
    expect(net.predict([[0.3, 0.7]])).toEqual(probe);
    net.dispose();
  });

  it('targets outside the loss domain: crossEntropy needs distributions, binaryCrossEntropy [0, 1]', () => {
    const ce = new Network({ layers: [2, 3], outputActivation: 'softmax' });
    const w = ce.getWeights();
    expect(() => ce.trainBatch([1, 2], [1, 1, 0])).toThrow(DomainError);
    expect(() => ce.trainBatch([1, 2], [1, 1, 0])).toThrow(/y: crossEntropy needs each target row to sum to 1.*sum of 2 at row 0/);
    expect(() => ce.trainBatch([1, 2], [-0.5, 1.5, 0])).toThrow(/y: crossEntropy needs targets in \[0, 1\], got -0.5 at row 0, column 0/);
    expect(ce.getWeights()).toEqual(w);
    const bce = new Network({ layers: [2, 1], loss: 'binaryCrossEntropy' });
    expect(() => bce.trainBatch([1, 2], [2])).toThrow(/binaryCrossEntropy needs targets in \[0, 1\], got 2/);
    ce.dispose(); bce.dispose();
  });
});

const badOptions: [string, unknown, new (...a: never[]) => WasmlpError, RegExp][] = [
  ['no options', undefined, ArgumentTypeError, /options: expected an object.*got undefined/],
  ['no layers', {}, OptionError, /options\.layers: expected an array.*got undefined/],
  ['one layer', { layers: [3] }, OptionError, /options\.layers: expected at least 2 sizes.*got 1/],
  ['zero units', { layers: [2, 0, 1] }, OptionError, /options\.layers\[1\]: expected an integer ≥ 1, got 0/],
  ['fractional units', { layers: [2, 1.5] }, OptionError, /options\.layers\[1\]: expected an integer ≥ 1, got 1\.5/],
  ['string units', { layers: [2, '3'] }, OptionError, /options\.layers\[1\]: expected an integer ≥ 1, got "3"/],
  ['unknown option', { layers: [2, 1], learningrate: 0.1 }, OptionError, /options\.learningrate: unknown option \(did you mean 'learningRate'\?\)/],
  ['misspelt activation', { layers: [2, 3, 1], activation: 'sigmod' }, OptionError, /options\.activation: expected one of .*got "sigmod" \(did you mean 'sigmoid'\?\)/],
  ['misspelt new activation', { layers: [2, 3, 1], activation: ['gelo'] }, OptionError, /options\.activation\[0\]: expected one of .*'gelu'.*got "gelo" \(did you mean 'gelu'\?\)/],
  ['misspelt output activation', { layers: [2, 1], outputActivation: 'softsing' }, OptionError, /options\.outputActivation: expected one of .*got "softsing" \(did you mean 'softsign'\?\)/],
  ['softmax in a hidden layer', { layers: [2, 3, 1], activation: 'softmax' }, OptionError, /options\.activation: expected one of 'sigmoid'.*got "softmax"/],
  ['activation list too short', { layers: [2, 3, 3, 1], activation: ['relu'] }, OptionError, /options\.activation: expected one activation per hidden layer \(2\), got an array of length 1/],
  ['crossEntropy without softmax', { layers: [2, 1], loss: 'crossEntropy' }, OptionError, /'crossEntropy' needs outputActivation 'softmax', got outputActivation 'sigmoid'/],
  ['binaryCrossEntropy without sigmoid', { layers: [2, 1], outputActivation: 'linear', loss: 'binaryCrossEntropy' }, OptionError, /'binaryCrossEntropy' needs outputActivation 'sigmoid'/],
  ['negative learning rate', { layers: [2, 1], learningRate: -0.1 }, OptionError, /options\.learningRate: expected a finite number > 0, got -0\.1/],
  ['NaN learning rate', { layers: [2, 1], learningRate: NaN }, OptionError, /options\.learningRate: .*got NaN/],
  ['bad reduction', { layers: [2, 1], reduction: 'avg' }, OptionError, /options\.reduction: expected one of 'mean', 'sum', got "avg"/],
  ['bias not boolean', { layers: [2, 1], bias: 1 }, OptionError, /options\.bias: expected true or false, got 1/],
  ['fractional seed', { layers: [2, 1], seed: 0.5 }, OptionError, /options\.seed: expected an integer, got 0\.5/],
  ['leakyReluAlpha ≥ 1', { layers: [2, 1], leakyReluAlpha: 2 }, OptionError, /options\.leakyReluAlpha: expected a number in \[0, 1\), got 2/],
  ['more parameters than wasm32 holds', { layers: [100000, 100000, 100000] }, OutOfMemoryError, /options\.layers: 20000200000 parameters.*4 GiB/],
];

describe('bad options get typed errors and allocate nothing', () => {
  it.each(badOptions)('%s', (_name, options, error, message) => {
    const { arena } = backend();
    const live = arena.liveBlocks;
    let caught: unknown;
    try { new Network(options as NetworkOptions); } catch (e) { caught = e; }
    expect(caught).toBeInstanceOf(error);
    expect((caught as Error).message).toMatch(message);
    expect(arena.liveBlocks).toBe(live);
  });
});

describe('memory', () => {
  it('a batch too large for wasm32 is a typed error, not a trap, and the network still works', () => {
    const net = new Network({ layers: [1, 1_000_000], bias: false });
    const w = net.getWeights()[0]!.weights.slice(0, 10);
    expect(() => net.predict(new Float32Array(1024))).toThrow(OutOfMemoryError);
    expect(() => net.predict(new Float32Array(1024))).toThrow(/x: a batch of 1024 rows needs \d+ bytes/);
    expect(net.getWeights()[0]!.weights.slice(0, 10)).toEqual(w);
    expect(net.predict([0.5])).toHaveLength(1_000_000);
    net.dispose();
  });

  it('training allocates once: 1,000 steps leave memory size and live blocks unchanged', () => {
    const { arena } = backend();
    const net = new Network({ layers: [8, 16, 4], outputActivation: 'softmax' });
    const x = new Float32Array(32 * 8).map((_, i) => Math.cos(i));
    const y = new Float32Array(32 * 4).map((_, i) => (i % 4 === Math.floor(i / 4) % 4 ? 1 : 0));
    net.trainBatch(x, y);
    const blocks = arena.liveBlocks, bytes = arena.memoryBytes, used = arena.bytesInUse;
    for (let i = 0; i < 1000; i++) net.trainBatch(x, y);
    expect([arena.liveBlocks, arena.memoryBytes, arena.bytesInUse]).toEqual([blocks, bytes, used]);
    // a larger batch re-plans once (same number of blocks, more bytes), then stays put
    const x2 = new Float32Array(64 * 8).fill(0.1), y2 = new Float32Array(64 * 4).map((_, i) => (i % 4 === 0 ? 1 : 0));
    net.trainBatch(x2, y2);
    const blocks2 = arena.liveBlocks, used2 = arena.bytesInUse;
    expect(blocks2).toBe(blocks);
    expect(used2).toBeGreaterThan(used);
    for (let i = 0; i < 100; i++) { net.trainBatch(x2, y2); net.trainBatch(x, y); }
    expect([arena.liveBlocks, arena.bytesInUse]).toEqual([blocks2, used2]);
    net.dispose();
  });

  it('dispose() returns every block; 500 create → train → dispose cycles do not grow memory', () => {
    const { arena } = backend();
    const cycle = (): void => {
      const net = new Network({ layers: [16, 32, 8], activation: 'relu', outputActivation: 'softmax' });
      net.trainBatch(new Float32Array(10 * 16).fill(0.5), new Float32Array(10 * 8).map((_, i) => (i % 8 === 0 ? 1 : 0)));
      net.dispose();
    };
    cycle();
    const blocks = arena.liveBlocks, bytes = arena.memoryBytes, used = arena.bytesInUse;
    for (let i = 0; i < 500; i++) cycle();
    expect([arena.liveBlocks, arena.memoryBytes, arena.bytesInUse]).toEqual([blocks, bytes, used]);
  });

  it('a disposed network throws DisposedError from every method; dispose twice is fine', () => {
    const net = new Network(base);
    net.dispose();
    net.dispose();
    expect(net.isDisposed).toBe(true);
    for (const f of [() => net.predict([1, 2]), () => net.trainBatch([1, 2], [0, 1]), () => net.gradients([1, 2], [0, 1]), () => net.getWeights(), () => net.setWeights([]), () => net.trace([1, 2])]) {
      expect(f).toThrow(DisposedError);
    }
  });
});

describe('summary()', () => {
  it('lists the layers with their parameters and the totals (784·128 + 128 = 100,480; 128·10 + 10 = 1,290)', () => {
    const net = new Network({ layers: [784, 128, 10], activation: 'relu', outputActivation: 'softmax' });
    expect(net.summary()).toBe([
      '#  layer  activation  output  trainable  non-trainable',
      '-  -----  ----------  ------  ---------  -------------',
      '0  input                 784',
      '1  dense  relu           128    100,480              0',
      '2  dense  softmax         10      1,290              0',
      'parameters: 101,770 (trainable 101,770, non-trainable 0)',
    ].join('\n'));
    net.dispose();
    expect(() => net.summary()).toThrow(DisposedError);
  });

  it('counts no biases without them (2·4 + 4·3 + 3·2 = 26) and one activation per hidden layer', () => {
    const net = new Network({ layers: [2, 4, 3, 2], activation: ['tanh', 'relu'], bias: false });
    const text = net.summary();
    expect(text.split('\n').slice(2, 5).map((r) => r.split(/\s+/).slice(0, 5))).toEqual([
      ['0', 'input', '2'], ['1', 'dense', 'tanh', '4', '8'], ['2', 'dense', 'relu', '3', '12'],
    ]);
    expect(text.endsWith('parameters: 26 (trainable 26, non-trainable 0)')).toBe(true);
    expect(net.parameterCount).toBe(26);
    net.dispose();
  });
});
