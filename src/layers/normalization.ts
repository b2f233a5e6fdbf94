// Batch normalization and layer normalization: x̂ = (x − μ)/√(σ² + ε), y = γ·x̂ + β, with μ, σ²
// (biased) per feature over the batch (batch normalization, training; moving averages at
// inference) or per sample over the features (layer normalization, both modes). The kernels are
// in assembly/norm.ts; γ, β are trainable, the moving statistics are not.
import { OptionError, describe } from '../errors.js';
import type { Backend } from '../wasm/kernels.js';
import type { ParamRef } from '../optim/index.js';
import { NO_INPUT_GRAD, applyInputGrad, type BatchNormalizationWeights, type InputGradEpilogue, type Layer, type LayerNormalizationWeights, type Pass } from './layer.js';

/** `{ type: 'batchNormalization', … }` with Keras's defaults filled in. */
export interface BatchNormalizationSpec {
  type: 'batchNormalization';
  /** Moving statistics: moving = moving − (moving − batch)·(1 − momentum). Default 0.99. */
  momentum: number;
  /** Added to σ². Default 1e-3. */
  epsilon: number;
  /** Learn β. Default true. */
  center: boolean;
  /** Learn γ. Default true. */
  scale: boolean;
}

/** `{ type: 'layerNormalization', … }` with Keras's defaults filled in. */
export interface LayerNormalizationSpec {
  type: 'layerNormalization';
  /** Added to σ². Default 1e-3. */
  epsilon: number;
  center: boolean;
  scale: boolean;
}

export const BATCH_NORMALIZATION_KEYS = ['type', 'momentum', 'epsilon', 'center', 'scale'] as const;
export const LAYER_NORMALIZATION_KEYS = ['type', 'epsilon', 'center', 'scale'] as const;

function flag(v: unknown, dflt: boolean, name: string): boolean {
  if (v === undefined) return dflt;
  if (typeof v !== 'boolean') throw new OptionError(`${name}: expected true or false, got ${describe(v)}`);
  return v;
}

function epsilonOf(v: unknown, name: string): number {
  if (v === undefined) return 1e-3;
  if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0) throw new OptionError(`${name}: expected a finite number > 0, got ${describe(v)}`);
  return v;
}

export function resolveBatchNormalization(o: Record<string, unknown>, where: string): BatchNormalizationSpec {
  const momentum = o.momentum === undefined ? 0.99 : o.momentum;
  if (typeof momentum !== 'number' || !(momentum >= 0 && momentum <= 1)) throw new OptionError(`${where}.momentum: expected a number in [0, 1], got ${describe(momentum)}`);
  return {
    type: 'batchNormalization', momentum, epsilon: epsilonOf(o.epsilon, `${where}.epsilon`),
    center: flag(o.center, true, `${where}.center`), scale: flag(o.scale, true, `${where}.scale`),
  };
}

export function resolveLayerNormalization(o: Record<string, unknown>, where: string): LayerNormalizationSpec {
  return {
    type: 'layerNormalization', epsilon: epsilonOf(o.epsilon, `${where}.epsilon`),
    center: flag(o.center, true, `${where}.center`), scale: flag(o.scale, true, `${where}.scale`),
  };
}

/** What the two normalizations share: γ, β and their gradients, the batch buffers y, x̂, dout (+ per-row floats), and the backward's bookkeeping. */
abstract class Normalization implements Layer {
  abstract readonly type: 'batchNormalization' | 'layerNormalization';
  readonly outSize: number;
  readonly gamma: number; // 0 without scale
  readonly beta: number; // 0 without center
  /** ∇γ, ∇β: always allocated (the backward kernels write both), handed to the optimizer only when learned. */
  readonly ggamma: number;
  readonly gbeta: number;
  /** Batch buffers: output, dE/d(output), x̂ ([capacity, size]), and `rowFloats` per row (layer normalization's 1/σ). */
  a = 0; dout = 0; xhat = 0; perRow = 0;
  protected readonly owned: number[] = [];

  constructor(protected readonly be: Backend, readonly inSize: number, readonly epsilon: number, readonly center: boolean, readonly scale: boolean, private readonly rowFloats: number) {
    this.outSize = inSize;
    const arena = be.arena;
    try {
      this.gamma = scale ? this.own(arena.alloc(inSize)) : 0;
      this.beta = center ? this.own(arena.alloc(inSize)) : 0;
      this.ggamma = this.own(arena.alloc(inSize));
      this.gbeta = this.own(arena.alloc(inSize));
    } catch (e) {
      for (const p of this.owned) arena.free(p);
      throw e;
    }
  }

  protected own(p: number): number { this.owned.push(p); return p; }

  get paramCount(): number { return this.inSize * ((this.scale ? 1 : 0) + (this.center ? 1 : 0)); }
  abstract get stateCount(): number;

  batchFloatsPerRow(): number { return 3 * this.outSize + this.rowFloats; }

  /** γ = 1, β = 0 (Keras's ones/zeros). */
  init(): void {
    const arena = this.be.arena;
    if (this.gamma) arena.view(this.gamma, this.inSize).fill(1);
    if (this.beta) arena.view(this.beta, this.inSize).fill(0);
  }

  plan(rows: number): number[] {
    const old = [this.a, this.dout, this.xhat, this.perRow].filter((p) => p !== 0);
    this.a = this.dout = this.xhat = this.perRow = 0;
    if (rows === 0) return old;
    const arena = this.be.arena, n = rows * this.outSize, fresh: number[] = [];
    try {
      fresh.push(arena.alloc(n), arena.alloc(n), arena.alloc(n));
      if (this.rowFloats) fresh.push(arena.alloc(rows * this.rowFloats));
    } catch (e) {
      for (const p of fresh) arena.free(p);
      throw e;
    }
    [this.a, this.dout, this.xhat] = fresh as [number, number, number];
    this.perRow = fresh[3] ?? 0;
    return old;
  }

  abstract forward(x: number, rows: number, pass: Pass): void;
  abstract backward(x: number, rows: number, dx: number, prev: InputGradEpilogue | null): void;

  inputGradEpilogue(): InputGradEpilogue { return NO_INPUT_GRAD; }
  penalty(): number { return 0; }
  commit(): void { /* nothing staged (batch normalization overrides) */ }

  params(): ParamRef[] {
    const out: ParamRef[] = [];
    if (this.gamma) out.push({ param: this.gamma, grad: this.ggamma, length: this.inSize, decay: false });
    if (this.beta) out.push({ param: this.beta, grad: this.gbeta, length: this.inSize, decay: false });
    return out;
  }

  abstract state(): { ptr: number; length: number }[];
  abstract weights(): BatchNormalizationWeights | LayerNormalizationWeights;

  protected copy(p: number): Float32Array | null { return p ? this.be.arena.view(p, this.inSize).slice() : null; }

  dispose(): void {
    const arena = this.be.arena;
    for (const p of this.plan(0)) arena.free(p);
    for (const p of this.owned) arena.free(p);
    this.owned.length = 0;
  }
}

/**
 * Batch normalization as Keras's BatchNormalization on [batch, features]: in training the batch's
 * mean and biased variance per feature, and (fit, trainBatch) the moving statistics updated once
 * per step; at inference the moving statistics.
 */
export class BatchNormalization extends Normalization {
  readonly type = 'batchNormalization';
  readonly movingMean: number;
  readonly movingVariance: number;
  /** The last training batch's μ and 1/√(σ² + ε), per feature. */
  private readonly mean: number;
  private readonly invstd: number;
  /** The moving statistics a training step computed, [mean, variance], until commit() makes them the layer's. */
  private readonly pending: number;
  private staged = false;

  constructor(be: Backend, inSize: number, readonly spec: BatchNormalizationSpec) {
    super(be, inSize, spec.epsilon, spec.center, spec.scale, 0);
    const arena = be.arena;
    try {
      this.movingMean = this.own(arena.alloc(inSize));
      this.movingVariance = this.own(arena.alloc(inSize));
      this.mean = this.own(arena.alloc(inSize));
      this.invstd = this.own(arena.alloc(inSize));
      this.pending = this.own(arena.alloc(2 * inSize));
    } catch (e) {
      this.dispose();
      throw e;
    }
  }

  get stateCount(): number { return 2 * this.inSize; }

  /** γ = 1, β = 0, moving mean 0, moving variance 1 (Keras's initializers). */
  override init(): void {
    super.init();
    this.be.arena.view(this.movingMean, this.inSize).fill(0);
    this.be.arena.view(this.movingVariance, this.inSize).fill(1);
  }

  forward(x: number, rows: number, pass: Pass): void {
    const k = this.be.kernels, n = this.inSize;
    if (pass.training) {
      // the update goes to a copy of the moving statistics, made the layer's by commit()
      const u8 = this.be.arena.u8, pm = this.pending, pv = this.pending + 4 * n;
      if (pass.update) {
        u8.copyWithin(pm, this.movingMean, this.movingMean + 4 * n);
        u8.copyWithin(pv, this.movingVariance, this.movingVariance + 4 * n);
      }
      k.batchnorm_train_f32(this.a, this.xhat, this.invstd, this.mean, x, this.gamma, this.beta, rows, n, this.epsilon,
        pm, pv, this.spec.momentum, pass.update ? 1 : 0);
      this.staged = pass.update;
    } else {
      k.batchnorm_infer_f32(this.a, x, this.gamma, this.beta, this.movingMean, this.movingVariance, rows, n, this.epsilon);
    }
  }

  /** moving ← what the last training step computed (moving − (moving − batch)·(1 − momentum)). */
  override commit(): void {
    if (!this.staged) return;
    this.staged = false;
    const u8 = this.be.arena.u8, n = 4 * this.inSize;
    u8.copyWithin(this.movingMean, this.pending, this.pending + n);
    u8.copyWithin(this.movingVariance, this.pending + n, this.pending + 2 * n);
  }

  /** Through the batch statistics: ∇γ = Σ dout·x̂, ∇β = Σ dout, dx = γ/(m·σ)·(m·dout − ∇β − x̂·∇γ). */
  backward(_x: number, rows: number, dx: number, prev: InputGradEpilogue | null): void {
    this.be.kernels.batchnorm_backward_f32(dx, this.ggamma, this.gbeta, this.dout, this.xhat, this.invstd, this.gamma, rows, this.inSize);
    if (dx) applyInputGrad(this.be.kernels, prev, dx, rows * this.inSize);
  }

  state(): { ptr: number; length: number }[] {
    return [{ ptr: this.movingMean, length: this.inSize }, { ptr: this.movingVariance, length: this.inSize }];
  }

  weights(): BatchNormalizationWeights {
    return { type: 'batchNormalization', gamma: this.copy(this.gamma), beta: this.copy(this.beta), movingMean: this.copy(this.movingMean)!, movingVariance: this.copy(this.movingVariance)! };
  }
}

/** Layer normalization as Keras's LayerNormalization over the last axis: each sample's mean and biased variance over its features, in both modes. */
export class LayerNormalization extends Normalization {
  readonly type = 'layerNormalization';
  get stateCount(): number { return 0; }

  constructor(be: Backend, inSize: number, readonly spec: LayerNormalizationSpec) {
    super(be, inSize, spec.epsilon, spec.center, spec.scale, 1);
  }

  forward(x: number, rows: number): void {
    this.be.kernels.layernorm_forward_f32(this.a, this.xhat, this.perRow, x, this.gamma, this.beta, rows, this.inSize, this.epsilon);
  }

  /** ∇γ = Σ dout·x̂, ∇β = Σ dout, dx = 1/(n·σ)·(n·d̂ − Σd̂ − x̂·Σd̂·x̂) per row with d̂ = γ·dout. */
  backward(_x: number, rows: number, dx: number, prev: InputGradEpilogue | null): void {
    this.be.kernels.layernorm_backward_f32(dx, this.ggamma, this.gbeta, this.dout, this.xhat, this.perRow, this.gamma, rows, this.inSize);
    if (dx) applyInputGrad(this.be.kernels, prev, dx, rows * this.inSize);
  }

  state(): { ptr: number; length: number }[] { return []; }

  weights(): LayerNormalizationWeights {
    return { type: 'layerNormalization', gamma: this.copy(this.gamma), beta: this.copy(this.beta) };
  }
}
