// ************* activations: y = f(x) and dx = dy ⊙ f'(·), contiguous, length n *************
// Derivatives are taken from the output y (sigmoid: y(1−y), as in the seed article), so a
// layer keeps only its outputs; gelu's and swish's, which the output does not determine, from the input. In-place use (y == x, dx == dy) is allowed. Every kernel here is
// act_f32x4 / act_grad_f32x4 of assembly/simd.ts (the formulas the fused epilogues and the brain
// kernels use too) over the array; tails go through one lane of the same vector formula.
import { ACT_LEAKY_RELU, ACT_RELU, ACT_SIGMOID, ACT_TANH, act_f32x4, act_grad_f32x4 } from './simd';

@inline function map_act(y: usize, x: usize, n: i32, act: i32, alpha: f32): void {
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const o = <usize>i << 2;
    v128.store(y + o, act_f32x4(v128.load(x + o), act, alpha));
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    store<f32>(y + o, f32x4.extract_lane(act_f32x4(f32x4.splat(load<f32>(x + o)), act, alpha), 0));
  }
}

@inline function map_act_grad(dx: usize, dy: usize, y: usize, n: i32, act: i32, alpha: f32): void {
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const o = <usize>i << 2;
    v128.store(dx + o, act_grad_f32x4(v128.load(dy + o), v128.load(y + o), act, alpha));
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    store<f32>(dx + o, f32x4.extract_lane(act_grad_f32x4(f32x4.splat(load<f32>(dy + o)), f32x4.splat(load<f32>(y + o)), act, alpha), 0));
  }
}

// y = 1 / (1 + e^−x); finite and in [0, 1] for any finite x (exp input is clamped).
export function sigmoid_f32(y: usize, x: usize, n: i32): void { map_act(y, x, n, ACT_SIGMOID, 0); }
// dx = dy · y(1 − y).
export function sigmoid_grad_f32(dx: usize, dy: usize, y: usize, n: i32): void { map_act_grad(dx, dy, y, n, ACT_SIGMOID, 0); }
// y = tanh(x).
export function tanh_f32(y: usize, x: usize, n: i32): void { map_act(y, x, n, ACT_TANH, 0); }
// dx = dy · (1 − y²).
export function tanh_grad_f32(dx: usize, dy: usize, y: usize, n: i32): void { map_act_grad(dx, dy, y, n, ACT_TANH, 0); }
// y = max(x, 0) (−Infinity gives 0).
export function relu_f32(y: usize, x: usize, n: i32): void { map_act(y, x, n, ACT_RELU, 0); }
// dx = dy where y > 0, else 0 (a mask, so an infinite dy where y ≤ 0 still gives 0).
export function relu_grad_f32(dx: usize, dy: usize, y: usize, n: i32): void { map_act_grad(dx, dy, y, n, ACT_RELU, 0); }
// y = x for x > 0, else alpha·x.
export function leaky_relu_f32(y: usize, x: usize, alpha: f32, n: i32): void { map_act(y, x, n, ACT_LEAKY_RELU, alpha); }
// dx = dy where y > 0, else alpha·dy (for alpha ≥ 0, y > 0 exactly when x > 0).
export function leaky_relu_grad_f32(dx: usize, dy: usize, y: usize, alpha: f32, n: i32): void { map_act_grad(dx, dy, y, n, ACT_LEAKY_RELU, alpha); }

// y = f(x) for any activation code (act_f32x4's, 1..10; alpha: leaky relu's slope): the unfused
// twin of the products' forward epilogue, and the kernel of elu, selu, gelu, softplus, swish, softsign.
export function act_f32(y: usize, x: usize, n: i32, act: i32, alpha: f32): void { map_act(y, x, n, act, alpha); }
// dx = dy ⊙ f'(·) for any activation code (act_grad_f32x4's; y: the output, or for gelu and swish
// the input): what a network's output layer calls when its loss is not fused with its activation
// (the forward activations ride on the products).
export function act_grad_f32(dx: usize, dy: usize, y: usize, n: i32, act: i32, alpha: f32): void { map_act_grad(dx, dy, y, n, act, alpha); }
