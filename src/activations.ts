import type { Kernels } from './wasm/kernels.js';

/** Activations for hidden layers. */
export const HIDDEN_ACTIVATIONS = ['sigmoid', 'tanh', 'relu', 'leakyRelu', 'linear'] as const;
export type Activation = (typeof HIDDEN_ACTIVATIONS)[number];
/** Activations for the output layer. */
export const OUTPUT_ACTIVATIONS = [...HIDDEN_ACTIVATIONS, 'softmax'] as const;
export type OutputActivation = (typeof OUTPUT_ACTIVATIONS)[number];

/** y = f(x) over a [rows, cols] block. For 'linear' the caller aliases y to x and skips this. */
export function activate(k: Kernels, f: OutputActivation, alpha: number, y: number, x: number, rows: number, cols: number): void {
  const n = rows * cols;
  switch (f) {
    case 'sigmoid': k.sigmoid_f32(y, x, n); break;
    case 'tanh': k.tanh_f32(y, x, n); break;
    case 'relu': k.relu_f32(y, x, n); break;
    case 'leakyRelu': k.leaky_relu_f32(y, x, alpha, n); break;
    case 'softmax': k.softmax_f32_rows(y, x, rows, cols); break;
    case 'linear': if (y !== x) k.scale_f32(y, x, 1, n); break;
  }
}

/** dz = dy ⊙ f'(·), taken from the outputs y (softmax: its Jacobian times dy, per row). */
export function activateGrad(k: Kernels, f: OutputActivation, alpha: number, dz: number, dy: number, y: number, rows: number, cols: number): void {
  const n = rows * cols;
  switch (f) {
    case 'sigmoid': k.sigmoid_grad_f32(dz, dy, y, n); break;
    case 'tanh': k.tanh_grad_f32(dz, dy, y, n); break;
    case 'relu': k.relu_grad_f32(dz, dy, y, n); break;
    case 'leakyRelu': k.leaky_relu_grad_f32(dz, dy, y, alpha, n); break;
    case 'softmax': k.softmax_grad_f32(dz, dy, y, rows, cols); break;
    case 'linear': if (dz !== dy) k.scale_f32(dz, dy, 1, n); break;
  }
}
