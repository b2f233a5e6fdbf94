import type { Kernels } from './wasm/kernels.js';

/** Activations for hidden layers. */
export const HIDDEN_ACTIVATIONS = ['sigmoid', 'tanh', 'relu', 'leakyRelu', 'linear', 'elu', 'selu', 'gelu', 'softplus', 'swish', 'softsign'] as const;
export type Activation = (typeof HIDDEN_ACTIVATIONS)[number];
/** Activations for the output layer. */
export const OUTPUT_ACTIVATIONS = [...HIDDEN_ACTIVATIONS, 'softmax'] as const;
export type OutputActivation = (typeof OUTPUT_ACTIVATIONS)[number];

/** What the engine knows about one activation. */
export interface ActivationInfo {
  /**
   * Its code in the wasm kernels' fused epilogues (matmul_f32_ep, gemv_f32_nt*, the brain kernels):
   * must match the ACT_* codes of act_f32x4 in assembly/simd.ts. 0: none applied in the store
   * (linear, and softmax, which works on whole rows and runs after the product).
   */
  readonly code: number;
  /**
   * What f' is computed from: the output y = f(x) (σ' = y(1−y), tanh' = 1−y², elu' = y + 1 for
   * y < 0, …), or the input x where y does not determine it (gelu, swish: not monotonic), which
   * then needs the pre-activation kept apart from the output (a Dense layer's z and a).
   */
  readonly gradFrom: 'output' | 'input';
  /**
   * Weight initialisation: Glorot-uniform √(6/(in+out)) or He-uniform √(6/in) (relu family).
   * The newer activations keep Glorot: Keras's Dense defaults to glorot_uniform whatever the activation.
   */
  readonly init: 'glorot' | 'he';
  /** The ONNX nodes (opset 13) that compute the activation from the layer's Gemm output (null: none, linear). */
  readonly onnx: readonly OnnxStep[] | null;
  /** Applied per row of the output (softmax), not per element. */
  readonly rowwise: boolean;
}

/**
 * One ONNX node of an activation. Inputs: 'x' is the layer's Gemm output, 's<k>' the output of
 * step k, a number a float32 scalar constant. The last step's output is the activation's. An
 * attribute is a float (`f`; 'alpha': the network's leakyReluAlpha) or an int (`i`).
 */
export interface OnnxStep {
  readonly op: string;
  readonly in: readonly (string | number)[];
  readonly attrs?: readonly ({ readonly name: string; readonly f: number | 'alpha' } | { readonly name: string; readonly i: number })[];
}

/** Keras's selu constants (Klambauer et al. 2017, "Self-Normalizing Neural Networks"). */
export const SELU_ALPHA = 1.6732632423543772;
export const SELU_SCALE = 1.0507009873554805;

/** The one table of activations: adding one is an entry here plus its case in act_f32x4 (assembly/simd.ts). */
export const ACTIVATIONS: Readonly<Record<OutputActivation, ActivationInfo>> = Object.freeze({
  linear: { code: 0, gradFrom: 'output', init: 'glorot', onnx: null, rowwise: false },
  sigmoid: { code: 1, gradFrom: 'output', init: 'glorot', onnx: [{ op: 'Sigmoid', in: ['x'] }], rowwise: false },
  tanh: { code: 2, gradFrom: 'output', init: 'glorot', onnx: [{ op: 'Tanh', in: ['x'] }], rowwise: false },
  relu: { code: 3, gradFrom: 'output', init: 'he', onnx: [{ op: 'Relu', in: ['x'] }], rowwise: false },
  leakyRelu: { code: 4, gradFrom: 'output', init: 'he', onnx: [{ op: 'LeakyRelu', in: ['x'], attrs: [{ name: 'alpha', f: 'alpha' }] }], rowwise: false },
  elu: { code: 5, gradFrom: 'output', init: 'glorot', onnx: [{ op: 'Elu', in: ['x'], attrs: [{ name: 'alpha', f: 1 }] }], rowwise: false },
  selu: {
    code: 6, gradFrom: 'output', init: 'glorot', rowwise: false,
    onnx: [{ op: 'Selu', in: ['x'], attrs: [{ name: 'alpha', f: SELU_ALPHA }, { name: 'gamma', f: SELU_SCALE }] }],
  },
  gelu: { // opset 13 has no Gelu: 0.5·x·(1 + erf(x/√2))
    code: 7, gradFrom: 'input', init: 'glorot', rowwise: false,
    onnx: [{ op: 'Div', in: ['x', Math.SQRT2] }, { op: 'Erf', in: ['s0'] }, { op: 'Add', in: ['s1', 1] }, { op: 'Mul', in: ['x', 's2'] }, { op: 'Mul', in: ['s3', 0.5] }],
  },
  softplus: { code: 8, gradFrom: 'output', init: 'glorot', onnx: [{ op: 'Softplus', in: ['x'] }], rowwise: false },
  swish: { code: 9, gradFrom: 'input', init: 'glorot', onnx: [{ op: 'Sigmoid', in: ['x'] }, { op: 'Mul', in: ['x', 's0'] }], rowwise: false },
  softsign: { code: 10, gradFrom: 'output', init: 'glorot', onnx: [{ op: 'Softsign', in: ['x'] }], rowwise: false },
  softmax: { code: 0, gradFrom: 'output', init: 'glorot', onnx: [{ op: 'Softmax', in: ['x'], attrs: [{ name: 'axis', i: -1 }] }], rowwise: true },
});

/** The epilogue bit that turns an activation code into its derivative (out2 = v ⊙ f'(y)); must match EP_BACKWARD in assembly/matmul.ts (codes use the bits below it). */
export const EP_BACKWARD = 16;

/** dz = dy ⊙ f'(·), taken from y: the outputs, or the inputs where gradFrom is 'input' (softmax: its Jacobian times dy, per row). */
export function activateGrad(k: Kernels, f: OutputActivation, alpha: number, dz: number, dy: number, y: number, rows: number, cols: number): void {
  const a = ACTIVATIONS[f];
  if (a.rowwise) k.softmax_grad_f32(dz, dy, y, rows, cols);
  else if (a.code !== 0) k.act_grad_f32(dz, dy, y, rows * cols, a.code, alpha);
  else if (dz !== dy) k.scale_f32(dz, dy, 1, rows * cols); // linear: f' = 1
}
