import type { Arena } from '../wasm/memory.js';
import type { Kernels } from '../wasm/kernels.js';
import { BaseOptimizer, type ParamRef, type RmspropConfig } from './types.js';

/** RMSprop, tf.keras semantics: v = ρ·v + (1−ρ)·g², w −= lr·g/√(v + ε), with ρ = `decay`. */
export class Rmsprop extends BaseOptimizer {
  constructor(kernels: Kernels, arena: Arena, params: readonly ParamRef[], readonly config: RmspropConfig) {
    super(kernels, arena, params, 1);
  }

  protected update(lr: number): void {
    const { decay, epsilon, weightDecay } = this.config;
    this.params.forEach((p, i) => {
      this.kernels.rmsprop_f32(p.param, p.grad, this.slots[i]![0]!, lr, decay, epsilon, p.decay ? weightDecay : 0, p.length);
    });
  }
}
