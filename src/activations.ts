import type { Kernels } from './wasm/kernels.js';

/** Activations for hidden layers. */
export const HIDDEN_ACTIVATIONS = ['sigmoid', 'tanh', 'relu', 'leakyRelu', 'linear'] as const;
export type Activation = (typeof HIDDEN_ACTIVATIONS)[number];
/** Activations for the output layer. */
export const OUTPUT_ACTIVATIONS = [...HIDDEN_ACTIVATIONS, 'softmax'] as const;
export type OutputActivation = (typeof OUTPUT_ACTIVATIONS)[number];

/** What the engine knows about one activation. */
export interface ActivationInfo {
  /**
   * Its code in the wasm kernels' fused epilogues (matmul_f32_ep, gemv_f32_nt*, the brain kernels):
   * must match act_f32x4 in assembly/simd.ts. 0: none applied in the store (linear, and softmax,
   * which works on whole rows and runs after the product).
   */
  readonly code: number;
  /** f' is computed from the output y = f(x) (every activation here: σ' = y(1−y), tanh' = 1−y², …). */
  readonly gradFrom: 'output';
  /** Weight initialisation: Glorot-uniform √(6/(in+out)) or He-uniform √(6/in) (relu family). */
  readonly init: 'glorot' | 'he';
  /** The ONNX operator that follows the layer's Gemm (null: none, linear). */
  readonly onnx: 'Sigmoid' | 'Tanh' | 'Relu' | 'LeakyRelu' | 'Softmax' | null;
  /** Applied per row of the output (softmax), not per element. */
  readonly rowwise: boolean;
}

/** The one table of activations: adding one is an entry here plus its case in act_f32x4 (assembly/simd.ts). */
export const ACTIVATIONS: Readonly<Record<OutputActivation, ActivationInfo>> = Object.freeze({
  linear: { code: 0, gradFrom: 'output', init: 'glorot', onnx: null, rowwise: false },
  sigmoid: { code: 1, gradFrom: 'output', init: 'glorot', onnx: 'Sigmoid', rowwise: false },
  tanh: { code: 2, gradFrom: 'output', init: 'glorot', onnx: 'Tanh', rowwise: false },
  relu: { code: 3, gradFrom: 'output', init: 'he', onnx: 'Relu', rowwise: false },
  leakyRelu: { code: 4, gradFrom: 'output', init: 'he', onnx: 'LeakyRelu', rowwise: false },
  softmax: { code: 0, gradFrom: 'output', init: 'glorot', onnx: 'Softmax', rowwise: true },
});

/** The epilogue bit that turns an activation code into its derivative (out2 = v ⊙ f'(y)); must match EP_BACKWARD in assembly/matmul.ts. */
export const EP_BACKWARD = 8;

/** dz = dy ⊙ f'(·), taken from the outputs y (softmax: its Jacobian times dy, per row). */
export function activateGrad(k: Kernels, f: OutputActivation, alpha: number, dz: number, dy: number, y: number, rows: number, cols: number): void {
  const a = ACTIVATIONS[f];
  if (a.rowwise) k.softmax_grad_f32(dz, dy, y, rows, cols);
  else if (a.code !== 0) k.act_grad_f32(dz, dy, y, rows * cols, a.code, alpha);
  else if (dz !== dy) k.scale_f32(dz, dy, 1, rows * cols); // linear: f' = 1
}
