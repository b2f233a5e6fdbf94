// `wasmlp train`: a CSV file → a trained model file, in four steps: read the data, plan (the split,
// the scaling, the network), fit with signals and progress, then save and summarize.
import { basename } from 'node:path';
import { Network, type Activation, type History } from '../index.js';
import { HIDDEN_ACTIVATIONS, Rng, shuffleInPlace } from '../internal.js';
import { CliError, choice, helpText, integer, list, number, parseFlags, required, type Flags, type Values } from './args.js';
import { columnIndex, numericMatrix, readTable, type Table } from './csv.js';
import { classLabels, columnStats, detectTask, standardize, targets } from './dataset.js';
import { saveModel, type DataSpec, type Task, type TrainingInfo } from './model-file.js';
import { ProgressBar, detectStyle, fmt, lossStr, painter, pct, thousands, type Style } from './terminal.js';

const OPTIMIZERS = ['adam', 'adamw', 'sgd', 'rmsprop'] as const;
const TASKS = ['auto', 'classification', 'regression'] as const;

export const TRAIN_FLAGS: Flags = {
  data: { type: 'string', value: 'FILE', help: 'CSV file with a header row, one sample per row', required: true },
  target: { type: 'string', value: 'COLUMN', help: 'the column to predict', required: true },
  features: { type: 'string', value: 'A,B,...', help: 'input columns, all numeric', default: 'every other column' },
  task: { type: 'string', value: 'TASK', help: 'classification (labels → one-hot, softmax, cross-entropy) or regression (linear, mse)', default: 'auto: regression if every target is a number' },
  layers: { type: 'string', value: 'N,N,...', help: "hidden layer sizes, or 'none'", default: '32' },
  activation: { type: 'string', value: 'NAME', help: `hidden activation: ${HIDDEN_ACTIVATIONS.join(', ')}`, default: 'relu' },
  epochs: { type: 'string', value: 'N', help: 'passes over the training rows', default: '50' },
  'batch-size': { type: 'string', value: 'N', help: 'rows per step', default: '32' },
  optimizer: { type: 'string', value: 'NAME', help: OPTIMIZERS.join(', '), default: 'adam' },
  'learning-rate': { type: 'string', value: 'X', help: 'step size', default: 'the optimizer\'s: adam 0.001, sgd 0.01, rmsprop 0.001' },
  'validation-split': { type: 'string', value: 'F', help: 'fraction of the rows held out (after a seeded shuffle) for validation; 0 to train on all', default: '0.2' },
  seed: { type: 'string', value: 'N', help: 'seed of the shuffle, the split and the initial weights', default: '1' },
  out: { type: 'string', value: 'FILE', help: 'where to write the model', default: 'model.json' },
  'log-every': { type: 'string', value: 'N', help: 'print a line every N epochs', default: 'about 10 lines in all' },
  help: { type: 'boolean', short: 'h', help: 'show this help' },
};

export const TRAIN_HELP = helpText(
  'wasmlp train --data FILE --target COLUMN [options]',
  'Trains a network on a CSV file and saves it, with the column names, the classes and the feature\n' +
  'standardization (mean and std of the training rows), as one JSON model file. Ctrl-C (SIGINT) or\n' +
  'SIGTERM stops after the current batch and saves the model trained so far (exit code 130 or 143);\n' +
  'a second one quits at once without saving.',
  TRAIN_FLAGS,
  'example:\n  wasmlp train --data examples/iris.csv --target species --layers 16 --epochs 100 \\\n    --batch-size 16 --learning-rate 0.01 --out iris-model.json',
);

function hiddenLayers(v: string): number[] {
  if (v.trim() === 'none' || v.trim() === '') return [];
  return list(v, 'layers').map((s) => {
    if (!/^\d+$/.test(s) || Number(s) < 1) throw new CliError(`--layers: expected layer sizes such as 64,32 (integers ≥ 1) or 'none', got '${v}'`);
    return Number(s);
  });
}

/** Exit codes of a run stopped by a signal (128 + the signal's number, as a shell reports it). */
export const SIGNAL_EXIT = { SIGINT: 130, SIGTERM: 143 } as const;
type Signal = keyof typeof SIGNAL_EXIT;

/** The flags of `wasmlp train`, checked. */
interface TrainOptions {
  dataFile: string;
  target: string;
  /** --features as given (checked against the header when the data is read). */
  features: string | undefined;
  hidden: number[];
  activation: Activation;
  epochs: number;
  batchSize: number;
  optimizer: (typeof OPTIMIZERS)[number];
  learningRate: number | undefined;
  split: number;
  seed: number;
  task: (typeof TASKS)[number];
  out: string;
  logEvery: number;
}

/** The data file: its table, the target column, the feature columns' names and raw values, the task. */
interface TrainData {
  t: Table;
  tcol: number;
  features: string[];
  /** Row-major [rows × features]. */
  raw: Float64Array;
  task: Task;
  classes: string[] | null;
}

/** What is trained: the seeded split, the scaled inputs and targets of both parts, the model's data section, the network. */
interface Plan {
  trainIdx: Uint32Array;
  valIdx: Uint32Array;
  spec: DataSpec;
  xTrain: Float32Array;
  yTrain: Float32Array;
  xVal: Float32Array;
  yVal: Float32Array;
  net: Network;
}

/** How the fit went. */
interface Run {
  history: History;
  /** The signal that stopped it, if one did. */
  interrupted: Signal | null;
  seconds: number;
  /** Samples trained on in all. */
  samples: number;
  /** Steps taken in the last epoch (0 when it ran to its end). */
  batchesDone: number;
  batchesPerEpoch: number;
}

/** Resolves to the exit code: 0, or SIGNAL_EXIT's when SIGINT/SIGTERM stopped the training (the model is saved). */
export async function train(argv: string[]): Promise<number> {
  const v = parseFlags(argv, TRAIN_FLAGS, 'train');
  if (v.help) { process.stdout.write(TRAIN_HELP); return 0; }
  const o = trainOptions(v);
  const data = readData(o);
  const plan = planTraining(o, data);
  const style = detectStyle();
  printPlan(o, data, plan);
  const bar = new ProgressBar(`training {bar} epoch {epoch}/${o.epochs} | loss {loss}`, style);
  const trap = trapSignals(bar);
  let run: Run;
  try {
    run = await fitWithProgress(o, plan, bar, style, trap);
    saveModel(o.out, plan.net, plan.spec, trainingInfo(o, data, plan, run));
  } finally {
    trap.release();
  }
  return summarize(o, plan, run);
}

function trainOptions(v: Values): TrainOptions {
  const s = (name: string): string | undefined => v[name] as string | undefined;
  const dataFile = required(v, 'data', 'train');
  const target = required(v, 'target', 'train');
  const hidden = hiddenLayers(s('layers') ?? '32');
  const activation = choice<Activation>(s('activation'), 'activation', HIDDEN_ACTIVATIONS, 'relu');
  const epochs = integer(s('epochs'), 'epochs', 50);
  const batchSize = integer(s('batch-size'), 'batch-size', 32);
  const optimizer = choice(s('optimizer'), 'optimizer', OPTIMIZERS, 'adam');
  const learningRate = number(s('learning-rate'), 'learning-rate', undefined, 0, Infinity, true, true);
  const split = number(s('validation-split'), 'validation-split', 0.2, 0, 1, false, true)!;
  const seed = integer(s('seed'), 'seed', 1, Number.MIN_SAFE_INTEGER);
  const task = choice(s('task'), 'task', TASKS, 'auto');
  const out = s('out') ?? 'model.json';
  const logEvery = integer(s('log-every'), 'log-every', Math.max(1, Math.ceil(epochs / 10)));
  return { dataFile, target, features: s('features'), hidden, activation, epochs, batchSize, optimizer, learningRate, split, seed, task, out, logEvery };
}

// ************* 1. read the data *************

function readData(o: TrainOptions): TrainData {
  const t = readTable(o.dataFile);
  const tcol = columnIndex(t, o.target, 'target');
  let fcols: number[];
  if (o.features !== undefined) {
    fcols = list(o.features, 'features').map((name) => {
      if (name === o.target) throw new CliError(`--features: '${name}' is the target column; it cannot also be an input`);
      return columnIndex(t, name, 'feature');
    });
  } else fcols = t.header.map((_, i) => i).filter((i) => i !== tcol);
  if (fcols.length === 0) throw new CliError(`${o.dataFile}: no feature columns: the only column is the target '${o.target}'`);
  const features = fcols.map((i) => t.header[i]!);
  const raw = numericMatrix(t, fcols);
  const task: Task = o.task === 'auto' ? detectTask(t, tcol) : o.task;
  const classes = task === 'classification' ? classLabels(t, tcol) : null;
  if (classes && classes.length < 2) throw new CliError(`${o.dataFile}: column '${o.target}' has only one class ('${classes[0]}'): nothing to learn`);
  return { t, tcol, features, raw, task, classes };
}

// ************* 2. plan: split, scaling, network *************

/** The rows shuffled with `seed`: the last round(n·split) (at least 1 when split > 0) are held out for validation. */
function splitRows(n: number, split: number, seed: number): { trainIdx: Uint32Array; valIdx: Uint32Array } {
  const order = new Uint32Array(n).map((_, i) => i);
  shuffleInPlace(order, new Rng(seed));
  const nVal = split > 0 ? Math.max(1, Math.round(n * split)) : 0;
  if (n - nVal < 1) throw new CliError(`--validation-split ${split} of ${n} rows leaves no rows for training`);
  return { trainIdx: order.subarray(0, n - nVal), valIdx: order.subarray(n - nVal) };
}

function planTraining(o: TrainOptions, d: TrainData): Plan {
  const { t, features, task, classes } = d;
  const { trainIdx, valIdx } = splitRows(t.rows.length, o.split, o.seed);
  const stats = columnStats(d.raw, features.length, trainIdx);
  let targetScale: DataSpec['targetScale'] = null;
  if (task === 'regression') {
    const spec0: DataSpec = { features, target: o.target, task, classes: null, standardize: stats, targetScale: { mean: 0, std: 1 } };
    const { values } = targets(t, spec0);
    const ts = columnStats(values!, 1, trainIdx);
    targetScale = { mean: ts.mean[0]!, std: ts.std[0]! };
  }
  const spec: DataSpec = { features, target: o.target, task, classes, standardize: stats, targetScale };
  const x = standardize(d.raw, stats);
  const { y } = targets(t, spec);
  const outputs = classes ? classes.length : 1;
  const rowsOf = (a: Float32Array, cols: number, idx: Uint32Array): Float32Array => {
    const r = new Float32Array(idx.length * cols);
    idx.forEach((row, i) => r.set(a.subarray(row * cols, (row + 1) * cols), i * cols));
    return r;
  };
  const net = new Network({
    layers: [features.length, ...o.hidden, outputs], activation: o.activation,
    outputActivation: classes ? 'softmax' : 'linear', loss: classes ? 'crossEntropy' : 'mse',
    optimizer: o.learningRate === undefined ? o.optimizer : { type: o.optimizer, learningRate: o.learningRate }, seed: o.seed,
  });
  return {
    trainIdx, valIdx, spec, net,
    xTrain: rowsOf(x, features.length, trainIdx), yTrain: rowsOf(y, outputs, trainIdx),
    xVal: rowsOf(x, features.length, valIdx), yVal: rowsOf(y, outputs, valIdx),
  };
}

/** The four lines above the training: data, target, split, network. */
function printPlan(o: TrainOptions, d: TrainData, p: Plan): void {
  const { t, tcol, features, classes } = d;
  const { net } = p;
  console.log(`data     ${o.dataFile}: ${t.rows.length} rows, ${features.length} features (${features.join(', ')})`);
  if (classes) {
    const counts = new Map<string, number>();
    for (const r of t.rows) counts.set(r[tcol]!, (counts.get(r[tcol]!) ?? 0) + 1);
    const shown = classes.length > 12 ? `${classes.slice(0, 12).join(', ')}, ...` : classes.map((c) => `${c} ${counts.get(c)}`).join(', ');
    console.log(`target   ${o.target}: classification, ${classes.length} classes (${shown})`);
  } else {
    const hint = detectTaskHint(t.rows.map((r) => r[tcol]!));
    const { mean, std } = p.spec.targetScale!;
    console.log(`target   ${o.target}: regression (mean ${fmt(mean)}, std ${fmt(std)} on the training rows)${hint}`);
  }
  console.log(`split    ${p.trainIdx.length} training / ${p.valIdx.length} validation rows (seed ${o.seed}); features standardized with the training rows' mean and std`);
  console.log(`network  ${net.sizes.join('-')} (${thousands(net.parameterCount)} parameters), ${o.hidden.length ? `${o.activation} + ` : ''}${classes ? 'softmax, cross-entropy' : 'linear, mse'}, ${o.optimizer} lr ${net.options.optimizer.learningRate}, batch ${o.batchSize}, ${o.epochs} epochs`);
  console.log('');
}

function detectTaskHint(values: string[]): string {
  const distinct = new Set(values);
  const integers = [...distinct].every((v) => /^[+-]?\d+$/.test(v));
  return integers && distinct.size <= 20 ? `; its ${distinct.size} integer values look like class codes: add --task classification to treat them as classes` : '';
}

// ************* 3. fit, with signals and progress *************

interface SignalTrap {
  /** Aborted by the first SIGINT or SIGTERM. */
  signal: AbortSignal;
  /** The signal that aborted `signal`, if one did. */
  stoppedBy(): Signal | null;
  /** Removes the handlers (once the model is saved, or the run failed). */
  release(): void;
}

/**
 * The first SIGINT (Ctrl-C) or SIGTERM stops fit at the next batch boundary; the model trained so
 * far is saved as at a normal finish and the exit code says which signal. A second one exits at
 * once, without saving.
 */
function trapSignals(bar: ProgressBar): SignalTrap {
  const abort = new AbortController();
  let stoppedBy: Signal | null = null;
  const onSignal = (sig: Signal): void => {
    if (stoppedBy) {
      bar.stop();
      process.stderr.write(`wasmlp train: ${sig} again: exiting without saving\n`);
      process.exit(SIGNAL_EXIT[sig]);
    }
    stoppedBy = sig;
    abort.abort();
  };
  const handlers = (['SIGINT', 'SIGTERM'] as const).map((sig) => [sig, (): void => onSignal(sig)] as const);
  for (const [sig, h] of handlers) process.on(sig, h);
  return {
    signal: abort.signal,
    stoppedBy: () => stoppedBy,
    release: () => { for (const [sig, h] of handlers) process.off(sig, h); },
  };
}

/** RMSE in the target's units from an mse loss on the standardized target (½ mean square). */
function rmse(spec: DataSpec, loss: number): string {
  return fmt(Math.sqrt(2 * loss) * spec.targetScale!.std);
}

/** Runs fit with a progress bar and a line every --log-every epochs (and the first and last). */
async function fitWithProgress(o: TrainOptions, p: Plan, bar: ProgressBar, style: Style, trap: SignalTrap): Promise<Run> {
  const { epochs, logEvery } = o;
  const { net, spec, trainIdx } = p;
  const classes = spec.classes;
  const paint = painter(style);
  const w = String(epochs).length;
  const bs = Math.min(o.batchSize, trainIdx.length);
  const batchesPerEpoch = Math.ceil(trainIdx.length / bs);
  let batchesDone = 0, samples = 0; // steps taken in the current epoch, samples trained on in all
  const t0 = performance.now();
  bar.start(epochs, { epoch: 0, loss: '-' });
  const history = await net.fit(p.xTrain, p.yTrain, {
    epochs, batchSize: o.batchSize, shuffle: true, ...(p.valIdx.length > 0 ? { validationData: [p.xVal, p.yVal] as [Float32Array, Float32Array] } : {}),
    signal: trap.signal,
    onBatchEnd: ({ batch }) => { batchesDone = batch + 1; samples += Math.min(bs, trainIdx.length - batch * bs); },
    onEpochEnd: (log) => {
      if (batchesDone < batchesPerEpoch) return; // an epoch cut short by a signal: reported by summarize
      batchesDone = 0;
      bar.update(log.epoch, { epoch: log.epoch, loss: lossStr(log.loss) });
      if (log.epoch % logEvery !== 0 && log.epoch !== 1 && log.epoch !== epochs) return;
      const parts = [`epoch ${String(log.epoch).padStart(w)}/${epochs}`, `loss ${lossStr(log.loss)}`];
      if (log.accuracy !== undefined) parts.push(`accuracy ${pct(log.accuracy)}`);
      else if (!classes) parts.push(`rmse ${rmse(spec, log.loss)}`);
      if (log.valLoss !== undefined) parts.push(`val loss ${lossStr(log.valLoss)}`);
      if (log.valAccuracy !== undefined) parts.push(`val accuracy ${paint.bold(pct(log.valAccuracy))}`);
      else if (log.valLoss !== undefined && !classes) parts.push(`val rmse ${paint.bold(rmse(spec, log.valLoss))}`);
      bar.stop();
      console.log(parts.join('  '));
      if (log.epoch < epochs) bar.start(epochs, { epoch: log.epoch, loss: lossStr(log.loss) }, log.epoch);
    },
  });
  bar.stop();
  // fit checks the signal only after a step (it is set from an event, and fit takes a step before it yields)
  const interrupted = history.stopReason === 'aborted' ? trap.stoppedBy() : null;
  const seconds = (performance.now() - t0) / 1000;
  return { history, interrupted, seconds, samples, batchesDone, batchesPerEpoch };
}

// ************* 4. save and summarize *************

/** The model file's `training` record. */
function trainingInfo(o: TrainOptions, d: TrainData, p: Plan, r: Run): TrainingInfo {
  const last = r.history.epochs[r.history.epochs.length - 1]!;
  return {
    data: basename(o.dataFile), rows: d.t.rows.length, trainRows: p.trainIdx.length, validationRows: p.valIdx.length, validationSplit: o.split,
    epochs: o.epochs, epochsRun: r.history.epochs.length, batchSize: o.batchSize, stopReason: r.history.stopReason, seconds: Number(r.seconds.toFixed(3)),
    loss: last.loss, valLoss: last.valLoss ?? null, valAccuracy: last.valAccuracy ?? null,
  };
}

/** Prints the closing lines (time, final figures, where the model went) and resolves the exit code. */
function summarize(o: TrainOptions, p: Plan, r: Run): number {
  const { net, spec, valIdx } = p;
  const { history, interrupted, seconds, batchesDone, batchesPerEpoch } = r;
  const last = history.epochs[history.epochs.length - 1]!;
  console.log('');
  const summary = [`trained in ${seconds.toFixed(2)} s (${thousands(r.samples / Math.max(seconds, 1e-3))} samples/s)`, `loss ${lossStr(last.loss)}`];
  if (last.valAccuracy !== undefined) summary.push(`val accuracy ${pct(last.valAccuracy)} (${Math.round(last.valAccuracy * valIdx.length)} of ${valIdx.length})`);
  else if (last.valLoss !== undefined && !spec.classes) summary.push(`val rmse ${rmse(spec, last.valLoss)}`);
  console.log(summary.join(', '));
  const saved = `saved ${o.out} (${net.sizes.join('-')}, ${thousands(net.parameterCount)} parameters)`;
  net.dispose();
  if (!interrupted) { console.log(saved); return 0; }
  const full = batchesDone === 0 ? history.epochs.length : history.epochs.length - 1;
  const where = batchesDone === 0 ? `after epoch ${full}/${o.epochs}` : `after epoch ${full}/${o.epochs} and ${batchesDone} of ${batchesPerEpoch} batches of epoch ${full + 1}`;
  console.log(`interrupted by ${interrupted} ${where}; ${saved}`);
  return SIGNAL_EXIT[interrupted];
}
