// From CSV tables to network inputs and targets: feature columns by name, standardization with the
// statistics stored in the model, one-hot class targets, scaled regression targets.
import { CliError } from './args.js';
import { allNumeric, columnIndex, numericCell, numericMatrix, type Table } from './csv.js';
import type { DataSpec, Task } from './model-file.js';

/** Mean and standard deviation (population) of each column over the rows `idx`; a constant column gets std 1. */
export function columnStats(raw: Float64Array, cols: number, idx: ArrayLike<number>): { mean: number[]; std: number[] } {
  const mean = new Array<number>(cols).fill(0), std = new Array<number>(cols).fill(0);
  for (let i = 0; i < idx.length; i++) for (let j = 0; j < cols; j++) mean[j]! += raw[idx[i]! * cols + j]!;
  for (let j = 0; j < cols; j++) mean[j]! /= idx.length;
  for (let i = 0; i < idx.length; i++) for (let j = 0; j < cols; j++) { const d = raw[idx[i]! * cols + j]! - mean[j]!; std[j]! += d * d; }
  for (let j = 0; j < cols; j++) { const s = Math.sqrt(std[j]! / idx.length); std[j] = s > 1e-12 ? s : 1; }
  return { mean, std };
}

/** (raw − mean) / std for every row, as float32. */
export function standardize(raw: Float64Array, s: { mean: number[]; std: number[] }): Float32Array {
  const cols = s.mean.length;
  const out = new Float32Array(raw.length);
  for (let i = 0; i < raw.length; i++) out[i] = (raw[i]! - s.mean[i % cols]!) / s.std[i % cols]!;
  return out;
}

/** Column indices of the model's features in `t` (any order, extra columns ignored). */
export function featureColumns(t: Table, spec: DataSpec): number[] {
  return spec.features.map((name) => {
    const i = t.header.indexOf(name);
    if (i < 0) throw new CliError(`${t.file}: missing feature column '${name}' (the model needs ${spec.features.join(', ')})`);
    return i;
  });
}

/** The model's inputs for every row of `t`: its feature columns, standardized as in training. */
export function inputs(t: Table, spec: DataSpec): Float32Array {
  return standardize(numericMatrix(t, featureColumns(t, spec)), spec.standardize);
}

/** Guesses the task from the target column: numbers → regression, anything else → classification. */
export function detectTask(t: Table, col: number): Task {
  return allNumeric(t, col) ? 'regression' : 'classification';
}

/** Sorted distinct labels of a column (numeric-aware: 2 before 10). */
export function classLabels(t: Table, col: number): string[] {
  const seen = new Set<string>();
  t.rows.forEach((r, i) => {
    if (r[col] === '') throw new CliError(`${t.file}: line ${t.lines[i]}, column '${t.header[col]}': missing target value`);
    seen.add(r[col]!);
  });
  return [...seen].sort((a, b) => a.localeCompare(b, 'en', { numeric: true }));
}

/** Targets of `t` for the model: one-hot rows (classification) or scaled values (regression). */
export function targets(t: Table, spec: DataSpec): { y: Float32Array; classIndex: Uint32Array | null; values: Float64Array | null } {
  const col = columnIndex(t, spec.target, 'target');
  const n = t.rows.length;
  if (spec.task === 'classification') {
    const classes = spec.classes!;
    const index = new Map(classes.map((c, i) => [c, i]));
    const y = new Float32Array(n * classes.length);
    const classIndex = new Uint32Array(n);
    for (let r = 0; r < n; r++) {
      const label = t.rows[r]![col]!;
      const k = index.get(label);
      if (k === undefined) {
        const where = `${t.file}: line ${t.lines[r]}, column '${spec.target}'`;
        if (label === '') throw new CliError(`${where}: missing target value`);
        throw new CliError(`${where}: class '${label}' is not one the model knows (${classes.join(', ')})`);
      }
      y[r * classes.length + k] = 1;
      classIndex[r] = k;
    }
    return { y, classIndex, values: null };
  }
  const { mean, std } = spec.targetScale!;
  const values = new Float64Array(n);
  const y = new Float32Array(n);
  for (let r = 0; r < n; r++) {
    values[r] = numericCell(t, r, col);
    y[r] = (values[r]! - mean) / std;
  }
  return { y, classIndex: null, values };
}
