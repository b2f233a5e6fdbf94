import type { Arena } from '../wasm/memory.js';
import type { Kernels } from '../wasm/kernels.js';
import { learningRateAt, type ResolvedLearningRate } from '../schedules.js';
import { clipGradients, type ClipConfig } from './clip.js';

/** A parameter block and its gradient, as byte addresses in wasm memory. `decay`: weight decay applies (weights yes, biases no). */
export interface ParamRef { param: number; grad: number; length: number; decay: boolean }

/** What every optimizer takes: the learning rate (a number, a schedule or a function, src/schedules.ts), weight decay and clipping (src/optim/clip.ts). */
interface Common extends ClipConfig { learningRate: ResolvedLearningRate; weightDecay: number }
export interface SgdConfig extends Common { type: 'sgd'; momentum: number; nesterov: boolean }
export interface AdamConfig extends Common { type: 'adam'; beta1: number; beta2: number; epsilon: number }
/** Adam with decoupled weight decay (Keras's AdamW): w −= lr·wd·w before each Adam step; weights only. */
export interface AdamWConfig extends Common { type: 'adamw'; beta1: number; beta2: number; epsilon: number }
export interface RmspropConfig extends Common { type: 'rmsprop'; decay: number; epsilon: number }
/** A fully resolved optimizer configuration. */
export type OptimizerConfig = SgdConfig | AdamConfig | AdamWConfig | RmspropConfig;

/** An optimizer updates parameters in wasm from their gradients; its state lives in the arena. */
export interface Optimizer {
  readonly config: OptimizerConfig;
  /** Steps taken so far (Adam's t); the learning-rate schedule's step. Saved with the model. */
  iterations: number;
  /** A factor on every rate (fit's reduceLROnPlateau lowers it; 1 otherwise). Saved with the model. */
  rateScale: number;
  /** The 0-based epoch of the running fit, passed to a function schedule (0 outside fit; not saved). */
  readonly epoch: number;
  /** fit calls this before each epoch's first step (setEpoch(0) when it returns). */
  setEpoch(epoch: number): void;
  /** The rate of the step after `step` steps in `epoch` (a function schedule is called, and its value checked). */
  learningRateAt(step: number, epoch?: number): number;
  /**
   * The rate the next step will use, learningRateAt(iterations, epoch), checked; computed once per
   * step (step() reuses it), so calling this before a step's forward pass reports a bad function
   * value before anything changes.
   */
  nextLearningRate(): number;
  /** One update of every parameter block: the rate (throws before anything changes), clipping, the rule. */
  step(): void;
  /** State blocks per parameter block (in the order of the params), for saving and restoring. */
  state(): { ptr: number; length: number }[][];
  dispose(): void;
}

/** Shared plumbing: per-parameter state blocks allocated once in the arena, the rate of each step, clipping. */
export abstract class BaseOptimizer implements Optimizer {
  iterations = 0;
  rateScale = 1;
  epoch = 0;
  protected readonly slots: number[][];
  /** The last rate computed and the (step, epoch, scale) it is for. */
  private rate = { step: -1, epoch: -1, scale: 1, value: 0 };

  constructor(
    protected readonly kernels: Kernels,
    private readonly arena: Arena,
    protected readonly params: readonly ParamRef[],
    slotCount: number,
  ) {
    const made: number[] = [];
    try {
      this.slots = params.map((p) => Array.from({ length: slotCount }, () => { const ptr = arena.alloc(p.length); made.push(ptr); return ptr; }));
    } catch (e) {
      for (const ptr of made) arena.free(ptr);
      throw e;
    }
  }

  abstract readonly config: OptimizerConfig;
  /** The update rule with this step's rate (`iterations` is still the count before the step). */
  protected abstract update(lr: number): void;

  setEpoch(epoch: number): void { this.epoch = epoch; }

  learningRateAt(step: number, epoch = this.epoch): number {
    const lr = learningRateAt(this.config.learningRate, step, epoch);
    return this.rateScale === 1 ? lr : lr * this.rateScale;
  }

  nextLearningRate(): number {
    const r = this.rate;
    if (r.step !== this.iterations || r.epoch !== this.epoch || r.scale !== this.rateScale) {
      this.rate = { step: this.iterations, epoch: this.epoch, scale: this.rateScale, value: this.learningRateAt(this.iterations) };
    }
    return this.rate.value;
  }

  step(): void {
    const lr = this.nextLearningRate();
    clipGradients(this.kernels, this.params, this.config);
    this.update(lr);
    this.iterations++;
  }

  state(): { ptr: number; length: number }[][] {
    return this.slots.map((s, i) => s.map((ptr) => ({ ptr, length: this.params[i]!.length })));
  }

  dispose(): void {
    for (const s of this.slots) for (const ptr of s) this.arena.free(ptr);
    this.slots.length = 0;
  }
}
