import { ArgumentTypeError, FormatError, describe } from '../errors.js';
import type { Lookup } from './data.js';
import { BRAIN_ACTIVATIONS, type BrainActivation } from './wasm-net.js';

/** One layer of brain.js 2's JSON: rows of weights (one per node, over the previous layer) and biases. */
export interface BrainLayerJSON { weights: number[][]; biases: number[] }

/** The JSON of brain.js 2.0.0-beta.24's NeuralNetwork#toJSON, which this library writes too. */
export interface BrainNetworkJSON {
  type: 'NeuralNetwork';
  sizes: number[];
  /** layers[0] is the input layer ({ weights: [], biases: [] }). */
  layers: BrainLayerJSON[];
  inputLookup: Lookup | null;
  inputLookupLength: number;
  outputLookup: Lookup | null;
  outputLookupLength: number;
  options: { inputSize: number; outputSize: number; binaryThresh: number; hiddenLayers?: number[] };
  trainOpts: {
    activation: BrainActivation;
    iterations: number;
    errorThresh: number;
    log: boolean;
    logPeriod: number;
    leakyReluAlpha: number;
    learningRate: number;
    momentum: number;
    callbackPeriod: number;
    timeout: number | 'Infinity';
    praxis?: 'adam';
    beta1: number;
    beta2: number;
    epsilon: number;
    batchSize?: number;
  };
}

/** A network read from either version's JSON. */
export interface ParsedBrainJSON {
  format: '1.x' | '2.x';
  sizes: number[];
  /** Per layer 1…n−1: rows[node][input] and biases[node]. */
  layers: { weights: ArrayLike<number>[]; biases: ArrayLike<number> }[];
  inputLookup: Lookup | null;
  outputLookup: Lookup | null;
  activation: BrainActivation;
  binaryThresh?: number;
  /** The other saved training options, to be checked and merged by the caller. */
  trainOpts: Record<string, unknown>;
}

const isObj = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);

function fail(msg: string): never {
  throw new FormatError(`fromJSON: ${msg}`);
}

function num(v: unknown, where: string): number {
  if (typeof v !== 'number' || !Number.isFinite(v)) fail(`${where}: expected a finite number, got ${describe(v)}`);
  return v;
}

function sizesOf(v: unknown): number[] {
  if (!Array.isArray(v) || v.length < 2) fail(`sizes: expected an array of at least 2 layer sizes, got ${describe(v)}`);
  return v.map((s, i) => {
    if (typeof s !== 'number' || !Number.isInteger(s) || s < 1 || s > 1 << 24) fail(`sizes[${i}]: expected an integer ≥ 1, got ${describe(s)}`);
    return s;
  });
}

function lookupOf(v: unknown, size: number, where: string): Lookup | null {
  if (v === null || v === undefined || v === false) return null;
  if (!isObj(v)) fail(`${where}: expected an object { name: position } or null, got ${describe(v)}`);
  const keys = Object.keys(v);
  if (keys.length !== size) fail(`${where}: expected ${size} names (the layer's size), got ${keys.length}`);
  const seen = new Set<number>();
  for (const k of keys) {
    const p = v[k];
    if (typeof p !== 'number' || !Number.isInteger(p) || p < 0 || p >= size || seen.has(p)) {
      fail(`${where}.${k}: expected a distinct position in 0…${size - 1}, got ${describe(p)}`);
    }
    seen.add(p);
  }
  return { ...(v as Lookup) };
}

function activationOf(v: unknown, where: string): BrainActivation {
  if (v === undefined || v === null) return 'sigmoid';
  if (typeof v !== 'string' || !(BRAIN_ACTIVATIONS as readonly string[]).includes(v)) {
    fail(`${where}: expected one of ${BRAIN_ACTIVATIONS.map((a) => `'${a}'`).join(', ')}, got ${describe(v)}`);
  }
  return v as BrainActivation;
}

/** brain.js's lookup.toHash: the keys of an object numbered in order. */
function toHash(o: Record<string, unknown>): Lookup {
  const h: Lookup = {};
  let i = 0;
  for (const k in o) h[k] = i++;
  return h;
}

/** Training options saved in JSON, with brain.js's 'Infinity' for timeout and fields that are not options dropped. */
function savedTrainOpts(v: unknown): Record<string, unknown> {
  if (v === undefined || v === null) return {};
  if (!isObj(v)) fail(`trainOpts: expected an object, got ${describe(v)}`);
  const out: Record<string, unknown> = {};
  for (const [k, val] of Object.entries(v)) {
    if (k === 'activation' || k === 'praxis' || k === 'callback') continue; // activation is read separately; adam/callbacks are not restored
    if (k === 'log') { out.log = val === true; continue; } // brain.js saves only a boolean (a log function becomes true)
    out[k] = k === 'timeout' && val === 'Infinity' ? Infinity : val;
  }
  return out;
}

/** Reads the JSON of brain.js 2.0.0-beta.24 (layers of { weights, biases }) or 1.6.1 (layers of named nodes). */
export function parseBrainJSON(json: unknown): ParsedBrainJSON {
  if (typeof json === 'string') {
    try { json = JSON.parse(json); } catch (e) { fail(`not valid JSON text (${(e as Error).message})`); }
  }
  if (!isObj(json)) throw new ArgumentTypeError(`fromJSON: expected the object brain.js's toJSON returns (or its JSON text), got ${describe(json)}`);
  if (json.type !== undefined && json.type !== 'NeuralNetwork') {
    fail(`type: this is the JSON of a brain.js ${describe(json.type)}; only NeuralNetwork is supported`);
  }
  const sizes = sizesOf(json.sizes);
  const layers = json.layers;
  if (!Array.isArray(layers) || layers.length !== sizes.length) {
    fail(`layers: expected an array of ${sizes.length} layers (one per entry of sizes), got ${describe(layers)}`);
  }
  const first: unknown = layers[0];
  const v2 = isObj(first) && Array.isArray(first.weights) && Array.isArray(first.biases);
  return v2 ? parseV2(json, sizes, layers) : parseV1(json, sizes, layers);
}

function parseV2(json: Record<string, unknown>, sizes: number[], layers: unknown[]): ParsedBrainJSON {
  const out: ParsedBrainJSON['layers'] = [];
  for (let l = 1; l < sizes.length; l++) {
    const L = layers[l];
    if (!isObj(L) || !Array.isArray(L.weights) || !Array.isArray(L.biases)) fail(`layers[${l}]: expected { weights, biases }, got ${describe(L)}`);
    if (L.weights.length !== sizes[l] || L.biases.length !== sizes[l]) {
      fail(`layers[${l}]: expected ${sizes[l]} rows of weights and ${sizes[l]} biases (sizes[${l}]), got ${L.weights.length} and ${L.biases.length}`);
    }
    const rows = L.weights.map((row: unknown, j: number) => {
      if (!Array.isArray(row) || row.length !== sizes[l - 1]) fail(`layers[${l}].weights[${j}]: expected ${sizes[l - 1]} numbers (sizes[${l - 1}]), got ${describe(row)}`);
      return row.map((w, k) => num(w, `layers[${l}].weights[${j}][${k}]`));
    });
    out.push({ weights: rows, biases: L.biases.map((b, j) => num(b, `layers[${l}].biases[${j}]`)) });
  }
  const trainOpts = isObj(json.trainOpts) ? json.trainOpts : {};
  const options = isObj(json.options) ? json.options : {};
  const parsed: ParsedBrainJSON = {
    format: '2.x',
    sizes,
    layers: out,
    inputLookup: lookupOf(json.inputLookup, sizes[0]!, 'inputLookup'),
    outputLookup: lookupOf(json.outputLookup, sizes[sizes.length - 1]!, 'outputLookup'),
    activation: activationOf(trainOpts.activation, 'trainOpts.activation'),
    trainOpts: savedTrainOpts(json.trainOpts),
  };
  if (options.binaryThresh !== undefined) parsed.binaryThresh = num(options.binaryThresh, 'options.binaryThresh');
  return parsed;
}

// brain.js 1.6.1: layers[l] = { node: { bias, weights: { prevNode: w } } }, node names from the lookups.
function parseV1(json: Record<string, unknown>, sizes: number[], layers: unknown[]): ParsedBrainJSON {
  let inputLookup: Lookup | null = null;
  let outputLookup: Lookup | null = null;
  const out: ParsedBrainJSON['layers'] = [];
  const last = sizes.length - 1;
  for (let i = 0; i <= last; i++) {
    const layer = layers[i];
    if (!isObj(layer)) fail(`layers[${i}]: expected an object of nodes, got ${describe(layer)}`);
    const nodes = Object.keys(layer);
    if (nodes.length !== sizes[i]) fail(`layers[${i}]: expected ${sizes[i]} nodes (sizes[${i}]), got ${nodes.length}`);
    // the same test as brain.js 1.6.1's fromJSON
    if (i === 0 && (!layer[0] || json.inputLookup)) inputLookup = toHash(layer);
    else if (i === last && (!layer[0] || json.outputLookup)) outputLookup = toHash(layer);
    if (i === 0) continue;
    const weights: number[][] = [];
    const biases: number[] = [];
    nodes.forEach((node) => {
      const n = layer[node];
      if (!isObj(n) || !isObj(n.weights)) fail(`layers[${i}][${JSON.stringify(node)}]: expected { bias, weights }, got ${describe(n)}`);
      const ws = n.weights;
      const keys = Object.keys(ws);
      if (keys.length !== sizes[i - 1]) fail(`layers[${i}][${JSON.stringify(node)}].weights: expected ${sizes[i - 1]} weights (sizes[${i - 1}]), got ${keys.length}`);
      weights.push(keys.map((k) => num(ws[k], `layers[${i}][${JSON.stringify(node)}].weights[${JSON.stringify(k)}]`)));
      biases.push(num(n.bias, `layers[${i}][${JSON.stringify(node)}].bias`));
    });
    out.push({ weights, biases });
  }
  const parsed: ParsedBrainJSON = {
    format: '1.x',
    sizes,
    layers: out,
    inputLookup,
    outputLookup,
    activation: activationOf(json.activation, 'activation'),
    trainOpts: savedTrainOpts(json.trainOpts),
  };
  if (json.leakyReluAlpha !== undefined) parsed.trainOpts.leakyReluAlpha = json.leakyReluAlpha;
  if (json.binaryThresh !== undefined) parsed.binaryThresh = num(json.binaryThresh, 'binaryThresh');
  return parsed;
}
