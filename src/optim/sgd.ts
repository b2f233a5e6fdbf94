import type { Kernels } from '../wasm/kernels.js';

/** A parameter block and its gradient, as byte addresses in wasm memory. */
export interface ParamRef { param: number; grad: number; length: number }

/** Plain stochastic gradient descent: W −= lr·∇W, in wasm. */
export class Sgd {
  constructor(private readonly kernels: Kernels, public learningRate: number) {}

  step(params: readonly ParamRef[]): void {
    for (const p of params) this.kernels.sgd_f32(p.param, p.grad, this.learningRate, p.length);
  }
}
