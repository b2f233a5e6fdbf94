// Float64 reference of each optimizer's update rule, written as plain loops from the tf.keras
// formulas (keras/src/optimizers/{sgd,adam,adamw,rmsprop}.py) and independent of src/. Weight
// decay is the L2 term: the gradient of a decayed block (weights, not biases) becomes g + wd·w
// before the rule runs; AdamW's is decoupled instead (keras/src/optimizers/base_optimizer.py
// _apply_weight_decay: w −= w·wd·lr before the Adam update, the gradient left as it is). Parameters are a list of blocks (plain number arrays) updated in place.

export type RefOptimizerConfig =
  | { type: 'sgd'; learningRate: number; momentum: number; nesterov: boolean; weightDecay: number }
  | { type: 'adam'; learningRate: number; beta1: number; beta2: number; epsilon: number; weightDecay: number; biasCorrection?: boolean }
  | { type: 'adamw'; learningRate: number; beta1: number; beta2: number; epsilon: number; weightDecay: number; biasCorrection?: boolean }
  | { type: 'rmsprop'; learningRate: number; decay: number; epsilon: number; weightDecay: number; epsilonInsideSqrt?: boolean };

export interface RefParam {
  /** The values, updated in place. */
  w: number[];
  /** Whether weight decay applies (weights yes, biases no). */
  decay: boolean;
}

/**
 * One optimizer with its state (float64). `biasCorrection: false` (Adam) and
 * `epsilonInsideSqrt: false` (RMSprop) give the *wrong* variants the tests use to show their
 * tolerance can tell the rules apart.
 */
export class RefOptimizer {
  /** Steps taken (Adam's t after the last step). */
  t = 0;
  /** SGD: velocity; Adam: first moment m; RMSprop: mean square v. */
  readonly s1: number[][];
  /** Adam: second moment v. */
  readonly s2: number[][];

  constructor(readonly config: RefOptimizerConfig, readonly params: RefParam[]) {
    this.s1 = params.map((p) => new Array<number>(p.w.length).fill(0));
    this.s2 = params.map((p) => new Array<number>(p.w.length).fill(0));
  }

  /** Applies one update with the gradients `grads` (one array per parameter block). */
  step(grads: number[][]): void {
    const c = this.config;
    this.t++;
    const t = this.t;
    for (let k = 0; k < this.params.length; k++) {
      const p = this.params[k]!;
      const g0 = grads[k]!;
      const s1 = this.s1[k]!, s2 = this.s2[k]!;
      const wd = p.decay ? c.weightDecay : 0;
      const coupled = c.type === 'adamw' ? 0 : wd;
      for (let i = 0; i < p.w.length; i++) {
        if (c.type === 'adamw') p.w[i] = p.w[i]! - p.w[i]! * wd * c.learningRate;
        const w = p.w[i]!;
        const g = g0[i]! + coupled * w;
        if (c.type === 'sgd') {
          // keras: m = momentum·m − lr·g; w += m (nesterov: w += momentum·m − lr·g)
          const v = c.momentum * s1[i]! - c.learningRate * g;
          s1[i] = v;
          p.w[i] = c.nesterov ? w + c.momentum * v - c.learningRate * g : w + v;
        } else if (c.type === 'adam' || c.type === 'adamw') {
          // keras: m += (g − m)(1 − β1); v += (g² − v)(1 − β2);
          // α = lr·√(1 − β2^t)/(1 − β1^t); w −= α·m/(√v + ε)
          const m = s1[i]! + (g - s1[i]!) * (1 - c.beta1);
          const v = s2[i]! + (g * g - s2[i]!) * (1 - c.beta2);
          s1[i] = m;
          s2[i] = v;
          const alpha = c.biasCorrection === false
            ? c.learningRate
            : c.learningRate * Math.sqrt(1 - Math.pow(c.beta2, t)) / (1 - Math.pow(c.beta1, t));
          p.w[i] = w - alpha * m / (Math.sqrt(v) + c.epsilon);
        } else {
          // keras: v = ρ·v + (1 − ρ)·g²; w −= lr·g/√(v + ε)
          const v = c.decay * s1[i]! + (1 - c.decay) * g * g;
          s1[i] = v;
          const den = c.epsilonInsideSqrt === false ? Math.sqrt(v) + c.epsilon : Math.sqrt(v + c.epsilon);
          p.w[i] = w - c.learningRate * g / den;
        }
      }
    }
  }
}
