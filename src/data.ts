import type { OutputActivation } from './activations.js';
import { LOSS, type Loss } from './losses.js';
import { ArgumentTypeError, DomainError, NonFiniteError, OptionError, ShapeError, describe } from './errors.js';
import { suggest } from './suggest.js';

/** A row-major matrix: `data` holds rows × cols floats. */
export interface Matrix { data: Float32Array; rows: number; cols: number }

/** A batch of samples: one sample (number[]), rows (number[][]), a row-major Float32Array, or a Matrix. */
export type BatchInput = number[] | number[][] | Float32Array | Matrix;

/** Targets: a batch like x, or for sparseCrossEntropy one class index per sample (number[], Int32Array or Uint8Array). */
export type TargetInput = BatchInput | Int32Array | Uint8Array;

/** A validated batch: its kind decides the shape of what is returned ('classes': one class index per row, written as one-hot rows of `cols`). */
export interface Batch {
  readonly kind: 'sample' | 'rows' | 'flat' | 'classes';
  readonly rows: number;
  readonly cols: number;
  readonly source: readonly number[] | readonly (readonly number[])[] | Float32Array | Float64Array | Int32Array | Uint8Array;
  /** The argument's name, for messages. */
  readonly name: string;
  /** True when finiteness was not checked yet (a Float32Array checked in wasm after staging). */
  readonly unchecked?: boolean;
}

/**
 * Checks structure, types, shape and finiteness of `value` as rows of width `cols`, naming the
 * argument `name` in every message. Reads everything once; copies nothing.
 */
export function toBatch(value: unknown, cols: number, name: string, deferFinite = false): Batch {
  if (value instanceof Float32Array || value instanceof Float64Array) {
    if (value.length === 0) throw new ShapeError(`${name}: expected a row-major batch of rows × ${cols} numbers, got an empty ${value.constructor.name}`);
    if (value.length % cols !== 0) {
      throw new ShapeError(`${name}: expected a row-major batch whose length is a multiple of ${cols} (rows × ${cols}), got a ${value.constructor.name} of length ${value.length}`);
    }
    if (deferFinite && value instanceof Float32Array) return { kind: 'flat', rows: value.length / cols, cols, source: value, name, unchecked: true };
    for (let i = 0; i < value.length; i++) {
      if (!Number.isFinite(value[i]!)) throw nonFinite(name, value, i, cols);
      if (Math.abs(value[i]!) > 3.4028234663852886e38) {
        throw new NonFiniteError(`${name}: ${value[i]} at row ${Math.floor(i / cols)}, column ${i % cols} is beyond float32's range (±3.4e38)`);
      }
    }
    return { kind: 'flat', rows: value.length / cols, cols, source: value, name };
  }
  if (value !== null && typeof value === 'object' && !Array.isArray(value) && 'data' in value) {
    const m = value as Partial<Matrix>;
    if (!(m.data instanceof Float32Array)) throw new ArgumentTypeError(`${name}.data: expected a Float32Array, got ${describe(m.data)}`);
    if (m.cols !== cols) throw new ShapeError(`${name}.cols: expected ${cols}, got ${describe(m.cols)}`);
    if (typeof m.rows !== 'number' || !Number.isInteger(m.rows) || m.rows < 1) throw new ShapeError(`${name}.rows: expected an integer ≥ 1, got ${describe(m.rows)}`);
    if (m.data.length !== m.rows * cols) throw new ShapeError(`${name}.data: expected rows × cols = ${m.rows * cols} floats, got ${m.data.length}`);
    return toBatch(m.data, cols, `${name}.data`, deferFinite);
  }
  if (!Array.isArray(value)) {
    throw new ArgumentTypeError(`${name}: expected number[] (one sample), number[][] (a batch), a Float32Array or { data, rows, cols }, got ${describe(value)}`);
  }
  if (value.length === 0) throw new ShapeError(`${name}: expected at least one sample of ${cols} numbers, got an empty array`);
  if (Array.isArray(value[0])) {
    for (let r = 0; r < value.length; r++) {
      const row: unknown = value[r];
      if (!Array.isArray(row)) throw new ArgumentTypeError(`${name}[${r}]: expected an array of ${cols} numbers (a row), got ${describe(row)}`);
      if (row.length !== cols) throw new ShapeError(`${name}[${r}]: expected a row of ${cols} numbers, got an array of length ${row.length}`);
      checkNumbers(row, `${name}[${r}]`);
    }
    return { kind: 'rows', rows: value.length, cols, source: value as number[][], name };
  }
  if (value.length !== cols) {
    throw new ShapeError(`${name}: expected one sample of ${cols} numbers (or number[][] for a batch), got an array of length ${value.length}`);
  }
  checkNumbers(value, name);
  return { kind: 'sample', rows: 1, cols, source: value as number[], name };
}

/**
 * The targets of `loss` as a validated batch: rows of `cols` numbers (toBatch), or, for a loss whose
 * targets are class indices (sparseCrossEntropy), one integer in [0, cols) per sample, which
 * writeRows/gatherRows stage as one-hot rows: the one place class indices become rows.
 */
export function toTargets(value: unknown, cols: number, loss: Loss, name: string, deferFinite = false): Batch {
  return LOSS[loss].classIndices ? toClasses(value, cols, loss, name) : toBatch(value, cols, name, deferFinite);
}

function toClasses(value: unknown, cols: number, loss: Loss, name: string): Batch {
  const expected = `one class index per sample (an integer in [0, ${cols})) as a number[], an Int32Array or a Uint8Array`;
  if (!(Array.isArray(value) || value instanceof Int32Array || value instanceof Uint8Array)) {
    throw new ArgumentTypeError(`${name}: ${loss} takes ${expected}, got ${describe(value)}`);
  }
  if (value.length === 0) throw new ShapeError(`${name}: ${loss} takes ${expected}, got an empty ${Array.isArray(value) ? 'array' : value.constructor.name}`);
  for (let i = 0; i < value.length; i++) {
    const v: unknown = value[i];
    if (Array.isArray(v)) {
      throw new ShapeError(`${name}: ${loss} takes ${expected}, got number[][] (rows of targets; for one-hot or probability rows use loss 'crossEntropy')`);
    }
    if (typeof v !== 'number') throw new ArgumentTypeError(`${name}[${i}]: expected a class index (an integer in [0, ${cols})), got ${describe(v)}`);
    if (!Number.isFinite(v)) throw new NonFiniteError(`${name}: expected finite class indices, got ${describe(v)} at row ${i}`);
    if (!Number.isInteger(v) || v < 0 || v >= cols) {
      throw new DomainError(`${name}: ${loss} needs class indices that are integers in [0, ${cols}) (the output size), got ${v} at row ${i}`);
    }
  }
  return { kind: 'classes', rows: value.length, cols, source: value as readonly number[] | Int32Array | Uint8Array, name };
}

/** The ShapeError for targets whose row count is not x's (`rows`). */
export function targetRowsError(yb: Batch, rows: number, note = ' (one per sample of x)'): ShapeError {
  return new ShapeError(`${yb.name}: expected ${rows} ${yb.kind === 'classes' ? 'class indices' : 'rows of targets'}${note}, got ${yb.rows}`);
}

/** The NonFiniteError for element `i` of a flat batch. */
export function nonFinite(name: string, a: ArrayLike<number>, i: number, cols: number): NonFiniteError {
  return new NonFiniteError(`${name}: expected finite numbers, got ${describe(a[i])} at row ${Math.floor(i / cols)}, column ${i % cols} (index ${i})`);
}

function checkNumbers(row: readonly unknown[], name: string): void {
  for (let j = 0; j < row.length; j++) {
    const v = row[j];
    if (typeof v !== 'number') throw new ArgumentTypeError(`${name}[${j}]: expected a number, got ${describe(v)}`);
    if (!Number.isFinite(v)) throw new NonFiniteError(`${name}[${j}]: expected a finite number, got ${describe(v)}`);
    if (Math.abs(v) > 3.4028234663852886e38) throw new NonFiniteError(`${name}[${j}]: ${v} is beyond float32's range (±3.4e38)`);
  }
}

/** Copies rows [start, start+count) of a validated batch into `dst` at float index `at`. */
export function writeRows(b: Batch, dst: Float32Array, at: number, start: number, count: number): void {
  const { cols } = b;
  if (b.kind === 'flat') {
    const src = b.source as Float32Array | Float64Array;
    dst.set(src.subarray(start * cols, (start + count) * cols), at);
  } else if (b.kind === 'classes') { // one-hot rows
    const src = b.source as ArrayLike<number>;
    dst.fill(0, at, at + count * cols);
    for (let r = 0; r < count; r++) dst[at + r * cols + src[start + r]!] = 1;
  } else if (b.kind === 'sample') {
    const src = b.source as readonly number[];
    for (let j = 0; j < cols; j++) dst[at + j] = src[j]!;
  } else {
    const src = b.source as readonly (readonly number[])[];
    for (let r = 0; r < count; r++) {
      const row = src[start + r]!;
      const o = at + r * cols;
      for (let j = 0; j < cols; j++) dst[o + j] = row[j]!;
    }
  }
}

/** Copies the rows `order[start .. start+count)` of a validated batch into `dst` at float index `at`. */
export function gatherRows(b: Batch, dst: Float32Array, at: number, order: Uint32Array, start: number, count: number): void {
  const { cols } = b;
  if (b.kind === 'flat') {
    const src = b.source as Float32Array | Float64Array;
    for (let i = 0; i < count; i++) {
      const r = order[start + i]!;
      dst.set(src.subarray(r * cols, (r + 1) * cols), at + i * cols);
    }
  } else {
    for (let i = 0; i < count; i++) writeRows(b, dst, at + i * cols, order[start + i]!, 1);
  }
}

/** Checks every row of a validated target batch against the loss (see checkTargets). */
export function checkTargetBatch(b: Batch, loss: Loss, name: string): void {
  if (!LOSS[loss].checksTargets) return;
  const row = new Float32Array(b.cols);
  for (let r = 0; r < b.rows; r++) {
    writeRows(b, row, 0, r, 1);
    try { checkTargets(row, 0, 1, b.cols, loss, name); } catch (e) {
      (e as Error).message = (e as Error).message.replace(/at row 0/, `at row ${r}`);
      throw e;
    }
  }
}

/** Checks staged targets (`rows × cols` floats of `t` from float index `at`) against the loss (LOSS[loss].check). */
export function checkTargets(t: Float32Array, at: number, rows: number, cols: number, loss: Loss, name: string): void {
  LOSS[loss].check(t, at, rows, cols, name);
}

/** Shapes `rows × cols` floats from `src` (at float index `at`) like the input batch was shaped. */
export function shapeLike(kind: Batch['kind'], src: Float32Array, rows: number, cols: number): number[] | number[][] | Float32Array {
  if (kind === 'flat') return src.slice(0, rows * cols);
  if (kind === 'sample') return Array.from(src.subarray(0, cols));
  const out: number[][] = new Array(rows);
  for (let r = 0; r < rows; r++) out[r] = Array.from(src.subarray(r * cols, (r + 1) * cols));
  return out;
}

/**
 * predict's path for one sample: when `value` is a number[] of `cols` numbers (not rows) or a
 * Float32Array of `cols` floats, copies it to `dst` at float index `at`, checking every number of
 * an array on the way with toBatch's checks and messages, and returns which it was; for anything
 * else returns null and writes nothing (the caller takes toBatch's path). Allocates nothing. A
 * Float32Array's finiteness is left to the caller (scanned in wasm, as toBatch's deferred check).
 */
export function writeSample(value: unknown, dst: Float32Array, at: number, cols: number, name: string): 'array' | 'f32' | null {
  if (value instanceof Float32Array) {
    if (value.length !== cols) return null;
    dst.set(value, at);
    return 'f32';
  }
  if (!Array.isArray(value) || value.length !== cols || Array.isArray(value[0])) return null;
  for (let j = 0; j < cols; j++) {
    const v: unknown = value[j];
    if (typeof v !== 'number') throw new ArgumentTypeError(`${name}[${j}]: expected a number, got ${describe(v)}`);
    if (!Number.isFinite(v)) throw new NonFiniteError(`${name}[${j}]: expected a finite number, got ${describe(v)}`);
    if (Math.abs(v) > 3.4028234663852886e38) throw new NonFiniteError(`${name}[${j}]: ${v} is beyond float32's range (±3.4e38)`);
    dst[at + j] = v;
  }
  return 'array';
}

// ************* sample and class weights *************
// Keras's sample_weight and class_weight: one weight per row, the loss of row r counting w_r times
// (reduced by the number of rows, never by Σw). Both given: multiplied (tf.keras 2's rule). The
// weights are staged in wasm as float32, one per row, next to the targets (src/staging.ts).

/** Checked weight options of a call: one weight per row (not copied) and one per class, or null. */
export interface RowWeights {
  /** sampleWeight: `rows` finite numbers ≥ 0 (number[] or Float32Array), in the rows' order. */
  readonly sample: ArrayLike<number> | null;
  readonly classes: ClassWeights | null;
}

/** classWeight, checked against the output layer: one float32 weight per class and how a target row's class is read. */
export interface ClassWeights {
  /** One weight per class; 1 for a class the option leaves out (Keras's class_weight.get(c, 1.0)). */
  readonly weights: Float32Array;
  /** True: the class of a row is the argmax of its target row (softmax); false: one sigmoid output, class 1 where the target > 0.5. */
  readonly argmax: boolean;
}

/** The weight options of trainBatch/gradients (sampleWeight checked once the row count is known). */
export interface WeightOptions {
  readonly sampleWeight: unknown;
  readonly classes: ClassWeights | null;
  /** 'trainBatch options', for messages. */
  readonly where: string;
}

const TRAIN_KEYS = ['sampleWeight', 'classWeight'];
const EVALUATE_KEYS = ['metrics', 'sampleWeight'];

/** OptionError for the first key of `o` not in `known`, with "did you mean" (`where`: 'trainBatch options'). */
function checkKeys(o: object, known: readonly string[], where: string, note = ''): void {
  for (const k of Object.keys(o)) {
    if (known.includes(k)) continue;
    const hint = suggest(k, known);
    throw new OptionError(`${where}.${k}: unknown option${hint ? ` (did you mean '${hint}'?)` : ''}; known options are ${known.join(', ')}${note}`);
  }
}

/**
 * trainBatch's and gradients' options checked: an object with sampleWeight and/or classWeight
 * (classWeight checked against the output layer now, sampleWeight when the rows are staged).
 * null when no weight is given (the unweighted path).
 */
export function trainOptions(options: unknown, call: 'trainBatch' | 'gradients', activation: OutputActivation, cols: number): WeightOptions | null {
  if (options === undefined) return null;
  const where = `${call} options`;
  if (options === null || typeof options !== 'object' || Array.isArray(options)) throw new ArgumentTypeError(`${where}: expected an object such as { sampleWeight } or { classWeight }, got ${describe(options)}`);
  const o = options as Record<string, unknown>;
  checkKeys(o, TRAIN_KEYS, where);
  const classes = o.classWeight === undefined ? null : toClassWeights(o.classWeight, activation, cols, `${where}.classWeight`);
  return o.sampleWeight === undefined && !classes ? null : { sampleWeight: o.sampleWeight, classes, where };
}

/** evaluate's options checked as an object with known keys (the metrics themselves are metrics.ts's to check); sampleWeight unchecked yet. */
export function evaluateOptions(options: unknown): { metrics?: unknown; sampleWeight?: unknown } | undefined {
  if (options === undefined) return undefined;
  const where = 'evaluate options';
  if (options === null || typeof options !== 'object' || Array.isArray(options)) throw new ArgumentTypeError(`${where}: expected an object such as { metrics: ['accuracy'] } or { sampleWeight }, got ${describe(options)}`);
  const o = options as Record<string, unknown>;
  checkKeys(o, EVALUATE_KEYS, where, 'classWeight' in o ? ' (class weights are a training option of fit, trainBatch and gradients, as in Keras; weight rows with sampleWeight)' : '');
  return { metrics: o.metrics, sampleWeight: o.sampleWeight };
}

/** sampleWeight checked: a number[] or Float32Array of `rows` finite weights ≥ 0 (within float32's range); returned as is, not copied. */
export function checkSampleWeight(value: unknown, rows: number, name: string): ArrayLike<number> {
  const expected = `one weight ≥ 0 per row (a number[] or a Float32Array of ${rows})`;
  if (!(Array.isArray(value) || value instanceof Float32Array)) throw new ArgumentTypeError(`${name}: expected ${expected}, got ${describe(value)}`);
  if (value.length !== rows) throw new ShapeError(`${name}: expected ${rows} weights (one per row of x), got ${describe(value)}`);
  for (let i = 0; i < rows; i++) checkWeight(value[i], `${name}[${i}]`);
  return value as ArrayLike<number>;
}

/** Weights [start, start + count) of checked sample weights, indexed from 0 (fit's validationSplit rows): a view of a Float32Array, a copy of an array. */
export function weightRows(sample: ArrayLike<number>, start: number, count: number): ArrayLike<number> {
  return sample instanceof Float32Array ? sample.subarray(start, start + count) : Array.prototype.slice.call(sample, start, start + count) as number[];
}

/** One weight: a finite number ≥ 0 within float32's range. */
function checkWeight(v: unknown, name: string): void {
  if (typeof v !== 'number') throw new ArgumentTypeError(`${name}: expected a weight (a number ≥ 0), got ${describe(v)}`);
  if (!Number.isFinite(v)) throw new NonFiniteError(`${name}: expected a finite weight ≥ 0, got ${describe(v)}`);
  if (v > 3.4028234663852886e38) throw new NonFiniteError(`${name}: ${v} is beyond float32's range (±3.4e38)`);
  if (v < 0) throw new DomainError(`${name}: expected a weight ≥ 0, got ${v}`);
}

/**
 * classWeight checked against the output layer: { [class]: weight } (classes left out weigh 1) or
 * an array of one weight per class. The classes are a softmax layer's outputs (a row's class is
 * its target's argmax; with sparseCrossEntropy, the index) or 0 and 1 for one sigmoid output
 * (target > 0.5). Other outputs are refused: a regression has no classes, and a row of several
 * sigmoid outputs has several (Keras takes its argmax, which is no class of a multi-label row).
 */
export function toClassWeights(value: unknown, activation: OutputActivation, cols: number, name: string): ClassWeights {
  const what = `this network's output layer is ${cols} ${activation} output${cols === 1 ? '' : 's'}`;
  const argmax = activation === 'softmax';
  if (!argmax && !(activation === 'sigmoid' && cols === 1)) {
    const why = activation === 'sigmoid' ? ' (multi-label: each row has several yes/no classes)' : ' (a regression has no classes)';
    throw new OptionError(`${name}: class weights need one class per row, from a softmax output layer (the target row's argmax) or one sigmoid output (classes 0 and 1); ${what}${why}. Weight the rows with sampleWeight instead`);
  }
  const k = argmax ? cols : 2;
  const range = `a class index in [0, ${k}) (${argmax ? `the ${k} softmax outputs` : 'one sigmoid output: class 1 where the target > 0.5'})`;
  const weights = new Float32Array(k).fill(1);
  if (Array.isArray(value) || value instanceof Float32Array) {
    if (value.length !== k) throw new ShapeError(`${name}: expected ${k} weights (one per class, ${range.replace('a class index in', 'classes')}), got ${describe(value)}`);
    for (let c = 0; c < k; c++) { checkWeight(value[c], `${name}[${c}]`); weights[c] = value[c] as number; }
    return { weights, argmax };
  }
  if (value === null || typeof value !== 'object' || ArrayBuffer.isView(value)) {
    throw new ArgumentTypeError(`${name}: expected { [class]: weight } or an array of ${k} weights (one per class), got ${describe(value)}`);
  }
  for (const [key, v] of Object.entries(value)) {
    const c = Number(key);
    if (!(Number.isInteger(c) && String(c) === key && c >= 0 && c < k)) throw new DomainError(`${name}[${JSON.stringify(key)}]: expected ${range}, got ${JSON.stringify(key)}`);
    checkWeight(v, `${name}[${c}]`);
    weights[c] = v as number;
  }
  return { weights, argmax };
}

/**
 * Writes the weights of `rows` staged rows to f32[at ..]: sample[order[start + i]] (start + i
 * without an order) times the class weight of staged target row i (f32[t + i·cols ..]), in float32.
 * Allocates nothing.
 */
export function writeRowWeights(f32: Float32Array, at: number, t: number, rows: number, cols: number, weights: RowWeights, order: Uint32Array | null, start: number): void {
  const { sample, classes } = weights;
  for (let i = 0; i < rows; i++) {
    let w = 1;
    if (sample) w = Math.fround(sample[order ? order[start + i]! : start + i]!);
    if (classes) {
      const row = t + i * cols;
      let c = 0;
      if (classes.argmax) { for (let j = 1; j < cols; j++) if (f32[row + j]! > f32[row + c]!) c = j; } else c = f32[row]! > 0.5 ? 1 : 0;
      w *= classes.weights[c]!;
    }
    f32[at + i] = w; // one rounding of the float32 product
  }
}
