// The CLI's model file: one JSON object holding the network (exactly `Network#toJSON()`) and what
// the CLI needs to use it on a CSV file (feature columns, target, classes, standardization), plus a
// record of how it was trained:
//
//   { "format": "wasmlp-cli", "version": 1,
//     "network": { "format": "wasmlp", ... },        // Network.fromJSON(file.network)
//     "data": { "features": [...], "target": "species", "task": "classification",
//               "classes": [...], "standardize": { "mean": [...], "std": [...] }, "targetScale": null },
//     "training": { "data": "iris.csv", "rows": 150, ... } }
//
// `info` also reads a plain network file written by `Network#save` (JSON or .wasmlp).
import { Network, WasmlpError } from '../index.js';
import type { NetworkJSON } from '../internal.js';
import { CliError } from './args.js';
import { readBytes, writeAtomic } from './files.js';

export const CLI_FORMAT = 'wasmlp-cli';
export const CLI_FORMAT_VERSION = 1;

export type Task = 'classification' | 'regression';

/** How CSV columns map to the network's inputs and outputs. */
export interface DataSpec {
  /** Input columns, in the network's input order. */
  features: string[];
  target: string;
  task: Task;
  /** Class labels in output order (classification), else null. */
  classes: string[] | null;
  /** Inputs are (value − mean) / std, with mean and std of the training rows (std 1 for a constant column). */
  standardize: { mean: number[]; std: number[] };
  /** Regression: the network predicts (target − mean) / std. */
  targetScale: { mean: number; std: number } | null;
}

/** How the model was trained (shown by `info`). */
export interface TrainingInfo {
  data: string;
  rows: number;
  trainRows: number;
  validationRows: number;
  validationSplit: number;
  epochs: number;
  epochsRun: number;
  batchSize: number;
  stopReason: string;
  seconds: number;
  loss: number;
  valLoss: number | null;
  valAccuracy: number | null;
}

export interface ModelFile {
  format: typeof CLI_FORMAT;
  version: typeof CLI_FORMAT_VERSION;
  network: NetworkJSON;
  data: DataSpec;
  training: TrainingInfo;
}

export interface LoadedModel {
  file: string;
  kind: 'cli' | 'network';
  net: Network;
  /** Null for a plain network file. */
  data: DataSpec | null;
  training: TrainingInfo | null;
  /** Optimizer steps taken so far. */
  steps: number;
}

export function saveModel(file: string, net: Network, data: DataSpec, training: TrainingInfo): void {
  const model: ModelFile = { format: CLI_FORMAT, version: CLI_FORMAT_VERSION, network: net.toJSON(), data, training };
  writeAtomic(file, JSON.stringify(model, null, 1) + '\n', 'model file');
}

/** Loads a CLI model file, or (kind 'network') a file written by Network#save. Every problem is a CliError. */
export async function loadModel(file: string): Promise<LoadedModel> {
  const bytes = readBytes(file, 'model file');
  if (bytes.length === 0) throw new CliError(`${file}: the model file is empty`);
  try {
    if (bytes.length >= 6 && bytes.toString('latin1', 0, 6) === 'WASMLP') {
      const net = await Network.load(file);
      return { file, kind: 'network', net, data: null, training: null, steps: net.toJSON().optimizer.iterations };
    }
    let json: unknown;
    try { json = JSON.parse(bytes.toString('utf8')); } catch (e) {
      throw new CliError(`${file}: not a wasmlp model file (not valid JSON: ${(e as Error).message})`);
    }
    const o = (json !== null && typeof json === 'object' ? json : {}) as Record<string, unknown>;
    if (o.format === 'wasmlp') {
      const net = Network.fromJSON(o);
      return { file, kind: 'network', net, data: null, training: null, steps: (o as unknown as NetworkJSON).optimizer.iterations };
    }
    if (o.format !== CLI_FORMAT) {
      throw new CliError(`${file}: not a wasmlp model file (expected "format": "${CLI_FORMAT}" from 'wasmlp train', or "wasmlp" from Network.save)`);
    }
    if (o.version !== CLI_FORMAT_VERSION) throw new CliError(`${file}: model file version ${JSON.stringify(o.version)} is not supported (this wasmlp reads version ${CLI_FORMAT_VERSION})`);
    const net = Network.fromJSON(o.network);
    try {
      const data = checkData(o.data, net, file);
      return { file, kind: 'cli', net, data, training: (o.training ?? null) as TrainingInfo | null, steps: (o.network as NetworkJSON).optimizer.iterations };
    } catch (e) {
      net.dispose();
      throw e;
    }
  } catch (e) {
    if (e instanceof CliError) throw e;
    if (e instanceof WasmlpError) throw new CliError(`${file}: ${e.message}`);
    throw e;
  }
}

/** The CLI metadata of `m`, which `predict` and `evaluate` need: a plain network file has no column names, classes or scaling (then `m` is disposed). */
export function requireData(m: LoadedModel, command: string): DataSpec {
  if (m.data) return m.data;
  m.net.dispose();
  throw new CliError(`${m.file}: a plain network file (from Network.save) has no column names, classes or feature scaling; '${command}' needs a model written by 'wasmlp train'`);
}

/** Validates the `data` section against the network it belongs to. */
function checkData(v: unknown, net: Network, file: string): DataSpec {
  const bad = (what: string): never => { throw new CliError(`${file}: bad model file: data.${what}`); };
  if (v === null || typeof v !== 'object') return bad('is missing');
  const d = v as Record<string, unknown>;
  const inputs = net.sizes[0]!, outputs = net.sizes[net.sizes.length - 1]!;
  const strings = (a: unknown): a is string[] => Array.isArray(a) && a.every((s) => typeof s === 'string');
  const finite = (a: unknown, n: number): a is number[] => Array.isArray(a) && a.length === n && a.every((x) => typeof x === 'number' && Number.isFinite(x));
  if (!strings(d.features) || d.features.length !== inputs) bad(`features: expected ${inputs} column names (the network's inputs)`);
  if (typeof d.target !== 'string') bad('target: expected a column name');
  const std = (d.standardize ?? {}) as Record<string, unknown>;
  if (!finite(std.mean, inputs) || !finite(std.std, inputs) || (std.std as number[]).some((s) => s <= 0)) bad(`standardize: expected ${inputs} means and ${inputs} positive standard deviations`);
  if (d.task === 'classification') {
    if (!strings(d.classes) || d.classes.length !== outputs || new Set(d.classes).size !== outputs) bad(`classes: expected ${outputs} distinct labels (the network's outputs)`);
    if (net.options.outputActivation !== 'softmax') bad(`task: classification needs a softmax output, the network has '${net.options.outputActivation}'`);
  } else if (d.task === 'regression') {
    const ts = (d.targetScale ?? {}) as Record<string, unknown>;
    if (outputs !== 1) bad(`task: regression needs 1 output, the network has ${outputs}`);
    if (typeof ts.mean !== 'number' || !Number.isFinite(ts.mean) || typeof ts.std !== 'number' || !(ts.std > 0) || !Number.isFinite(ts.std)) bad('targetScale: expected a finite mean and a positive std');
  } else bad(`task: expected 'classification' or 'regression', got ${JSON.stringify(d.task)}`);
  return {
    features: d.features as string[], target: d.target as string, task: d.task as Task,
    classes: d.task === 'classification' ? (d.classes as string[]) : null,
    standardize: { mean: std.mean as number[], std: std.std as number[] },
    targetScale: d.task === 'regression' ? (d.targetScale as { mean: number; std: number }) : null,
  };
}
