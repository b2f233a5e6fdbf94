// ************* softmax and losses: rows of [m, n], contiguous *************
// Losses sum in f64 and return the total over all rows; the caller applies the reduction.
// A `_w` value kernel weights row r's loss by w[r] (f32, Keras's sample_weight) as each term is
// added; w = 0 (no buffer) weighs every row 1, and its unweighted twin is that call, bit for bit.
import { exp_f32, exp_f32x4, hmax, hsum } from './simd';

// Y[i,:] = softmax(X[i,:]), max-subtracted so logits of ±1e4 stay finite. y may alias x.
export function softmax_f32_rows(y: usize, x: usize, m: i32, n: i32): void {
  for (let r = 0; r < m; r++) {
    const xr = x + (<usize>(r * n) << 2);
    const yr = y + (<usize>(r * n) << 2);
    let vmax = f32x4.splat(-Infinity);
    let mx: f32 = -Infinity;
    let i = 0;
    for (; i + 4 <= n; i += 4) vmax = f32x4.max(vmax, v128.load(xr + (<usize>i << 2)));
    for (; i < n; i++) mx = max(mx, load<f32>(xr + (<usize>i << 2)));
    mx = max(mx, hmax(vmax));
    const vm = f32x4.splat(mx);
    let vsum = f32x4.splat(0);
    let sum: f32 = 0;
    i = 0;
    for (; i + 4 <= n; i += 4) {
      const o = <usize>i << 2;
      const e = exp_f32x4(f32x4.sub(v128.load(xr + o), vm));
      v128.store(yr + o, e);
      vsum = f32x4.add(vsum, e);
    }
    for (; i < n; i++) {
      const o = <usize>i << 2;
      const e = exp_f32(load<f32>(xr + o) - mx);
      store<f32>(yr + o, e);
      sum += e;
    }
    sum += hsum(vsum);
    const inv = f32x4.splat(<f32>1 / sum);
    i = 0;
    for (; i + 4 <= n; i += 4) {
      const o = <usize>i << 2;
      v128.store(yr + o, f32x4.mul(v128.load(yr + o), inv));
    }
    for (; i < n; i++) {
      const o = <usize>i << 2;
      store<f32>(yr + o, load<f32>(yr + o) * f32x4.extract_lane(inv, 0));
    }
  }
}

// dz = scale·(p − t), elementwise over n values. The fused gradient of softmax + cross-entropy
// with respect to the logits (and of sigmoid + binary cross-entropy, which has the same form).
export function softmax_xent_grad_f32(dz: usize, p: usize, t: usize, scale: f32, n: i32): void {
  mse_grad_f32(dz, p, t, scale, n);
}

// dz = scale·(y − t): the gradient of ½Σ(t − y)² with respect to y.
export function mse_grad_f32(dz: usize, y: usize, t: usize, scale: f32, n: i32): void {
  const vs = f32x4.splat(scale);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const o = <usize>i << 2;
    v128.store(dz + o, f32x4.mul(vs, f32x4.sub(v128.load(y + o), v128.load(t + o))));
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    store<f32>(dz + o, scale * (load<f32>(y + o) - load<f32>(t + o)));
  }
}

// DZ[i,:] = P[i,:] ⊙ (G[i,:] − G[i,:]·P[i,:]): the softmax Jacobian (symmetric) times G, per row.
// Used when softmax feeds a loss other than cross-entropy. dz may alias g.
export function softmax_grad_f32(dz: usize, g: usize, p: usize, m: i32, n: i32): void {
  for (let r = 0; r < m; r++) {
    const base = <usize>(r * n) << 2;
    let dot: f64 = 0;
    for (let i = 0; i < n; i++) {
      const o = base + (<usize>i << 2);
      dot += <f64>load<f32>(g + o) * <f64>load<f32>(p + o);
    }
    const d = <f32>dot;
    for (let i = 0; i < n; i++) {
      const o = base + (<usize>i << 2);
      store<f32>(dz + o, load<f32>(p + o) * (load<f32>(g + o) - d));
    }
  }
}

// Σ_rows Σ_j t_j·(logsumexp(z) − z_j): cross-entropy of softmax(z) against t, from the logits
// (log-sum-exp form, finite even where a probability rounds to 0 or 1).
export function xent_loss_f32(z: usize, t: usize, m: i32, n: i32): f64 {
  return xent_loss_w_f32(z, t, 0, m, n);
}

// Σ_rows w_r·Σ_j t_j·(logsumexp(z) − z_j): xent_loss_f32 with row weights (w = 0: all 1).
export function xent_loss_w_f32(z: usize, t: usize, w: usize, m: i32, n: i32): f64 {
  let total: f64 = 0;
  for (let r = 0; r < m; r++) {
    const base = <usize>(r * n) << 2;
    const wr = row_weight(w, r);
    let mx: f64 = -Infinity;
    for (let i = 0; i < n; i++) mx = Math.max(mx, <f64>load<f32>(z + base + (<usize>i << 2)));
    let s: f64 = 0;
    for (let i = 0; i < n; i++) s += Math.exp(<f64>load<f32>(z + base + (<usize>i << 2)) - mx);
    const lse = mx + Math.log(s);
    for (let i = 0; i < n; i++) {
      const o = base + (<usize>i << 2);
      const ti = <f64>load<f32>(t + o);
      if (ti != 0) total += wr * (ti * (lse - <f64>load<f32>(z + o)));
    }
  }
  return total;
}

// Σ max(z,0) − z·t + log(1 + e^−|z|): binary cross-entropy of sigmoid(z) against t, from the logits.
export function bce_loss_f32(z: usize, t: usize, n: i32): f64 {
  return bce_loss_w_f32(z, t, 0, 1, n);
}

// bce_loss_f32 over [m, n] with row weights: Σ_rows w_r·Σ_j (w = 0: all 1).
export function bce_loss_w_f32(z: usize, t: usize, w: usize, m: i32, n: i32): f64 {
  let total: f64 = 0;
  for (let r = 0; r < m; r++) {
    const base = <usize>(r * n) << 2;
    const wr = row_weight(w, r);
    for (let i = 0; i < n; i++) {
      const o = base + (<usize>i << 2);
      const zi = <f64>load<f32>(z + o);
      total += wr * (Math.max(zi, 0) - zi * <f64>load<f32>(t + o) + Math.log1p(Math.exp(-Math.abs(zi))));
    }
  }
  return total;
}

// ½Σ(t − y)² over n values.
export function mse_loss_f32(y: usize, t: usize, n: i32): f64 {
  return mse_loss_w_f32(y, t, 0, 1, n);
}

// ½Σ_rows w_r·Σ_j (t − y)² over [m, n] (w = 0: all 1).
export function mse_loss_w_f32(y: usize, t: usize, w: usize, m: i32, n: i32): f64 {
  let total: f64 = 0;
  for (let r = 0; r < m; r++) {
    const base = <usize>(r * n) << 2;
    const wr = row_weight(w, r);
    for (let i = 0; i < n; i++) {
      const o = base + (<usize>i << 2);
      const d = <f64>load<f32>(y + o) - <f64>load<f32>(t + o);
      total += wr * (d * d);
    }
  }
  return 0.5 * total;
}

// w[r] as f64, or 1 without a weight buffer (w = 0). Exact: ×1 leaves every term's bits.
@inline export function row_weight(w: usize, r: i32): f64 {
  return w ? <f64>load<f32>(w + (<usize>r << 2)) : 1;
}
