// The bad-input catalogue: one table, one row per bad call, covering every public entry point
// (Network options, predict, trace, gradients, trainBatch, fit, evaluate, setWeights, toJSON/
// fromJSON, save/load). Every row asserts the same four things:
//   1. the error class (always a WasmlpError subclass, never a raw WebAssembly.RuntimeError),
//   2. that the message names the argument (`arg`) and the offending value (`value`),
//   3. that the network's weights, optimizer state and shuffle state are unchanged (toJSON before
//      and after, bit for bit: the fixture was trained first so its optimizer state is non-zero),
//   4. that nothing was left allocated in wasm memory (no more live blocks or bytes than before).
// Rows for entry points that build a network (options, fromJSON, load) use a bystander network for 3.
// The brain.js facade (wasmlp/brain, src/brain/index.ts) has rows too, on a trained NeuralNetwork whose
// toJSON() must be unchanged. The `wasmlp` command (src/cli/main.ts, run in-process) has rows too: for it, 1 is exit code 2 with
// one line on stderr (never an "internal error"), and 3 is that its model file is unchanged byte for
// byte and no output file appeared. (tests/cli.test.ts has 35 more, through a child process.)
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ArgumentTypeError, DisposedError, DomainError, FormatError, Network, NonFiniteError, OptionError, OutOfMemoryError, ShapeError, WasmlpError, type NetworkOptions } from '../src/index.js';
import { backend } from '../src/internal.js';
import { NeuralNetwork } from '../src/brain/index.js';
import { main as cliMain } from '../src/cli/main.js';
import { ROOT, b64, buildWasmlp, parseWasmlp } from './reliability.js';
import { FileError } from '../src/index.js';

type Kind = 'mse' | 'softmax' | 'bce' | 'wide' | 'sparse' | 'poisson';
type ErrorClass = new (...a: never[]) => WasmlpError;

interface Row {
  /** The entry point. */
  entry: string;
  /** What is wrong. */
  name: string;
  /** The fixture network the call is made on (default 'mse'). */
  net?: Kind;
  run?: (net: Network) => unknown;
  /** For the brain.js facade: the call, made on a trained NeuralNetwork. */
  brain?: (b: NeuralNetwork) => unknown;
  /** The error class, or 'exit 2' for the command line. */
  error: ErrorClass | 'exit 2';
  /** Must appear in the message: the argument's name … */
  arg: string;
  /** … and the offending value as printed. */
  value: string | RegExp;
}

// ************* fixtures *************

const FIXTURES: Record<Kind, NetworkOptions> = {
  mse: { layers: [2, 3, 2], activation: 'tanh', outputActivation: 'sigmoid', optimizer: 'adam', seed: 7 },
  softmax: { layers: [2, 3, 2], activation: 'relu', outputActivation: 'softmax', optimizer: { type: 'sgd', momentum: 0.9 }, seed: 8 },
  bce: { layers: [2, 3, 2], outputActivation: 'sigmoid', loss: 'binaryCrossEntropy', optimizer: 'rmsprop', seed: 9 },
  wide: { layers: [1, 1_000_000], bias: false, seed: 10 },
  sparse: { layers: [2, 3, 2], activation: 'relu', outputActivation: 'softmax', loss: 'sparseCrossEntropy', optimizer: 'adam', seed: 11 },
  poisson: { layers: [2, 3, 2], activation: 'tanh', outputActivation: 'relu', loss: 'poisson', optimizer: 'adam', seed: 12 },
};
const X8 = Array.from({ length: 8 }, (_, i) => [Math.sin(i), Math.cos(i)]);
const Y8 = Array.from({ length: 8 }, (_, i) => (i % 2 ? [1, 0] : [0, 1]));
const C8 = Y8.map((r) => r.indexOf(1)); // Y8 as class indices (sparseCrossEntropy)

/** A fixture network, trained a few steps on 8 rows (so its optimizer state is non-zero and its batch buffers hold 8 rows). */
async function fixture(kind: Kind): Promise<Network> {
  const net = new Network(FIXTURES[kind]);
  if (kind === 'wide') net.trainBatch([0.5], new Float32Array(1_000_000).fill(0.25));
  else await net.fit(X8, kind === 'sparse' ? C8 : Y8, { epochs: 2, batchSize: 4 });
  return net;
}

const XOR = [{ input: [0, 0], output: [0] }, { input: [0, 1], output: [1] }, { input: [1, 0], output: [1] }, { input: [1, 1], output: [0] }];
function brainFixture(): NeuralNetwork {
  const b = new NeuralNetwork({ hiddenLayers: [3] });
  b.train(XOR, { iterations: 20 });
  return b;
}

// ************* the command line, in-process *************

/** A `wasmlp` run that failed: its exit code and stderr. */
class CliExit extends Error {
  constructor(readonly code: number, readonly stderr: string) { super(stderr); }
}
const IRIS = join(ROOT, 'examples', 'iris.csv');

/** Runs `wasmlp ...argv` in this process; resolves on exit code 0, otherwise throws CliExit. */
async function cli(argv: string[]): Promise<string> {
  let out = '', err = '';
  const ow = process.stdout.write, ew = process.stderr.write, log = console.log, error = console.error;
  process.stdout.write = ((c: string | Uint8Array) => { out += String(c); return true; }) as typeof process.stdout.write;
  process.stderr.write = ((c: string | Uint8Array) => { err += String(c); return true; }) as typeof process.stderr.write;
  console.log = (...a: unknown[]) => { out += a.join(' ') + '\n'; };
  console.error = (...a: unknown[]) => { err += a.join(' ') + '\n'; };
  let code: number;
  try { code = await cliMain(argv); } finally { process.stdout.write = ow; process.stderr.write = ew; console.log = log; console.error = error; }
  if (code !== 0) throw new CliExit(code, err);
  return out;
}

// ************* files for load (written in beforeAll) *************

let dir = '';
const file = (name: string): string => join(dir, name);
let goodJSON: Record<string, unknown>;
const json = (edit: (j: Record<string, unknown> & { options: Record<string, unknown>; layers: Record<string, unknown>[]; optimizer: Record<string, unknown> }) => void): unknown => {
  const j = structuredClone(goodJSON) as Parameters<typeof edit>[0];
  edit(j);
  return j;
};

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'wasmlp-catalogue-'));
  const net = await fixture('mse');
  goodJSON = net.toJSON() as unknown as Record<string, unknown>;
  await net.save(file('good.wasmlp'));
  net.dispose();
  const good = await readFile(file('good.wasmlp'));
  const f = parseWasmlp(good);
  const writes: [string, Uint8Array | string][] = [
    ['truncated.wasmlp', good.subarray(0, good.length - 9)],
    ['short.wasmlp', good.subarray(0, 10)],
    ['flipped.wasmlp', (() => { const b = Buffer.from(good); b[f.start + 5]! ^= 0x40; return b; })()],
    ['hostile.wasmlp', (() => {
      const h = structuredClone(f.header) as Record<string, unknown> & { options: Record<string, unknown> };
      h.options.layers = [1_000_000_000, 1]; h.options.activation = [];
      h.layers = [{ type: 'dense', rows: 1, cols: 1_000_000_000 }];
      h.payloadFloats = 3 * 1_000_000_001;
      return buildWasmlp(h, f.payload);
    })()],
    ['big.wasmlp', (() => {
      // within wasm32, consistent header, but the payload is far shorter than it claims
      const h = structuredClone(f.header) as Record<string, unknown> & { options: Record<string, unknown> };
      h.options.layers = [100_000_000, 1]; h.options.activation = [];
      h.layers = [{ type: 'dense', rows: 1, cols: 100_000_000 }];
      h.payloadFloats = 3 * 100_000_001;
      return buildWasmlp(h, f.payload);
    })()],
    ['hlen.wasmlp', (() => { const b = Buffer.from(good); b.writeUInt32LE(0x7fffffff, 8); return b; })()],
    ['version3.wasmlp', (() => { const b = Buffer.from(good); b.writeUInt16LE(3, 6); return b; })()],
    ['nan.wasmlp', (() => { const p = Buffer.from(f.payload); p.writeFloatLE(NaN, 8); return buildWasmlp(f.header, p); })()],
    ['extra-header.wasmlp', buildWasmlp({ ...f.header, extra: true }, f.payload)],
    ['random.wasmlp', Buffer.concat([Buffer.from('WASMLP'), Buffer.from(Array.from({ length: 200 }, (_, i) => (i * 37 + 11) & 0xff))])],
    ['missing.json', JSON.stringify(json((j) => { delete (j as Record<string, unknown>).optimizer; }))],
    ['garbage.json', '{"format":"wasmlp", "version": 1, "layers": ['],
    ['elf.bin', Buffer.from([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1, 0, 0, 0])],
    ['header-only.csv', 'a,b,label\n'],
    ['nan.csv', 'a,b,label\n1,2,x\n3,NaN,y\n'],
    ['cli-truncated.json', '{"format":"wasmlp-cli","network":{"format":"wasmlp"'],
  ];
  for (const [name, data] of writes) await writeFile(file(name), data);
  await cli(['train', '--data', IRIS, '--target', 'species', '--epochs', '1', '--seed', '1', '--out', file('cli-model.json')]);
});

afterAll(async () => { if (dir) await rm(dir, { recursive: true, force: true }); });

// ************* the catalogue *************

const u = (v: unknown): never => v as never; // for calls the type checker would (rightly) refuse

const rows: Row[] = [
  // --- new Network(options) ---
  { entry: 'new Network', name: 'options missing', run: () => new Network(u(undefined)), error: ArgumentTypeError, arg: 'options', value: 'got undefined' },
  { entry: 'new Network', name: 'options null', run: () => new Network(u(null)), error: ArgumentTypeError, arg: 'options', value: 'got null' },
  { entry: 'new Network', name: 'unknown option, with a suggestion', run: () => new Network(u({ layers: [2, 1], learningrate: 0.1 })), error: OptionError, arg: 'options.learningrate', value: "did you mean 'learningRate'?" },
  { entry: 'new Network', name: 'unknown optimizer setting, with a suggestion', run: () => new Network(u({ layers: [2, 1], optimizer: { type: 'adam', beta: 0.9 } })), error: OptionError, arg: 'options.optimizer.beta', value: "did you mean 'beta1'?" },
  { entry: 'new Network', name: 'misspelt activation, with a suggestion', run: () => new Network(u({ layers: [2, 3, 1], activation: 'sigmod' })), error: OptionError, arg: 'options.activation', value: `got "sigmod" (did you mean 'sigmoid'?)` },
  { entry: 'new Network', name: 'zero layers', run: () => new Network({ layers: [] }), error: OptionError, arg: 'options.layers', value: 'got 0' },
  { entry: 'new Network', name: '0 units', run: () => new Network({ layers: [2, 0, 1] }), error: OptionError, arg: 'options.layers[1]', value: 'got 0' },
  { entry: 'new Network', name: 'units as a string', run: () => new Network(u({ layers: [2, '3'] })), error: OptionError, arg: 'options.layers[1]', value: 'got "3"' },
  { entry: 'new Network', name: 'layers as a nested object', run: () => new Network(u({ layers: { sizes: [2, 1] } })), error: OptionError, arg: 'options.layers', value: 'got an object (Object)' },
  { entry: 'new Network', name: 'negative learning rate', run: () => new Network({ layers: [2, 1], learningRate: -0.1 }), error: OptionError, arg: 'options.learningRate', value: 'got -0.1' },
  { entry: 'new Network', name: 'Infinity learning rate', run: () => new Network({ layers: [2, 1], learningRate: Infinity }), error: OptionError, arg: 'options.learningRate', value: 'got Infinity' },
  { entry: 'new Network', name: 'optimizer setting as a nested object', run: () => new Network(u({ layers: [2, 1], optimizer: { type: 'adam', beta1: { value: 0.9 } } })), error: OptionError, arg: 'options.optimizer.beta1', value: 'got an object (Object)' },
  { entry: 'new Network', name: 'crossEntropy without softmax', run: () => new Network({ layers: [2, 1], loss: 'crossEntropy' }), error: OptionError, arg: 'options.loss', value: "got outputActivation 'sigmoid'" },
  { entry: 'new Network', name: 'poisson with a linear output (log needs outputs ≥ 0)', run: () => new Network({ layers: [2, 1], outputActivation: 'linear', loss: 'poisson' }), error: OptionError, arg: 'options.loss', value: "got outputActivation 'linear'" },
  { entry: 'new Network', name: 'sparseCrossEntropy without softmax', run: () => new Network({ layers: [2, 2], loss: 'sparseCrossEntropy' }), error: OptionError, arg: 'options.loss', value: "got outputActivation 'sigmoid'" },
  { entry: 'new Network', name: 'more parameters than wasm32 holds', run: () => new Network({ layers: [100_000, 100_000, 100_000] }), error: OutOfMemoryError, arg: 'options.layers', value: '20000200000 parameters' },
  // layer lists (tests/layers.test.ts has the semantics)
  // 'batchNorm' is 9 edits from 'batchNormalization', beyond suggest()'s typo rule: the layer types also suggest the type a shortening starts
  { entry: 'new Network', name: "layer type 'batchNorm' (a shortening), with a suggestion", run: () => new Network(u({ layers: [2, 3, { type: 'batchNorm' }, 2] })), error: OptionError, arg: 'options.layers[2].type', value: `got "batchNorm" (did you mean 'batchNormalization'?)` },
  { entry: 'new Network', name: "layer type 'batchNormalisation', with a suggestion", run: () => new Network(u({ layers: [2, 3, { type: 'batchNormalisation' }, 2] })), error: OptionError, arg: 'options.layers[2].type', value: `got "batchNormalisation" (did you mean 'batchNormalization'?)` },
  { entry: 'new Network', name: "dense option 'unit', with a suggestion", run: () => new Network(u({ layers: [2, { type: 'dense', unit: 3 }, 2] })), error: OptionError, arg: 'options.layers[1].unit', value: "did you mean 'units'?" },
  { entry: 'new Network', name: 'dropout rate 1', run: () => new Network({ layers: [2, 3, { type: 'dropout', rate: 1 }, 2] }), error: OptionError, arg: 'options.layers[2].rate', value: 'got 1' },
  { entry: 'new Network', name: 'dropout rate -0.1', run: () => new Network({ layers: [2, 3, { type: 'dropout', rate: -0.1 }, 2] }), error: OptionError, arg: 'options.layers[2].rate', value: 'got -0.1' },
  { entry: 'new Network', name: 'dropout rate missing', run: () => new Network(u({ layers: [2, 3, { type: 'dropout' }, 2] })), error: OptionError, arg: 'options.layers[2].rate', value: 'got undefined' },
  { entry: 'new Network', name: 'a normalization layer first', run: () => new Network({ layers: [2, { type: 'layerNormalization' }, 2] }), error: OptionError, arg: 'options.layers[1]', value: 'a layerNormalization layer cannot come first' },
  { entry: 'new Network', name: 'last layer not dense', run: () => new Network(u({ layers: [2, 3, { type: 'dropout', rate: 0.1 }] })), error: OptionError, arg: 'options.layers[2]', value: 'got a dropout layer' },
  { entry: 'new Network', name: 'softmax on a hidden dense layer', run: () => new Network({ layers: [2, { type: 'dense', units: 3, activation: 'softmax' }, 2] }), error: OptionError, arg: 'options.layers[1].activation', value: "'softmax'" },
  { entry: 'new Network', name: 'batch normalization momentum 1.5', run: () => new Network({ layers: [2, 3, { type: 'batchNormalization', momentum: 1.5 }, 2] }), error: OptionError, arg: 'options.layers[2].momentum', value: 'got 1.5' },
  { entry: 'new Network', name: 'batch normalization epsilon 0', run: () => new Network({ layers: [2, 3, { type: 'batchNormalization', epsilon: 0 }, 2] }), error: OptionError, arg: 'options.layers[2].epsilon', value: 'got 0' },
  { entry: 'new Network', name: 'negative l2', run: () => new Network({ layers: [2, { type: 'dense', units: 3, l2: -0.01 }, 2] }), error: OptionError, arg: 'options.layers[1].l2', value: 'got -0.01' },
  { entry: 'new Network', name: "outputActivation contradicting the last layer's activation", run: () => new Network({ layers: [2, 3, { type: 'dense', units: 2, activation: 'softmax' }], outputActivation: 'sigmoid' }), error: OptionError, arg: 'options.outputActivation', value: "'sigmoid' contradicts options.layers[2].activation 'softmax'" },
  // learning-rate schedules and clipping (tests/schedules.test.ts and tests/clipping.test.ts have the semantics)
  { entry: 'new Network', name: 'schedule decaySteps 0', run: () => new Network({ layers: [2, 1], optimizer: { type: 'sgd', learningRate: { type: 'exponential', initial: 0.1, decaySteps: 0, decayRate: 0.9 } } }), error: OptionError, arg: 'options.optimizer.learningRate.decaySteps', value: 'expected an integer ≥ 1, got 0' },
  { entry: 'new Network', name: 'misspelt schedule type, with a suggestion', run: () => new Network(u({ layers: [2, 1], optimizer: { type: 'adam', learningRate: { type: 'cosin', initial: 0.1, decaySteps: 10 } } })), error: OptionError, arg: 'options.optimizer.learningRate.type', value: `got "cosin" (did you mean 'cosine'?)` },
  { entry: 'new Network', name: "Keras's schedule class name as the shorthand's type, with a suggestion", run: () => new Network(u({ layers: [2, 1], learningRate: { type: 'ExponentialDecay', initial: 0.1, decaySteps: 10, decayRate: 0.9 } })), error: OptionError, arg: 'options.learningRate.type', value: "did you mean 'exponential'?" },
  { entry: 'new Network', name: 'unknown schedule setting, with a suggestion', run: () => new Network(u({ layers: [2, 1], learningRate: { type: 'inverseTime', initial: 0.1, decay_steps: 10, decayRate: 0.5 } })), error: OptionError, arg: 'options.learningRate.decay_steps', value: "did you mean 'decaySteps'?" },
  { entry: 'new Network', name: 'piecewise schedule with one value too few', run: () => new Network({ layers: [2, 1], optimizer: { type: 'sgd', learningRate: { type: 'piecewise', boundaries: [10, 20], values: [0.1, 0.01] } } }), error: OptionError, arg: 'options.optimizer.learningRate.values', value: 'expected 3 values (one more than the 2 boundaries), got an array of length 2' },
  { entry: 'new Network', name: 'piecewise boundaries not increasing', run: () => new Network({ layers: [2, 1], optimizer: { type: 'sgd', learningRate: { type: 'piecewise', boundaries: [5, 5], values: [0.1, 0.05, 0.01] } } }), error: OptionError, arg: 'options.optimizer.learningRate.boundaries[1]', value: 'got 5 after 5' },
  { entry: 'new Network', name: 'cosine alpha 1.5', run: () => new Network({ layers: [2, 1], optimizer: { type: 'rmsprop', learningRate: { type: 'cosine', initial: 0.1, decaySteps: 10, alpha: 1.5 } } }), error: OptionError, arg: 'options.optimizer.learningRate.alpha', value: 'got 1.5' },
  { entry: 'new Network', name: 'learning rate a string', run: () => new Network(u({ layers: [2, 1], learningRate: '0.1' })), error: OptionError, arg: 'options.learningRate', value: 'got "0.1"' },
  { entry: 'new Network', name: 'negative clipNorm', run: () => new Network({ layers: [2, 1], optimizer: { type: 'adam', clipNorm: -1 } }), error: OptionError, arg: 'options.optimizer.clipNorm', value: 'got -1' },
  { entry: 'new Network', name: 'clipNorm and globalClipNorm both', run: () => new Network({ layers: [2, 1], optimizer: { type: 'sgd', clipNorm: 1, globalClipNorm: 1 } }), error: OptionError, arg: 'options.optimizer.globalClipNorm', value: 'set at most one of clipNorm (1) and globalClipNorm (1)' },
  { entry: 'new Network', name: "Keras's clipnorm spelling, with a suggestion", run: () => new Network(u({ layers: [2, 1], optimizer: { type: 'adamw', clipnorm: 1 } })), error: OptionError, arg: 'options.optimizer.clipnorm', value: "did you mean 'clipNorm'?" },

  // --- predict / trace ---
  { entry: 'predict', name: 'wrong sample length', run: (n) => n.predict([1, 2, 3]), error: ShapeError, arg: 'x', value: 'got an array of length 3' },
  { entry: 'predict', name: 'ragged number[][]', run: (n) => n.predict([[1, 2], [3]]), error: ShapeError, arg: 'x[1]', value: 'got an array of length 1' },
  { entry: 'predict', name: 'NaN in number[][]', run: (n) => n.predict([[1, 2], [NaN, 0]]), error: NonFiniteError, arg: 'x[1][0]', value: 'got NaN' },
  { entry: 'predict', name: 'Infinity in a Float32Array (checked in wasm)', run: (n) => n.predict(new Float32Array([1, 2, 3, Infinity])), error: NonFiniteError, arg: 'x', value: 'got Infinity at row 1, column 1' },
  { entry: 'predict', name: '-Infinity in a Float64Array', run: (n) => n.predict(u(new Float64Array([-Infinity, 2]))), error: NonFiniteError, arg: 'x', value: 'got -Infinity at row 0, column 0' },
  { entry: 'predict', name: 'beyond float32 range', run: (n) => n.predict([1e39, 0]), error: NonFiniteError, arg: 'x[0]', value: '1e+39' },
  { entry: 'predict', name: 'a string entry', run: (n) => n.predict(u([1, '2'])), error: ArgumentTypeError, arg: 'x[1]', value: 'got "2"' },
  { entry: 'predict', name: 'null', run: (n) => n.predict(u(null)), error: ArgumentTypeError, arg: 'x', value: 'got null' },
  { entry: 'predict', name: 'a nested object', run: (n) => n.predict(u({ a: { b: 1 } })), error: ArgumentTypeError, arg: 'x', value: 'got an object (Object)' },
  { entry: 'predict', name: 'rows nested one level too deep', run: (n) => n.predict(u([[[1, 2], [3, 4]]])), error: ArgumentTypeError, arg: 'x[0][0]', value: 'got an array of length 2' },
  { entry: 'predict', name: 'empty array', run: (n) => n.predict([]), error: ShapeError, arg: 'x', value: 'got an empty array' },
  { entry: 'predict', name: 'Float32Array not a multiple of the width', run: (n) => n.predict(new Float32Array(5)), error: ShapeError, arg: 'x', value: 'Float32Array of length 5' },
  { entry: 'predict', name: 'a { data, rows, cols } whose rows disagree with data', run: (n) => n.predict({ data: new Float32Array(4), rows: 3, cols: 2 }), error: ShapeError, arg: 'x.data', value: 'got 4' },
  { entry: 'predict', name: 'a batch beyond wasm32 memory', net: 'wide', run: (n) => n.predict(new Float32Array(1024)), error: OutOfMemoryError, arg: 'x', value: 'a batch of 1024 rows' },
  { entry: 'trace', name: 'a row of nulls', run: (n) => n.trace(u([[1, 2], [null, 1]])), error: ArgumentTypeError, arg: 'x[1][0]', value: 'got null' },
  { entry: 'trace', name: "options typo 'trainng', with a suggestion", run: (n) => n.trace([1, 2], u({ trainng: true })), error: OptionError, arg: 'trace options.trainng', value: "did you mean 'training'?" },
  { entry: 'trace', name: 'options.training not a boolean', run: (n) => n.trace([1, 2], u({ training: 'yes' })), error: ArgumentTypeError, arg: 'trace options.training', value: 'got "yes"' },

  // --- gradients ---
  { entry: 'gradients', name: 'y missing', run: (n) => n.gradients([1, 2], u(undefined)), error: ArgumentTypeError, arg: 'y', value: 'got undefined' },
  { entry: 'gradients', name: 'row counts of x and y differ', run: (n) => n.gradients([[1, 2], [3, 4]], [[1, 0]]), error: ShapeError, arg: 'y', value: 'got 1' },
  { entry: 'gradients', name: 'crossEntropy target not a distribution', net: 'softmax', run: (n) => n.gradients([1, 2], [1, 1]), error: DomainError, arg: 'y', value: 'a sum of 2 at row 0' },
  { entry: 'gradients', name: 'NaN in a Float32Array x', run: (n) => n.gradients(new Float32Array([1, 2, NaN, 4]), new Float32Array(4)), error: NonFiniteError, arg: 'x', value: 'got NaN at row 1, column 0' },
  { entry: 'gradients', name: "options typo 'sampleWeights', with a suggestion", run: (n) => n.gradients(X8, Y8, u({ sampleWeights: new Array(8).fill(1) })), error: OptionError, arg: 'gradients options.sampleWeights', value: "did you mean 'sampleWeight'?" },
  { entry: 'gradients', name: 'a negative class weight', net: 'sparse', run: (n) => n.gradients(X8, C8, { classWeight: { 1: -2 } }), error: DomainError, arg: 'gradients options.classWeight[1]', value: 'got -2' },

  // --- trainBatch ---
  { entry: 'trainBatch', name: 'NaN target', run: (n) => n.trainBatch([1, 2], [0, NaN]), error: NonFiniteError, arg: 'y[1]', value: 'got NaN' },
  { entry: 'trainBatch', name: '-Infinity input', run: (n) => n.trainBatch([1, -Infinity], [0, 1]), error: NonFiniteError, arg: 'x[1]', value: 'got -Infinity' },
  { entry: 'trainBatch', name: 'Infinity target in a Float32Array (after x was staged)', run: (n) => n.trainBatch(new Float32Array([1, 2]), new Float32Array([0, Infinity])), error: NonFiniteError, arg: 'y', value: 'got Infinity at row 0, column 1' },
  { entry: 'trainBatch', name: 'y row of the wrong width', run: (n) => n.trainBatch([[1, 2]], [[1, 0, 0]]), error: ShapeError, arg: 'y[0]', value: 'got an array of length 3' },
  { entry: 'trainBatch', name: 'negative crossEntropy target', net: 'softmax', run: (n) => n.trainBatch([1, 2], [-0.5, 1.5]), error: DomainError, arg: 'y', value: 'got -0.5 at row 0, column 0' },
  { entry: 'trainBatch', name: 'crossEntropy target not one-hot (second row)', net: 'softmax', run: (n) => n.trainBatch([[1, 2], [3, 4]], [[0, 1], [0, 0]]), error: DomainError, arg: 'y', value: 'a sum of 0 at row 1' },
  { entry: 'trainBatch', name: 'binaryCrossEntropy target above 1', net: 'bce', run: (n) => n.trainBatch([1, 2], [0, 2]), error: DomainError, arg: 'y', value: 'got 2 at row 0, column 1' },
  { entry: 'trainBatch', name: 'poisson target below 0', net: 'poisson', run: (n) => n.trainBatch([[1, 2], [3, 4]], [[1, 0], [0, -2]]), error: DomainError, arg: 'y', value: 'got -2 at row 1, column 1' },
  { entry: 'trainBatch', name: 'sparseCrossEntropy given number[][] (one-hot rows)', net: 'sparse', run: (n) => n.trainBatch([[1, 2], [3, 4]], u([[0, 1], [1, 0]])), error: ShapeError, arg: 'y', value: "got number[][] (rows of targets; for one-hot or probability rows use loss 'crossEntropy')" },
  { entry: 'trainBatch', name: 'sparseCrossEntropy class index ≥ the output size', net: 'sparse', run: (n) => n.trainBatch([[1, 2], [3, 4]], [1, 2]), error: DomainError, arg: 'y', value: 'integers in [0, 2) (the output size), got 2 at row 1' },
  { entry: 'trainBatch', name: 'sparseCrossEntropy negative class in an Int32Array', net: 'sparse', run: (n) => n.trainBatch([[1, 2], [3, 4]], Int32Array.from([-1, 0])), error: DomainError, arg: 'y', value: 'got -1 at row 0' },
  { entry: 'trainBatch', name: 'sampleWeight of the wrong length', run: (n) => n.trainBatch(X8, Y8, { sampleWeight: [1, 2, 3] }), error: ShapeError, arg: 'trainBatch options.sampleWeight', value: 'expected 8 weights (one per row of x), got an array of length 3' },
  { entry: 'trainBatch', name: 'a negative sample weight', run: (n) => n.trainBatch([[1, 2], [3, 4]], [[0, 1], [1, 0]], { sampleWeight: [1, -1] }), error: DomainError, arg: 'trainBatch options.sampleWeight[1]', value: 'got -1' },
  { entry: 'trainBatch', name: 'a NaN sample weight in a Float32Array', run: (n) => n.trainBatch([[1, 2], [3, 4]], [[0, 1], [1, 0]], { sampleWeight: new Float32Array([NaN, 1]) }), error: NonFiniteError, arg: 'trainBatch options.sampleWeight[0]', value: 'got NaN' },
  { entry: 'trainBatch', name: 'classWeight on 2 sigmoid outputs (multi-label)', run: (n) => n.trainBatch(X8, Y8, { classWeight: [1, 2] }), error: OptionError, arg: 'trainBatch options.classWeight', value: '2 sigmoid outputs (multi-label' },
  { entry: 'trainBatch', name: 'classWeight on relu outputs (a regression)', net: 'poisson', run: (n) => n.trainBatch(X8, Y8, { classWeight: { 0: 2 } }), error: OptionError, arg: 'trainBatch options.classWeight', value: '2 relu outputs (a regression has no classes)' },
  { entry: 'trainBatch', name: 'a class key beyond the classes', net: 'softmax', run: (n) => n.trainBatch(X8, Y8, { classWeight: { 2: 5 } }), error: DomainError, arg: 'trainBatch options.classWeight["2"]', value: 'in [0, 2) (the 2 softmax outputs), got "2"' },
  { entry: 'trainBatch', name: 'sparseCrossEntropy class indices in a Float32Array', net: 'sparse', run: (n) => n.trainBatch([[1, 2], [3, 4]], new Float32Array([1, 0])), error: ArgumentTypeError, arg: 'y', value: 'a number[], an Int32Array or a Uint8Array, got a Float32Array of length 2' },
  { entry: 'trainBatch', name: 'y a string', run: (n) => n.trainBatch([1, 2], u('0,1')), error: ArgumentTypeError, arg: 'y', value: 'got "0,1"' },
  { entry: 'trainBatch', name: 'a learning-rate function returning NaN', run: () => { const m = new Network({ layers: [2, 2], learningRate: () => NaN }); try { return m.trainBatch([1, 2], [0, 1]); } finally { m.dispose(); } }, error: OptionError, arg: 'options.optimizer.learningRate', value: 'the schedule function returned NaN for step 0 (epoch 0)' },

  // --- fit ---
  { entry: 'fit', name: 'empty data', run: (n) => n.fit([], []), error: ShapeError, arg: 'x', value: 'got an empty array' },
  { entry: 'fit', name: 'ragged x', run: (n) => n.fit([[1, 2], [3, 4, 5]], [[0, 1], [1, 0]]), error: ShapeError, arg: 'x[1]', value: 'got an array of length 3' },
  { entry: 'fit', name: 'NaN in y (last row)', run: (n) => n.fit(X8, [...Y8.slice(0, 7), [0, NaN]]), error: NonFiniteError, arg: 'y[7][1]', value: 'got NaN' },
  { entry: 'fit', name: 'crossEntropy targets outside the domain (row 5)', net: 'softmax', run: (n) => n.fit(X8, Y8.map((r, i) => (i === 5 ? [0.5, 0.2] : r))), error: DomainError, arg: 'y', value: 'a sum of 0.7 at row 5' },
  { entry: 'fit', name: 'sparseCrossEntropy: a class index that is not an integer (row 6)', net: 'sparse', run: (n) => n.fit(X8, C8.map((c, i) => (i === 6 ? 0.5 : c))), error: DomainError, arg: 'y', value: 'got 0.5 at row 6' },
  { entry: 'fit', name: 'sparseCrossEntropy: NaN class index', net: 'sparse', run: (n) => n.fit(X8, C8.map((c, i) => (i === 3 ? NaN : c))), error: NonFiniteError, arg: 'y', value: 'got NaN at row 3' },
  { entry: 'fit', name: 'sparseCrossEntropy: one class index too few', net: 'sparse', run: (n) => n.fit(X8, C8.slice(1)), error: ShapeError, arg: 'y', value: 'expected 8 class indices (one per sample of x), got 7' },
  { entry: 'fit', name: 'sparseCrossEntropy: validationData class out of range', net: 'sparse', run: (n) => n.fit(X8, C8, { validationData: [X8.slice(0, 2), Uint8Array.from([0, 7])] }), error: DomainError, arg: 'validationData[1]', value: 'got 7 at row 1' },
  { entry: 'fit', name: 'x and y row counts differ', run: (n) => n.fit(X8, Y8.slice(0, 7)), error: ShapeError, arg: 'y', value: 'got 7' },
  { entry: 'fit', name: 'unknown option, with a suggestion', run: (n) => n.fit(X8, Y8, u({ epoch: 3 })), error: OptionError, arg: 'fit options.epoch', value: "did you mean 'epochs'?" },
  { entry: 'fit', name: 'batch size 0', run: (n) => n.fit(X8, Y8, { batchSize: 0 }), error: OptionError, arg: 'fit options.batchSize', value: 'got 0' },
  { entry: 'fit', name: 'negative epochs', run: (n) => n.fit(X8, Y8, { epochs: -1 }), error: OptionError, arg: 'fit options.epochs', value: 'got -1' },
  { entry: 'fit', name: 'validationSplit out of range', run: (n) => n.fit(X8, Y8, { validationSplit: 1.5 }), error: OptionError, arg: 'fit options.validationSplit', value: 'got 1.5' },
  { entry: 'fit', name: 'validationData of the wrong width', run: (n) => n.fit(X8, Y8, { validationData: [[[1, 2, 3]], [[0, 1]]] }), error: ShapeError, arg: 'validationData[0][0]', value: 'got an array of length 3' },
  { entry: 'fit', name: 'onNaN misspelt', run: (n) => n.fit(X8, Y8, { onNaN: u('stpo') }), error: OptionError, arg: 'fit options.onNaN', value: `got "stpo" (did you mean 'stop'?)` },
  { entry: 'fit', name: 'options a string', run: (n) => n.fit(X8, Y8, u('fast')), error: ArgumentTypeError, arg: 'fit options', value: 'got "fast"' },
  { entry: 'fit', name: 'reduceLROnPlateau factor 1', run: (n) => n.fit(X8, Y8, { reduceLROnPlateau: { monitor: 'loss', factor: 1 } }), error: OptionError, arg: 'fit options.reduceLROnPlateau.factor', value: 'got 1' },
  { entry: 'fit', name: "reduceLROnPlateau with Keras's min_lr spelt minLr: the known settings listed", run: (n) => n.fit(X8, Y8, { reduceLROnPlateau: u({ monitor: 'loss', minLr: 0.1 }) }), error: OptionError, arg: 'fit options.reduceLROnPlateau.minLr', value: 'minLearningRate' },
  { entry: 'fit', name: "reduceLROnPlateau on 'valLoss' without validation data", run: (n) => n.fit(X8, Y8, { reduceLROnPlateau: {} }), error: OptionError, arg: 'fit options.reduceLROnPlateau.monitor', value: 'needs validationData' },
  { entry: 'fit', name: 'an unknown metric, with a suggestion', run: (n) => n.fit(X8, Y8, { metrics: ['accuracy', 'f1', u('precison')] }), error: OptionError, arg: 'fit options.metrics[2]', value: `"precison" (did you mean 'precision'?)` },
  // whether a metric applies to the outputs is checked before fit allocates anything (buffers, rollback block)
  { entry: 'fit', name: "metric 'auc' on 2 sigmoid outputs", run: (n) => n.fit(X8, Y8, { metrics: ['auc'] }), error: OptionError, arg: 'fit options.metrics[0]', value: '2 sigmoid outputs' },
  { entry: 'fit', name: "metric 'recall' on relu outputs", net: 'poisson', run: (n) => n.fit(X8, Y8, { metrics: ['mae', 'recall'] }), error: OptionError, arg: 'fit options.metrics[1]', value: "'recall' needs class outputs" },
  // training controls (tests/fit-controls.test.ts has the semantics); a checkpoint's folder is checked before the first step
  { entry: 'fit', name: 'checkpoint in a missing folder', run: (n) => n.fit(X8, Y8, { checkpoint: { path: file('no-such-folder/m.wasmlp'), saveBestOnly: false } }), error: FileError, arg: 'fit options.checkpoint.path', value: /no-such-folder" does not exist \(ENOENT\)$/ },
  { entry: 'fit', name: "checkpoint with Keras's save_best_only, with a suggestion", run: (n) => n.fit(X8, Y8, { checkpoint: u({ path: file('never.json'), save_best_only: true }) }), error: OptionError, arg: 'fit options.checkpoint.save_best_only', value: "did you mean 'saveBestOnly'?" },
  { entry: 'fit', name: 'checkpoint every without saveBestOnly false', run: (n) => n.fit(X8, Y8, { validationSplit: 0.25, checkpoint: { path: file('never.json'), every: 2 } }), error: OptionError, arg: 'fit options.checkpoint.every', value: '2 needs saveBestOnly: false' },
  { entry: 'fit', name: "checkpoint on 'valLoss' (the default) without validation data", run: (n) => n.fit(X8, Y8, { checkpoint: { path: file('never.json') } }), error: OptionError, arg: 'fit options.checkpoint.monitor', value: "'valLoss' (the default) needs validationData or validationSplit" },
  { entry: 'fit', name: "checkpoint monitor 'val_loss', with a suggestion", run: (n) => n.fit(X8, Y8, { checkpoint: { path: file('never.json'), monitor: u('val_loss') } }), error: OptionError, arg: 'fit options.checkpoint.monitor', value: `got "val_loss" (did you mean 'valLoss'?)` },
  { entry: 'fit', name: 'checkpoint path empty', run: (n) => n.fit(X8, Y8, { checkpoint: { path: '' } }), error: OptionError, arg: 'fit options.checkpoint.path', value: 'got ""' },
  { entry: 'fit', name: 'checkpoint a string', run: (n) => n.fit(X8, Y8, { checkpoint: u('model.json') }), error: OptionError, arg: 'fit options.checkpoint', value: 'got "model.json"' },
  { entry: 'fit', name: 'checkpoint of a network with a learning-rate function', run: async () => { const m = new Network({ layers: [2, 2], learningRate: () => 0.1 }); try { return await m.fit(X8, Y8, { checkpoint: { path: file('never.json'), saveBestOnly: false } }); } finally { m.dispose(); } }, error: OptionError, arg: 'fit options.checkpoint', value: 'a function schedule cannot be saved' },
  { entry: 'fit', name: 'earlyStopping restoreBestWeight misspelt, with a suggestion', run: (n) => n.fit(X8, Y8, { validationSplit: 0.25, earlyStopping: u({ restoreBestWeight: true }) }), error: OptionError, arg: 'fit options.earlyStopping.restoreBestWeight', value: "did you mean 'restoreBestWeights'?" },
  { entry: 'fit', name: 'earlyStopping restoreBestWeights a string', run: (n) => n.fit(X8, Y8, { validationSplit: 0.25, earlyStopping: { restoreBestWeights: u('yes') } }), error: OptionError, arg: 'fit options.earlyStopping.restoreBestWeights', value: 'got "yes"' },
  { entry: 'fit', name: 'initialEpoch past epochs', run: (n) => n.fit(X8, Y8, { epochs: 3, initialEpoch: 5 }), error: OptionError, arg: 'fit options.initialEpoch', value: '5 is past epochs 3' },
  { entry: 'fit', name: 'negative initialEpoch', run: (n) => n.fit(X8, Y8, { initialEpoch: -1 }), error: OptionError, arg: 'fit options.initialEpoch', value: 'expected an integer ≥ 0, got -1' },
  { entry: 'fit', name: 'verbose 1', run: (n) => n.fit(X8, Y8, { verbose: u(1) }), error: OptionError, arg: 'fit options.verbose', value: 'expected true or false, got 1' },

  // --- evaluate ---
  { entry: 'evaluate', name: 'NaN in x', run: (n) => n.evaluate([[NaN, 1]], [[0, 1]]), error: NonFiniteError, arg: 'x[0][0]', value: 'got NaN' },
  { entry: 'evaluate', name: 'y row counts differ', run: (n) => n.evaluate([[1, 2], [3, 4]], [[0, 1]]), error: ShapeError, arg: 'y', value: 'got 1' },
  { entry: 'evaluate', name: 'sparseCrossEntropy: a string class', net: 'sparse', run: (n) => n.evaluate([[1, 2], [3, 4]], u([0, '1'])), error: ArgumentTypeError, arg: 'y[1]', value: 'got "1"' },
  { entry: 'evaluate', name: 'sparseCrossEntropy: an empty array', net: 'sparse', run: (n) => n.evaluate([[1, 2]], []), error: ShapeError, arg: 'y', value: 'got an empty array' },
  { entry: 'evaluate', name: 'y an object', run: (n) => n.evaluate([1, 2], u({ y: [0, 1] })), error: ArgumentTypeError, arg: 'y', value: 'got an object (Object)' },
  { entry: 'evaluate', name: "options typo 'metric', with a suggestion", run: (n) => n.evaluate(X8, Y8, u({ metric: ['f1'] })), error: OptionError, arg: 'evaluate options.metric', value: "did you mean 'metrics'?" },
  { entry: 'evaluate', name: 'an unknown metric, with a suggestion', net: 'sparse', run: (n) => n.evaluate(X8, C8, { metrics: [u('acuracy')] }), error: OptionError, arg: 'evaluate options.metrics[0]', value: `"acuracy" (did you mean 'accuracy'?)` },
  { entry: 'evaluate', name: 'metrics not an array', run: (n) => n.evaluate(X8, Y8, { metrics: u('f1') }), error: OptionError, arg: 'evaluate options.metrics', value: 'got "f1"' },
  { entry: 'evaluate', name: 'an Infinity sample weight', run: (n) => n.evaluate(X8, Y8, { sampleWeight: [1, 1, 1, Infinity, 1, 1, 1, 1] }), error: NonFiniteError, arg: 'evaluate options.sampleWeight[3]', value: 'got Infinity' },
  { entry: 'evaluate', name: "options typo 'sampleWieght', with a suggestion", run: (n) => n.evaluate(X8, Y8, u({ sampleWieght: [1] })), error: OptionError, arg: 'evaluate options.sampleWieght', value: "did you mean 'sampleWeight'?" },
  { entry: 'evaluate', name: 'classWeight (a training option)', net: 'softmax', run: (n) => n.evaluate(X8, Y8, u({ classWeight: [1, 2] })), error: OptionError, arg: 'evaluate options.classWeight', value: 'class weights are a training option' },

  // --- setWeights ---
  { entry: 'setWeights', name: 'wrong layer count', run: (n) => n.setWeights([]), error: ShapeError, arg: 'layers', value: 'got 0' },
  { entry: 'setWeights', name: 'NaN in the second layer (the first valid: nothing is written)', run: (n) => n.setWeights([{ weights: [[9, 9], [9, 9], [9, 9]], bias: [9, 9, 9] }, { weights: [[1, 2, 3], [4, NaN, 6]], bias: [0, 0] }]), error: NonFiniteError, arg: 'layers[1].weights[1][1]', value: 'got NaN' },
  { entry: 'setWeights', name: 'wrong matrix shape', run: (n) => n.setWeights([{ weights: [[1, 2]], bias: [0, 0, 0] }, { weights: [[1, 2, 3], [4, 5, 6]], bias: [0, 0] }]), error: ShapeError, arg: 'layers[0].weights', value: 'got 1 rows' },
  { entry: 'setWeights', name: 'bias of the wrong length', run: (n) => n.setWeights([{ weights: [[1, 2], [1, 2], [1, 2]], bias: [1, 2] }, { weights: [[1, 2, 3], [4, 5, 6]], bias: [0, 0] }]), error: ShapeError, arg: 'layers[0].bias', value: 'got an array of length 2' },
  { entry: 'setWeights', name: 'a layer that is null', run: (n) => n.setWeights(u([null, null])), error: ArgumentTypeError, arg: 'layers[0]', value: 'got null' },
  { entry: 'setWeights', name: 'not an array', run: (n) => n.setWeights(u('w')), error: ArgumentTypeError, arg: 'layers', value: 'got "w"' },
  { entry: 'setWeights', name: 'the wrong layer type for a layer', run: (n) => n.setWeights(u([{ type: 'batchNormalization', gamma: [1, 1, 1], beta: [0, 0, 0], movingMean: [0, 0, 0], movingVariance: [1, 1, 1] }, { weights: [[1, 2, 3], [4, 5, 6]], bias: [0, 0] }])), error: ShapeError, arg: 'layers[0].type', value: 'got "batchNormalization"' },
  { entry: 'setWeights', name: 'a normalization block on a dense layer', run: (n) => n.setWeights(u([{ weights: [[1, 2], [1, 2], [1, 2]], bias: [0, 0, 0], gamma: [1, 1, 1] }, { weights: [[1, 2, 3], [4, 5, 6]], bias: [0, 0] }])), error: ShapeError, arg: 'layers[0].gamma', value: 'a dense layer has no such block' },

  // --- fromJSON ---
  { entry: 'fromJSON', name: 'null', run: () => Network.fromJSON(null), error: FormatError, arg: 'model', value: 'got null' },
  { entry: 'fromJSON', name: 'text that is not JSON', run: () => Network.fromJSON('{"format": "wasmlp",'), error: FormatError, arg: 'model', value: 'not valid JSON' },
  { entry: 'fromJSON', name: 'a missing field', run: () => Network.fromJSON(json((j) => { delete (j as Record<string, unknown>).optimizer; })), error: FormatError, arg: 'model.optimizer', value: 'missing' },
  { entry: 'fromJSON', name: 'an extra field', run: () => Network.fromJSON(json((j) => { (j as Record<string, unknown>).comment = 'hi'; })), error: FormatError, arg: 'model.comment', value: 'unknown field' },
  { entry: 'fromJSON', name: 'an extra field inside a layer', run: () => Network.fromJSON(json((j) => { j.layers[1]!.scale = 2; })), error: FormatError, arg: 'model.layers[1].scale', value: 'unknown field' },
  { entry: 'fromJSON', name: 'version 3', run: () => Network.fromJSON(json((j) => { j.version = 3; })), error: FormatError, arg: 'model.version', value: 'got 3' },
  { entry: 'fromJSON', name: 'a weight block of the wrong length', run: () => Network.fromJSON(json((j) => { j.layers[0]!.weights = b64([1, 2, 3]); })), error: FormatError, arg: 'model.layers[0].weights', value: 'got 16' },
  { entry: 'fromJSON', name: 'Infinity inside a weight block', run: () => Network.fromJSON(json((j) => { j.layers[1]!.weights = b64([0, 0, Infinity, 0, 0, 0]); })), error: FormatError, arg: 'model.layers[1].weights', value: 'value 2 is Infinity' },
  { entry: 'fromJSON', name: 'a schedule with decaySteps 0 in the options', run: () => Network.fromJSON(json((j) => { (j.options.optimizer as Record<string, unknown>).learningRate = { type: 'exponential', initial: 0.1, decaySteps: 0, decayRate: 0.5 }; })), error: FormatError, arg: 'model.options: options.optimizer.learningRate.decaySteps', value: 'got 0' },
  { entry: 'fromJSON', name: 'optimizer state missing a block', run: () => Network.fromJSON(json((j) => { (j.optimizer.state as string[]).pop(); })), error: FormatError, arg: 'model.optimizer.state', value: 'got an array of length 7' },
  { entry: 'fromJSON', name: 'options with an unknown name', run: () => Network.fromJSON(json((j) => { j.options.lr = 1; })), error: FormatError, arg: 'options.lr', value: 'unknown option' },
  { entry: 'fromJSON', name: 'hostile sizes: layers [1000000000, 1]', run: () => Network.fromJSON(json((j) => { j.options.layers = [1_000_000_000, 1]; j.options.activation = []; })), error: FormatError, arg: 'model.options', value: '1000000001 parameters' },
  { entry: 'fromJSON', name: 'a number where the model belongs', run: () => Network.fromJSON(42), error: FormatError, arg: 'model', value: 'got 42' },

  // --- load ---
  { entry: 'load', name: 'path not a string', run: () => Network.load(u(42)), error: ArgumentTypeError, arg: 'path', value: 'got 42' },
  { entry: 'load', name: 'truncated .wasmlp', run: () => Network.load(file('truncated.wasmlp')), error: FormatError, arg: 'truncated.wasmlp', value: '(truncated)' },
  { entry: 'load', name: '10-byte .wasmlp', run: () => Network.load(file('short.wasmlp')), error: FormatError, arg: 'short.wasmlp', value: '10 bytes is too short' },
  { entry: 'load', name: 'one flipped payload bit', run: () => Network.load(file('flipped.wasmlp')), error: FormatError, arg: 'flipped.wasmlp', value: 'checksum mismatch' },
  { entry: 'load', name: 'hostile header: layers [1000000000, 1], consistent', run: () => Network.load(file('hostile.wasmlp')), error: FormatError, arg: 'hostile.wasmlp header.options', value: '1000000001 parameters' },
  { entry: 'load', name: 'header claims 300000003 floats, the file has a few', run: () => Network.load(file('big.wasmlp')), error: FormatError, arg: 'big.wasmlp', value: 'for 300000003 floats' },
  { entry: 'load', name: 'header length past the end', run: () => Network.load(file('hlen.wasmlp')), error: FormatError, arg: 'hlen.wasmlp', value: 'header length 2147483647' },
  { entry: 'load', name: 'format version 3', run: () => Network.load(file('version3.wasmlp')), error: FormatError, arg: 'version3.wasmlp', value: 'the file has version 3' },
  { entry: 'load', name: 'NaN in the payload (CRC recomputed)', run: () => Network.load(file('nan.wasmlp')), error: FormatError, arg: 'nan.wasmlp block 0', value: 'value 2 is NaN' },
  { entry: 'load', name: 'an extra header field', run: () => Network.load(file('extra-header.wasmlp')), error: FormatError, arg: 'extra-header.wasmlp header.extra', value: 'unknown field' },
  { entry: 'load', name: 'random bytes behind the magic', run: () => Network.load(file('random.wasmlp')), error: FormatError, arg: 'random.wasmlp', value: 'the file has version 12299' },
  { entry: 'load', name: 'JSON with a missing field', run: () => Network.load(file('missing.json')), error: FormatError, arg: 'model.optimizer', value: 'missing' },
  { entry: 'load', name: 'truncated JSON text', run: () => Network.load(file('garbage.json')), error: FormatError, arg: 'garbage.json', value: 'neither a .wasmlp file nor valid JSON' },
  { entry: 'load', name: 'a binary that is not a model', run: () => Network.load(file('elf.bin')), error: FormatError, arg: 'elf.bin', value: 'neither a .wasmlp file nor valid JSON' },

  // --- the brain.js facade ---
  { entry: 'brain', name: 'new NeuralNetwork(null)', brain: () => new NeuralNetwork(u(null)), error: ArgumentTypeError, arg: 'NeuralNetwork options', value: 'got null' },
  { entry: 'brain', name: 'unknown option, with a suggestion', brain: () => new NeuralNetwork(u({ learningrate: 0.3 })), error: OptionError, arg: "unknown option 'learningrate'", value: "did you mean 'learningRate'?" },
  { entry: 'brain', name: 'a hidden layer of 0 units', brain: () => new NeuralNetwork({ hiddenLayers: [3, 0] }), error: OptionError, arg: 'NeuralNetwork options.hiddenLayers', value: 'with 0 at index 1' },
  { entry: 'brain', name: 'train: NaN input', brain: (b) => b.train([{ input: [NaN, 0], output: [1] }]), error: NonFiniteError, arg: 'data[0].input[0]', value: 'got NaN' },
  { entry: 'brain', name: 'train: Infinity target', brain: (b) => b.train([{ input: [0, 0], output: [Infinity] }]), error: NonFiniteError, arg: 'data[0].output[0]', value: 'got Infinity' },
  { entry: 'brain', name: 'train: empty data', brain: (b) => b.train([]), error: ShapeError, arg: 'data', value: 'got an empty array' },
  { entry: 'brain', name: 'train: ragged inputs', brain: (b) => b.train([{ input: [1, 2], output: [1] }, { input: [1], output: [0] }]), error: ShapeError, arg: 'data[1].input', value: 'got an array of length 1' },
  { entry: 'brain', name: 'train: 0 iterations', brain: (b) => b.train(XOR, { iterations: 0 }), error: OptionError, arg: 'train options.iterations', value: 'got 0' },
  { entry: 'brain', name: 'train: negative learning rate', brain: (b) => b.train(XOR, { learningRate: -1 }), error: OptionError, arg: 'train options.learningRate', value: 'got -1' },
  { entry: 'brain', name: 'train: a string input', brain: (b) => b.train([{ input: u('ab'), output: [1] }]), error: ArgumentTypeError, arg: 'data[0].input', value: 'got "ab"' },
  { entry: 'brain', name: 'run: wrong length', brain: (b) => b.run([1]), error: ShapeError, arg: 'input', value: 'got an array of length 1' },
  { entry: 'brain', name: 'run: null', brain: (b) => b.run(u(null)), error: ArgumentTypeError, arg: 'input', value: 'got null' },
  { entry: 'brain', name: 'fromJSON: a size that is a string', brain: (b) => b.fromJSON({ type: 'NeuralNetwork', sizes: [2, 'x'] }), error: FormatError, arg: 'fromJSON: sizes[1]', value: 'got "x"' },
  { entry: 'brain', name: 'fromJSON: truncated JSON text', brain: (b) => b.fromJSON('{"type":'), error: FormatError, arg: 'fromJSON', value: 'not valid JSON text' },

  // --- the wasmlp command ---
  { entry: 'cli', name: 'unknown command, with a suggestion', run: () => cli(['trian']), error: 'exit 2', arg: "unknown command 'trian'", value: "did you mean 'train'?" },
  { entry: 'cli', name: 'train: --epochs 0', run: () => cli(['train', '--data', IRIS, '--target', 'species', '--epochs', '0', '--out', file('never.json')]), error: 'exit 2', arg: '--epochs', value: "got '0'" },
  { entry: 'cli', name: 'train: negative learning rate', run: () => cli(['train', '--data', IRIS, '--target', 'species', '--learning-rate=-0.5', '--out', file('never.json')]), error: 'exit 2', arg: '--learning-rate', value: "got '-0.5'" },
  { entry: 'cli', name: 'train: a layer of 0 units', run: () => cli(['train', '--data', IRIS, '--target', 'species', '--layers', '16,0', '--out', file('never.json')]), error: 'exit 2', arg: '--layers', value: '16,0' },
  { entry: 'cli', name: 'train: misspelt activation, with a suggestion', run: () => cli(['train', '--data', IRIS, '--target', 'species', '--activation', 'rleu', '--out', file('never.json')]), error: 'exit 2', arg: '--activation', value: "got 'rleu' (did you mean 'relu'?)" },
  { entry: 'cli', name: 'train: misspelt flag, with a suggestion', run: () => cli(['train', '--data', IRIS, '--target', 'species', '--epoch', '3', '--out', file('never.json')]), error: 'exit 2', arg: "unknown option '--epoch'", value: "did you mean '--epochs'?" },
  { entry: 'cli', name: 'train: a CSV with no data rows', run: () => cli(['train', '--data', file('header-only.csv'), '--target', 'label', '--out', file('never.json')]), error: 'exit 2', arg: 'header-only.csv', value: 'no data rows' },
  { entry: 'cli', name: 'train: NaN in a feature column', run: () => cli(['train', '--data', file('nan.csv'), '--target', 'label', '--out', file('never.json')]), error: 'exit 2', arg: "nan.csv: line 3, column 'b'", value: "'NaN' is not a number" },
  { entry: 'cli', name: 'predict: a truncated model file', run: () => cli(['predict', '--model', file('cli-truncated.json'), '--data', IRIS, '--out', file('never.csv')]), error: 'exit 2', arg: 'cli-truncated.json', value: 'not valid JSON' },
  { entry: 'cli', name: 'evaluate: a network JSON file with a missing field', run: () => cli(['evaluate', '--model', file('missing.json'), '--data', IRIS]), error: 'exit 2', arg: 'missing.json: model.optimizer', value: 'missing' },

  // --- save ---
  { entry: 'save', name: 'empty path', run: (n) => n.save(''), error: ArgumentTypeError, arg: 'path', value: 'got ""' },
  { entry: 'save', name: 'path an object', run: (n) => n.save(u({ path: 'a.json' })), error: ArgumentTypeError, arg: 'path', value: 'got an object (Object)' },
  { entry: 'save', name: 'toJSON of a network with a learning-rate function', run: () => { const m = new Network({ layers: [2, 2], learningRate: () => 0.1 }); try { return m.toJSON(); } finally { m.dispose(); } }, error: OptionError, arg: 'options.optimizer.learningRate', value: 'a function schedule cannot be saved' },
  { entry: 'save', name: 'a network with a learning-rate function', run: async () => { const m = new Network({ layers: [2, 2], learningRate: () => 0.1 }); try { return await m.save(file('never.json')); } finally { m.dispose(); } }, error: OptionError, arg: 'options.optimizer.learningRate', value: 'a function schedule cannot be saved' },
];

const ENTRIES = ['new Network', 'predict', 'trace', 'gradients', 'trainBatch', 'fit', 'evaluate', 'setWeights', 'fromJSON', 'load', 'save', 'brain', 'cli'];

describe('the bad-input catalogue', () => {
  it(`has ${rows.length} rows covering every public entry point`, () => {
    expect(rows.length).toBeGreaterThanOrEqual(25);
    expect(new Set(rows.map((r) => r.entry))).toEqual(new Set(ENTRIES));
    expect(new Set(rows.map((r) => `${r.entry}: ${r.name}`)).size).toBe(rows.length);
  });

  it.each(rows.map((r) => [`${r.entry}: ${r.name}`, r] as const))('%s', async (_title, r) => {
    const net = await fixture(r.net ?? 'mse');
    const { arena } = backend();
    const before = JSON.stringify(net.toJSON());
    const blocks = arena.liveBlocks, bytes = arena.bytesInUse;
    const cliModel = await readFile(file('cli-model.json'));
    const brain = r.brain ? brainFixture() : null;
    const brainBefore = brain ? JSON.stringify(brain.toJSON()) : '';
    let caught: unknown, result: unknown;
    try { result = await (brain ? r.brain!(brain) : r.run!(net)); } catch (e) { caught = e; }
    if (brain) {
      expect(JSON.stringify(brain.toJSON()), 'the NeuralNetwork is unchanged').toBe(brainBefore);
      expect(Array.from(brain.run([1, 0]) as Float32Array).every(Number.isFinite)).toBe(true);
      brain.dispose();
    }
    if (result instanceof Network) result.dispose();
    expect(caught, 'no error thrown').toBeDefined();
    if (r.error === 'exit 2') {
      expect(caught, String(caught)).toBeInstanceOf(CliExit);
      const { code, stderr } = caught as CliExit;
      expect(stderr).not.toMatch(/internal error/);
      expect([code, stderr.split('\n').length], stderr).toEqual([2, 2]); // one line, newline-terminated
      expect(stderr).toMatch(/^wasmlp( \w+)?: /);
      expect(stderr, 'the message names the argument').toContain(r.arg);
      if (typeof r.value === 'string') expect(stderr, 'the message names the offending value').toContain(r.value);
      else expect(stderr, 'the message names the offending value').toMatch(r.value);
      expect(await readFile(file('cli-model.json')), 'the model file is unchanged').toEqual(cliModel);
      expect(existsSync(file('never.json')) || existsSync(file('never.csv')), 'no output file').toBe(false);
      expect(JSON.stringify(net.toJSON())).toBe(before);
      net.dispose();
      return;
    }
    expect(caught).not.toBeInstanceOf(WebAssembly.RuntimeError);
    expect(caught).toBeInstanceOf(WasmlpError);
    expect(caught, (caught as Error).message).toBeInstanceOf(r.error);
    const message = (caught as Error).message;
    expect(message, 'the message names the argument').toContain(r.arg);
    if (typeof r.value === 'string') expect(message, 'the message names the offending value').toContain(r.value);
    else expect(message, 'the message names the offending value').toMatch(r.value);
    expect(JSON.stringify(net.toJSON()), 'weights, optimizer and shuffle state unchanged').toBe(before);
    expect(arena.liveBlocks, 'no block left allocated').toBeLessThanOrEqual(blocks);
    expect(arena.bytesInUse, 'no bytes left allocated').toBeLessThanOrEqual(bytes);
    // and the network still works
    if (r.net !== 'wide') expect(net.predict([0.3, 0.7]).every(Number.isFinite)).toBe(true);
    net.dispose();
  });

  it('after dispose(), every entry point is a DisposedError (and the bystander files still load)', async () => {
    const net = await fixture('mse');
    net.dispose();
    const calls: [string, () => unknown][] = [
      ['predict', () => net.predict([1, 2])], ['trace', () => net.trace([1, 2])], ['gradients', () => net.gradients([1, 2], [0, 1])],
      ['trainBatch', () => net.trainBatch([1, 2], [0, 1])], ['fit', () => net.fit(X8, Y8)], ['evaluate', () => net.evaluate(X8, Y8)],
      ['setWeights', () => net.setWeights([])], ['getWeights', () => net.getWeights()], ['toJSON', () => net.toJSON()], ['save', () => net.save(file('x.json'))],
    ];
    for (const [name, call] of calls) {
      let caught: unknown;
      try { await call(); } catch (e) { caught = e; }
      expect(caught, name).toBeInstanceOf(DisposedError);
      expect((caught as Error).message).toContain(`${name}: this Network was disposed`);
    }
    const ok = await Network.load(file('good.wasmlp'));
    expect(ok.sizes).toEqual([2, 3, 2]);
    ok.dispose();
  });
});
