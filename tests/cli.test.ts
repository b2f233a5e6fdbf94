/**
 * The `wasmlp` command line, run as a child process (`node dist/cli.js …`) on small data in a temp
 * dir: train (classification on examples/iris.csv, regression on a generated CSV), predict (stdout
 * and --out), evaluate (text and --json), info, help; every figure it prints is recomputed here
 * from the saved model file with the library (Network.fromJSON, the stored standardization); and
 * every bad input gives one line on stderr and exit code 2.
 */
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Network } from '../src/index.js';
import { HIDDEN_ACTIVATIONS, suggest } from '../src/internal.js';
import { TestRng } from './helpers.js';

const REPO = fileURLToPath(new URL('..', import.meta.url));
const CLI = join(REPO, 'dist', 'cli.js');
const IRIS = join(REPO, 'examples', 'iris.csv');
const HAS_SCRIPT = spawnSync('script', ['--version'], { encoding: 'utf8' }).status === 0;

let tmp = '';

interface Run { status: number | null; stdout: string; stderr: string }

/** `wasmlp …args` in the temp dir, stdout piped (not a terminal). */
function wasmlp(args: string[], env: Record<string, string> = {}): Run {
  const r = spawnSync(process.execPath, [CLI, ...args], { cwd: tmp, encoding: 'utf8', env: { ...process.env, ...env }, timeout: 60_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** The same, asynchronous, so independent cases run side by side. */
function wasmlpAsync(args: string[]): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], { cwd: tmp, env: process.env });
    let stdout = '', stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => { stdout += d; });
    child.stderr.setEncoding('utf8').on('data', (d: string) => { stderr += d; });
    child.on('error', reject);
    child.on('close', (status) => resolve({ status, stdout, stderr }));
  });
}

function ok(args: string[]): string {
  const r = wasmlp(args);
  expect(r.status, `wasmlp ${args.join(' ')}\n${r.stderr}`).toBe(0);
  expect(r.stderr).toBe('');
  return r.stdout;
}

/** Newest modification time of the .ts files under `dir`. */
function newest(dir: string): number {
  let t = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    t = Math.max(t, e.isDirectory() ? newest(p) : e.name.endsWith('.ts') ? statSync(p).mtimeMs : 0);
  }
  return t;
}

/** The CSV cells of a simple file (no quotes), header first. */
function cells(text: string): string[][] {
  return text.trim().split('\n').map((l) => l.split(','));
}

const iris = cells(readFileSync(IRIS, 'utf8'));
const irisRows = iris.slice(1);

interface CliModel {
  format: string; version: number;
  network: unknown;
  data: { features: string[]; target: string; task: string; classes: string[] | null; standardize: { mean: number[]; std: number[] }; targetScale: { mean: number; std: number } | null };
  training: { rows: number; trainRows: number; validationRows: number; epochs: number; epochsRun: number; batchSize: number; valAccuracy: number | null; seconds: number };
}

function readModel(file: string): CliModel {
  return JSON.parse(readFileSync(join(tmp, file), 'utf8')) as CliModel;
}

/** Standardized inputs of `rows` (cells by column name) with the model's statistics. */
function inputsOf(model: CliModel, header: string[], rows: string[][]): Float32Array {
  const cols = model.data.features.map((f) => header.indexOf(f));
  const { mean, std } = model.data.standardize;
  const x = new Float32Array(rows.length * cols.length);
  rows.forEach((r, i) => cols.forEach((c, j) => { x[i * cols.length + j] = (Number(r[c]) - mean[j]!) / std[j]!; }));
  return x;
}

function argmax(p: Float32Array, k: number, row: number): number {
  let best = 0;
  for (let j = 1; j < k; j++) if (p[row * k + j]! > p[row * k + best]!) best = j;
  return best;
}

beforeAll(() => {
  // `npm test` builds first; when run alone on a stale or missing dist/, rebuild the TypeScript.
  if (!existsSync(join(REPO, 'build', 'kernels.wasm'))) execFileSync('npm', ['run', 'build'], { cwd: REPO, stdio: 'ignore' });
  if (!existsSync(CLI) || statSync(CLI).mtimeMs < newest(join(REPO, 'src'))) {
    // tsc emits even with type errors elsewhere; the tests below judge the result
    spawnSync(process.execPath, [join(REPO, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.build.json'], { cwd: REPO, stdio: 'ignore' });
    chmodSync(CLI, 0o755);
  }
  tmp = mkdtempSync(join(tmpdir(), 'wasmlp-cli-'));
}, 120_000);

afterAll(() => {
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

describe('wasmlp executable', () => {
  it('is package.json\'s bin: dist/cli.js with a node shebang, executable', () => {
    const pkg = JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')) as { bin: Record<string, string>; version: string };
    expect(pkg.bin).toEqual({ wasmlp: './dist/cli.js' });
    expect(readFileSync(CLI, 'utf8').split('\n')[0]).toBe('#!/usr/bin/env node');
    expect(statSync(CLI).mode & 0o111).not.toBe(0);
    // run directly, through the shebang
    expect(execFileSync(CLI, ['--version'], { encoding: 'utf8' }).trim()).toBe(pkg.version);
  });

  it('--help for the CLI and each command, on stdout with exit 0', () => {
    const top = ok(['--help']);
    expect(top).toMatch(/^usage: wasmlp <command> \[options\]/);
    for (const c of ['train', 'predict', 'evaluate', 'info', 'export']) expect(top).toContain(`  ${c} `);
    const flags: Record<string, string[]> = {
      train: ['--data FILE', '--target COLUMN', '--layers', '--activation', '--epochs', '--batch-size', '--optimizer', '--learning-rate', '--seed', '--out', '--validation-split', '--task', '--features'],
      predict: ['--model FILE', '--data FILE', '--out FILE'],
      evaluate: ['--model FILE', '--data FILE', '--json'],
      info: ['--model FILE', '--json'],
    };
    for (const [c, fs] of Object.entries(flags)) {
      const h = ok([c, '--help']);
      expect(h).toMatch(new RegExp(`^usage: wasmlp ${c} `));
      for (const f of fs) expect(h).toContain(f);
      if (c === 'train') {
        expect(ok([c, '-h'])).toBe(h);
        expect(ok(['help', c])).toBe(h);
      }
    }
  });
});

describe('classification on examples/iris.csv', () => {
  const TRAIN = ['train', '--data', IRIS, '--target', 'species', '--layers', '16', '--epochs', '100', '--batch-size', '16', '--learning-rate', '0.01', '--seed', '1', '--out', 'iris.json'];
  let out = '';
  let model: CliModel;

  beforeAll(() => {
    out = ok(TRAIN);
    model = readModel('iris.json');
  });

  it('train prints the data, the split, the network, epoch lines and saves the model', () => {
    expect(out).toContain(`data     ${IRIS}: 150 rows, 4 features (sepal_length, sepal_width, petal_length, petal_width)`);
    expect(out).toContain('target   species: classification, 3 classes (setosa 50, versicolor 50, virginica 50)');
    expect(out).toContain('split    120 training / 30 validation rows (seed 1)');
    expect(out).toContain('network  4-16-3 (131 parameters), relu + softmax, cross-entropy, adam lr 0.01, batch 16, 100 epochs');
    const epochs = out.split('\n').filter((l) => l.startsWith('epoch '));
    expect(epochs.map((l) => Number(/^epoch +(\d+)\//.exec(l)![1]))).toEqual([1, 10, 20, 30, 40, 50, 60, 70, 80, 90, 100]);
    for (const l of epochs) expect(l).toMatch(/^epoch +\d+\/100  loss \d\.\d{4}  accuracy \d+\.\d\d%  val loss \d\.\d{4}  val accuracy \d+\.\d\d%$/);
    expect(out).toContain('saved iris.json (4-16-3, 131 parameters)');
    expect(out).not.toContain('\x1b'); // piped: no bar, no colours
  });

  it('the model file holds the network, the columns, the classes and the training options', () => {
    expect(model.format).toBe('wasmlp-cli');
    expect(model.version).toBe(1);
    expect(model.data).toMatchObject({
      features: ['sepal_length', 'sepal_width', 'petal_length', 'petal_width'], target: 'species', task: 'classification',
      classes: ['setosa', 'versicolor', 'virginica'], targetScale: null,
    });
    expect(model.training).toMatchObject({ rows: 150, trainRows: 120, validationRows: 30, epochs: 100, epochsRun: 100, batchSize: 16 });
    const net = Network.fromJSON(model.network);
    expect(net.sizes).toEqual([4, 16, 3]);
    expect(net.options).toMatchObject({ activation: ['relu'], outputActivation: 'softmax', loss: 'crossEntropy', seed: 1 });
    expect(net.options.optimizer).toMatchObject({ type: 'adam', learningRate: 0.01 });
    net.dispose();
  });

  it('standardization is of the training rows, not the whole file; the printed val accuracy is the recorded one', () => {
    for (let j = 0; j < 4; j++) {
      const allMean = irisRows.reduce((s, r) => s + Number(r[j]), 0) / 150;
      expect(Math.abs(model.data.standardize.mean[j]! - allMean)).toBeGreaterThan(1e-6); // not the whole file's
    }
    const correct = Math.round(model.training.valAccuracy! * 30);
    expect(model.training.valAccuracy).toBeCloseTo(correct / 30, 12);
    expect(out).toContain(`val accuracy ${((correct / 30) * 100).toFixed(2)}% (${correct} of 30)`);
    expect(correct).toBeGreaterThanOrEqual(27);
  });

  it('the same seed gives the same model file', () => {
    ok([...TRAIN.slice(0, -1), 'iris2.json']);
    const again = readModel('iris2.json');
    expect(again.network).toEqual(model.network);
    expect(again.data).toEqual(model.data);
  });

  it('evaluate prints loss, accuracy and the confusion matrix, equal to the library on the saved model', () => {
    const text = ok(['evaluate', '--model', 'iris.json', '--data', IRIS]);
    const net = Network.fromJSON(model.network);
    const x = inputsOf(model, iris[0]!, irisRows);
    const y = new Float32Array(150 * 3);
    irisRows.forEach((r, i) => { y[i * 3 + model.data.classes!.indexOf(r[4]!)] = 1; });
    const { loss, accuracy } = net.evaluate(x, y);
    const p = net.predict(x);
    net.dispose();
    const m = [[0, 0, 0], [0, 0, 0], [0, 0, 0]];
    irisRows.forEach((r, i) => { m[model.data.classes!.indexOf(r[4]!)]![argmax(p, 3, i)]!++; });
    const correct = m[0]![0]! + m[1]![1]! + m[2]![2]!;
    expect(correct / 150).toBeCloseTo(accuracy!, 12);
    expect(correct).toBeGreaterThanOrEqual(140);
    expect(text).toContain(`${IRIS}: 150 rows; model iris.json (classification of 'species')`);
    expect(text).toContain(`loss      ${loss.toFixed(4)} (cross-entropy, mean per row)`);
    expect(text).toContain(`accuracy  ${((correct / 150) * 100).toFixed(2)}% (${correct} of 150)`);
    expect(text).toContain('confusion matrix (rows: true species, columns: predicted)');
    const rows = text.split('\n').filter((l) => /^ *(setosa|versicolor|virginica): /.test(l));
    expect(rows.map((l) => l.split(':')[1]!.trim().split(/ +/).map(Number))).toEqual(m);

    const json = JSON.parse(ok(['evaluate', '--model', 'iris.json', '--data', IRIS, '--json'])) as { rows: number; loss: number; accuracy: number; correct: number; classes: string[]; confusion: number[][] };
    expect(json).toEqual({ rows: 150, loss, accuracy: correct / 150, correct, classes: ['setosa', 'versicolor', 'virginica'], confusion: m });
  });

  it('predict writes one row per input row, to stdout or --out, equal to the library on the saved model', () => {
    const text = ok(['predict', '--model', 'iris.json', '--data', IRIS]);
    const lines = cells(text);
    expect(lines[0]).toEqual(['prediction', 'p_setosa', 'p_versicolor', 'p_virginica']);
    expect(lines).toHaveLength(151);
    const net = Network.fromJSON(model.network);
    const p = net.predict(inputsOf(model, iris[0]!, irisRows));
    net.dispose();
    lines.slice(1).forEach((l, i) => {
      expect(l[0]).toBe(model.data.classes![argmax(p, 3, i)]);
      for (let k = 0; k < 3; k++) expect(Math.abs(Number(l[k + 1]) - p[i * 3 + k]!)).toBeLessThanOrEqual(5e-7);
    });

    // columns by name, in any order, extra columns ignored; --out writes the same CSV
    const shuffled = ['id,petal_width,species,sepal_width,petal_length,sepal_length', ...irisRows.map((r, i) => [i, r[3], r[4], r[1], r[2], r[0]].join(','))].join('\n');
    writeFileSync(join(tmp, 'reordered.csv'), shuffled + '\n');
    const said = ok(['predict', '--model', 'iris.json', '--data', 'reordered.csv', '--out', 'pred.csv']);
    expect(said.trim()).toBe('wrote 150 predictions to pred.csv');
    expect(readFileSync(join(tmp, 'pred.csv'), 'utf8')).toBe(text);
  });

  it('export writes an ONNX model whose outputs on the raw columns equal predict\'s probabilities', async () => {
    const said = ok(['export', '--model', 'iris.json', '--onnx', 'iris.onnx']);
    expect(said.trim()).toMatch(/^wrote iris\.onnx \(\d+ bytes\): input 'input' \[N, 4\] → output 'output' \[N, 3\]$/);
    const ort = await import('onnxruntime-web');
    ort.env.wasm.numThreads = 1;
    const session = await ort.InferenceSession.create(readFileSync(join(tmp, 'iris.onnx')));
    const raw = Float32Array.from(irisRows.flatMap((r) => r.slice(0, 4).map(Number)));
    const result = await session.run({ input: new ort.Tensor('float32', raw, [150, 4]) });
    const onnx = result.output!.data as Float32Array;
    const net = Network.fromJSON(model.network);
    const p = net.predict(inputsOf(model, iris[0]!, irisRows)); // the CLI standardises first; the graph does it inside
    net.dispose();
    let worst = 0;
    for (let i = 0; i < p.length; i++) worst = Math.max(worst, Math.abs(onnx[i]! - p[i]!));
    expect(worst).toBeLessThanOrEqual(1e-5);
    const bad = wasmlp(['export', '--model', 'iris.json']);
    expect(bad.status).toBe(2);
    expect(bad.stderr.trim().split('\n')).toHaveLength(1);
    expect(bad.stderr).toMatch(/--onnx/);
  });

  it('info shows architecture, parameter count, optimizer, columns and training options', () => {
    const text = ok(['info', '--model', 'iris.json']);
    expect(text).toContain("model         iris.json (written by 'wasmlp train')");
    expect(text).toContain('architecture  4-16-3: 1 hidden layer (relu), softmax output, loss crossEntropy, bias on');
    expect(text).toContain('parameters    131');
    expect(text).toContain('optimizer     adam, learning rate 0.01 (beta1 0.9, beta2 0.999, epsilon 1e-7, weightDecay 0); 800 steps taken');
    expect(text).toContain('features      sepal_length, sepal_width, petal_length, petal_width');
    expect(text).toContain('target        species: classification, 3 classes (setosa, versicolor, virginica)');
    expect(text).toContain('trained on    iris.csv: 150 rows, 120 for training, 30 for validation (split 0.2)');
    expect(text).toContain('training      100 of 100 epochs (completed), batch 16');
    const json = JSON.parse(ok(['info', '--model', 'iris.json', '--json'])) as Record<string, unknown>;
    expect(json).toMatchObject({ kind: 'cli', layers: [4, 16, 3], parameters: 4 * 16 + 16 + 16 * 3 + 3, steps: 100 * Math.ceil(120 / 16), seed: 1, outputActivation: 'softmax' });
    expect(json.data).toEqual(model.data);
  });

  it('info reads a plain network saved with Network.save; predict refuses it with one line', async () => {
    const net = new Network({ layers: [3, 5, 2], activation: 'tanh', outputActivation: 'sigmoid', optimizer: 'rmsprop', seed: 9 });
    await net.save(join(tmp, 'plain.json'));
    await net.save(join(tmp, 'plain.wasmlp'));
    net.dispose();
    for (const f of ['plain.json', 'plain.wasmlp']) {
      const text = ok(['info', '--model', f]);
      expect(text).toContain(`model         ${f} (a network saved with Network.save)`);
      expect(text).toContain('architecture  3-5-2: 1 hidden layer (tanh), sigmoid output, loss mse, bias on');
      expect(text).toContain(`parameters    ${3 * 5 + 5 + 5 * 2 + 2}`);
      expect(text).toContain('seed          9');
    }
    const r = wasmlp(['predict', '--model', 'plain.json', '--data', IRIS]);
    expect(r.status).toBe(2);
    expect(r.stderr).toBe("wasmlp predict: plain.json: a plain network file (from Network.save) has no column names, classes or feature scaling; 'predict' needs a model written by 'wasmlp train'\n");
  });
});

describe('info on a layer list', () => {
  it('describes every layer (with its training settings) and prints the summary table', async () => {
    const net = new Network({
      layers: [3, { type: 'dense', units: 6, activation: 'relu', l2: 1e-3 }, { type: 'batchNormalization', momentum: 0.9 }, { type: 'dropout', rate: 0.25 },
        { type: 'dense', units: 4, activation: 'softmax', useBias: false }],
      seed: 5,
    });
    await net.save(join(tmp, 'list.wasmlp'));
    net.dispose();
    const text = ok(['info', '--model', 'list.wasmlp']);
    expect(text).toContain('architecture  3 → dense 6 relu (l2 0.001) → batchNormalization (momentum 0.9, epsilon 0.001) → dropout 0.25 → dense 4 softmax without bias, loss crossEntropy');
    // 3·6 + 6 = 24; batch normalization 2·6 trainable + 2·6 moving statistics; 6·4 = 24 (no bias): 72 in all
    expect(text).toContain('parameters    72');
    expect(text).toContain('2  batchNormalization                   6         12             12');
    expect(text).toContain('parameters: 72 (trainable 60, non-trainable 12)');
  });
});

describe('the train/validation split', () => {
  // One indicator column per row (r<i> is 1 on row i only): the stored standardization then shows
  // which rows trained (mean 1/trainRows) and which were held out (mean 0), without re-deriving the split.
  const N = 20;
  const header = [...Array.from({ length: N }, (_, i) => `r${i}`), 'x', 'label'];
  const rows = Array.from({ length: N }, (_, i) => [...Array.from({ length: N }, (_, j) => (i === j ? '1' : '0')), String((i * 7) % 11 + 0.5), i % 2 ? 'odd' : 'even']);
  const trainRows = (m: CliModel): number[] => [...Array(N).keys()].filter((i) => m.data.standardize.mean[i]! > 0);
  const run = (seed: number, split: string, file: string): { out: string; m: CliModel } => {
    const out = ok(['train', '--data', 'split.csv', '--target', 'label', '--layers', '4', '--epochs', '3', '--seed', String(seed), '--validation-split', split, '--out', file]);
    return { out, m: readModel(file) };
  };

  beforeAll(() => {
    writeFileSync(join(tmp, 'split.csv'), [header, ...rows].map((r) => r.join(',')).join('\n') + '\n');
  });

  it('holds out round(n·split) seeded rows; standardization and val accuracy are of the right rows; the same seed, the same split', () => {
    const a = run(7, '0.25', 'split-a.json');
    expect(a.out).toContain('split    15 training / 5 validation rows (seed 7)');
    expect(a.m.training).toMatchObject({ rows: 20, trainRows: 15, validationRows: 5 });
    const train = trainRows(a.m);
    expect(train).toHaveLength(15);
    for (let i = 0; i < N; i++) {
      expect(a.m.data.standardize.mean[i]).toBeCloseTo(train.includes(i) ? 1 / 15 : 0, 15);
      if (!train.includes(i)) expect(a.m.data.standardize.std[i]).toBe(1); // constant on the training rows
    }
    const xs = train.map((i) => Number(rows[i]![N]));
    const mean = xs.reduce((s, x) => s + x, 0) / xs.length;
    expect(a.m.data.standardize.mean[N]).toBeCloseTo(mean, 12);
    expect(a.m.data.standardize.std[N]).toBeCloseTo(Math.sqrt(xs.reduce((s, x) => s + (x - mean) ** 2, 0) / xs.length), 12);
    // the printed val accuracy is the saved network's on the 5 held-out rows
    const held = [...Array(N).keys()].filter((i) => !train.includes(i)).map((i) => rows[i]!);
    const net = Network.fromJSON(a.m.network);
    const p = net.predict(inputsOf(a.m, header, held));
    net.dispose();
    const correct = held.filter((r, i) => a.m.data.classes![argmax(p, 2, i)] === r[N + 1]).length;
    expect(a.out).toContain(`val accuracy ${((correct / 5) * 100).toFixed(2)}% (${correct} of 5)`);

    expect(trainRows(run(7, '0.25', 'split-b.json').m)).toEqual(train); // the same seed
    const other = trainRows(run(8, '0.25', 'split-c.json').m);
    expect(other).toHaveLength(15);
    expect(other).not.toEqual(train); // another seed, another split
  });

  it('a tiny split still holds out one row; split 0 trains on every row', () => {
    const tiny = run(7, '0.01', 'split-d.json');
    expect(tiny.out).toContain('split    19 training / 1 validation rows (seed 7)');
    expect(trainRows(tiny.m)).toHaveLength(19);
    const all = run(7, '0', 'split-e.json');
    expect(all.out).toContain('split    20 training / 0 validation rows (seed 7)');
    expect(all.m.training).toMatchObject({ trainRows: 20, validationRows: 0 });
    expect(trainRows(all.m)).toEqual([...Array(N).keys()]);
    expect(all.out).not.toContain('val ');
  });
});

describe('regression on a generated CSV', () => {
  /** y = 3a − 2b + ab + 10 + noise; 'id' is not a feature. */
  const rows: number[][] = [];
  const rng = new TestRng(5);
  for (let i = 0; i < 400; i++) {
    const a = rng.uniform(-2, 2), b = rng.uniform(-2, 2);
    rows.push([i, Number(a.toFixed(4)), Number(b.toFixed(4)), Number((3 * a - 2 * b + a * b + 10 + rng.uniform(-0.05, 0.05)).toFixed(4))]);
  }
  const mean = rows.reduce((s, r) => s + r[3]!, 0) / rows.length;
  const std = Math.sqrt(rows.reduce((s, r) => s + (r[3]! - mean) ** 2, 0) / rows.length);

  it('train → evaluate → predict: rmse far below the target\'s spread, figures equal to the library', () => {
    writeFileSync(join(tmp, 'reg.csv'), ['id,a,b,y', ...rows.map((r) => r.join(','))].join('\n') + '\n');
    const out = ok(['train', '--data', 'reg.csv', '--target', 'y', '--features', 'a,b', '--layers', '32,16', '--epochs', '60', '--learning-rate', '0.01', '--seed', '3', '--out', 'reg.json']);
    expect(out).toContain('data     reg.csv: 400 rows, 2 features (a, b)');
    expect(out).toMatch(/target {3}y: regression \(mean [\d.]+, std [\d.]+ on the training rows\)\n/);
    expect(out).toContain('network  2-32-16-1 (641 parameters), relu + linear, mse, adam lr 0.01, batch 32, 60 epochs');
    expect(out).toMatch(/epoch 60\/60  loss [\d.e-]+  rmse [\d.]+  val loss [\d.e-]+  val rmse [\d.]+\n/);
    const model = readModel('reg.json');
    expect(model.data).toMatchObject({ features: ['a', 'b'], target: 'y', task: 'regression', classes: null });

    const net = Network.fromJSON(model.network);
    expect(net.options).toMatchObject({ outputActivation: 'linear', loss: 'mse' });
    const header = ['id', 'a', 'b', 'y'];
    const str = rows.map((r) => r.map(String));
    const p = net.predict(inputsOf(model, header, str));
    net.dispose();
    const { mean: tm, std: ts } = model.data.targetScale!;
    const pred = Array.from(p, (v) => v * ts + tm);
    const rmse = Math.sqrt(pred.reduce((s, v, i) => s + (v - rows[i]![3]!) ** 2, 0) / rows.length);
    expect(rmse).toBeLessThan(0.1 * std);

    const json = JSON.parse(ok(['evaluate', '--model', 'reg.json', '--data', 'reg.csv', '--json'])) as { rows: number; rmse: number; mae: number; r2: number };
    expect(json.rows).toBe(400);
    expect(json.rmse).toBeCloseTo(rmse, 4);
    expect(json.r2).toBeGreaterThan(0.99);
    const text = ok(['evaluate', '--model', 'reg.json', '--data', 'reg.csv']);
    expect(text).toContain("reg.csv: 400 rows; model reg.json (regression of 'y')");
    expect(text).toMatch(/^rmse {2}[\d.]+ {3}mae [\d.]+ {3}r² 0\.99\d\d$/m);

    const predicted = cells(ok(['predict', '--model', 'reg.json', '--data', 'reg.csv']));
    expect(predicted[0]).toEqual(['prediction']);
    expect(predicted).toHaveLength(401);
    predicted.slice(1).forEach(([v], i) => expect(Math.abs(Number(v) - pred[i]!)).toBeLessThan(1e-4));
  });

  it('numeric class codes are a regression unless --task classification', () => {
    writeFileSync(join(tmp, 'codes.csv'), ['x,code', ...Array.from({ length: 40 }, (_, i) => `${i / 40},${i % 2}`)].join('\n') + '\n');
    const auto = ok(['train', '--data', 'codes.csv', '--target', 'code', '--epochs', '1', '--out', 'codes.json']);
    expect(auto).toContain('target   code: regression');
    expect(auto).toContain('its 2 integer values look like class codes: add --task classification');
    const cls = ok(['train', '--data', 'codes.csv', '--target', 'code', '--epochs', '1', '--task', 'classification', '--out', 'codes.json']);
    expect(cls).toContain('target   code: classification, 2 classes (0 20, 1 20)');
    expect(readModel('codes.json').data.classes).toEqual(['0', '1']);
  });
});

describe('Ctrl-C (SIGINT) or SIGTERM during train', () => {
  /**
   * 2,500 rows, label = (a + b − c > 0): 2,000 training rows. With --batch-size 1 an epoch (2,000
   * steps) outlasts fit's 8 ms between yields, so the signal mostly lands inside an epoch; with
   * --batch-size 50 (40 steps, well under 8 ms) it lands between epochs.
   */
  const rng = new TestRng(11);
  const csv = ['a,b,c,d,label', ...Array.from({ length: 2500 }, () => {
    const v = [0, 0, 0, 0].map(() => Number(rng.uniform(-2, 2).toFixed(3)));
    return [...v, v[0]! + v[1]! - v[2]! > 0 ? 'yes' : 'no'].join(',');
  })].join('\n') + '\n';

  /** Starts a 100,000-epoch run, sends `sig` 200 ms after its first epoch line, and waits for it to end. */
  function trainThenSignal(sig: 'SIGINT' | 'SIGTERM', out: string, batchSize: number): Promise<Run & { sentAt: number; ms: number }> {
    return new Promise((resolve, reject) => {
      const args = ['train', '--data', 'sig.csv', '--target', 'label', '--layers', '8', '--epochs', '100000', '--batch-size', String(batchSize), '--log-every', '1', '--out', out];
      const child = spawn(process.execPath, [CLI, ...args], { cwd: tmp, env: process.env });
      let stdout = '', stderr = '', sentAt = -1;
      const guard = setTimeout(() => child.kill('SIGKILL'), 20_000); // never hang the suite
      child.stdout.setEncoding('utf8').on('data', (d: string) => {
        stdout += d;
        if (sentAt < 0 && /^epoch +1\/100000 /m.test(stdout)) {
          sentAt = 0;
          setTimeout(() => { sentAt = performance.now(); child.kill(sig); }, 200);
        }
      });
      child.stderr.setEncoding('utf8').on('data', (d: string) => { stderr += d; });
      child.on('error', reject);
      child.on('close', (status) => { clearTimeout(guard); resolve({ status, stdout, stderr, sentAt, ms: performance.now() - sentAt }); });
    });
  }

  it('stops at a batch boundary, saves the model trained so far and exits 130 (SIGINT) or 143 (SIGTERM)', async () => {
    writeFileSync(join(tmp, 'sig.csv'), csv);
    const [int, term] = await Promise.all([trainThenSignal('SIGINT', 'sig-int.json', 1), trainThenSignal('SIGTERM', 'sig-term.json', 50)]);
    const where: string[] = [];
    for (const [sig, r, out, code, steps] of [['SIGINT', int, 'sig-int.json', 130, 2000], ['SIGTERM', term, 'sig-term.json', 143, 40]] as const) {
      expect(r.sentAt, `${sig} was sent`).toBeGreaterThan(0);
      expect(r.stderr).toBe('');
      expect(r.status, r.stdout).toBe(code);
      expect(r.ms, 'ended soon after the signal').toBeLessThan(3000);
      // one line says where training stopped and where the model is
      const lines = r.stdout.trimEnd().split('\n');
      const m = /^interrupted by (SIG\w+) after epoch (\d+)\/100000(?: and (\d+) of (\d+) batches of epoch (\d+))?; saved (\S+) \(4-8-2, 58 parameters\)$/.exec(lines.at(-1)!);
      expect(m, lines.at(-1)).not.toBeNull();
      const [, name, fullStr, partStr, perEpoch, partEpoch, path] = m!;
      const full = Number(fullStr), part = partStr === undefined ? 0 : Number(partStr);
      expect([name, path]).toEqual([sig, out]);
      expect(full).toBeGreaterThanOrEqual(1); // the signal came after the first epoch line
      if (partStr !== undefined) { expect(part).toBeGreaterThan(0); expect(part).toBeLessThan(steps); expect([Number(perEpoch), Number(partEpoch)]).toEqual([steps, full + 1]); }
      where.push(`${sig}: ${partStr === undefined ? 'between epochs' : 'inside an epoch'}`);
      // the epoch lines printed are the complete epochs, in order
      const epochs = lines.filter((l) => l.startsWith('epoch ')).map((l) => Number(/^epoch +(\d+)\//.exec(l)![1]));
      expect(epochs).toEqual(Array.from({ length: full }, (_, i) => i + 1));
      expect(lines.at(-2)).toMatch(/^trained in [\d.]+ s \([\d,]+ samples\/s\), loss /);
      // the file holds every step taken, is a working model, and has learned the rule
      const model = readModel(out);
      expect(model.training).toMatchObject({ epochs: 100000, epochsRun: full + (part > 0 ? 1 : 0), stopReason: 'aborted', batchSize: steps === 40 ? 50 : 1 });
      const net = Network.fromJSON(model.network);
      expect((model.network as { optimizer: { iterations: number } }).optimizer.iterations).toBe(full * steps + part);
      const rows = cells(csv).slice(1);
      const p = net.predict(inputsOf(model, ['a', 'b', 'c', 'd', 'label'], rows));
      net.dispose();
      expect(p).toHaveLength(5000);
      expect(Array.from(p).every(Number.isFinite)).toBe(true);
      const right = rows.filter((r, i) => model.data.classes![argmax(p, 2, i)] === r[4]).length;
      expect(right / rows.length, 'accuracy of the saved model').toBeGreaterThan(0.9);
      expect(readdirSync(tmp).filter((f) => f.startsWith(`.${out}`))).toEqual([]); // no temporary file left
    }
    console.log(`[cli] signal landed ${where.join(', ')}`);
  }, 15_000);
});

describe('bad input: one line on stderr, exit code 2, no stack trace', () => {
  beforeAll(() => {
    mkdirSync(join(tmp, 'bad'), { recursive: true });
    const files: Record<string, string> = {
      'letters.csv': 'a,b,label\n1,2,x\n3,abc,y\n',
      'blank.csv': 'a,b,label\n1,2,x\n3,,y\n',
      'empty.csv': '',
      'spaces.csv': '\n  \n',
      'header.csv': 'a,b,label\n',
      'ragged.csv': 'a,b,label\n1,2,x\n3,4\n',
      'dup.csv': 'a,a,label\n1,2,x\n',
      'target-only.csv': 'label\nx\ny\n',
      'one-class.csv': 'a,label\n1,x\n2,x\n',
      'iris-unknown.csv': 'sepal_length,sepal_width,petal_length,petal_width,species\n5.1,3.5,1.4,0.2,setosa\n6,3,4,1,daisy\n',
      'iris-missing.csv': 'sepal_length,sepal_width,petal_length,species\n5.1,3.5,1.4,setosa\n',
      'notjson.json': 'not json',
      'other.json': '{"format":"something"}',
    };
    for (const [f, text] of Object.entries(files)) writeFileSync(join(tmp, 'bad', f), text);
    ok(['train', '--data', IRIS, '--target', 'species', '--epochs', '1', '--out', 'bad/model.json']);
  });

  const T = ['train', '--target', 'label', '--data'];
  const cases: [string, string[], RegExp][] = [
    ['unknown command', ['trian'], /^wasmlp: unknown command 'trian' \(did you mean 'train'\?\); the commands are train, predict, evaluate, info/],
    ['unknown flag', [...T, 'bad/letters.csv', '--epocs', '5'], /^wasmlp train: unknown option '--epocs' \(did you mean '--epochs'\?\); see 'wasmlp train --help'$/],
    ['unknown flag without a hint', ['info', '--model', 'x', '--frobnicate'], /^wasmlp info: unknown option '--frobnicate'; see 'wasmlp info --help'$/],
    ['flag without its value', ['train', '--target', 'label', '--data'], /^wasmlp train: option '--data' needs a value/],
    ['value for a boolean flag', ['info', '--json=yes'], /^wasmlp info: option '--json' takes no value/],
    ['stray argument', ['predict', 'model.json'], /^wasmlp predict: unexpected argument 'model.json'/],
    ['missing --data', ['train', '--target', 'label'], /^wasmlp train: missing required option --data; see 'wasmlp train --help'$/],
    ['missing --target', ['train', '--data', 'bad/letters.csv'], /^wasmlp train: missing required option --target; see 'wasmlp train --help'$/],
    ['missing --model', ['evaluate', '--data', IRIS], /^wasmlp evaluate: missing required option --model/],
    ['missing data file', [...T, 'bad/nope.csv'], /^wasmlp train: cannot read data file 'bad\/nope.csv': no such file or directory$/],
    ['directory as data file', [...T, 'bad'], /^wasmlp train: cannot read data file 'bad': it is a directory$/],
    ['missing model file', ['predict', '--model', 'bad/nope.json', '--data', IRIS], /^wasmlp predict: cannot read model file 'bad\/nope.json': no such file or directory$/],
    ['non-numeric cell', [...T, 'bad/letters.csv'], /^wasmlp train: bad\/letters.csv: line 3, column 'b': 'abc' is not a number$/],
    ['empty cell', [...T, 'bad/blank.csv'], /^wasmlp train: bad\/blank.csv: line 3, column 'b': missing value \(expected a number\)$/],
    ['unknown target column', ['train', '--data', 'bad/letters.csv', '--target', 'lable'], /^wasmlp train: bad\/letters.csv: no target column 'lable' \(did you mean 'label'\?\); the columns are a, b, label$/],
    ['unknown feature column', [...T, 'bad/letters.csv', '--features', 'a,c'], /^wasmlp train: bad\/letters.csv: no feature column 'c'; the columns are a, b, label$/],
    ['empty file', [...T, 'bad/empty.csv'], /^wasmlp train: bad\/empty.csv: the file is empty \(expected a header row, then one row per sample\)$/],
    ['blank lines only', [...T, 'bad/spaces.csv'], /^wasmlp train: bad\/spaces.csv: the file is empty/],
    ['header without rows', [...T, 'bad/header.csv'], /^wasmlp train: bad\/header.csv: no data rows after the header$/],
    ['row of the wrong width', [...T, 'bad/ragged.csv'], /^wasmlp train: bad\/ragged.csv: line 3: 2 cells, but the header has 3 columns$/],
    ['duplicate column', [...T, 'bad/dup.csv'], /^wasmlp train: bad\/dup.csv: line 1: column name 'a' appears twice \(columns 1 and 2\)$/],
    ['only the target column', [...T, 'bad/target-only.csv'], /^wasmlp train: bad\/target-only.csv: no feature columns/],
    ['a single class', [...T, 'bad/one-class.csv'], /^wasmlp train: bad\/one-class.csv: column 'label' has only one class \('x'\): nothing to learn$/],
    ['--epochs 0', ['train', '--data', IRIS, '--target', 'species', '--epochs', '0'], /^wasmlp train: --epochs: expected an integer ≥ 1, got '0'$/],
    ['--learning-rate abc', ['train', '--data', IRIS, '--target', 'species', '--learning-rate', 'abc'], /^wasmlp train: --learning-rate: expected a number in \(0, ∞\), got 'abc'$/],
    ['--validation-split 1', ['train', '--data', IRIS, '--target', 'species', '--validation-split', '1'], /^wasmlp train: --validation-split: expected a number in \[0, 1\), got '1'$/],
    ['--layers 16,x', ['train', '--data', IRIS, '--target', 'species', '--layers', '16,x'], /^wasmlp train: --layers: expected layer sizes such as 64,32/],
    ['--activation typo', ['train', '--data', IRIS, '--target', 'species', '--activation', 'rleu'], /^wasmlp train: --activation: expected one of sigmoid, tanh, relu, leakyRelu, linear, elu, selu, gelu, softplus, swish, softsign, got 'rleu' \(did you mean 'relu'\?\)$/],
    ['--optimizer typo', ['train', '--data', IRIS, '--target', 'species', '--optimizer', 'adan'], /^wasmlp train: --optimizer: expected one of adam, adamw, sgd, rmsprop, got 'adan' \(did you mean 'adam'\?\)$/],
    ['model file not JSON', ['info', '--model', 'bad/notjson.json'], /^wasmlp info: bad\/notjson.json: not a wasmlp model file \(not valid JSON: /],
    ['model file of another format', ['info', '--model', 'bad/other.json'], /^wasmlp info: bad\/other.json: not a wasmlp model file/],
    ['class the model does not know', ['evaluate', '--model', 'bad/model.json', '--data', 'bad/iris-unknown.csv'], /^wasmlp evaluate: bad\/iris-unknown.csv: line 3, column 'species': class 'daisy' is not one the model knows \(setosa, versicolor, virginica\)$/],
    ['feature column missing', ['predict', '--model', 'bad/model.json', '--data', 'bad/iris-missing.csv'], /^wasmlp predict: bad\/iris-missing.csv: missing feature column 'petal_width' \(the model needs sepal_length, sepal_width, petal_length, petal_width\)$/],
    ['target column missing', ['evaluate', '--model', 'bad/model.json', '--data', 'bad/iris-missing.csv'], /^wasmlp evaluate: bad\/iris-missing.csv: missing feature column 'petal_width'/],
    ['unwritable --out', ['predict', '--model', 'bad/model.json', '--data', IRIS, '--out', 'no/such/dir/p.csv'], /^wasmlp predict: cannot write predictions file 'no\/such\/dir\/p.csv': no such file or directory$/],
    ['unwritable --onnx', ['export', '--model', 'bad/model.json', '--onnx', '/nonexistent-dir/x.onnx'], /^wasmlp export: cannot write ONNX file '\/nonexistent-dir\/x.onnx': no such file or directory$/],
    ['directory as --onnx', ['export', '--model', 'bad/model.json', '--onnx', 'bad'], /^wasmlp export: cannot write ONNX file 'bad': it is a directory$/],
    ['directory as --out', ['train', '--data', IRIS, '--target', 'species', '--epochs', '1', '--out', 'bad'], /^wasmlp train: cannot write model file 'bad': it is a directory$/],
  ];

  it.concurrent.for(cases)('%s', async ([, args, message], { expect }) => {
    const r = await wasmlpAsync(args);
    expect(r.status, r.stderr).toBe(2);
    const lines = r.stderr.split('\n');
    expect(lines, r.stderr).toHaveLength(2); // one line and its newline
    expect(lines[1]).toBe('');
    expect(lines[0]).toMatch(message);
    expect(r.stderr).not.toMatch(/\n\s+at |Error:/);
  });

  it('no command: the usage on stderr, exit 2', () => {
    const r = wasmlp([]);
    expect(r.status).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/^usage: wasmlp <command> \[options\]/);
  });
});

describe('the command is a client of the library', () => {
  const SRC = join(REPO, 'src');
  const sources = ['cli.ts', ...readdirSync(join(SRC, 'cli')).filter((f) => f.endsWith('.ts')).map((f) => `cli/${f}`)];
  /** Relative imports of a source file, resolved to paths under src/ ('cli/args.ts', 'index.ts'). */
  const importsOf = (file: string): string[] => {
    const text = readFileSync(join(SRC, file), 'utf8');
    const specs = [...text.matchAll(/(?:\bfrom|\bimport)\s*\(?\s*['"](\.[^'"]*)['"]/g)].map((m) => m[1]!);
    return specs.map((spec) => relative(SRC, resolve(dirname(join(SRC, file)), spec)).replace(/\.js$/, '.ts'));
  };

  it('src/cli.ts and src/cli/ import from the library only through src/index.ts and src/internal.ts', () => {
    expect(sources.length).toBeGreaterThan(5);
    for (const file of sources) {
      for (const target of importsOf(file)) {
        if (target.startsWith('cli/')) continue;
        expect(['index.ts', 'internal.ts'], `${file} imports src/${target}`).toContain(target);
      }
    }
  });

  it('commands never import each other', () => {
    const commands = ['train', 'predict', 'evaluate', 'info', 'export'].map((c) => `cli/${c}.ts`);
    for (const c of commands) {
      expect(existsSync(join(SRC, c)), c).toBe(true);
      expect(importsOf(c).filter((t) => commands.includes(t)), c).toEqual([]);
    }
  });

  it('one "did you mean" rule: the library and the command suggest the same names', () => {
    const cases: [string, string | undefined][] = [['rleu', 'relu'], ['Tanh', 'tanh'], ['sigmod', 'sigmoid'], ['lu', 'elu'], ['gelo', 'gelu'], ['softsing', 'softsign'], ['x', undefined]];
    for (const [typo, hint] of cases) {
      expect(suggest(typo, HIDDEN_ACTIVATIONS), typo).toBe(hint);
      let lib = '';
      try { new Network({ layers: [2, 3, 1], activation: typo as never }).dispose(); } catch (e) { lib = (e as Error).message; }
      const cli = wasmlp(['train', '--data', IRIS, '--target', 'species', '--activation', typo]);
      expect(cli.status).toBe(2);
      for (const message of [lib, cli.stderr]) {
        if (hint) expect(message).toContain(`(did you mean '${hint}'?)`);
        else expect(message).not.toContain('did you mean');
      }
    }
    expect(suggest('c', ['a', 'b', 'label'])).toBeUndefined(); // one edit, but the whole name
    expect(suggest('lable', ['a', 'b', 'label'])).toBe('label');
    expect(suggest('stpo', ['stop', 'throw'])).toBe('stop');
    expect(suggest('frobnicate', ['model', 'json', 'help'])).toBeUndefined();
  });
});

describe('on a terminal', () => {
  it.skipIf(!HAS_SCRIPT)('train shows a progress bar and colours; NO_COLOR keeps the bar and drops the colours', () => {
    const cmd = `'${process.execPath}' '${CLI}' train --data '${IRIS}' --target species --epochs 5 --out tty.json`;
    const base: NodeJS.ProcessEnv = { ...process.env, TERM: 'xterm' };
    delete base.NO_COLOR;
    const run = (env: Record<string, string>): string => {
      const r = spawnSync('script', ['-qec', cmd, '/dev/null'], { cwd: tmp, encoding: 'utf8', env: { ...base, ...env }, timeout: 60_000 });
      expect(r.status, r.stdout + r.stderr).toBe(0);
      return r.stdout;
    };
    const colour = run({});
    expect(colour).toContain('training ');
    expect(colour).toMatch(/[█░]/);
    expect(colour).toContain('\x1b[1m'); // bold val accuracy
    const plain = run({ NO_COLOR: '1' });
    expect(plain).toMatch(/[█░]/);
    expect(plain).not.toMatch(/\x1b\[(1|2|3\d|22|39)m/);
  });
});
