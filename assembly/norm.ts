// ************* normalization: batch norm and layer norm over x[m,n] (row-major, contiguous, m, n ≥ 1) *************
// Batch norm takes its statistics per column over the m rows (SIMD across columns), layer norm per
// row over the n columns (SIMD along the row). Both in f32 and in two passes: mean = Σx / count, then
// var = Σ(x − mean)² / count (biased), invstd = 1/sqrt(var + eps), xhat = (x − mean)·invstd,
// y = xhat·γ + β. Column sums add the rows in order (row 0 first); row sums add 4 lane sums
// (columns j ≡ lane mod 4) by hsum, then the tail columns in order. No madd anywhere, so both builds
// give the same bits, and the tail columns are the vector lanes' scalar twins. gamma = 0 stands for
// γ = 1, beta = 0 for β = 0 (Keras's scale=false / center=false).
import { hsum } from './simd';

// ************* batch norm *************

// y = xhat·γ + β with xhat = (x − mean)·invstd per column; saves mean[n] and invstd[n] for the backward.
// update ≠ 0 moves the moving statistics as Keras and tfjs do, v −= (v − s)·(1 − momentum), in f32 in
// this order: om = 1 − momentum; movmean = movmean − (movmean − mean)·om; movvar = movvar − (movvar − var)·om.
export function batchnorm_train_f32(y: usize, xhat: usize, invstd: usize, mean: usize, x: usize, gamma: usize, beta: usize,
                                    m: i32, n: i32, eps: f32, movmean: usize, movvar: usize, momentum: f32, update: i32): void {
  const rs = <usize>n << 2;
  const end = <usize>m * rs;
  const fm = <f32>m;
  const om: f32 = 1 - momentum;
  let j = 0;
  for (; j + 4 <= n; j += 4) {
    const o = <usize>j << 2;
    let s = f32x4.splat(0);
    for (let p = o; p < end; p += rs) s = f32x4.add(s, v128.load(x + p));
    const mu = f32x4.div(s, f32x4.splat(fm));
    let q = f32x4.splat(0);
    for (let p = o; p < end; p += rs) {
      const d = f32x4.sub(v128.load(x + p), mu);
      q = f32x4.add(q, f32x4.mul(d, d));
    }
    const va = f32x4.div(q, f32x4.splat(fm));
    const is = f32x4.div(f32x4.splat(1), f32x4.sqrt(f32x4.add(va, f32x4.splat(eps))));
    v128.store(mean + o, mu);
    v128.store(invstd + o, is);
    if (update) {
      const vo = f32x4.splat(om);
      const mm = v128.load(movmean + o), mv = v128.load(movvar + o);
      v128.store(movmean + o, f32x4.sub(mm, f32x4.mul(f32x4.sub(mm, mu), vo)));
      v128.store(movvar + o, f32x4.sub(mv, f32x4.mul(f32x4.sub(mv, va), vo)));
    }
    const g = gamma ? v128.load(gamma + o) : f32x4.splat(1);
    const b = beta ? v128.load(beta + o) : f32x4.splat(0);
    for (let p = o; p < end; p += rs) {
      const h = f32x4.mul(f32x4.sub(v128.load(x + p), mu), is);
      v128.store(xhat + p, h);
      v128.store(y + p, f32x4.add(f32x4.mul(h, g), b));
    }
  }
  for (; j < n; j++) {
    const o = <usize>j << 2;
    let s: f32 = 0;
    for (let p = o; p < end; p += rs) s += load<f32>(x + p);
    const mu = s / fm;
    let q: f32 = 0;
    for (let p = o; p < end; p += rs) {
      const d = load<f32>(x + p) - mu;
      q += d * d;
    }
    const va = q / fm;
    const is: f32 = 1 / Mathf.sqrt(va + eps);
    store<f32>(mean + o, mu);
    store<f32>(invstd + o, is);
    if (update) {
      const mm = load<f32>(movmean + o), mv = load<f32>(movvar + o);
      store<f32>(movmean + o, mm - (mm - mu) * om);
      store<f32>(movvar + o, mv - (mv - va) * om);
    }
    const g: f32 = gamma ? load<f32>(gamma + o) : 1;
    const b: f32 = beta ? load<f32>(beta + o) : 0;
    for (let p = o; p < end; p += rs) {
      const h = (load<f32>(x + p) - mu) * is;
      store<f32>(xhat + p, h);
      store<f32>(y + p, h * g + b);
    }
  }
}

// y = (x − movmean)·inv + β with inv = γ/sqrt(movvar + eps) per column (inference; tfjs's order).
export function batchnorm_infer_f32(y: usize, x: usize, gamma: usize, beta: usize, movmean: usize, movvar: usize,
                                    m: i32, n: i32, eps: f32): void {
  const rs = <usize>n << 2;
  const end = <usize>m * rs;
  let j = 0;
  for (; j + 4 <= n; j += 4) {
    const o = <usize>j << 2;
    const g = gamma ? v128.load(gamma + o) : f32x4.splat(1);
    const b = beta ? v128.load(beta + o) : f32x4.splat(0);
    const inv = f32x4.div(g, f32x4.sqrt(f32x4.add(v128.load(movvar + o), f32x4.splat(eps))));
    const mu = v128.load(movmean + o);
    for (let p = o; p < end; p += rs) {
      v128.store(y + p, f32x4.add(f32x4.mul(f32x4.sub(v128.load(x + p), mu), inv), b));
    }
  }
  for (; j < n; j++) {
    const o = <usize>j << 2;
    const g: f32 = gamma ? load<f32>(gamma + o) : 1;
    const b: f32 = beta ? load<f32>(beta + o) : 0;
    const inv = g / Mathf.sqrt(load<f32>(movvar + o) + eps);
    const mu = load<f32>(movmean + o);
    for (let p = o; p < end; p += rs) store<f32>(y + p, (load<f32>(x + p) - mu) * inv + b);
  }
}

// dbeta = Σ_r dy, dgamma = Σ_r dy·xhat per column (overwritten); dx ≠ 0: dx = k·((m·dy − dbeta) − xhat·dgamma)
// with k = (γ·invstd)/m: the gradient through the batch statistics (training mode).
export function batchnorm_backward_f32(dx: usize, dgamma: usize, dbeta: usize, dy: usize, xhat: usize, invstd: usize,
                                       gamma: usize, m: i32, n: i32): void {
  norm_param_grads(dgamma, dbeta, dy, xhat, m, n);
  if (!dx) return;
  const rs = <usize>n << 2;
  const end = <usize>m * rs;
  const fm = <f32>m;
  let j = 0;
  for (; j + 4 <= n; j += 4) {
    const o = <usize>j << 2;
    const g = gamma ? v128.load(gamma + o) : f32x4.splat(1);
    const k = f32x4.div(f32x4.mul(g, v128.load(invstd + o)), f32x4.splat(fm));
    const db = v128.load(dbeta + o), dg = v128.load(dgamma + o);
    for (let p = o; p < end; p += rs) {
      const t = f32x4.sub(f32x4.mul(f32x4.splat(fm), v128.load(dy + p)), db);
      v128.store(dx + p, f32x4.mul(k, f32x4.sub(t, f32x4.mul(v128.load(xhat + p), dg))));
    }
  }
  for (; j < n; j++) {
    const o = <usize>j << 2;
    const g: f32 = gamma ? load<f32>(gamma + o) : 1;
    const k = g * load<f32>(invstd + o) / fm;
    const db = load<f32>(dbeta + o), dg = load<f32>(dgamma + o);
    for (let p = o; p < end; p += rs) {
      store<f32>(dx + p, k * ((fm * load<f32>(dy + p) - db) - load<f32>(xhat + p) * dg));
    }
  }
}

// dbeta[j] = Σ_r dy[r,j], dgamma[j] = Σ_r dy[r,j]·xhat[r,j] (rows in order; overwritten): both norms' β and γ gradients.
function norm_param_grads(dgamma: usize, dbeta: usize, dy: usize, xhat: usize, m: i32, n: i32): void {
  const rs = <usize>n << 2;
  const end = <usize>m * rs;
  let j = 0;
  for (; j + 4 <= n; j += 4) {
    const o = <usize>j << 2;
    let db = f32x4.splat(0), dg = f32x4.splat(0);
    for (let p = o; p < end; p += rs) {
      const d = v128.load(dy + p);
      db = f32x4.add(db, d);
      dg = f32x4.add(dg, f32x4.mul(d, v128.load(xhat + p)));
    }
    v128.store(dbeta + o, db);
    v128.store(dgamma + o, dg);
  }
  for (; j < n; j++) {
    const o = <usize>j << 2;
    let db: f32 = 0, dg: f32 = 0;
    for (let p = o; p < end; p += rs) {
      const d = load<f32>(dy + p);
      db += d;
      dg += d * load<f32>(xhat + p);
    }
    store<f32>(dbeta + o, db);
    store<f32>(dgamma + o, dg);
  }
}

// ************* layer norm *************

// Per row r: y = xhat·γ + β with xhat = (x − mean_r)·invstd[r]; saves invstd[m] for the backward.
export function layernorm_forward_f32(y: usize, xhat: usize, invstd: usize, x: usize, gamma: usize, beta: usize,
                                      m: i32, n: i32, eps: f32): void {
  const rs = <usize>n << 2;
  const fn = <f32>n;
  for (let r = 0; r < m; r++) {
    const row = <usize>r * rs;
    const xr = x + row;
    let sv = f32x4.splat(0);
    let j = 0;
    for (; j + 4 <= n; j += 4) sv = f32x4.add(sv, v128.load(xr + (<usize>j << 2)));
    let s = hsum(sv);
    for (; j < n; j++) s += load<f32>(xr + (<usize>j << 2));
    const mu = s / fn;
    const vmu = f32x4.splat(mu);
    let qv = f32x4.splat(0);
    for (j = 0; j + 4 <= n; j += 4) {
      const d = f32x4.sub(v128.load(xr + (<usize>j << 2)), vmu);
      qv = f32x4.add(qv, f32x4.mul(d, d));
    }
    let q = hsum(qv);
    for (; j < n; j++) {
      const d = load<f32>(xr + (<usize>j << 2)) - mu;
      q += d * d;
    }
    const is: f32 = 1 / Mathf.sqrt(q / fn + eps);
    store<f32>(invstd + (<usize>r << 2), is);
    const vis = f32x4.splat(is);
    for (j = 0; j + 4 <= n; j += 4) {
      const o = <usize>j << 2;
      const h = f32x4.mul(f32x4.sub(v128.load(xr + o), vmu), vis);
      const g = gamma ? v128.load(gamma + o) : f32x4.splat(1);
      const b = beta ? v128.load(beta + o) : f32x4.splat(0);
      v128.store(xhat + row + o, h);
      v128.store(y + row + o, f32x4.add(f32x4.mul(h, g), b));
    }
    for (; j < n; j++) {
      const o = <usize>j << 2;
      const h = (load<f32>(xr + o) - mu) * is;
      const g: f32 = gamma ? load<f32>(gamma + o) : 1;
      const b: f32 = beta ? load<f32>(beta + o) : 0;
      store<f32>(xhat + row + o, h);
      store<f32>(y + row + o, h * g + b);
    }
  }
}

// dgamma, dbeta as batchnorm_backward_f32's (overwritten); dx ≠ 0, per row with d = γ·dy, s1 = Σ_k d,
// s2 = Σ_k d·xhat: dx = k·((n·d − s1) − xhat·s2), k = invstd[r]/n.
export function layernorm_backward_f32(dx: usize, dgamma: usize, dbeta: usize, dy: usize, xhat: usize, invstd: usize,
                                       gamma: usize, m: i32, n: i32): void {
  norm_param_grads(dgamma, dbeta, dy, xhat, m, n);
  if (!dx) return;
  const rs = <usize>n << 2;
  const fn = <f32>n;
  const vn = f32x4.splat(fn);
  for (let r = 0; r < m; r++) {
    const row = <usize>r * rs;
    let s1v = f32x4.splat(0), s2v = f32x4.splat(0);
    let j = 0;
    for (; j + 4 <= n; j += 4) {
      const o = <usize>j << 2;
      const g = gamma ? v128.load(gamma + o) : f32x4.splat(1);
      const d = f32x4.mul(g, v128.load(dy + row + o));
      s1v = f32x4.add(s1v, d);
      s2v = f32x4.add(s2v, f32x4.mul(d, v128.load(xhat + row + o)));
    }
    let s1 = hsum(s1v), s2 = hsum(s2v);
    for (; j < n; j++) {
      const o = <usize>j << 2;
      const g: f32 = gamma ? load<f32>(gamma + o) : 1;
      const d = g * load<f32>(dy + row + o);
      s1 += d;
      s2 += d * load<f32>(xhat + row + o);
    }
    const k = load<f32>(invstd + (<usize>r << 2)) / fn;
    const vk = f32x4.splat(k), vs1 = f32x4.splat(s1), vs2 = f32x4.splat(s2);
    for (j = 0; j + 4 <= n; j += 4) {
      const o = <usize>j << 2;
      const g = gamma ? v128.load(gamma + o) : f32x4.splat(1);
      const t = f32x4.sub(f32x4.mul(vn, f32x4.mul(g, v128.load(dy + row + o))), vs1);
      v128.store(dx + row + o, f32x4.mul(vk, f32x4.sub(t, f32x4.mul(v128.load(xhat + row + o), vs2))));
    }
    for (; j < n; j++) {
      const o = <usize>j << 2;
      const g: f32 = gamma ? load<f32>(gamma + o) : 1;
      store<f32>(dx + row + o, k * ((fn * (g * load<f32>(dy + row + o)) - s1) - load<f32>(xhat + row + o) * s2));
    }
  }
}
