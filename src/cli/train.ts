// `wasmlp train`: a CSV file → a trained model file.
import { basename } from 'node:path';
import { Network } from '../index.js';
import { HIDDEN_ACTIVATIONS, type Activation } from '../activations.js';
import { Rng, shuffleInPlace } from '../random.js';
import { CliError, choice, helpText, integer, list, number, parseFlags, required, type Flags } from './args.js';
import { columnIndex, numericMatrix, readTable } from './csv.js';
import { classLabels, columnStats, detectTask, standardize, targets } from './dataset.js';
import { saveModel, type DataSpec, type Task, type TrainingInfo } from './model-file.js';
import { ProgressBar, detectStyle, painter, thousands } from './terminal.js';

const OPTIMIZERS = ['adam', 'sgd', 'rmsprop'] as const;
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

/** Resolves to the exit code: 0, or SIGNAL_EXIT's when SIGINT/SIGTERM stopped the training (the model is saved). */
export async function train(argv: string[]): Promise<number> {
  const v = parseFlags(argv, TRAIN_FLAGS, 'train');
  if (v.help) { process.stdout.write(TRAIN_HELP); return 0; }
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
  const taskFlag = choice(s('task'), 'task', TASKS, 'auto');
  const out = s('out') ?? 'model.json';
  const logEvery = integer(s('log-every'), 'log-every', Math.max(1, Math.ceil(epochs / 10)));

  const t = readTable(dataFile);
  const tcol = columnIndex(t, target, 'target');
  let fcols: number[];
  if (s('features') !== undefined) {
    fcols = list(s('features')!, 'features').map((name) => {
      if (name === target) throw new CliError(`--features: '${name}' is the target column; it cannot also be an input`);
      return columnIndex(t, name, 'feature');
    });
  } else fcols = t.header.map((_, i) => i).filter((i) => i !== tcol);
  if (fcols.length === 0) throw new CliError(`${dataFile}: no feature columns: the only column is the target '${target}'`);
  const features = fcols.map((i) => t.header[i]!);
  const raw = numericMatrix(t, fcols);
  const task: Task = taskFlag === 'auto' ? detectTask(t, tcol) : taskFlag;
  const classes = task === 'classification' ? classLabels(t, tcol) : null;
  if (classes && classes.length < 2) throw new CliError(`${dataFile}: column '${target}' has only one class ('${classes[0]}'): nothing to learn`);

  const n = t.rows.length;
  const order = new Uint32Array(n).map((_, i) => i);
  shuffleInPlace(order, new Rng(seed));
  const nVal = split > 0 ? Math.max(1, Math.round(n * split)) : 0;
  if (n - nVal < 1) throw new CliError(`--validation-split ${split} of ${n} rows leaves no rows for training`);
  const trainIdx = order.subarray(0, n - nVal), valIdx = order.subarray(n - nVal);

  const stats = columnStats(raw, features.length, trainIdx);
  let targetScale: DataSpec['targetScale'] = null;
  if (task === 'regression') {
    const spec0: DataSpec = { features, target, task, classes: null, standardize: stats, targetScale: { mean: 0, std: 1 } };
    const { values } = targets(t, spec0);
    const ts = columnStats(values!, 1, trainIdx);
    targetScale = { mean: ts.mean[0]!, std: ts.std[0]! };
  }
  const spec: DataSpec = { features, target, task, classes, standardize: stats, targetScale };
  const x = standardize(raw, stats);
  const { y } = targets(t, spec);
  const outputs = classes ? classes.length : 1;
  const rowsOf = (a: Float32Array, cols: number, idx: Uint32Array): Float32Array => {
    const o = new Float32Array(idx.length * cols);
    idx.forEach((r, i) => o.set(a.subarray(r * cols, (r + 1) * cols), i * cols));
    return o;
  };
  const xTrain = rowsOf(x, features.length, trainIdx), yTrain = rowsOf(y, outputs, trainIdx);
  const xVal = rowsOf(x, features.length, valIdx), yVal = rowsOf(y, outputs, valIdx);

  const net = new Network({
    layers: [features.length, ...hidden, outputs], activation,
    outputActivation: classes ? 'softmax' : 'linear', loss: classes ? 'crossEntropy' : 'mse',
    optimizer: learningRate === undefined ? optimizer : { type: optimizer, learningRate }, seed,
  });
  const style = detectStyle();
  const p = painter(style);
  const arch = net.sizes.join('-');
  const lr = net.options.optimizer.learningRate;
  console.log(`data     ${dataFile}: ${n} rows, ${features.length} features (${features.join(', ')})`);
  if (classes) {
    const counts = new Map<string, number>();
    for (const r of t.rows) counts.set(r[tcol]!, (counts.get(r[tcol]!) ?? 0) + 1);
    const shown = classes.length > 12 ? `${classes.slice(0, 12).join(', ')}, ...` : classes.map((c) => `${c} ${counts.get(c)}`).join(', ');
    console.log(`target   ${target}: classification, ${classes.length} classes (${shown})`);
  } else {
    const hint = detectTaskHint(t.rows.map((r) => r[tcol]!));
    console.log(`target   ${target}: regression (mean ${fmt(targetScale!.mean)}, std ${fmt(targetScale!.std)} on the training rows)${hint}`);
  }
  console.log(`split    ${trainIdx.length} training / ${valIdx.length} validation rows (seed ${seed}); features standardized with the training rows' mean and std`);
  console.log(`network  ${arch} (${thousands(net.parameterCount)} parameters), ${hidden.length ? `${activation} + ` : ''}${classes ? 'softmax, cross-entropy' : 'linear, mse'}, ${optimizer} lr ${lr}, batch ${batchSize}, ${epochs} epochs`);
  console.log('');

  const bar = new ProgressBar(`training {bar} epoch {epoch}/${epochs} | loss {loss}`, style);
  const w = String(epochs).length;
  const rmse = (loss: number): string => fmt(Math.sqrt(2 * loss) * targetScale!.std);
  // The first SIGINT (Ctrl-C) or SIGTERM stops fit at the next batch boundary; the model trained so
  // far is saved as at a normal finish and the exit code says which signal. A second one exits at once.
  const abort = new AbortController();
  let stoppedBy: keyof typeof SIGNAL_EXIT | null = null;
  const onSignal = (sig: keyof typeof SIGNAL_EXIT): void => {
    if (stoppedBy) {
      bar.stop();
      process.stderr.write(`wasmlp train: ${sig} again: exiting without saving\n`);
      process.exit(SIGNAL_EXIT[sig]);
    }
    stoppedBy = sig;
    abort.abort();
  };
  const signals = (['SIGINT', 'SIGTERM'] as const).map((sig) => [sig, (): void => onSignal(sig)] as const);
  const bs = Math.min(batchSize, trainIdx.length);
  const batchesPerEpoch = Math.ceil(trainIdx.length / bs);
  let batchesDone = 0, samples = 0; // steps taken in the current epoch, samples trained on in all
  const t0 = performance.now();
  bar.start(epochs, { epoch: 0, loss: '-' });
  for (const [sig, h] of signals) process.on(sig, h);
  let history: Awaited<ReturnType<typeof net.fit>>;
  try {
    history = await net.fit(xTrain, yTrain, {
      epochs, batchSize, shuffle: true, ...(nVal > 0 ? { validationData: [xVal, yVal] as [Float32Array, Float32Array] } : {}),
      signal: abort.signal,
      onBatchEnd: ({ batch }) => { batchesDone = batch + 1; samples += Math.min(bs, trainIdx.length - batch * bs); },
      onEpochEnd: (log) => {
        if (batchesDone < batchesPerEpoch) return; // an epoch cut short by a signal: reported below
        batchesDone = 0;
        bar.update(log.epoch, { epoch: log.epoch, loss: lossStr(log.loss) });
        if (log.epoch % logEvery !== 0 && log.epoch !== 1 && log.epoch !== epochs) return;
        const parts = [`epoch ${String(log.epoch).padStart(w)}/${epochs}`, `loss ${lossStr(log.loss)}`];
        if (log.accuracy !== undefined) parts.push(`accuracy ${pct(log.accuracy)}`);
        else if (!classes) parts.push(`rmse ${rmse(log.loss)}`);
        if (log.valLoss !== undefined) parts.push(`val loss ${lossStr(log.valLoss)}`);
        if (log.valAccuracy !== undefined) parts.push(`val accuracy ${p.bold(pct(log.valAccuracy))}`);
        else if (log.valLoss !== undefined && !classes) parts.push(`val rmse ${p.bold(rmse(log.valLoss))}`);
        bar.stop();
        console.log(parts.join('  '));
        if (log.epoch < epochs) bar.start(epochs, { epoch: log.epoch, loss: lossStr(log.loss) }, log.epoch);
      },
    });
  } catch (e) {
    for (const [sig, h] of signals) process.off(sig, h);
    throw e;
  }
  bar.stop();
  const interrupted = history.stopReason === 'aborted' ? stoppedBy : null;
  const seconds = (performance.now() - t0) / 1000;
  // fit checks the signal only after a step (it is set from an event, and fit takes a step before it yields)
  const last = history.epochs[history.epochs.length - 1]!;
  const training: TrainingInfo = {
    data: basename(dataFile), rows: n, trainRows: trainIdx.length, validationRows: valIdx.length, validationSplit: split,
    epochs, epochsRun: history.epochs.length, batchSize, stopReason: history.stopReason, seconds: Number(seconds.toFixed(3)),
    loss: last.loss, valLoss: last.valLoss ?? null, valAccuracy: last.valAccuracy ?? null,
  };
  try { saveModel(out, net, spec, training); } finally { for (const [sig, h] of signals) process.off(sig, h); }
  console.log('');
  const summary = [`trained in ${seconds.toFixed(2)} s (${thousands(samples / Math.max(seconds, 1e-3))} samples/s)`, `loss ${lossStr(last.loss)}`];
  if (last.valAccuracy !== undefined) summary.push(`val accuracy ${pct(last.valAccuracy)} (${Math.round(last.valAccuracy * valIdx.length)} of ${valIdx.length})`);
  else if (last.valLoss !== undefined && !classes) summary.push(`val rmse ${rmse(last.valLoss)}`);
  console.log(summary.join(', '));
  const saved = `saved ${out} (${arch}, ${thousands(net.parameterCount)} parameters)`;
  net.dispose();
  if (!interrupted) { console.log(saved); return 0; }
  const full = batchesDone === 0 ? history.epochs.length : history.epochs.length - 1;
  const where = batchesDone === 0 ? `after epoch ${full}/${epochs}` : `after epoch ${full}/${epochs} and ${batchesDone} of ${batchesPerEpoch} batches of epoch ${full + 1}`;
  console.log(`interrupted by ${interrupted} ${where}; ${saved}`);
  return SIGNAL_EXIT[interrupted];
}

function detectTaskHint(values: string[]): string {
  const distinct = new Set(values);
  const integers = [...distinct].every((v) => /^[+-]?\d+$/.test(v));
  return integers && distinct.size <= 20 ? `; its ${distinct.size} integer values look like class codes: add --task classification to treat them as classes` : '';
}

/** A loss: 4 decimals, or 3 significant digits when smaller than 0.001. */
export function lossStr(x: number): string {
  return x >= 1e-3 || x === 0 ? x.toFixed(4) : x.toPrecision(3);
}

export function pct(f: number): string {
  return `${(f * 100).toFixed(2)}%`;
}

/** A number with 4 significant digits, without exponent for ordinary magnitudes. */
export function fmt(x: number): string {
  return Math.abs(x) >= 1e-3 && Math.abs(x) < 1e7 ? String(Number(x.toPrecision(4))) : x.toPrecision(4);
}
