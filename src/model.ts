import { LOSS } from './losses.js';
import { accuracyCounts } from './metrics.js';
import type { OutputActivation } from './activations.js';
import { checkTargetBatch, gatherRows, nonFinite, shapeLike, targetRowsError, toBatch, toTargets, writeRows, writeSample, type Batch, type BatchInput, type TargetInput } from './data.js';
import { ArgumentTypeError, BusyError, DisposedError, FormatError, NonFiniteError, OptionError, ShapeError, describe } from './errors.js';
import { checkPath, encodeJSON, loadSnapshot, saveSnapshot, snapshotFromJSON, type NetworkJSON, type Snapshot } from './io.js';
import { Dense } from './layers/dense.js';
import type { LayerWeights, LayerWeightsInput } from './layers/layer.js';
import { resolveFitOptions, runFit, type FitEngine, type FitOptions, type History } from './fit.js';
import { Rollback } from './rollback.js';
import { Staging } from './staging.js';
import { createOptimizer, type Optimizer } from './optim/index.js';
import { resolveOptions, type NetworkOptions, type ResolvedOptions } from './options.js';
import { suggest } from './suggest.js';
import { toONNX, type OnnxOptions } from './onnx.js';
import { Rng } from './random.js';
import { backend, type Backend } from './wasm/kernels.js';
import { Matmul, autoThreads } from './wasm/threads.js';

export type { LayerWeights, LayerWeightsInput } from './layers/layer.js';
export type { FitOptions, History, EpochLog } from './fit.js';

/** Gradients of the loss for one batch (copies; the network is not changed). */
export interface Gradients {
  /** The loss of the batch (reduced as the network's `reduction` says). */
  loss: number;
  layers: {
    /** ∇W, row-major [out, in], same layout as the weights. */
    weights: Float32Array;
    /** ∇b = the column sum of delta; null without biases. */
    bias: Float32Array | null;
    /** δ = dE/dnet, row-major [rows, out]. */
    delta: Float32Array;
    /** dE/dout, row-major [rows, out]; null for the output layer when the loss is fused with its activation (softmax + crossEntropy, sigmoid + binaryCrossEntropy). */
    outputGrad: Float32Array | null;
  }[];
  /** dE/dx, row-major [rows, inputs], same layout as x. */
  input: Float32Array;
}

/** Forward values of every layer for a batch: net = x·Wᵀ + b and out = f(net), row-major [rows, out]. */
export interface Trace {
  layers: { net: Float32Array; out: Float32Array }[];
}


/** Rows per chunk when predict/evaluate run a batch larger than the current buffers. */
const PREDICT_CHUNK = 1024;
const PREDICT_KEYS = ['out'];

/** predict's options. */
export interface PredictOptions {
  /** Write the outputs here (row-major, rows × outputs floats) and return it; nothing else is allocated for one sample. */
  out?: Float32Array;
}

interface Owned { layers: Dense[]; staging: Staging | null; optimizer: Optimizer | null }

const registry = new FinalizationRegistry<Owned>((owned) => release(owned));

function release(owned: Owned): void {
  owned.optimizer?.dispose();
  for (const l of owned.layers) l.dispose();
  owned.staging?.free();
  owned.optimizer = null;
  owned.layers = [];
  owned.staging = null;
}


/**
 * A fully connected network trained by backpropagation on wasm SIMD kernels:
 * forward z_l = out_{l−1}·W_lᵀ + b_l, out_l = f(z_l); backward δ_L = ∂E/∂out ⊙ f'(z_L),
 * δ_l = (δ_{l+1}·W_{l+1}) ⊙ f'(z_l), ∇W_l = δ_lᵀ·out_{l−1}, ∇b_l = Σ_samples δ_l.
 */
export class Network {
  /** The options with defaults filled in. */
  readonly options: Readonly<ResolvedOptions>;
  private readonly be: Backend;
  private readonly owned: Owned;
  private readonly optimizer: Optimizer;
  private readonly shuffleRng: Rng;
  /** The batch buffers (x, targets, dE/dx) and the copies into them. */
  private readonly io: Staging;
  private disposed = false;
  /** True while a fit of this network runs (between its awaits too). */
  private fitting = false;

  constructor(options: NetworkOptions) {
    this.options = Object.freeze(resolveOptions(options));
    this.be = backend();
    const o = this.options;
    const mm = new Matmul(this.be, o.threads === 'auto' ? autoThreads() : o.threads);
    const layers: Dense[] = [];
    try {
      for (let i = 1; i < o.layers.length; i++) {
        const act: OutputActivation = i === o.layers.length - 1 ? o.outputActivation : o.activation[i - 1]!;
        layers.push(new Dense(this.be, mm, o.layers[i - 1]!, o.layers[i]!, act, o.leakyReluAlpha, o.bias));
      }
    } catch (e) {
      for (const l of layers) l.dispose();
      throw e;
    }
    const rng = new Rng(o.seed);
    for (const l of layers) l.init(rng);
    let optimizer: Optimizer;
    try {
      optimizer = createOptimizer(this.be.kernels, this.be.arena, layers.flatMap((l) => l.params()), o.optimizer);
    } catch (e) {
      for (const l of layers) l.dispose();
      throw e;
    }
    this.optimizer = optimizer;
    this.shuffleRng = new Rng(o.seed ^ 0x5eed5eed);
    this.io = new Staging(this.be, layers, o.layers[0]!, o.layers[o.layers.length - 1]!);
    this.owned = { layers, staging: this.io, optimizer };
    registry.register(this, this.owned, this);
  }

  /** Layer sizes, input first. */
  get sizes(): readonly number[] { return this.options.layers; }
  /** Number of weights and biases. */
  get parameterCount(): number { return this.owned.layers.reduce((s, l) => s + l.paramCount, 0); }
  /** True after dispose(). */
  get isDisposed(): boolean { return this.disposed; }

  private get inSize(): number { return this.options.layers[0]!; }
  private get outSize(): number { return this.options.layers[this.options.layers.length - 1]!; }
  private get layers(): Dense[] { return this.owned.layers; }

  /**
   * Outputs for x: number[] → number[], number[][] → number[][], Float32Array (row-major) →
   * Float32Array; with `{ out }`, written into out (rows × outputs floats, row-major) and out returned.
   */
  predict(x: number[]): number[];
  predict(x: number[][]): number[][];
  predict(x: Float32Array): Float32Array;
  predict(x: BatchInput, options: PredictOptions & { out: Float32Array }): Float32Array;
  predict(x: BatchInput, options?: PredictOptions): number[] | number[][] | Float32Array;
  predict(x: BatchInput, options?: PredictOptions): number[] | number[][] | Float32Array {
    this.live('predict');
    const dst = options === undefined ? undefined : predictOut(options);
    const nOut = this.outSize;
    const last = this.layers[this.layers.length - 1]!;
    if (this.io.capacity > 0) { // one sample, buffers planned: straight into wasm, no staging objects
      const nIn = this.inSize;
      const kind = writeSample(x, this.be.arena.f32, this.io.x >>> 2, nIn, 'x');
      if (kind !== null) {
        if (kind === 'f32') {
          const i = this.be.kernels.nonfinite_index_f32(this.io.x, nIn);
          if (i >= 0) throw nonFinite('x', x as Float32Array, i, nIn);
        }
        if (dst) checkOutLength(dst, 1, nOut);
        this.forward(1, true);
        const f = this.be.arena.f32, at = last.a >>> 2;
        const res = dst ?? (kind === 'f32' ? new Float32Array(nOut) : new Array<number>(nOut));
        for (let j = 0; j < nOut; j++) res[j] = f[at + j]!;
        return res;
      }
    }
    const xb = toBatch(x, this.inSize, 'x', true);
    if (dst) checkOutLength(dst, xb.rows, nOut);
    const chunk = Math.min(xb.rows, Math.max(this.io.capacity, PREDICT_CHUNK));
    this.io.reserve(chunk);
    const out = dst ?? new Float32Array(xb.rows * nOut);
    for (let start = 0; start < xb.rows; start += chunk) {
      const rows = Math.min(chunk, xb.rows - start);
      this.io.put(xb, this.io.x, start, rows);
      this.forward(rows, true);
      out.set(this.be.arena.view(last.a, rows * nOut), start * nOut);
    }
    if (dst) return dst;
    return xb.kind === 'flat' ? out : shapeLike(xb.kind, out, xb.rows, nOut);
  }

  /** Forward values (net and out) of every layer for x. */
  trace(x: BatchInput): Trace {
    this.live('trace');
    const xb = toBatch(x, this.inSize, 'x', true);
    this.io.reserve(xb.rows);
    this.io.put(xb, this.io.x, 0, xb.rows);
    this.forward(xb.rows);
    const arena = this.be.arena;
    return {
      layers: this.layers.map((l) => ({
        net: arena.view(l.z, xb.rows * l.outSize).slice(),
        out: arena.view(l.a, xb.rows * l.outSize).slice(),
      })),
    };
  }

  /** Loss and gradients for the batch (x, y); changes nothing. */
  gradients(x: BatchInput, y: TargetInput): Gradients {
    this.live('gradients');
    const rows = this.io.stage(x, y, this.options.loss);
    this.forward(rows);
    const loss = this.lossAndDelta(rows);
    this.backward(rows, true);
    const arena = this.be.arena;
    const fused = this.fusedLoss();
    return {
      loss,
      layers: this.layers.map((l, i) => ({
        weights: arena.view(l.gw, l.outSize * l.inSize).slice(),
        bias: l.hasBias ? arena.view(l.gb, l.outSize).slice() : null,
        delta: arena.view(l.delta, rows * l.outSize).slice(),
        outputGrad: i === this.layers.length - 1 && fused ? null : arena.view(l.dout, rows * l.outSize).slice(),
      })),
      input: arena.view(this.io.dx, rows * this.inSize).slice(),
    };
  }

  /** One SGD step on the batch (x, y); returns the loss before the step. */
  trainBatch(x: BatchInput, y: TargetInput): number {
    this.live('trainBatch');
    this.idle('trainBatch');
    const rows = this.io.stage(x, y, this.options.loss);
    this.forward(rows);
    const loss = this.lossAndDelta(rows);
    this.backward(rows, false);
    this.optimizer.step();
    return loss;
  }

  /**
   * Trains on (x, y) in mini-batches for some epochs; resolves to the history. Yields to the event
   * loop between batches (at least every 8 ms), so a server stays responsive. Only one batch at a
   * time is copied into wasm memory.
   */
  async fit(x: BatchInput, y: TargetInput, options: FitOptions = {}): Promise<History> {
    this.live('fit');
    this.idle('fit');
    const o = resolveFitOptions(options);
    let xb = toBatch(x, this.inSize, 'x');
    let yb = toTargets(y, this.outSize, this.options.loss, 'y');
    if (xb.rows !== yb.rows) throw targetRowsError(yb, xb.rows);
    checkTargetBatch(yb, this.options.loss, 'y');
    let val: [Batch, Batch] | null = null;
    if (o.validationData) {
      const [vx, vy] = o.validationData;
      const vxb = toBatch(vx, this.inSize, 'validationData[0]');
      const vyb = toTargets(vy, this.outSize, this.options.loss, 'validationData[1]');
      if (vxb.rows !== vyb.rows) throw targetRowsError(vyb, vxb.rows, '');
      checkTargetBatch(vyb, this.options.loss, 'validationData[1]');
      val = [vxb, vyb];
    } else if (o.validationSplit !== undefined) {
      const nVal = Math.floor(xb.rows * o.validationSplit);
      if (nVal < 1 || nVal >= xb.rows) {
        throw new OptionError(`fit options.validationSplit: ${o.validationSplit} of ${xb.rows} rows leaves ${nVal} for validation and ${xb.rows - nVal} for training; each needs at least 1`);
      }
      val = [sliceBatch(xb, xb.rows - nVal, nVal), sliceBatch(yb, yb.rows - nVal, nVal)];
      xb = sliceBatch(xb, 0, xb.rows - nVal);
      yb = sliceBatch(yb, 0, yb.rows - nVal);
    }
    if (o.earlyStopping && (o.earlyStopping.monitor ?? 'valLoss') === 'valLoss' && !val) {
      throw new OptionError(`fit options.earlyStopping.monitor: 'valLoss' needs validationData or validationSplit`);
    }
    const n = xb.rows;
    const batch = Math.min(o.batchSize, n);
    this.io.reserve(batch);
    const guard = new Rollback(this.be, this.layers.flatMap((l) => l.params()), this.optimizer, this.shuffleRng, o.rollback !== false);
    this.fitting = true;
    try {
      return await runFit(this.engine(), xb, yb, val, o, batch, guard, this.shuffleRng);
    } finally {
      this.fitting = false;
      guard.dispose();
    }
  }

  /** Loss (reduced as the network's `reduction` says, over all rows) and accuracy on (x, y), in chunks; changes nothing. */
  evaluate(x: BatchInput, y: TargetInput): { loss: number; accuracy?: number } {
    this.live('evaluate');
    const xb = toBatch(x, this.inSize, 'x', true);
    const yb = toTargets(y, this.outSize, this.options.loss, 'y', true);
    if (xb.rows !== yb.rows) throw targetRowsError(yb, xb.rows);
    checkTargetBatch(yb, this.options.loss, 'y');
    return this.evaluateBatches(xb, yb);
  }

  /** A JSON-ready object with the options, weights, optimizer state and shuffle state (exact float32, base64). */
  toJSON(): NetworkJSON {
    this.live('toJSON');
    return encodeJSON(this.snapshot());
  }

  /** The network as an ONNX model (Gemm + activation nodes, IR 7, opset 13); needs the optional package protobufjs. */
  toONNX(options?: OnnxOptions): Uint8Array {
    this.live('toONNX');
    return toONNX(this, options);
  }

  /** Rebuilds a network from `toJSON()` output (or its parsed JSON text). Validates everything before allocating. */
  static fromJSON(json: unknown): Network {
    return Network.restore(snapshotFromJSON(json));
  }

  /** Saves to `path`: `.wasmlp` (compact binary with a CRC32) or anything else as JSON. Atomic: a crash never leaves a half-written file. */
  async save(path: string): Promise<void> {
    this.live('save');
    checkPath(path);
    await saveSnapshot(path, this.snapshot());
  }

  /** Loads a network saved by `save` (format chosen by content: binary magic, else JSON). */
  static async load(path: string): Promise<Network> {
    return Network.restore(await loadSnapshot(path));
  }

  /** Replaces every layer's weights (and biases). Validates all layers before changing any. */
  setWeights(layers: LayerWeightsInput[]): void {
    this.live('setWeights');
    this.idle('setWeights');
    if (!Array.isArray(layers)) throw new ArgumentTypeError(`layers: expected an array of ${this.layers.length} { weights, bias } objects, got ${describe(layers)}`);
    if (layers.length !== this.layers.length) {
      throw new ShapeError(`layers: expected ${this.layers.length} layers (one per weight matrix of ${this.sizes.join('-')}), got ${layers.length}`);
    }
    const staged = layers.map((entry, i) => {
      const l = this.layers[i]!;
      const name = `layers[${i}]`;
      if (entry === null || typeof entry !== 'object') throw new ArgumentTypeError(`${name}: expected { weights, bias }, got ${describe(entry)}`);
      const wb = toBatch(entry.weights, l.inSize, `${name}.weights`);
      if (wb.rows !== l.outSize || wb.kind === 'sample' && l.outSize !== 1) {
        throw new ShapeError(`${name}.weights: expected ${l.outSize} rows × ${l.inSize} columns ([out][in]), got ${wb.rows} rows`);
      }
      let bb: Batch | null = null;
      if (l.hasBias) {
        if (entry.bias === undefined || entry.bias === null) throw new ShapeError(`${name}.bias: expected ${l.outSize} numbers (the network has biases), got ${describe(entry.bias)}`);
        if (!(entry.bias instanceof Float32Array) && Array.isArray(entry.bias) && Array.isArray(entry.bias[0])) {
          throw new ShapeError(`${name}.bias: expected a flat array of ${l.outSize} numbers, got a nested array`);
        }
        bb = toBatch(entry.bias, l.outSize, `${name}.bias`);
        if (bb.rows !== 1) throw new ShapeError(`${name}.bias: expected ${l.outSize} numbers, got ${bb.rows * l.outSize}`);
      } else if (entry.bias !== undefined && entry.bias !== null) {
        throw new ShapeError(`${name}.bias: the network was built with bias: false, got ${describe(entry.bias)}`);
      }
      return { wb, bb };
    });
    const f32 = this.be.arena.f32;
    staged.forEach(({ wb, bb }, i) => {
      const l = this.layers[i]!;
      writeRows(wb, f32, l.w >>> 2, 0, l.outSize);
      if (bb) writeRows(bb, f32, l.b >>> 2, 0, 1);
    });
  }

  /**
   * The layers as a table, one row each (as Keras's `model.summary()`): index, type, activation,
   * output shape, trainable and non-trainable parameters, and the totals. Returns the text.
   */
  summary(): string {
    this.live('summary');
    const rows = [['#', 'layer', 'activation', 'output', 'trainable', 'non-trainable']];
    rows.push(['0', 'input', '', String(this.inSize), '', '']);
    this.layers.forEach((l, i) => rows.push([String(i + 1), 'dense', l.activation, String(l.outSize), l.paramCount.toLocaleString('en-US'), '0']));
    const total = this.parameterCount.toLocaleString('en-US');
    const width = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
    const line = (r: string[]): string => r.map((v, c) => (c >= 3 ? v.padStart(width[c]!) : v.padEnd(width[c]!))).join('  ').trimEnd();
    return [line(rows[0]!), line(width.map((w) => '-'.repeat(w))), ...rows.slice(1).map(line),
      `parameters: ${total} (trainable ${total}, non-trainable 0)`].join('\n');
  }

  /** Copies of every layer's weights and biases. */
  getWeights(): LayerWeights[] {
    this.live('getWeights');
    return this.layers.map((l) => l.weights());
  }

  /** Frees the network's wasm memory. Any later call throws DisposedError. Safe to call twice. */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    registry.unregister(this);
    release(this.owned);
  }

  // ************* internals *************

  private snapshot(): Snapshot {
    const arena = this.be.arena;
    const blocks: Float32Array[] = [];
    for (const l of this.layers) for (const p of l.params()) blocks.push(arena.view(p.param, p.length).slice());
    for (const slots of this.optimizer.state()) for (const s of slots) blocks.push(arena.view(s.ptr, s.length).slice());
    return { options: { ...this.options }, blocks, iterations: this.optimizer.iterations, shuffleState: this.shuffleRng.state };
  }

  private static restore(s: Snapshot): Network {
    const { learningRate: _lr, ...options } = s.options;
    const net = new Network(options);
    const arena = net.be.arena;
    const targets = [
      ...net.layers.flatMap((l) => l.params().map((p) => ({ ptr: p.param, length: p.length }))),
      ...net.optimizer.state().flat(),
    ];
    if (targets.length !== s.blocks.length) {
      net.dispose();
      throw new FormatError(`model: expected ${targets.length} blocks, got ${s.blocks.length}`);
    }
    targets.forEach((t, i) => arena.view(t.ptr, t.length).set(s.blocks[i]!));
    net.optimizer.iterations = s.iterations;
    net.shuffleRng.state = s.shuffleState;
    return net;
  }


  /** Loss (reduced over all rows) and accuracy over validated batches, in chunks. */
  private evaluateBatches(xb: Batch, yb: Batch): { loss: number; accuracy?: number } {
    const chunk = Math.min(xb.rows, Math.max(this.io.capacity, PREDICT_CHUNK));
    this.io.reserve(chunk);
    let total = 0, correct = 0, judged = 0;
    for (let start = 0; start < xb.rows; start += chunk) {
      const rows = Math.min(chunk, xb.rows - start);
      this.io.put(xb, this.io.x, start, rows);
      this.io.put(yb, this.io.t, start, rows);
      this.forward(rows, true);
      total += this.lossSum(rows);
      const acc = this.accuracyOfStaged(rows);
      if (acc) { correct += acc[0]; judged += acc[1]; }
    }
    const out: { loss: number; accuracy?: number } = { loss: this.options.reduction === 'mean' ? total / xb.rows : total };
    if (judged > 0) out.accuracy = correct / judged;
    return out;
  }

  /** [correct, judged] for the staged rows (see accuracyCounts); null for outputs without an accuracy. */
  private accuracyOfStaged(rows: number): [number, number] | null {
    const cols = this.outSize, f32 = this.be.arena.f32, p = this.layers[this.layers.length - 1]!.a >>> 2, t = this.io.t >>> 2;
    return accuracyCounts(this.options.outputActivation, f32.subarray(p, p + rows * cols), f32.subarray(t, t + rows * cols), rows, cols);
  }

  private live(method: string): void {
    if (this.disposed) throw new DisposedError(`${method}: this Network was disposed; create a new one`);
  }

  /** Training calls wait for a running fit: interleaving them would change what it computes. */
  private idle(method: string): void {
    if (this.fitting) throw new BusyError(`${method}: a fit of this network is still running; await it first (or stop it with its signal option)`);
  }

  private fusedLoss(): boolean {
    return LOSS[this.options.loss].fusedWith !== null;
  }

  /** What the fit loop (src/fit.ts) drives: this network's staging, steps and evaluation. */
  private engine(): FitEngine {
    return {
      loss: this.options.loss,
      reduction: this.options.reduction,
      stageRows: (xb, yb, order, start, rows) => {
        const f32 = this.be.arena.f32;
        gatherRows(xb, f32, this.io.x >>> 2, order, start, rows);
        gatherRows(yb, f32, this.io.t >>> 2, order, start, rows);
      },
      forwardLoss: (rows) => { this.forward(rows); return this.lossAndDelta(rows, false); },
      accuracy: (rows) => this.accuracyOfStaged(rows),
      backwardStep: (rows) => { this.backward(rows, false); this.optimizer.step(); },
      evaluate: (xb, yb) => this.evaluateBatches(xb, yb),
      live: () => this.live('fit'),
    };
  }

  /** Forward pass of the staged rows; `inference` lets small batches take the faster gemv order (see Dense.forward). */
  private forward(rows: number, inference = false): void {
    let input = this.io.x;
    for (const l of this.layers) { l.forward(input, rows, inference); input = l.a; }
  }

  /** Σ over the staged rows of the per-sample loss. */
  private lossSum(rows: number): number {
    return LOSS[this.options.loss].sum(this.be.kernels, this.layers[this.layers.length - 1]!, this.io.t, rows, this.outSize);
  }

  /** Loss of the staged batch (reduced) and δ of the output layer. */
  private lossAndDelta(rows: number, check = true): number {
    const last = this.layers[this.layers.length - 1]!;
    const scale = this.options.reduction === 'mean' ? 1 / rows : 1;
    const loss = this.lossSum(rows) * scale;
    const info = LOSS[this.options.loss];
    info.grad(this.be.kernels, last, this.io.t, rows, this.outSize, scale);
    if (!info.fusedWith) last.activationBackward(rows); // δ = dE/dout ⊙ f'(out)
    if (check && !Number.isFinite(loss)) {
      throw new NonFiniteError(`loss: the ${this.options.loss} loss of this batch is ${loss}; the weights have diverged or the inputs are too large`);
    }
    return loss;
  }

  private backward(rows: number, inputGrad: boolean): void {
    const ls = this.layers;
    for (let i = ls.length - 1; i >= 0; i--) {
      const l = ls[i]!;
      const input = i === 0 ? this.io.x : ls[i - 1]!.a;
      const dx = i === 0 ? (inputGrad ? this.io.dx : 0) : ls[i - 1]!.dout;
      l.backward(input, rows, dx, i > 0 ? ls[i - 1]!.inputGradEpilogue() : null); // also the previous layer's δ, in the product's store
    }
  }
}

/** predict's options checked: unknown keys (with "did you mean"), the type of out; returns out. */
function predictOut(options: unknown): Float32Array | undefined {
  if (options === null || typeof options !== 'object' || Array.isArray(options)) throw new ArgumentTypeError(`predict options: expected an object such as { out }, got ${describe(options)}`);
  const o = options as Record<string, unknown>;
  for (const k in o) {
    if (!PREDICT_KEYS.includes(k)) {
      const hint = suggest(k, PREDICT_KEYS);
      throw new OptionError(`predict options.${k}: unknown option${hint ? ` (did you mean '${hint}'?)` : ''}; known options are ${PREDICT_KEYS.join(', ')}`);
    }
  }
  const out = o.out;
  if (out === undefined) return undefined;
  if (!(out instanceof Float32Array)) throw new ArgumentTypeError(`predict options.out: expected a Float32Array (rows × outputs floats, row-major), got ${describe(out)}`);
  return out;
}

/** out must hold exactly rows × outputs floats. */
function checkOutLength(out: Float32Array, rows: number, cols: number): void {
  if (out.length !== rows * cols) {
    throw new ShapeError(`predict options.out: expected a Float32Array of ${rows * cols} floats (${rows} row${rows === 1 ? '' : 's'} × ${cols} outputs), got one of length ${out.length}`);
  }
}

/** Rows [start, start+count) of a validated batch as a batch of its own (no copy for typed arrays). */
function sliceBatch(b: Batch, start: number, count: number): Batch {
  if (b.kind === 'flat') {
    const src = b.source as Float32Array | Float64Array;
    return { ...b, rows: count, source: src.subarray(start * b.cols, (start + count) * b.cols) };
  }
  if (b.kind === 'sample') return b;
  return { ...b, rows: count, source: (b.source as readonly (readonly number[])[]).slice(start, start + count) };
}

