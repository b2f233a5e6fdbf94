import type { OutputActivation } from './activations.js';
import { checkTargets, shapeLike, toBatch, writeRows, type Batch, type BatchInput } from './data.js';
import { ArgumentTypeError, DisposedError, NonFiniteError, OutOfMemoryError, ShapeError, describe } from './errors.js';
import { Dense } from './layers/dense.js';
import { resolveOptions, type NetworkOptions, type ResolvedOptions } from './options.js';
import { Sgd } from './optim/sgd.js';
import { Rng } from './random.js';
import { backend, type Backend } from './wasm/kernels.js';
import { MAX_BYTES } from './wasm/memory.js';

/** One layer's parameters as returned by getWeights (copies). */
export interface LayerWeights {
  /** Row-major [rows = out, cols = in]: row i holds the weights into neuron i. */
  weights: Float32Array;
  bias: Float32Array | null;
  rows: number;
  cols: number;
}

/** One layer's parameters as accepted by setWeights. */
export interface LayerWeightsInput {
  /** [out][in] (row i = weights into neuron i), or a row-major Float32Array of out·in. */
  weights: number[][] | Float32Array;
  /** Length out; required when the network has biases, null/omitted when it has none. */
  bias?: number[] | Float32Array | null;
}

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

/** Rows per chunk when predict runs a batch larger than the current buffers. */
const PREDICT_CHUNK = 1024;

interface Owned { layers: Dense[]; bufs: number[]; be: Backend }

const registry = new FinalizationRegistry<Owned>((owned) => release(owned));

function release(owned: Owned): void {
  for (const l of owned.layers) l.dispose();
  for (const p of owned.bufs) if (p) owned.be.arena.free(p);
  owned.layers = [];
  owned.bufs = [];
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
  private readonly optimizer: Sgd;
  private capacity = 0;
  private x = 0; private t = 0; private dx = 0;
  private disposed = false;

  constructor(options: NetworkOptions) {
    this.options = Object.freeze(resolveOptions(options));
    this.be = backend();
    const o = this.options;
    const layers: Dense[] = [];
    try {
      for (let i = 1; i < o.layers.length; i++) {
        const act: OutputActivation = i === o.layers.length - 1 ? o.outputActivation : o.activation[i - 1]!;
        layers.push(new Dense(this.be, o.layers[i - 1]!, o.layers[i]!, act, o.leakyReluAlpha, o.bias));
      }
    } catch (e) {
      for (const l of layers) l.dispose();
      throw e;
    }
    const rng = new Rng(o.seed);
    for (const l of layers) l.init(rng);
    this.owned = { layers, bufs: [], be: this.be };
    this.optimizer = new Sgd(this.be.kernels, o.learningRate);
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

  /** Outputs for x: number[] → number[], number[][] → number[][], Float32Array (row-major) → Float32Array. */
  predict(x: number[]): number[];
  predict(x: number[][]): number[][];
  predict(x: Float32Array): Float32Array;
  predict(x: BatchInput): number[] | number[][] | Float32Array;
  predict(x: BatchInput): number[] | number[][] | Float32Array {
    this.live('predict');
    const xb = toBatch(x, this.inSize, 'x');
    const chunk = Math.min(xb.rows, Math.max(this.capacity, PREDICT_CHUNK));
    this.reserve(chunk);
    const out = new Float32Array(xb.rows * this.outSize);
    const last = this.layers[this.layers.length - 1]!;
    for (let start = 0; start < xb.rows; start += chunk) {
      const rows = Math.min(chunk, xb.rows - start);
      writeRows(xb, this.be.arena.f32, this.x >>> 2, start, rows);
      this.forward(rows);
      out.set(this.be.arena.view(last.a, rows * this.outSize), start * this.outSize);
    }
    return shapeLike(xb.kind, out, xb.rows, this.outSize);
  }

  /** Forward values (net and out) of every layer for x. */
  trace(x: BatchInput): Trace {
    this.live('trace');
    const xb = toBatch(x, this.inSize, 'x');
    this.reserve(xb.rows);
    writeRows(xb, this.be.arena.f32, this.x >>> 2, 0, xb.rows);
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
  gradients(x: BatchInput, y: BatchInput): Gradients {
    this.live('gradients');
    const rows = this.stage(x, y);
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
      input: arena.view(this.dx, rows * this.inSize).slice(),
    };
  }

  /** One SGD step on the batch (x, y); returns the loss before the step. */
  trainBatch(x: BatchInput, y: BatchInput): number {
    this.live('trainBatch');
    const rows = this.stage(x, y);
    this.forward(rows);
    const loss = this.lossAndDelta(rows);
    this.backward(rows, false);
    for (const l of this.layers) this.optimizer.step(l.params());
    return loss;
  }

  /** Replaces every layer's weights (and biases). Validates all layers before changing any. */
  setWeights(layers: LayerWeightsInput[]): void {
    this.live('setWeights');
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

  /** Copies of every layer's weights and biases. */
  getWeights(): LayerWeights[] {
    this.live('getWeights');
    const arena = this.be.arena;
    return this.layers.map((l) => ({
      weights: arena.view(l.w, l.outSize * l.inSize).slice(),
      bias: l.hasBias ? arena.view(l.b, l.outSize).slice() : null,
      rows: l.outSize,
      cols: l.inSize,
    }));
  }

  /** Frees the network's wasm memory. Any later call throws DisposedError. Safe to call twice. */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    registry.unregister(this);
    release(this.owned);
    this.capacity = 0;
    this.x = this.t = this.dx = 0;
  }

  // ************* internals *************

  private live(method: string): void {
    if (this.disposed) throw new DisposedError(`${method}: this Network was disposed; create a new one`);
  }

  private fusedLoss(): boolean {
    return this.options.loss !== 'mse';
  }

  /** Validates and copies x and y into wasm; returns the row count. */
  private stage(x: BatchInput, y: BatchInput): number {
    const xb = toBatch(x, this.inSize, 'x');
    const yb = toBatch(y, this.outSize, 'y');
    if (xb.rows !== yb.rows) throw new ShapeError(`y: expected ${xb.rows} rows of targets (one per sample of x), got ${yb.rows}`);
    this.reserve(xb.rows);
    const f32 = this.be.arena.f32;
    writeRows(yb, f32, this.t >>> 2, 0, yb.rows);
    checkTargets(f32, this.t >>> 2, yb.rows, this.outSize, this.options.loss, 'y');
    writeRows(xb, f32, this.x >>> 2, 0, xb.rows);
    return xb.rows;
  }

  /** Makes batch buffers hold at least `rows` rows; a larger batch re-plans once. */
  private reserve(rows: number): void {
    if (rows <= this.capacity) return;
    const floats = rows * (2 * this.inSize + this.outSize + this.layers.reduce((s, l) => s + l.batchFloatsPerRow(), 0));
    if (floats * 4 > MAX_BYTES - this.be.arena.bytesInUse) {
      throw new OutOfMemoryError(`x: a batch of ${rows} rows needs ${floats * 4} bytes of buffers, more than wasm32's 4 GiB allows next to the ${this.be.arena.bytesInUse} bytes in use`);
    }
    const arena = this.be.arena;
    const old: number[] = [...this.owned.bufs];
    try {
      for (const l of this.layers) old.push(...l.plan(rows));
      const x = arena.alloc(rows * this.inSize);
      this.owned.bufs = [x];
      const t = arena.alloc(rows * this.outSize);
      this.owned.bufs.push(t);
      const dx = arena.alloc(rows * this.inSize);
      this.owned.bufs.push(dx);
      this.x = x; this.t = t; this.dx = dx;
      this.capacity = rows;
    } catch (e) {
      // leave no half plan: drop all batch buffers; weights are untouched
      for (const l of this.layers) for (const p of l.plan(0)) arena.free(p);
      for (const p of this.owned.bufs) if (!old.includes(p)) arena.free(p);
      this.owned.bufs = [];
      this.capacity = 0;
      this.x = this.t = this.dx = 0;
      for (const p of old) arena.free(p);
      throw e;
    }
    for (const p of old) arena.free(p);
  }

  private forward(rows: number): void {
    let input = this.x;
    for (const l of this.layers) { l.forward(input, rows); input = l.a; }
  }

  /** Loss of the staged batch and δ of the output layer. */
  private lossAndDelta(rows: number): number {
    const k = this.be.kernels;
    const last = this.layers[this.layers.length - 1]!;
    const n = rows * this.outSize;
    const scale = this.options.reduction === 'mean' ? 1 / rows : 1;
    let loss: number;
    switch (this.options.loss) {
      case 'crossEntropy':
        loss = k.xent_loss_f32(last.z, this.t, rows, this.outSize);
        k.softmax_xent_grad_f32(last.delta, last.a, this.t, scale, n);
        break;
      case 'binaryCrossEntropy':
        loss = k.bce_loss_f32(last.z, this.t, n);
        k.softmax_xent_grad_f32(last.delta, last.a, this.t, scale, n);
        break;
      case 'mse':
        loss = k.mse_loss_f32(last.a, this.t, n);
        k.mse_grad_f32(last.dout, last.a, this.t, scale, n);
        last.activationBackward(rows);
        break;
    }
    loss *= scale;
    if (!Number.isFinite(loss)) {
      throw new NonFiniteError(`loss: the ${this.options.loss} loss of this batch is ${loss}; the weights have diverged or the inputs are too large`);
    }
    return loss;
  }

  private backward(rows: number, inputGrad: boolean): void {
    const ls = this.layers;
    for (let i = ls.length - 1; i >= 0; i--) {
      const l = ls[i]!;
      const input = i === 0 ? this.x : ls[i - 1]!.a;
      const dx = i === 0 ? (inputGrad ? this.dx : 0) : ls[i - 1]!.dout;
      l.backward(input, rows, dx);
      if (i > 0) ls[i - 1]!.activationBackward(rows);
    }
  }
}
