// ************* weight penalties: Keras's l1/l2 regularizers over a contiguous f32 vector w[n] *************

// l1·Σ|w| + l2·Σw². The f32 values widen exactly to f64 (and their squares are exact there), so the
// only roundings are the f64 sums: 2 lanes per sum over the vector body, then the tail in order.
export function l1l2_penalty_f32(w: usize, n: i32, l1: f64, l2: f64): f64 {
  let a0 = f64x2.splat(0), a1 = f64x2.splat(0), q0 = f64x2.splat(0), q1 = f64x2.splat(0);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const v = v128.load(w + (<usize>i << 2));
    const lo = f64x2.promote_low_f32x4(v);
    const hi = f64x2.promote_low_f32x4(v128.shuffle<f32>(v, v, 2, 3, 0, 1));
    a0 = f64x2.add(a0, f64x2.abs(lo));
    a1 = f64x2.add(a1, f64x2.abs(hi));
    q0 = f64x2.add(q0, f64x2.mul(lo, lo));
    q1 = f64x2.add(q1, f64x2.mul(hi, hi));
  }
  const a = f64x2.add(a0, a1), q = f64x2.add(q0, q1);
  let sa = f64x2.extract_lane(a, 0) + f64x2.extract_lane(a, 1);
  let sq = f64x2.extract_lane(q, 0) + f64x2.extract_lane(q, 1);
  for (; i < n; i++) {
    const v = <f64>load<f32>(w + (<usize>i << 2));
    sa += Math.abs(v);
    sq += v * v;
  }
  return l1 * sa + l2 * sq;
}

// gw += l1·sign(w) + 2·l2·w in f32, sign(±0) = 0, in exactly this order (no madd, so both builds agree):
//   s = sign(w); t = l1·s + (2·l2)·w; gw = gw + t
// i.e. gw = fround(gw + fround(fround(l1·s) + fround(fround(2·l2)·w))); l1·s is exact (±l1 or 0).
export function l1l2_grad_f32(gw: usize, w: usize, n: i32, l1: f32, l2: f32): void {
  const c2: f32 = 2 * l2;
  const vl1 = f32x4.splat(l1), vc2 = f32x4.splat(c2);
  const one = f32x4.splat(1), zero = f32x4.splat(0), sign = f32x4.splat(-0.0);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const o = <usize>i << 2;
    const v = v128.load(w + o);
    const s = v128.bitselect(v128.or(v128.and(v, sign), one), zero, f32x4.ne(v, zero)); // ±1, or 0 at ±0
    const t = f32x4.add(f32x4.mul(vl1, s), f32x4.mul(vc2, v));
    v128.store(gw + o, f32x4.add(v128.load(gw + o), t));
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    const v = load<f32>(w + o);
    const s: f32 = v > 0 ? 1 : v < 0 ? -1 : 0;
    store<f32>(gw + o, load<f32>(gw + o) + (l1 * s + c2 * v));
  }
}
