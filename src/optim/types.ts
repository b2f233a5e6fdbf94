import type { Arena } from '../wasm/memory.js';
import type { Kernels } from '../wasm/kernels.js';

/** A parameter block and its gradient, as byte addresses in wasm memory. `decay`: weight decay applies (weights yes, biases no). */
export interface ParamRef { param: number; grad: number; length: number; decay: boolean }

export interface SgdConfig { type: 'sgd'; learningRate: number; momentum: number; nesterov: boolean; weightDecay: number }
export interface AdamConfig { type: 'adam'; learningRate: number; beta1: number; beta2: number; epsilon: number; weightDecay: number }
/** Adam with decoupled weight decay (Keras's AdamW): w −= lr·wd·w before each Adam step; weights only. */
export interface AdamWConfig { type: 'adamw'; learningRate: number; beta1: number; beta2: number; epsilon: number; weightDecay: number }
export interface RmspropConfig { type: 'rmsprop'; learningRate: number; decay: number; epsilon: number; weightDecay: number }
/** A fully resolved optimizer configuration. */
export type OptimizerConfig = SgdConfig | AdamConfig | AdamWConfig | RmspropConfig;

/** An optimizer updates parameters in wasm from their gradients; its state lives in the arena. */
export interface Optimizer {
  readonly config: OptimizerConfig;
  /** Steps taken so far (Adam's t). */
  iterations: number;
  /** One update of every parameter block. */
  step(): void;
  /** State blocks per parameter block (in the order of the params), for saving and restoring. */
  state(): { ptr: number; length: number }[][];
  dispose(): void;
}

/** Shared plumbing: per-parameter state blocks allocated once in the arena. */
export abstract class BaseOptimizer implements Optimizer {
  iterations = 0;
  protected readonly slots: number[][];

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
  abstract step(): void;

  state(): { ptr: number; length: number }[][] {
    return this.slots.map((s, i) => s.map((ptr) => ({ ptr, length: this.params[i]!.length })));
  }

  dispose(): void {
    for (const s of this.slots) for (const ptr of s) this.arena.free(ptr);
    this.slots.length = 0;
  }
}
