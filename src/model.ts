import { LOSS, lossGrad } from './losses.js';
import { MetricAccumulator, evaluateMetrics, type Evaluation, type Metric } from './metrics.js';
import {
  checkSampleWeight, checkTargetBatch, evaluateOptions, gatherRows, nonFinite, shapeLike, targetRowsError, toBatch, toClassWeights, toTargets, trainOptions, weightRows, writeRows, writeSample,
  type Batch, type BatchInput, type RowWeights, type TargetInput,
} from './data.js';
import { ArgumentTypeError, BusyError, DisposedError, DomainError, FormatError, NonFiniteError, OptionError, ShapeError, describe } from './errors.js';
import { checkPath, encodeJSON, loadSnapshot, saveSnapshot, snapshotFromJSON, type NetworkJSON, type Snapshot } from './io.js';
import type { Dense } from './layers/dense.js';
import type { BatchNormalization, LayerNormalization } from './layers/normalization.js';
import { INFERENCE, type DenseWeights, type Layer, type LayerType, type AnyLayerWeights, type LayerWeightsInput, type Pass } from './layers/layer.js';
import { blocksOf, buildStack, stackOf, type StackEntry } from './layers/stack.js';
import { checkFitSetup, fitMetrics, resolveFitOptions, runFit, type FitEngine, type FitOptions, type History } from './fit.js';
import { Rollback, StateCopy, type Block } from './rollback.js';
import { Staging } from './staging.js';
import { createOptimizer, type Optimizer } from './optim/index.js';
import { resolveOptions, type LayerInput, type NetworkOptions, type ResolvedOptions } from './options.js';
import { suggest } from './suggest.js';
import { toONNX, type OnnxOptions } from './onnx.js';
import { Rng } from './random.js';
import { backend, type Backend } from './wasm/kernels.js';
import { Matmul, autoThreads } from './wasm/threads.js';

export type {
  LayerWeights, AnyLayerWeights, LayerWeightsInput, DenseWeights, DenseWeightsInput, BatchNormalizationWeights, LayerNormalizationWeights,
  DropoutWeights, NormalizationWeightsInput, LayerType,
} from './layers/layer.js';
export type { FitOptions, History, EpochLog } from './fit.js';

/** A dense layer's gradients (copies). */
export interface DenseGradients {
  type: 'dense';
  /** ∇W, row-major [out, in], same layout as the weights (with the l1/l2 penalty's gradient). */
  weights: Float32Array;
  /** ∇b = the column sum of delta; null without biases. */
  bias: Float32Array | null;
  /** δ = dE/dnet, row-major [rows, out]. */
  delta: Float32Array;
  /** dE/dout, row-major [rows, out]; null for the output layer when the loss is fused with its activation (softmax + crossEntropy, sigmoid + binaryCrossEntropy). */
  outputGrad: Float32Array | null;
}

/** A normalization layer's gradients (copies). */
export interface NormalizationGradients {
  type: 'batchNormalization' | 'layerNormalization';
  /** ∇γ = Σ_rows dout ⊙ x̂; null when the layer has no γ (scale: false). */
  gamma: Float32Array | null;
  /** ∇β = Σ_rows dout; null when the layer has no β (center: false). */
  beta: Float32Array | null;
  /** dE/dout, row-major [rows, size]. */
  outputGrad: Float32Array;
}

/** A dropout layer's gradient (a copy). */
export interface DropoutGradients {
  type: 'dropout';
  /** dE/dout, row-major [rows, size]. */
  outputGrad: Float32Array;
}

/** One layer's gradients: narrow on `type` (a network of sizes has dense layers only). */
export type AnyLayerGradients = DenseGradients | NormalizationGradients | DropoutGradients;

/** Gradients of the loss for one batch (copies; the network is not changed). G: the layers' entry type (dense for a network of sizes, AnyLayerGradients for a layer list). */
export interface Gradients<G extends AnyLayerGradients = DenseGradients> {
  /** The loss of the batch (reduced as the network's `reduction` says), plus the layers' l1/l2 penalties. */
  loss: number;
  /** One entry per layer of the stack. */
  layers: G[];
  /** dE/dx, row-major [rows, inputs], same layout as x. */
  input: Float32Array;
}

/**
 * Forward values of every layer for a batch, row-major [rows, size]: for a dense layer
 * net = x·Wᵀ + b and out = f(net); for the other layers net is out (they have no activation).
 */
export interface Trace {
  layers: { type: LayerType; net: Float32Array; out: Float32Array }[];
}

/** trace's options. */
export interface TraceOptions {
  /** Run the layers as a training step does (batch statistics, dropout with the next step's masks) without changing any state. Default false. */
  training?: boolean;
}


/** evaluate's options. */
export interface EvaluateOptions {
  /** Metrics to report besides the loss, by name (see METRICS in src/metrics.ts). Default: ['accuracy'] for softmax and sigmoid outputs, ['mae', 'rmse', 'r2'] otherwise. */
  metrics?: readonly Metric[];
  /** One weight ≥ 0 per row (Keras's sample_weight): the loss is Σ wᵢ·Lᵢ / rows ('mean') or Σ wᵢ·Lᵢ ('sum'). The metrics stay unweighted (as Keras's `metrics`). */
  sampleWeight?: readonly number[] | Float32Array;
}

/** trainBatch's and gradients' options: Keras's sample_weight and class_weight (multiplied when both are given). */
export interface TrainBatchOptions {
  /** One weight ≥ 0 per row: the loss is Σ wᵢ·Lᵢ / rows ('mean') or Σ wᵢ·Lᵢ ('sum'), and the gradient that of it. */
  sampleWeight?: readonly number[] | Float32Array;
  /**
   * A weight ≥ 0 per class, { [class]: weight } (classes left out weigh 1) or an array of one per
   * class; a row weighs its target's class's weight. Classes: a softmax layer's outputs (the target
   * row's argmax; with sparseCrossEntropy the index), or 0 and 1 for one sigmoid output (target > 0.5).
   */
  classWeight?: Readonly<Record<number, number>> | readonly number[] | Float32Array;
}

/** Rows per chunk when predict/evaluate run a batch larger than the current buffers. */
const PREDICT_CHUNK = 1024;
const PREDICT_KEYS = ['out'];
const TRACE_KEYS = ['training'];
/** The blocks of each layer type's getWeights/setWeights entry. */
const WEIGHT_KEYS: Record<LayerType, readonly string[]> = {
  dense: ['weights', 'bias', 'rows', 'cols'], dropout: [], batchNormalization: ['gamma', 'beta', 'movingMean', 'movingVariance'], layerNormalization: ['gamma', 'beta'],
};
/** predict's and evaluate's pass (Dense.forward may take gemv_f32_nt_hsum's order). */
const PREDICT_PASS: Pass = Object.freeze({ ...INFERENCE, fastSums: true });

/** predict's options. */
export interface PredictOptions {
  /** Write the outputs here (row-major, rows × outputs floats) and return it; nothing else is allocated for one sample. */
  out?: Float32Array;
}

interface Owned { layers: Layer[]; staging: Staging | null; optimizer: Optimizer | null }

const registry = new FinalizationRegistry<Owned>((owned) => release(owned));

function release(owned: Owned): void {
  owned.optimizer?.dispose();
  for (const l of owned.layers) l.dispose();
  owned.staging?.free();
  owned.optimizer = null;
  owned.layers = [];
  owned.staging = null;
}


/** What a network's layers are, as its type knows them: a list of numbers is all dense. */
export type LayerWeightsOf<L> = L extends readonly number[] ? DenseWeights : AnyLayerWeights;
export type LayerGradientsOf<L> = L extends readonly number[] ? DenseGradients : AnyLayerGradients;

/**
 * A fully connected network trained by backpropagation on wasm SIMD kernels:
 * forward z_l = out_{l−1}·W_lᵀ + b_l, out_l = f(z_l); backward δ_L = ∂E/∂out ⊙ f'(z_L),
 * δ_l = (δ_{l+1}·W_{l+1}) ⊙ f'(z_l), ∇W_l = δ_lᵀ·out_{l−1}, ∇b_l = Σ_samples δ_l; dropout and
 * normalization layers in between pass δ through their own derivatives.
 *
 * The type parameter is the `layers` option's type, inferred from the options: `new Network({
 * layers: [2, 4, 1] })` is a Network<number[]>, whose getWeights() and gradients() entries are
 * typed as dense layers; a layer list gives entries to narrow on `type`. As an annotation the
 * default is a network of sizes; `Network<LayerInput[]>` is any network.
 */
export class Network<L extends readonly LayerInput[] = readonly number[]> {
  /** The options with defaults filled in. */
  readonly options: Readonly<ResolvedOptions<L>>;
  private readonly be: Backend;
  private readonly owned: Owned;
  private readonly optimizer: Optimizer;
  private readonly shuffleRng: Rng;
  /** The batch buffers (x, targets, dE/dx) and the copies into them. */
  private readonly io: Staging;
  /** The layers' specs and sizes. */
  private readonly stack: readonly StackEntry[];
  private disposed = false;
  /** True while a fit of this network runs (between its awaits too). */
  private fitting = false;

  constructor(options: NetworkOptions<L>) {
    this.options = Object.freeze(resolveOptions(options)) as Readonly<ResolvedOptions<L>>;
    this.be = backend();
    const o = this.options;
    const mm = new Matmul(this.be, o.threads === 'auto' ? autoThreads() : o.threads);
    this.stack = stackOf(o);
    const layers = buildStack(this.be, mm, this.stack, o.seed, o.leakyReluAlpha);
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
    this.io = new Staging(this.be, layers, this.stack[0]!.inSize, this.stack[this.stack.length - 1]!.outSize);
    this.owned = { layers, staging: this.io, optimizer };
    registry.register(this, this.owned, this);
  }

  /** The input size, then each layer's output size (for a list of numbers, options.layers). */
  get sizes(): readonly number[] { return [this.stack[0]!.inSize, ...this.stack.map((e) => e.outSize)]; }
  /** Number of parameters: weights and biases, γ and β, and the non-trainable moving statistics (as Keras's countParams). */
  get parameterCount(): number { return this.owned.layers.reduce((s, l) => s + l.paramCount + l.stateCount, 0); }
  /** True after dispose(). */
  get isDisposed(): boolean { return this.disposed; }

  private get inSize(): number { return this.stack[0]!.inSize; }
  private get outSize(): number { return this.stack[this.stack.length - 1]!.outSize; }
  private get layers(): Layer[] { return this.owned.layers; }
  /** The output layer (always dense: the list's validation says so). */
  private get last(): Dense { return this.owned.layers[this.owned.layers.length - 1] as Dense; }

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
    const last = this.last;
    if (this.io.capacity > 0) { // one sample, buffers planned: straight into wasm, no staging objects
      const nIn = this.inSize;
      const kind = writeSample(x, this.be.arena.f32, this.io.x >>> 2, nIn, 'x');
      if (kind !== null) {
        if (kind === 'f32') {
          const i = this.be.kernels.nonfinite_index_f32(this.io.x, nIn);
          if (i >= 0) throw nonFinite('x', x as Float32Array, i, nIn);
        }
        if (dst) checkOutLength(dst, 1, nOut);
        this.forward(1, PREDICT_PASS);
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
      this.forward(rows, PREDICT_PASS);
      out.set(this.be.arena.view(last.a, rows * nOut), start * nOut);
    }
    if (dst) return dst;
    return xb.kind === 'flat' ? out : shapeLike(xb.kind, out, xb.rows, nOut);
  }

  /**
   * Forward values (net and out) of every layer for x, in inference mode (moving statistics, no
   * dropout) or with `{ training: true }` as a training step runs them (batch statistics, the next
   * step's dropout masks); changes nothing.
   */
  trace(x: BatchInput, options?: TraceOptions): Trace {
    this.live('trace');
    const training = traceTraining(options);
    const xb = toBatch(x, this.inSize, 'x', true);
    this.io.reserve(xb.rows);
    this.io.put(xb, this.io.x, 0, xb.rows);
    this.forward(xb.rows, training ? this.trainingPass(false) : INFERENCE);
    const arena = this.be.arena;
    return {
      layers: this.layers.map((l) => {
        const out = arena.view(l.a, xb.rows * l.outSize).slice();
        return { type: l.type, net: l.type === 'dense' ? arena.view((l as Dense).z, xb.rows * l.outSize).slice() : out, out };
      }),
    };
  }

  /** Loss and gradients for the batch (x, y), rows weighted by `{ sampleWeight, classWeight }` if given; changes nothing. */
  gradients(x: BatchInput, y: TargetInput, options?: TrainBatchOptions): Gradients<LayerGradientsOf<L>> {
    this.live('gradients');
    const weights = trainOptions(options, 'gradients', this.options.outputActivation, this.outSize);
    const rows = this.io.stage(x, y, this.options.loss, weights);
    this.forward(rows, this.trainingPass(false));
    const loss = this.lossAndDelta(rows, weights ? this.io.w : 0);
    this.backward(rows, true);
    const arena = this.be.arena;
    const fused = this.fusedLoss();
    const copy = (p: number, n: number): Float32Array | null => (p ? arena.view(p, n).slice() : null);
    return {
      loss,
      layers: this.layers.map((l, i): AnyLayerGradients => {
        const n = rows * l.outSize;
        if (l.type === 'dense') {
          const d = l as Dense;
          return {
            type: 'dense',
            weights: arena.view(d.gw, d.outSize * d.inSize).slice(),
            bias: copy(d.gb, d.outSize),
            delta: arena.view(d.delta, n).slice(),
            outputGrad: i === this.layers.length - 1 && fused ? null : arena.view(d.dout, n).slice(),
          };
        }
        if (l.type === 'dropout') return { type: 'dropout', outputGrad: arena.view(l.dout, n).slice() };
        const nl = l as BatchNormalization | LayerNormalization;
        return { type: nl.type, gamma: nl.gamma ? copy(nl.ggamma, l.outSize) : null, beta: nl.beta ? copy(nl.gbeta, l.outSize) : null, outputGrad: arena.view(l.dout, n).slice() };
      }),
      input: arena.view(this.io.dx, rows * this.inSize).slice(),
    } as Gradients<LayerGradientsOf<L>>;
  }

  /** One optimizer step on the batch (x, y), rows weighted by `{ sampleWeight, classWeight }` if given; returns the loss before the step. */
  trainBatch(x: BatchInput, y: TargetInput, options?: TrainBatchOptions): number {
    this.live('trainBatch');
    this.idle('trainBatch');
    const weights = trainOptions(options, 'trainBatch', this.options.outputActivation, this.outSize);
    const rows = this.io.stage(x, y, this.options.loss, weights);
    this.forward(rows, this.trainingPass(true));
    const loss = this.lossAndDelta(rows, weights ? this.io.w : 0); // throws on a non-finite loss: nothing changed yet
    this.optimizer.nextLearningRate(); // a schedule function's bad value throws here, before anything changes
    this.commit();
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
    fitMetrics(o, { activation: this.options.outputActivation, cols: this.outSize }); // before anything is allocated
    const classes = o.classWeight === undefined ? null : toClassWeights(o.classWeight, this.options.outputActivation, this.outSize, 'fit options.classWeight');
    let xb = toBatch(x, this.inSize, 'x');
    let yb = toTargets(y, this.outSize, this.options.loss, 'y');
    if (xb.rows !== yb.rows) throw targetRowsError(yb, xb.rows);
    checkTargetBatch(yb, this.options.loss, 'y');
    let sample = o.sampleWeight === undefined ? null : checkSampleWeight(o.sampleWeight, xb.rows, 'fit options.sampleWeight');
    let valSample: ArrayLike<number> | null = null;
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
      if (sample) { valSample = weightRows(sample, xb.rows - nVal, nVal); sample = weightRows(sample, 0, xb.rows - nVal); }
      xb = sliceBatch(xb, 0, xb.rows - nVal);
      yb = sliceBatch(yb, 0, yb.rows - nVal);
    }
    checkFitSetup(o, val !== null, this.options.optimizer.learningRate);
    const n = xb.rows;
    const batch = Math.min(o.batchSize, n);
    this.io.reserve(batch);
    const blocks = this.stateBlocks();
    const guard = new Rollback(this.be, blocks, this.layers.reduce((s, l) => s + l.params().length, 0), this.optimizer, this.shuffleRng, o.rollback !== false);
    let best: StateCopy | null = null;
    try {
      if (o.earlyStopping?.restoreBestWeights) best = new StateCopy(this.be, blocks, this.optimizer, this.shuffleRng);
    } catch (e) {
      guard.dispose();
      throw e;
    }
    const save = (path: string): Promise<void> => saveSnapshot(path, this.snapshot());
    this.fitting = true;
    try {
      const weights: RowWeights | null = sample || classes ? { sample, classes } : null;
      return await runFit(this.engine(), xb, yb, val, o, batch, { guard, best, save, weights, valSample }, this.shuffleRng);
    } finally {
      this.optimizer.setEpoch(0); // outside fit, a function schedule sees epoch 0
      this.fitting = false;
      guard.dispose();
      best?.dispose();
    }
  }

  /**
   * Loss (reduced as the network's `reduction` says, over all rows) and metrics on (x, y), in
   * chunks; changes nothing. Metrics by default: accuracy for softmax and sigmoid outputs, mae,
   * rmse and r2 for other outputs; `{ metrics }` names them (see METRICS in src/metrics.ts).
   * `{ sampleWeight }` weights each row's loss (not the metrics).
   */
  evaluate(x: BatchInput, y: TargetInput, options?: EvaluateOptions): Evaluation {
    this.live('evaluate');
    const output = { activation: this.options.outputActivation, cols: this.outSize };
    const o = evaluateOptions(options);
    const metrics = evaluateMetrics(o?.metrics, output);
    const xb = toBatch(x, this.inSize, 'x', true);
    const yb = toTargets(y, this.outSize, this.options.loss, 'y', true);
    if (xb.rows !== yb.rows) throw targetRowsError(yb, xb.rows);
    const sample = o?.sampleWeight === undefined ? null : checkSampleWeight(o.sampleWeight, xb.rows, 'evaluate options.sampleWeight');
    checkTargetBatch(yb, this.options.loss, 'y');
    return this.evaluateBatches(xb, yb, metrics.length > 0 ? new MetricAccumulator(metrics, output, xb.rows) : null, sample);
  }

  /** A JSON-ready object with the options, weights, optimizer state and shuffle state (exact float32, base64). */
  toJSON(): NetworkJSON {
    this.live('toJSON');
    return encodeJSON(this.snapshot());
  }

  /** The network as an ONNX model (see toONNX in src/onnx.ts: Gemm + activation nodes per dense layer, the other layers as at inference; opset 13 or 17); needs the optional package protobufjs. */
  toONNX(options?: OnnxOptions): Uint8Array {
    this.live('toONNX');
    return toONNX(this, options);
  }

  /** Rebuilds a network from `toJSON()` output (or its parsed JSON text). Validates everything before allocating. L: what the file holds, as the type system cannot see it (default: sizes only; `LayerInput[]` for any). */
  static fromJSON<L extends readonly LayerInput[] = readonly number[]>(json: unknown): Network<L> {
    return Network.restore<L>(snapshotFromJSON(json));
  }

  /** Saves to `path`: `.wasmlp` (compact binary with a CRC32) or anything else as JSON. Atomic: a crash never leaves a half-written file. */
  async save(path: string): Promise<void> {
    this.live('save');
    checkPath(path);
    await saveSnapshot(path, this.snapshot());
  }

  /** Loads a network saved by `save` (format chosen by content: binary magic, else JSON). L as for fromJSON. */
  static async load<L extends readonly LayerInput[] = readonly number[]>(path: string): Promise<Network<L>> {
    return Network.restore<L>(await loadSnapshot(path));
  }

  /**
   * Replaces every layer's parameters: one entry per layer, as getWeights returns them (dense
   * `{ weights, bias }`, batch normalization `{ gamma, beta, movingMean, movingVariance }`, layer
   * normalization `{ gamma, beta }`, dropout `{}`). Validates all layers before changing any.
   */
  setWeights(layers: LayerWeightsInput[]): void {
    this.live('setWeights');
    this.idle('setWeights');
    if (!Array.isArray(layers)) throw new ArgumentTypeError(`layers: expected an array of ${this.layers.length} entries (one per layer, as getWeights returns them), got ${describe(layers)}`);
    if (layers.length !== this.layers.length) {
      throw new ShapeError(`layers: expected ${this.layers.length} layers (one entry per layer of ${this.describeStack()}), got ${layers.length}`);
    }
    const writes: { batch: Batch; ptr: number; rows: number }[] = [];
    layers.forEach((entry, i) => {
      const l = this.layers[i]!, e = this.stack[i]!;
      const name = `layers[${i}]`;
      const { trainable, state } = blocksOf(e);
      const blocks = [...trainable, ...state];
      if (entry === null || typeof entry !== 'object' || Array.isArray(entry)) {
        throw new ArgumentTypeError(`${name}: expected { ${blocks.map((b) => b.name).join(', ')} } for a ${l.type} layer, got ${describe(entry)}`);
      }
      const o = entry as Record<string, unknown>;
      if (o.type !== undefined && o.type !== l.type) throw new ShapeError(`${name}.type: layer ${i} is a ${l.type} layer, got ${describe(o.type)}`);
      const known = ['type', ...WEIGHT_KEYS[l.type]];
      for (const k of Object.keys(o)) {
        if (!known.includes(k)) {
          const hint = suggest(k, known);
          throw new ShapeError(`${name}.${k}: a ${l.type} layer has no such block${hint ? ` (did you mean '${hint}'?)` : ''}; it takes ${known.filter((n) => n !== 'type').join(', ') || 'nothing'}`);
        }
      }
      const ptrs = [...l.params().map((p) => p.param), ...l.state().map((p) => p.ptr)];
      if (l.type === 'dense') {
        const d = l as Dense;
        const wb = toBatch(o.weights as BatchInput, d.inSize, `${name}.weights`);
        if (wb.rows !== d.outSize || wb.kind === 'sample' && d.outSize !== 1) {
          throw new ShapeError(`${name}.weights: expected ${d.outSize} rows × ${d.inSize} columns ([out][in]), got ${wb.rows} rows`);
        }
        writes.push({ batch: wb, ptr: d.w, rows: d.outSize });
      }
      blocks.forEach((b, j) => {
        if (l.type === 'dense' && b.name === 'weights') return;
        const v = o[b.name];
        if (v === undefined || v === null) throw new ShapeError(`${name}.${b.name}: expected ${b.length} numbers (layer ${i} has ${b.name === 'bias' ? 'biases' : `a ${b.name}`}), got ${describe(v)}`);
        if (!(v instanceof Float32Array) && Array.isArray(v) && Array.isArray(v[0])) {
          throw new ShapeError(`${name}.${b.name}: expected a flat array of ${b.length} numbers, got a nested array`);
        }
        const bb = toBatch(v as BatchInput, b.length, `${name}.${b.name}`);
        if (bb.rows !== 1) throw new ShapeError(`${name}.${b.name}: expected ${b.length} numbers, got ${bb.rows * b.length}`);
        if (b.name === 'movingVariance') {
          const vs = Array.from(bb.source as ArrayLike<number>), neg = vs.findIndex((x) => x < 0);
          if (neg >= 0) throw new DomainError(`${name}.movingVariance: expected variances ≥ 0, value ${neg} is ${vs[neg]}`);
        }
        writes.push({ batch: bb, ptr: ptrs[j]!, rows: 1 });
      });
      for (const k of ['bias', 'gamma', 'beta'] as const) {
        if (k in o && o[k] !== null && o[k] !== undefined && !blocks.some((b) => b.name === k)) {
          const why = k === 'bias' ? `layer ${i} has no bias (useBias/bias false)` : `layer ${i} has no ${k} (${k === 'gamma' ? 'scale' : 'center'}: false)`;
          throw new ShapeError(`${name}.${k}: ${why}, got ${describe(o[k])}`);
        }
      }
    });
    const f32 = this.be.arena.f32;
    for (const w of writes) writeRows(w.batch, f32, w.ptr >>> 2, 0, w.rows);
  }

  /**
   * The layers as a table, one row each (as Keras's `model.summary()`): index, type, activation,
   * output shape, trainable and non-trainable parameters, and the totals. Returns the text.
   */
  summary(): string {
    this.live('summary');
    const rows = [['#', 'layer', 'activation', 'output', 'trainable', 'non-trainable']];
    rows.push(['0', 'input', '', String(this.inSize), '', '']);
    const n = (v: number): string => v.toLocaleString('en-US');
    this.layers.forEach((l, i) => rows.push([String(i + 1), l.type, l.type === 'dense' ? (l as Dense).activation : '', String(l.outSize), n(l.paramCount), n(l.stateCount)]));
    const trainable = this.layers.reduce((s, l) => s + l.paramCount, 0), fixed = this.layers.reduce((s, l) => s + l.stateCount, 0);
    const width = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
    const line = (r: string[]): string => r.map((v, c) => (c >= 3 ? v.padStart(width[c]!) : v.padEnd(width[c]!))).join('  ').trimEnd();
    return [line(rows[0]!), line(width.map((w) => '-'.repeat(w))), ...rows.slice(1).map(line),
      `parameters: ${n(trainable + fixed)} (trainable ${n(trainable)}, non-trainable ${n(fixed)})`].join('\n');
  }

  /** Copies of every layer's parameters, one entry per layer (narrow on `type`). */
  getWeights(): LayerWeightsOf<L>[] {
    this.live('getWeights');
    return this.layers.map((l) => l.weights()) as LayerWeightsOf<L>[];
  }

  /** Frees the network's wasm memory. Any later call throws DisposedError. Safe to call twice. */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    registry.unregister(this);
    release(this.owned);
  }

  // ************* internals *************

  /**
   * Every block of the training state, in the model file's order (see Snapshot): the layers'
   * trainable blocks, the optimizer's slots in parameter order, the layers' non-trainable blocks.
   */
  private stateBlocks(): Block[] {
    return [
      ...this.layers.flatMap((l) => l.params().map((p) => ({ ptr: p.param, length: p.length }))),
      ...this.optimizer.state().flat(),
      ...this.layers.flatMap((l) => l.state()),
    ];
  }

  private snapshot(): Snapshot {
    const arena = this.be.arena;
    const blocks = this.stateBlocks().map((b) => arena.view(b.ptr, b.length).slice());
    return { options: { ...this.options }, blocks, iterations: this.optimizer.iterations, rateScale: this.optimizer.rateScale, shuffleState: this.shuffleRng.state };
  }

  private static restore<L extends readonly LayerInput[]>(s: Snapshot): Network<L> {
    const { learningRate: _lr, ...options } = s.options;
    const net = new Network<L>(options as unknown as NetworkOptions<L>);
    const arena = net.be.arena;
    const targets = net.stateBlocks();
    if (targets.length !== s.blocks.length) {
      net.dispose();
      throw new FormatError(`model: expected ${targets.length} blocks, got ${s.blocks.length}`);
    }
    targets.forEach((t, i) => arena.view(t.ptr, t.length).set(s.blocks[i]!));
    net.optimizer.iterations = s.iterations;
    net.optimizer.rateScale = s.rateScale ?? 1;
    net.shuffleRng.state = s.shuffleState;
    return net;
  }


  /**
   * Loss (reduced over all rows; with `sample`, one checked weight per row, Σ wᵢ·Lᵢ reduced by the row
   * count) over validated batches, in chunks, and the metrics of `acc` (reset first; at most xb.rows rows; unweighted).
   */
  private evaluateBatches(xb: Batch, yb: Batch, acc: MetricAccumulator | null, sample: ArrayLike<number> | null = null): Evaluation {
    const chunk = Math.min(xb.rows, Math.max(this.io.capacity, PREDICT_CHUNK));
    this.io.reserve(chunk);
    acc?.reset();
    const weights: RowWeights | null = sample && { sample, classes: null };
    let total = 0;
    for (let start = 0; start < xb.rows; start += chunk) {
      const rows = Math.min(chunk, xb.rows - start);
      this.io.put(xb, this.io.x, start, rows);
      this.io.put(yb, this.io.t, start, rows);
      if (weights) this.io.putWeights(weights, null, start, rows);
      this.forward(rows, PREDICT_PASS);
      total += this.lossSum(rows, weights ? this.io.w : 0);
      if (acc) this.measureStaged(acc, rows);
    }
    const out: Evaluation = { loss: (this.options.reduction === 'mean' ? total / xb.rows : total) + this.penalty() };
    return acc ? Object.assign(out, acc.values()) : out;
  }

  /** Adds the staged rows' outputs (of the last forward) and targets to the metrics of `acc`; allocates nothing. */
  private measureStaged(acc: MetricAccumulator, rows: number): void {
    acc.add(this.be.arena.f32, this.last.a >>> 2, this.io.t >>> 2, rows);
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

  /**
   * What the fit loop (src/fit.ts) drives: this network's staging, steps and evaluation. Weighted
   * training: stageRows's `weights` (RowWeights of all the training rows, indexed as x) stages the
   * batch's row weights, and forwardLoss(rows, true) uses them; evaluate's `sample` weights the
   * validation loss (one weight per validation row).
   */
  private engine(): FitEngine {
    return {
      loss: this.options.loss,
      reduction: this.options.reduction,
      stageRows: (xb: Batch, yb: Batch, order: Uint32Array, start: number, rows: number, weights: RowWeights | null = null) => {
        const f32 = this.be.arena.f32;
        gatherRows(xb, f32, this.io.x >>> 2, order, start, rows);
        gatherRows(yb, f32, this.io.t >>> 2, order, start, rows);
        if (weights) this.io.putWeights(weights, order, start, rows); // from the staged targets
      },
      forwardLoss: (rows: number, weighted = false) => { this.forward(rows, this.trainingPass(true)); return this.lossAndDelta(rows, weighted ? this.io.w : 0, false); },
      output: { activation: this.options.outputActivation, cols: this.outSize },
      measure: (acc, rows) => this.measureStaged(acc, rows),
      backwardStep: (rows) => { const lr = this.optimizer.nextLearningRate(); this.commit(); this.backward(rows, false); this.optimizer.step(); return lr; },
      setEpoch: (epoch) => this.optimizer.setEpoch(epoch),
      nextLearningRate: () => this.optimizer.nextLearningRate(),
      scaleLearningRate: (factor) => { this.optimizer.rateScale *= factor; },
      evaluate: (xb: Batch, yb: Batch, acc: MetricAccumulator | null, sample: ArrayLike<number> | null = null) => this.evaluateBatches(xb, yb, acc, sample),
      live: () => this.live('fit'),
    };
  }

  /** A training pass at the optimizer's current step; `update`: also the moving statistics (a real step). */
  private trainingPass(update: boolean): Pass {
    return { training: true, update, fastSums: false, step: this.optimizer.iterations };
  }

  /** The staged state of the last training pass (moving statistics) becomes the layers'. */
  private commit(): void {
    for (const l of this.layers) l.commit();
  }

  /** Forward pass of the staged rows. */
  private forward(rows: number, pass: Pass): void {
    let input = this.io.x;
    for (const l of this.layers) { l.forward(input, rows, pass); input = l.a; }
  }

  /** Σ over the staged rows of the per-sample loss, row r weighted by the f32 at w + 4r (w = 0: unweighted). */
  private lossSum(rows: number, w: number): number {
    return LOSS[this.options.loss].sum(this.be.kernels, this.last, this.io.t, rows, this.outSize, w);
  }

  /** The layers' l1/l2 penalties (Keras's regularizers), added to the reduced loss. */
  private penalty(): number {
    let p = 0;
    for (const l of this.layers) p += l.penalty();
    return p;
  }

  /** The layers as text: "784-dense 256-batchNormalization-…" for messages. */
  private describeStack(): string {
    return [String(this.inSize), ...this.stack.map((e) => (e.spec.type === 'dense' ? String(e.outSize) : e.spec.type))].join('-');
  }

  /**
   * Loss of the staged batch (reduced, plus the penalties) and δ of the output layer; with w (the
   * staged row weights' address, 0: none) Σ wᵢ·Lᵢ, still reduced by the row count, and δ's rows × wᵢ.
   */
  private lossAndDelta(rows: number, w: number, check = true): number {
    const last = this.last;
    const scale = this.options.reduction === 'mean' ? 1 / rows : 1;
    const loss = this.lossSum(rows, w) * scale + this.penalty();
    lossGrad(this.options.loss, this.be.kernels, last, this.io.t, rows, this.outSize, scale, w);
    if (!LOSS[this.options.loss].fusedWith) last.activationBackward(rows); // δ = dE/dout ⊙ f'(out)
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

/** trace's options checked: unknown keys (with "did you mean"), the type of training. */
function traceTraining(options: unknown): boolean {
  if (options === undefined) return false;
  if (options === null || typeof options !== 'object' || Array.isArray(options)) throw new ArgumentTypeError(`trace options: expected an object such as { training: true }, got ${describe(options)}`);
  const o = options as Record<string, unknown>;
  for (const k in o) {
    if (!TRACE_KEYS.includes(k)) {
      const hint = suggest(k, TRACE_KEYS);
      throw new OptionError(`trace options.${k}: unknown option${hint ? ` (did you mean '${hint}'?)` : ''}; known options are ${TRACE_KEYS.join(', ')}`);
    }
  }
  if (o.training !== undefined && typeof o.training !== 'boolean') throw new ArgumentTypeError(`trace options.training: expected true or false, got ${describe(o.training)}`);
  return o.training === true;
}
