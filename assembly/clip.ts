// ************* gradient clipping: one contiguous f32 vector of n floats (src/optim/clip.ts) *************

// Σ x² in f64. The f32 values widen exactly to f64 and their squares are exact there, so the only
// roundings are the f64 sums: 2 lanes per half of each 4-float vector, then the tail in order (the
// order of l1l2_penalty_f32). No overflow: a float32's square is below 2^256.
export function sumsq_f32(x: usize, n: i32): f64 {
  let q0 = f64x2.splat(0), q1 = f64x2.splat(0);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const v = v128.load(x + (<usize>i << 2));
    const lo = f64x2.promote_low_f32x4(v);
    const hi = f64x2.promote_low_f32x4(v128.shuffle<f32>(v, v, 2, 3, 0, 1));
    q0 = f64x2.add(q0, f64x2.mul(lo, lo));
    q1 = f64x2.add(q1, f64x2.mul(hi, hi));
  }
  const q = f64x2.add(q0, q1);
  let s = f64x2.extract_lane(q, 0) + f64x2.extract_lane(q, 1);
  for (; i < n; i++) {
    const v = <f64>load<f32>(x + (<usize>i << 2));
    s += v * v;
  }
  return s;
}

// y = min(max(x, lo), hi) elementwise. Values already in [lo, hi] come out bit for bit (−0 too);
// NaN stays NaN (wasm min/max propagate it), so a diverging gradient is still seen downstream.
export function clamp_f32(y: usize, x: usize, lo: f32, hi: f32, n: i32): void {
  const vlo = f32x4.splat(lo), vhi = f32x4.splat(hi);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const o = <usize>i << 2;
    v128.store(y + o, f32x4.min(f32x4.max(v128.load(x + o), vlo), vhi));
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    store<f32>(y + o, Mathf.min(Mathf.max(load<f32>(x + o), lo), hi));
  }
}
