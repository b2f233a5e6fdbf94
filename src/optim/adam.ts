import type { Arena } from '../wasm/memory.js';
import type { Kernels } from '../wasm/kernels.js';
import { BaseOptimizer, type AdamConfig, type AdamWConfig, type ParamRef } from './types.js';

/**
 * Adam, tf.keras semantics: m += (1−β1)(g − m), v += (1−β2)(g² − v),
 * w −= α·m/(√v + ε) with α = lr·√(1−β2^t)/(1−β1^t) (bias correction folded into α).
 * 'adam' couples weight decay into the gradient (g + wd·w); 'adamw' decouples it as Keras's
 * AdamW does: w −= lr·wd·w first, then the Adam step on the plain gradient. Weights only.
 */
export class Adam extends BaseOptimizer {
  constructor(kernels: Kernels, arena: Arena, params: readonly ParamRef[], readonly config: AdamConfig | AdamWConfig) {
    super(kernels, arena, params, 2);
  }

  protected update(lr: number): void {
    const { beta1, beta2, epsilon, weightDecay } = this.config;
    const t = this.iterations + 1;
    const alpha = (lr * Math.sqrt(1 - beta2 ** t)) / (1 - beta1 ** t);
    const decoupled = this.config.type === 'adamw';
    this.params.forEach((p, i) => {
      const [m, v] = this.slots[i]!;
      if (decoupled && p.decay && weightDecay !== 0) this.kernels.axpy_f32(p.param, p.param, -lr * weightDecay, p.length); // w += (−lr·wd)·w
      this.kernels.adam_f32(p.param, p.grad, m!, v!, alpha, beta1, beta2, epsilon, p.decay && !decoupled ? weightDecay : 0, p.length);
    });
  }
}
