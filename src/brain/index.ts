/**
 * wasmlp/brain: a drop-in for brain.js's `NeuralNetwork` (2.0.0-beta.24 API and training
 * semantics; reads 1.6.1 JSON too) whose training passes run inside wasm.
 *
 *   import { NeuralNetwork } from 'wasmlp/brain'; // instead of 'brain.js'
 */
import { ArgumentTypeError, BusyError, DisposedError, FormatError, OptionError, ShapeError, WasmlpError, describe } from '../errors.js';
import { backend, type Backend } from '../wasm/kernels.js';
import { buildLookup, checkData, formOf, isNumeric, toObject, writeValue, type BrainDatum, type Lookup } from './data.js';
import { parseBrainJSON, type BrainNetworkJSON } from './json.js';
import {
  NETWORK_KEYS, TRAIN_KEYS, mergeTrainOptions, trainDefaults,
  type BrainOptions, type BrainTrainOptions, type ResolvedTrainOptions, type TrainStatus,
} from './options.js';
import { WasmNet } from './wasm-net.js';

export type { BrainOptions, BrainTrainOptions, TrainStatus } from './options.js';
export type { BrainNetworkJSON, BrainLayerJSON } from './json.js';
export type { BrainActivation } from './wasm-net.js';
export type { Lookup } from './data.js';
export {
  WasmlpError, ShapeError, NonFiniteError, ArgumentTypeError, OptionError, FormatError, DisposedError,
  OutOfMemoryError,
} from '../errors.js';

/** run, test or toJSON on a network that has neither been trained nor loaded (brain.js: "network not runnable"). */
export class NotRunnableError extends WasmlpError {}
export { BusyError } from '../errors.js';

/** An input or output: numbers by position, or named numbers (mapped through inputLookup / outputLookup). */
export type NeuralNetworkIO = number[] | Float32Array | Record<string, number>;
/** One training sample; objects may leave names out (they count as 0, as in brain.js). */
export interface TrainingDatum<I = NeuralNetworkIO, O = NeuralNetworkIO> {
  input: I;
  output: O;
}
/** What run returns: a Float32Array (as brain.js does) for numeric outputs, an object for named ones. */
export type RunOutput<O> = O extends readonly number[] | Float32Array ? Float32Array : O;

/** What train and trainAsync return, as brain.js. */
export interface TrainResult { error: number; iterations: number }

export interface Misclass { input: Float32Array; output: Float32Array; actual: number; expected: number }
/** test() for several outputs: mean error and the samples whose argmax differs. */
export interface TestResult { error: number; misclasses: Misclass[]; total: number }
/** test() for one output: also the confusion counts at binaryThresh. */
export interface BinaryTestResult extends TestResult {
  trueNeg: number; truePos: number; falseNeg: number; falsePos: number;
  precision: number; recall: number; accuracy: number;
}

interface Session {
  x: number; t: number; count: number;
  status: TrainStatus;
  endTime: number;
  o: ResolvedTrainOptions;
  /** Passes per wasm call; adapted to `targetMs` when timing matters. */
  chunk: number;
  targetMs: number;
}

const MAX_PASSES = 1 << 30;
const YIELD_MS = 8;
const registry = new FinalizationRegistry<WasmNet>((net) => net.dispose());
const nextTick = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));
const F32 = (v: number): number => Math.fround(v);

/**
 * brain.js's feed-forward `NeuralNetwork`: same options, methods, input forms, JSON and training
 * semantics (per-sample updates with momentum, brain.js's weight init and error), with every
 * training pass — forward, deltas, updates for all samples — run by one wasm SIMD kernel call.
 */
export class NeuralNetwork<I extends NeuralNetworkIO = NeuralNetworkIO, O extends NeuralNetworkIO = NeuralNetworkIO> {
  private readonly be: Backend;
  private net: WasmNet | null = null;
  private hiddenLayers: number[] | null;
  private binaryThresh: number;
  private readonly fixedSizes: { inputSize: number; outputSize: number };
  private opts: ResolvedTrainOptions;
  private inLookup: Lookup | null = null;
  private outLookup: Lookup | null = null;
  private disposed = false;
  private busy = false;

  constructor(options: BrainOptions = {}) {
    if (options === null || typeof options !== 'object' || Array.isArray(options)) {
      throw new ArgumentTypeError(`NeuralNetwork options: expected an object, got ${describe(options)}`);
    }
    const given = options as Record<string, unknown>;
    const bad = (key: string, expected: string, detail = ''): never => {
      throw new OptionError(`NeuralNetwork options.${key}: expected ${expected}, got ${describe(given[key])}${detail}`);
    };
    const hl = given.hiddenLayers;
    if (hl !== undefined && hl !== null) {
      const size = (s: unknown): boolean => typeof s === 'number' && Number.isInteger(s) && s >= 1 && s <= 1 << 24;
      if (!Array.isArray(hl)) bad('hiddenLayers', 'an array of layer sizes (integers ≥ 1)');
      const i = (hl as unknown[]).findIndex((s) => !size(s));
      if (i >= 0) bad('hiddenLayers', 'an array of layer sizes (integers ≥ 1)', ` with ${describe((hl as unknown[])[i])} at index ${i}`);
    }
    for (const key of ['inputSize', 'outputSize'] as const) {
      const v = given[key];
      if (v !== undefined && !(typeof v === 'number' && Number.isInteger(v) && v >= 0 && v <= 1 << 24)) bad(key, 'an integer ≥ 1 (0 = size from the data)');
    }
    if (given.binaryThresh !== undefined && !(typeof given.binaryThresh === 'number' && Number.isFinite(given.binaryThresh))) {
      bad('binaryThresh', 'a finite number');
    }
    this.opts = mergeTrainOptions(trainDefaults(), given, 'NeuralNetwork options', NETWORK_KEYS);
    this.hiddenLayers = Array.isArray(hl) ? [...(hl as number[])] : null;
    this.binaryThresh = (given.binaryThresh as number | undefined) ?? 0.5;
    this.fixedSizes = { inputSize: (given.inputSize as number | undefined) ?? 0, outputSize: (given.outputSize as number | undefined) ?? 0 };
    this.be = backend();
    const { inputSize, outputSize } = this.fixedSizes;
    if (inputSize && outputSize) {
      const net = new WasmNet(this.be, this.layerSizes(inputSize, outputSize), this.opts.activation);
      net.randomize();
      this.adopt(net);
    }
  }

  /** Layer sizes, input first ([] before the first train or fromJSON). */
  get sizes(): number[] { return this.net ? [...this.net.sizes] : []; }
  /** True once the network has weights (trained, loaded, or sized by inputSize/outputSize). */
  get isRunnable(): boolean { return this.net !== null; }
  get isDisposed(): boolean { return this.disposed; }
  /** Input names → positions, when trained on objects (a copy). */
  get inputLookup(): Lookup | null { return this.inLookup ? { ...this.inLookup } : null; }
  get outputLookup(): Lookup | null { return this.outLookup ? { ...this.outLookup } : null; }
  get inputLookupLength(): number { return this.inLookup ? Object.keys(this.inLookup).length : 0; }
  get outputLookupLength(): number { return this.outLookup ? Object.keys(this.outLookup).length : 0; }
  /**
   * The network options, as brain.js's `options`: a frozen snapshot (writing to it throws in strict
   * mode instead of silently changing nothing; pass options to the constructor or to train).
   */
  get options(): { readonly inputSize: number; readonly outputSize: number; readonly binaryThresh: number; readonly hiddenLayers: readonly number[] | null } {
    const s = this.net?.sizes;
    return Object.freeze({
      inputSize: s ? s[0]! : this.fixedSizes.inputSize,
      outputSize: s ? s[s.length - 1]! : this.fixedSizes.outputSize,
      binaryThresh: this.binaryThresh,
      hiddenLayers: this.hiddenLayers ? Object.freeze([...this.hiddenLayers]) : null,
    });
  }
  /** The current training options (train options persist across calls, as in brain.js), a frozen snapshot. */
  get trainOpts(): Readonly<ResolvedTrainOptions> { return Object.freeze({ ...this.opts }); }

  /**
   * Trains on `data` (an array of { input, output }) until `iterations` passes, an error ≤
   * `errorThresh`, or `timeout`; returns { error, iterations } as brain.js does. Continues from the
   * current weights (and momentum) when the network is already trained or loaded.
   */
  train(data: readonly TrainingDatum<Partial<I>, Partial<O>>[], options: BrainTrainOptions = {}): TrainResult {
    this.live('train');
    const s = this.prepare(data, options, 'train', false);
    try {
      while (!this.advance(s, Infinity));
      return { error: s.status.error, iterations: s.status.iterations };
    } finally {
      this.release(s);
    }
  }

  /** train, yielding to the event loop about every 8 ms. Resolves to { error, iterations }. */
  async trainAsync(data: readonly TrainingDatum<Partial<I>, Partial<O>>[], options: BrainTrainOptions = {}): Promise<TrainResult> {
    this.live('trainAsync');
    const s = this.prepare(data, options, 'trainAsync', true);
    this.busy = true;
    try {
      while (!this.advance(s, YIELD_MS)) {
        await nextTick();
        if (this.disposed) throw new DisposedError('trainAsync: the network was disposed while training');
      }
      return { error: s.status.error, iterations: s.status.iterations };
    } finally {
      this.busy = false;
      this.release(s);
    }
  }

  /** Outputs for one input: a Float32Array, or an object keyed like the training outputs. */
  run(input: I | Partial<I>): RunOutput<O> {
    this.live('run');
    const net = this.runnable('run');
    const arena = this.be.arena;
    writeValue(arena.f32, net.x1 >>> 2, input, net.sizes[0]!, this.inLookup, 'input');
    const y = net.runOne(this.opts.leakyReluAlpha);
    const out = arena.view(y, net.sizes[net.sizes.length - 1]!).slice();
    return (this.outLookup ? toObject(this.outLookup, out) : out) as RunOutput<O>;
  }

  /**
   * brain.js's test: the mean error over `data` and the misclassified samples; for one output,
   * also the confusion counts at `binaryThresh`, precision, recall and accuracy.
   */
  test(data: readonly TrainingDatum<Partial<I>, Partial<O>>[]): TestResult | BinaryTestResult {
    this.live('test');
    const net = this.runnable('test');
    checkData(data);
    const nIn = net.sizes[0]!, nOut = net.sizes[net.sizes.length - 1]!, sIn = net.strides[0]!;
    const count = data.length;
    const arena = this.be.arena;
    const x = arena.alloc(count * sIn);
    let y = 0;
    try {
      y = arena.alloc(count * nOut);
      const targets = new Float32Array(count * nOut);
      for (let i = 0; i < count; i++) {
        writeValue(arena.f32, (x >>> 2) + i * sIn, data[i]!.input, nIn, this.inLookup, `data[${i}].input`);
        writeValue(targets, i * nOut, data[i]!.output, nOut, this.outLookup, `data[${i}].output`);
      }
      this.be.kernels.brain_run_f32(net.plan, y, x, count, this.opts.leakyReluAlpha);
      const outputs = arena.view(y, count * nOut).slice();
      const inputs = arena.view(x, count * sIn);
      const misclass = (i: number, actual: number, expected: number): Misclass => ({
        input: inputs.slice(i * sIn, i * sIn + nIn), output: targets.slice(i * nOut, (i + 1) * nOut), actual, expected,
      });
      const mse = (i: number): number => {
        let sum = 0;
        for (let j = 0; j < nOut; j++) { const e = F32(targets[i * nOut + j]! - outputs[i * nOut + j]!); sum += e ** 2; }
        return sum / nOut;
      };
      const misclasses: Misclass[] = [];
      let errorSum = 0;
      if (nOut === 1) {
        let falsePos = 0, falseNeg = 0, truePos = 0, trueNeg = 0;
        for (let i = 0; i < count; i++) {
          const actual = outputs[i]! > this.binaryThresh ? 1 : 0;
          const expected = targets[i]!;
          if (actual !== expected) misclasses.push(misclass(i, actual, expected));
          if (actual === 0 && expected === 0) trueNeg++;
          else if (actual === 1 && expected === 1) truePos++;
          else if (actual === 0 && expected === 1) falseNeg++;
          else if (actual === 1 && expected === 0) falsePos++;
          errorSum += mse(i);
        }
        return {
          error: errorSum / count, misclasses, total: count, trueNeg, truePos, falseNeg, falsePos,
          precision: truePos > 0 ? truePos / (truePos + falsePos) : 0,
          recall: truePos > 0 ? truePos / (truePos + falseNeg) : 0,
          accuracy: (trueNeg + truePos) / count,
        };
      }
      const argmax = (a: Float32Array, from: number): number => {
        let best = 0;
        for (let j = 1; j < nOut; j++) if (a[from + j]! > a[from + best]!) best = j;
        return best;
      };
      for (let i = 0; i < count; i++) {
        const actual = argmax(outputs, i * nOut), expected = argmax(targets, i * nOut);
        if (actual !== expected) misclasses.push(misclass(i, actual, expected));
        errorSum += mse(i);
      }
      return { error: errorSum / count, misclasses, total: count };
    } finally {
      arena.free(x);
      if (y) arena.free(y);
    }
  }

  /** The network as brain.js 2.0.0-beta.24's toJSON writes it (its fromJSON reads this back). */
  toJSON(): BrainNetworkJSON {
    this.live('toJSON');
    const net = this.runnable('toJSON');
    const o = this.opts;
    const sizes = [...net.sizes];
    const layers: BrainNetworkJSON['layers'] = [{ weights: [], biases: [] }];
    for (let l = 1; l < sizes.length; l++) {
      const { weights, biases } = net.getLayer(l);
      layers.push({ weights: weights.map((r) => Array.from(r)), biases: Array.from(biases) });
    }
    const trainOpts: BrainNetworkJSON['trainOpts'] = {
      activation: o.activation,
      // JSON has no Infinity and brain.js's fromJSON needs a number here
      iterations: Number.isFinite(o.iterations) ? o.iterations : trainDefaults().iterations,
      errorThresh: o.errorThresh,
      log: o.log !== false,
      logPeriod: o.logPeriod,
      leakyReluAlpha: o.leakyReluAlpha,
      learningRate: o.learningRate,
      momentum: o.momentum,
      callbackPeriod: o.callbackPeriod,
      timeout: o.timeout === Infinity ? 'Infinity' : o.timeout,
      beta1: o.beta1,
      beta2: o.beta2,
      epsilon: o.epsilon,
    };
    if (o.batchSize !== 1) trainOpts.batchSize = o.batchSize;
    return {
      type: 'NeuralNetwork',
      sizes,
      layers,
      inputLookup: this.inputLookup,
      inputLookupLength: this.inputLookupLength,
      outputLookup: this.outputLookup,
      outputLookupLength: this.outputLookupLength,
      options: { inputSize: sizes[0]!, outputSize: sizes[sizes.length - 1]!, binaryThresh: this.binaryThresh, hiddenLayers: sizes.slice(1, -1) },
      trainOpts,
    };
  }

  /**
   * Loads a network saved by brain.js 2.0.0-beta.24 or 1.6.1 (or by toJSON here): sizes, weights,
   * biases, lookups, activation and saved training options. Momentum starts from zero, as in
   * brain.js. Returns this.
   */
  fromJSON(json: BrainNetworkJSON | object | string): this {
    this.live('fromJSON');
    this.idle('fromJSON');
    const p = parseBrainJSON(json);
    const saved: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(p.trainOpts)) if ((TRAIN_KEYS as readonly string[]).includes(k)) saved[k] = v;
    saved.activation = p.activation;
    let opts: ResolvedTrainOptions;
    try {
      opts = mergeTrainOptions(this.opts, saved, 'trainOpts');
    } catch (e) {
      if (e instanceof OptionError) throw new FormatError(`fromJSON: ${e.message}`);
      throw e;
    }
    const net = new WasmNet(this.be, p.sizes, opts.activation);
    try {
      p.layers.forEach((L, i) => net.setLayer(i + 1, L.weights, L.biases));
    } catch (e) {
      net.dispose();
      throw e;
    }
    this.adopt(net);
    this.opts = opts;
    this.inLookup = p.inputLookup;
    this.outLookup = p.outputLookup;
    if (p.binaryThresh !== undefined) this.binaryThresh = p.binaryThresh;
    this.hiddenLayers = p.sizes.slice(1, -1);
    return this;
  }

  /** Frees the wasm memory; later calls throw DisposedError. */
  dispose(): void {
    if (this.disposed) return;
    if (this.net) { registry.unregister(this); this.net.dispose(); this.net = null; }
    this.disposed = true;
  }

  // ---------------------------------------------------------------------------------------------

  private live(method: string): void {
    if (this.disposed) throw new DisposedError(`${method}: this NeuralNetwork was disposed; create a new one`);
  }

  private idle(method: string): void {
    if (this.busy) throw new BusyError(`${method}: a trainAsync of this network is still running; await it first`);
  }

  private runnable(method: string): WasmNet {
    if (!this.net) {
      throw new NotRunnableError(`${method}: the network has no weights yet; train it, load one with fromJSON, or give inputSize and outputSize`);
    }
    return this.net;
  }

  private layerSizes(inputSize: number, outputSize: number): number[] {
    const hidden = this.hiddenLayers ?? [Math.max(3, Math.floor(inputSize / 2))];
    return [inputSize, ...hidden, outputSize];
  }

  private adopt(net: WasmNet): void {
    if (this.net) { registry.unregister(this); this.net.dispose(); }
    this.net = net;
    registry.register(this, net, this);
  }

  /** Checks options and data, sizes the network on first use, and copies the data into wasm once. */
  private prepare(data: readonly BrainDatum[], options: BrainTrainOptions, method: string, async: boolean): Session {
    this.idle(method);
    if (options === null || typeof options !== 'object' || Array.isArray(options)) {
      throw new ArgumentTypeError(`${method} options: expected an object, got ${describe(options)}`);
    }
    const o = mergeTrainOptions(this.opts, options as Record<string, unknown>, `${method} options`);
    checkData(data);
    const inForm = formOf(data, 'input', 'data');
    const outForm = formOf(data, 'output', 'data');
    const inLookup = this.inLookup ?? (inForm === 'object' ? buildLookup(data, 'input') : null);
    const outLookup = this.outLookup ?? (outForm === 'object' ? buildLookup(data, 'output') : null);
    const sizeOf = (form: string, lookup: Lookup | null, prop: 'input' | 'output'): number => {
      const v = data[0]![prop];
      const n = form === 'object' && lookup ? Object.keys(lookup).length : isNumeric(v) ? v.length : 0;
      if (n < 1) throw new ShapeError(`data[0].${prop}: expected at least one number, got ${describe(v)}`);
      return n;
    };
    const nIn = this.net ? this.net.sizes[0]! : sizeOf(inForm, inLookup, 'input');
    const nOut = this.net ? this.net.sizes[this.net.sizes.length - 1]! : sizeOf(outForm, outLookup, 'output');
    const { inputSize, outputSize } = this.fixedSizes;
    if (inputSize && inputSize !== nIn) throw new ShapeError(`data[0].input: options.inputSize is ${inputSize}, got ${nIn} inputs`);
    if (outputSize && outputSize !== nOut) throw new ShapeError(`data[0].output: options.outputSize is ${outputSize}, got ${nOut} outputs`);
    const fresh = this.net ? null : new WasmNet(this.be, this.layerSizes(nIn, nOut), o.activation);
    const net = (this.net ?? fresh)!;
    const arena = this.be.arena;
    const count = data.length;
    const sIn = net.strides[0]!, sOut = net.strides[net.strides.length - 1]!;
    let x = 0, t = 0;
    try {
      if (fresh) fresh.randomize();
      if (o.batchSize > 1) net.ensureBatchBuffers();
      x = arena.alloc(count * sIn);
      t = arena.alloc(count * sOut);
      const f32 = arena.f32;
      for (let i = 0; i < count; i++) {
        writeValue(f32, (x >>> 2) + i * sIn, data[i]!.input, nIn, inLookup, `data[${i}].input`);
        writeValue(f32, (t >>> 2) + i * sOut, data[i]!.output, nOut, outLookup, `data[${i}].output`);
      }
    } catch (e) {
      if (x) arena.free(x);
      if (t) arena.free(t);
      fresh?.dispose();
      throw e;
    }
    if (fresh) this.adopt(fresh);
    net.setActivation(o.activation);
    this.opts = o;
    this.inLookup = inLookup;
    this.outLookup = outLookup;
    const timed = async || Number.isFinite(o.timeout);
    return {
      x, t, count, o,
      status: { error: 1, iterations: 0 },
      endTime: Date.now() + o.timeout,
      chunk: timed ? 1 : MAX_PASSES,
      targetMs: Number.isFinite(o.timeout) ? 1 : 2,
    };
  }

  /**
   * Runs passes (several per wasm call, stopping at every log/callback period) until training is
   * over (returns true) or `budgetMs` has passed (returns false). brain.js's tests, in its order:
   * stop when iterations are done, the error is ≤ errorThresh, or the time is up.
   */
  private advance(s: Session, budgetMs: number): boolean {
    const net = this.net;
    if (!net) throw new DisposedError('train: the network was disposed while training');
    const k = this.be.kernels;
    const { o, status } = s;
    const started = performance.now();
    for (;;) {
      if (status.iterations >= o.iterations || status.error <= o.errorThresh || Date.now() >= s.endTime) return true;
      let passes = Math.min(o.iterations - status.iterations, s.chunk, MAX_PASSES);
      if (o.log) passes = Math.min(passes, o.logPeriod - (status.iterations % o.logPeriod));
      if (o.callback) passes = Math.min(passes, o.callbackPeriod - (status.iterations % o.callbackPeriod));
      const t0 = performance.now();
      const done = k.brain_train_f32(net.plan, s.x, s.t, s.count, passes, o.learningRate, o.momentum, o.leakyReluAlpha, o.batchSize, o.errorThresh);
      const dt = performance.now() - t0;
      status.iterations += done;
      status.error = net.lastError();
      if (o.log && status.iterations % o.logPeriod === 0) o.log({ iterations: status.iterations, error: status.error });
      if (o.callback && status.iterations % o.callbackPeriod === 0) o.callback({ iterations: status.iterations, error: status.error });
      if (s.chunk < MAX_PASSES) s.chunk = Math.max(1, Math.min(MAX_PASSES, Math.floor(s.targetMs / Math.max(dt / done, 1e-6))));
      if (performance.now() - started >= budgetMs) return false;
    }
  }

  private release(s: Session): void {
    this.be.arena.free(s.x);
    this.be.arena.free(s.t);
  }
}
