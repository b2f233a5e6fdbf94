// ************* losses beyond mse and the cross-entropies: elementwise over n values *************
// Value kernels sum in f64 and return the total over all rows (the caller applies the reduction);
// gradient kernels write dz = scale·dE/dy in f32. Per sample the loss is the SUM over its outputs
// (like mse's ½Σ), Keras takes the mean over the last axis: ours = Keras's × outputs.
// The `_w` value kernels weight row r of [m, n] by w[r] as assembly/softmax.ts's do (w = 0: all 1,
// the unweighted twin's bits); scale_rows_f32 weights a gradient's rows the same way.
import { scale_f32 } from './elementwise';
import { row_weight } from './softmax';

// POISSON_EPS: Keras's epsilon() in poisson (log(y + 1e-7)). Must match POISSON_EPS in src/losses.ts.
const POISSON_EPS: f64 = 1e-7;

// Σ|y − t|.
export function mae_loss_f32(y: usize, t: usize, n: i32): f64 {
  return mae_loss_w_f32(y, t, 0, 1, n);
}

// Σ_rows w_r·Σ_j |y − t| over [m, n] (w = 0: all 1).
export function mae_loss_w_f32(y: usize, t: usize, w: usize, m: i32, n: i32): f64 {
  let total: f64 = 0;
  for (let r = 0; r < m; r++) {
    const base = <usize>(r * n) << 2;
    const wr = row_weight(w, r);
    for (let i = 0; i < n; i++) {
      const o = base + (<usize>i << 2);
      total += wr * Math.abs(<f64>load<f32>(y + o) - <f64>load<f32>(t + o));
    }
  }
  return total;
}

// dz = scale·sign(y − t), 0 where y = t (as tf's sign); NaN where y − t is NaN or ±Infinity.
export function mae_grad_f32(dz: usize, y: usize, t: usize, scale: f32, n: i32): void {
  const vs = f32x4.splat(scale);
  const sign = f32x4.splat(-0.0); // the sign bit
  const zero = f32x4.splat(0);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const o = <usize>i << 2;
    const r = f32x4.sub(v128.load(y + o), v128.load(t + o));
    const s = v128.bitselect(v128.or(v128.and(r, sign), vs), zero, f32x4.ne(r, zero));
    v128.store(dz + o, f32x4.add(s, f32x4.sub(r, r))); // + (r − r): 0, or NaN for NaN/±Infinity
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    const r = load<f32>(y + o) - load<f32>(t + o);
    const s: f32 = r > 0 ? scale : r < 0 ? -scale : 0;
    store<f32>(dz + o, s + (r - r));
  }
}

// Σ h(y − t), h(r) = ½r² for |r| ≤ δ, δ(|r| − ½δ) beyond.
export function huber_loss_f32(y: usize, t: usize, delta: f32, n: i32): f64 {
  return huber_loss_w_f32(y, t, 0, delta, 1, n);
}

// Σ_rows w_r·Σ_j h(y − t) over [m, n] (w = 0: all 1).
export function huber_loss_w_f32(y: usize, t: usize, w: usize, delta: f32, m: i32, n: i32): f64 {
  const d = <f64>delta;
  let total: f64 = 0;
  for (let r = 0; r < m; r++) {
    const base = <usize>(r * n) << 2;
    const wr = row_weight(w, r);
    for (let i = 0; i < n; i++) {
      const o = base + (<usize>i << 2);
      const e = <f64>load<f32>(y + o) - <f64>load<f32>(t + o);
      const a = Math.abs(e);
      total += wr * (a <= d ? 0.5 * e * e : d * (a - 0.5 * d));
    }
  }
  return total;
}

// dz = scale·clamp(y − t, −δ, δ): the gradient of huber_loss_f32.
export function huber_grad_f32(dz: usize, y: usize, t: usize, scale: f32, delta: f32, n: i32): void {
  const vs = f32x4.splat(scale);
  const hi = f32x4.splat(delta);
  const lo = f32x4.splat(-delta);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const o = <usize>i << 2;
    const r = f32x4.sub(v128.load(y + o), v128.load(t + o));
    v128.store(dz + o, f32x4.mul(vs, f32x4.min(f32x4.max(r, lo), hi)));
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    const r = load<f32>(y + o) - load<f32>(t + o);
    store<f32>(dz + o, scale * (r != r ? r : r > delta ? delta : r < -delta ? -delta : r));
  }
}

// Σ y − t·log(y + 1e-7) (Keras's poisson, summed): NaN where y < −1e-7.
export function poisson_loss_f32(y: usize, t: usize, n: i32): f64 {
  return poisson_loss_w_f32(y, t, 0, 1, n);
}

// Σ_rows w_r·Σ_j y − t·log(y + 1e-7) over [m, n] (w = 0: all 1).
export function poisson_loss_w_f32(y: usize, t: usize, w: usize, m: i32, n: i32): f64 {
  let total: f64 = 0;
  for (let r = 0; r < m; r++) {
    const base = <usize>(r * n) << 2;
    const wr = row_weight(w, r);
    for (let i = 0; i < n; i++) {
      const o = base + (<usize>i << 2);
      const yi = <f64>load<f32>(y + o);
      const ti = <f64>load<f32>(t + o);
      total += wr * (yi - ti * Math.log(yi + POISSON_EPS));
    }
  }
  return total;
}

// dz = scale·(1 − t/(y + 1e-7)): the gradient of poisson_loss_f32.
export function poisson_grad_f32(dz: usize, y: usize, t: usize, scale: f32, n: i32): void {
  const vs = f32x4.splat(scale);
  const one = f32x4.splat(1);
  const eps = f32x4.splat(<f32>POISSON_EPS);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const o = <usize>i << 2;
    const q = f32x4.div(v128.load(t + o), f32x4.add(v128.load(y + o), eps));
    v128.store(dz + o, f32x4.mul(vs, f32x4.sub(one, q)));
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    store<f32>(dz + o, scale * (<f32>1 - load<f32>(t + o) / (load<f32>(y + o) + <f32>POISSON_EPS)));
  }
}

// ************* sample weights *************

// Y[r,:] = w[r]·X[r,:] over [m, n] (f32; y may alias x): a loss gradient's rows weighted as its value.
export function scale_rows_f32(y: usize, x: usize, w: usize, m: i32, n: i32): void {
  for (let r = 0; r < m; r++) {
    const o = <usize>(r * n) << 2;
    scale_f32(y + o, x + o, load<f32>(w + (<usize>r << 2)), n);
  }
}
