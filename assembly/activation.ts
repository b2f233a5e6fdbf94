// ************* activations: y = f(x) and dx = dy ⊙ f'(·), contiguous, length n *************
// Derivatives are taken from the output y (sigmoid: y(1−y), as in the seed article), so a
// layer keeps only its outputs. In-place use (y == x, dx == dy) is allowed.
import { exp_f32, exp_f32x4 } from './simd';

// y = 1 / (1 + e^−x); finite and in [0, 1] for any finite x (exp input is clamped).
export function sigmoid_f32(y: usize, x: usize, n: i32): void {
  const one = f32x4.splat(1);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const o = <usize>i << 2;
    const e = exp_f32x4(f32x4.neg(v128.load(x + o)));
    v128.store(y + o, f32x4.div(one, f32x4.add(one, e)));
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    store<f32>(y + o, <f32>1 / (<f32>1 + exp_f32(-load<f32>(x + o))));
  }
}

// dx = dy · y(1 − y).
export function sigmoid_grad_f32(dx: usize, dy: usize, y: usize, n: i32): void {
  const one = f32x4.splat(1);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const o = <usize>i << 2;
    const v = v128.load(y + o);
    v128.store(dx + o, f32x4.mul(v128.load(dy + o), f32x4.mul(v, f32x4.sub(one, v))));
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    const v = load<f32>(y + o);
    store<f32>(dx + o, load<f32>(dy + o) * (v * (<f32>1 - v)));
  }
}

// tanh, Cephes tanhf: odd polynomial for |x| < 0.625, else 1 − 2/(e^{2|x|} + 1) with the sign of x.
@inline export function tanh_f32x4(x: v128): v128 {
  const one = f32x4.splat(1);
  const ax = f32x4.abs(x);
  const z = f32x4.mul(x, x);
  let p = f32x4.splat(-5.70498872745e-3);
  p = f32x4.add(f32x4.mul(p, z), f32x4.splat(2.06390887954e-2));
  p = f32x4.add(f32x4.mul(p, z), f32x4.splat(-5.37397155531e-2));
  p = f32x4.add(f32x4.mul(p, z), f32x4.splat(1.33314422036e-1));
  p = f32x4.add(f32x4.mul(p, z), f32x4.splat(-3.33332819422e-1));
  const small = f32x4.add(f32x4.mul(f32x4.mul(p, z), x), x);
  const e = exp_f32x4(f32x4.add(ax, ax));
  const big = f32x4.sub(one, f32x4.div(f32x4.splat(2), f32x4.add(e, one)));
  const signed = v128.or(big, v128.and(x, i32x4.splat(0x80000000))); // big ≥ 0: copy x's sign
  return v128.bitselect(small, signed, f32x4.lt(ax, f32x4.splat(0.625)));
}

// y = tanh(x).
export function tanh_f32(y: usize, x: usize, n: i32): void {
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const o = <usize>i << 2;
    v128.store(y + o, tanh_f32x4(v128.load(x + o)));
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    store<f32>(y + o, f32x4.extract_lane(tanh_f32x4(f32x4.splat(load<f32>(x + o))), 0));
  }
}

// dx = dy · (1 − y²).
export function tanh_grad_f32(dx: usize, dy: usize, y: usize, n: i32): void {
  const one = f32x4.splat(1);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const o = <usize>i << 2;
    const v = v128.load(y + o);
    v128.store(dx + o, f32x4.mul(v128.load(dy + o), f32x4.sub(one, f32x4.mul(v, v))));
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    const v = load<f32>(y + o);
    store<f32>(dx + o, load<f32>(dy + o) * (<f32>1 - v * v));
  }
}

// y = max(x, 0) (NaN stays NaN; −Infinity gives 0).
export function relu_f32(y: usize, x: usize, n: i32): void {
  const zero = f32x4.splat(0);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const o = <usize>i << 2;
    v128.store(y + o, f32x4.max(v128.load(x + o), zero));
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    const v = load<f32>(x + o);
    store<f32>(y + o, v > 0 || v != v ? v : 0);
  }
}

// dx = dy where y > 0, else 0 (a mask, so an infinite dy where y ≤ 0 still gives 0).
export function relu_grad_f32(dx: usize, dy: usize, y: usize, n: i32): void {
  const zero = f32x4.splat(0);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const o = <usize>i << 2;
    v128.store(dx + o, v128.and(v128.load(dy + o), f32x4.gt(v128.load(y + o), zero)));
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    store<f32>(dx + o, load<f32>(y + o) > 0 ? load<f32>(dy + o) : 0);
  }
}

// y = x for x > 0, else alpha·x.
export function leaky_relu_f32(y: usize, x: usize, alpha: f32, n: i32): void {
  const va = f32x4.splat(alpha);
  const zero = f32x4.splat(0);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const o = <usize>i << 2;
    const v = v128.load(x + o);
    v128.store(y + o, v128.bitselect(v, f32x4.mul(v, va), f32x4.gt(v, zero)));
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    const v = load<f32>(x + o);
    store<f32>(y + o, v > 0 ? v : alpha * v);
  }
}

// dx = dy where y > 0, else alpha·dy (for alpha ≥ 0, y > 0 exactly when x > 0).
export function leaky_relu_grad_f32(dx: usize, dy: usize, y: usize, alpha: f32, n: i32): void {
  const va = f32x4.splat(alpha);
  const zero = f32x4.splat(0);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const o = <usize>i << 2;
    const g = v128.load(dy + o);
    v128.store(dx + o, v128.bitselect(g, f32x4.mul(g, va), f32x4.gt(v128.load(y + o), zero)));
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    const g = load<f32>(dy + o);
    store<f32>(dx + o, load<f32>(y + o) > 0 ? g : alpha * g);
  }
}
