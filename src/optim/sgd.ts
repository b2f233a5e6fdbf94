import type { Arena } from '../wasm/memory.js';
import type { Kernels } from '../wasm/kernels.js';
import { BaseOptimizer, type ParamRef, type SgdConfig } from './types.js';

/**
 * Stochastic gradient descent, tf.keras semantics: v = μ·v − lr·g, w += v (Nesterov:
 * w += μ·v − lr·g). Without momentum or weight decay it is plain W −= lr·∇W and keeps no state.
 */
export class Sgd extends BaseOptimizer {
  private readonly plain: boolean;

  constructor(kernels: Kernels, arena: Arena, params: readonly ParamRef[], readonly config: SgdConfig) {
    const plain = config.momentum === 0 && config.weightDecay === 0;
    super(kernels, arena, params, plain ? 0 : 1);
    this.plain = plain;
  }

  protected update(lr: number): void {
    const { momentum, nesterov, weightDecay } = this.config;
    this.params.forEach((p, i) => {
      if (this.plain) this.kernels.sgd_f32(p.param, p.grad, lr, p.length);
      else this.kernels.sgd_momentum_f32(p.param, p.grad, this.slots[i]![0]!, lr, momentum, p.decay ? weightDecay : 0, nesterov ? 1 : 0, p.length);
    });
  }
}
