// ************* optimizer updates: one parameter block of n floats, in place *************
// wd adds the L2 term wd·w to the gradient first (0 for biases). Formulas follow tf.keras.

// v = mu·v − lr·(g + wd·w); w += v, or with nesterov w += mu·v − lr·(g + wd·w).
export function sgd_momentum_f32(w: usize, g: usize, v: usize, lr: f32, mu: f32, wd: f32, nesterov: i32, n: i32): void {
  const vlr = f32x4.splat(lr), vmu = f32x4.splat(mu), vwd = f32x4.splat(wd);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const o = <usize>i << 2;
    const wi = v128.load(w + o);
    const step = f32x4.mul(vlr, f32x4.add(v128.load(g + o), f32x4.mul(vwd, wi)));
    const vi = f32x4.sub(f32x4.mul(vmu, v128.load(v + o)), step);
    v128.store(v + o, vi);
    v128.store(w + o, f32x4.add(wi, nesterov ? f32x4.sub(f32x4.mul(vmu, vi), step) : vi));
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    const wi = load<f32>(w + o);
    const step = lr * (load<f32>(g + o) + wd * wi);
    const vi = mu * load<f32>(v + o) - step;
    store<f32>(v + o, vi);
    store<f32>(w + o, wi + (nesterov ? mu * vi - step : vi));
  }
}

// m += (1−β1)(g' − m); v += (1−β2)(g'² − v); w −= alpha·m/(√v + eps), g' = g + wd·w and
// alpha = lr·√(1−β2^t)/(1−β1^t) computed by the caller in f64.
export function adam_f32(w: usize, g: usize, m: usize, v: usize, alpha: f32, beta1: f32, beta2: f32, eps: f32, wd: f32, n: i32): void {
  const va = f32x4.splat(alpha), c1 = f32x4.splat(1 - beta1), c2 = f32x4.splat(1 - beta2);
  const ve = f32x4.splat(eps), vwd = f32x4.splat(wd);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const o = <usize>i << 2;
    const wi = v128.load(w + o);
    const gi = f32x4.add(v128.load(g + o), f32x4.mul(vwd, wi));
    let mi = v128.load(m + o), vi = v128.load(v + o);
    mi = f32x4.add(mi, f32x4.mul(c1, f32x4.sub(gi, mi)));
    vi = f32x4.add(vi, f32x4.mul(c2, f32x4.sub(f32x4.mul(gi, gi), vi)));
    v128.store(m + o, mi);
    v128.store(v + o, vi);
    v128.store(w + o, f32x4.sub(wi, f32x4.div(f32x4.mul(va, mi), f32x4.add(f32x4.sqrt(vi), ve))));
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    const wi = load<f32>(w + o);
    const gi = load<f32>(g + o) + wd * wi;
    let mi = load<f32>(m + o), vi = load<f32>(v + o);
    mi = mi + (1 - beta1) * (gi - mi);
    vi = vi + (1 - beta2) * (gi * gi - vi);
    store<f32>(m + o, mi);
    store<f32>(v + o, vi);
    store<f32>(w + o, wi - (alpha * mi) / (Mathf.sqrt(vi) + eps));
  }
}

// v = ρ·v + (1−ρ)·g'²; w −= lr·g'/√(v + eps), g' = g + wd·w.
export function rmsprop_f32(w: usize, g: usize, v: usize, lr: f32, rho: f32, eps: f32, wd: f32, n: i32): void {
  const vlr = f32x4.splat(lr), vr = f32x4.splat(rho), c = f32x4.splat(1 - rho);
  const ve = f32x4.splat(eps), vwd = f32x4.splat(wd);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const o = <usize>i << 2;
    const wi = v128.load(w + o);
    const gi = f32x4.add(v128.load(g + o), f32x4.mul(vwd, wi));
    const vi = f32x4.add(f32x4.mul(vr, v128.load(v + o)), f32x4.mul(c, f32x4.mul(gi, gi)));
    v128.store(v + o, vi);
    v128.store(w + o, f32x4.sub(wi, f32x4.div(f32x4.mul(vlr, gi), f32x4.sqrt(f32x4.add(vi, ve)))));
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    const wi = load<f32>(w + o);
    const gi = load<f32>(g + o) + wd * wi;
    const vi = rho * load<f32>(v + o) + (1 - rho) * gi * gi;
    store<f32>(v + o, vi);
    store<f32>(w + o, wi - (lr * gi) / Mathf.sqrt(vi + eps));
  }
}
