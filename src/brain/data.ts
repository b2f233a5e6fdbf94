import { ArgumentTypeError, NonFiniteError, ShapeError, describe } from '../errors.js';

/** A name → position table, as brain.js saves in inputLookup / outputLookup. */
export type Lookup = Record<string, number>;

export interface BrainDatum { input: unknown; output: unknown }

const F32_MAX = 3.4028234663852886e38;
const hasOwn = (o: object, k: string): boolean => Object.prototype.hasOwnProperty.call(o, k);

/** True for number[] and the float typed arrays: values taken by position, no lookup. */
export function isNumeric(v: unknown): v is readonly number[] | Float32Array | Float64Array {
  return Array.isArray(v) || v instanceof Float32Array || v instanceof Float64Array;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v) && !ArrayBuffer.isView(v);
}

/** Checks one value (a number inside an input or output); `where` names it. */
export function checkNumber(v: unknown, where: string): number {
  if (typeof v !== 'number') throw new ArgumentTypeError(`${where}: expected a number, got ${describe(v)}`);
  if (!Number.isFinite(v)) throw new NonFiniteError(`${where}: expected a finite number, got ${describe(v)}`);
  if (Math.abs(v) > F32_MAX) throw new NonFiniteError(`${where}: ${v} is beyond float32's range (±3.4e38)`);
  return v;
}

/** Checks `data` is a non-empty array of { input, output } objects. */
export function checkData(data: unknown, name = 'data'): asserts data is BrainDatum[] {
  if (!Array.isArray(data)) {
    throw new ArgumentTypeError(`${name}: expected an array of { input, output } samples, got ${describe(data)}`);
  }
  if (data.length === 0) throw new ShapeError(`${name}: expected at least one { input, output } sample, got an empty array`);
  for (let i = 0; i < data.length; i++) {
    const d: unknown = data[i];
    if (!isPlainObject(d)) throw new ArgumentTypeError(`${name}[${i}]: expected an object { input, output }, got ${describe(d)}`);
    for (const k of ['input', 'output'] as const) {
      const v = d[k];
      if (!isNumeric(v) && !isPlainObject(v)) {
        throw new ArgumentTypeError(`${name}[${i}].${k}: expected number[], a Float32Array or an object of named numbers, got ${describe(v)}`);
      }
    }
  }
}

/**
 * brain.js's LookupTable: every key of data[i][prop] over all samples, numbered in order of first
 * appearance (for…in order of each object).
 */
export function buildLookup(data: readonly BrainDatum[], prop: 'input' | 'output'): Lookup {
  const table: Lookup = {};
  let n = 0;
  for (const d of data) {
    const o = d[prop] as Record<string, unknown>;
    for (const k in o) if (hasOwn(o, k) && !hasOwn(table, k)) table[k] = n++;
  }
  return table;
}

/** What data[0][prop] says about the form of every sample's value: by position, or by name. */
export function formOf(data: readonly BrainDatum[], prop: 'input' | 'output', name: string): 'numeric' | 'object' {
  const form = isNumeric(data[0]![prop]) ? 'numeric' : 'object';
  for (let i = 1; i < data.length; i++) {
    if ((isNumeric(data[i]![prop]) ? 'numeric' : 'object') !== form) {
      throw new ArgumentTypeError(`${name}[${i}].${prop}: data[0].${prop} is ${form === 'numeric' ? 'an array of numbers' : 'an object of named numbers'}, so every ${prop} must be too; got ${describe(data[i]![prop])}`);
    }
  }
  return form;
}

/**
 * Writes one value into dst[offset…offset+size): by position (its length must be `size`), or through
 * `lookup` by name (missing names are 0, names not in the lookup are ignored, as brain.js does).
 */
export function writeValue(dst: Float32Array, offset: number, value: unknown, size: number, lookup: Lookup | null, where: string): void {
  if (isNumeric(value)) {
    if (lookup && !numericLookup(lookup, size)) {
      throw new ArgumentTypeError(`${where}: this network takes an object with the keys ${keyList(lookup)}, got ${describe(value)}`);
    }
    if (value.length !== size) throw new ShapeError(`${where}: expected ${size} numbers, got ${describe(value)}`);
    for (let k = 0; k < size; k++) dst[offset + k] = checkNumber(value[k], `${where}[${k}]`);
    return;
  }
  if (!isPlainObject(value)) {
    throw new ArgumentTypeError(`${where}: expected ${lookup ? `an object with the keys ${keyList(lookup)}` : `an array of ${size} numbers`}, got ${describe(value)}`);
  }
  if (!lookup) {
    throw new ArgumentTypeError(`${where}: this network takes an array of ${size} numbers (it was not trained on named values), got ${describe(value)}`);
  }
  for (let k = 0; k < size; k++) dst[offset + k] = 0;
  for (const key in lookup) {
    if (!hasOwn(lookup, key) || !hasOwn(value, key)) continue;
    dst[offset + lookup[key]!] = checkNumber(value[key], `${where}.${key}`);
  }
}

/** A lookup that maps '0'…'size−1' to themselves (brain.js builds one when trained on Float32Arrays). */
function numericLookup(lookup: Lookup, size: number): boolean {
  const keys = Object.keys(lookup);
  return keys.length === size && keys.every((k) => lookup[k] === Number(k));
}

function keyList(lookup: Lookup): string {
  const keys = Object.keys(lookup);
  const shown = keys.slice(0, 8).map((k) => JSON.stringify(k)).join(', ');
  return keys.length > 8 ? `${shown}, … (${keys.length} in all)` : shown;
}

/** brain.js's lookup.toObject: { name: array[position] }. */
export function toObject(lookup: Lookup, array: Float32Array): Record<string, number> {
  const o: Record<string, number> = {};
  for (const k in lookup) if (hasOwn(lookup, k)) o[k] = array[lookup[k]!]!;
  return o;
}
