// ************* inline SIMD helpers (no exports reach JS) *************
import { tanh_f32x4 } from './activation';

// a·b + c. Relaxed builds fuse it (one rounding); baseline builds round twice.
@inline export function madd(a: v128, b: v128, c: v128): v128 {
  if (ASC_FEATURE_RELAXED_SIMD) return f32x4.relaxed_madd(a, b, c);
  return f32x4.add(f32x4.mul(a, b), c);
}

// Sum of the four lanes.
@inline export function hsum(v: v128): f32 {
  const s = f32x4.add(v, v128.shuffle<f32>(v, v, 2, 3, 0, 1));
  const t = f32x4.add(s, v128.shuffle<f32>(s, s, 1, 0, 3, 2));
  return f32x4.extract_lane(t, 0);
}

// Max of the four lanes.
@inline export function hmax(v: v128): f32 {
  const s = f32x4.max(v, v128.shuffle<f32>(v, v, 2, 3, 0, 1));
  const t = f32x4.max(s, v128.shuffle<f32>(s, s, 1, 0, 3, 2));
  return f32x4.extract_lane(t, 0);
}

// e^x per lane, Cephes expf scheme: x = n·ln2 + r, |r| ≤ ln2/2, degree-5 polynomial, 2^n by
// exponent bits. Relative error ≤ 2e-7 on [-87.3, 88]; inputs are clamped there, so the
// result is always finite and > 0 (sigmoid and softmax stay safe at ±1e4). NaN stays NaN.
@inline export function exp_f32x4(x: v128): v128 {
  const hi = f32x4.splat(88.0); // e^88 = 1.65e38: n stays ≤ 127 after rounding
  const lo = f32x4.splat(-87.33654);
  let v = f32x4.pmin(f32x4.pmax(x, lo), hi); // pmin/pmax keep NaN from x
  const fx = f32x4.nearest(f32x4.mul(v, f32x4.splat(1.44269504088896341)));
  v = f32x4.sub(v, f32x4.mul(fx, f32x4.splat(0.693359375)));
  v = f32x4.sub(v, f32x4.mul(fx, f32x4.splat(-2.12194440e-4)));
  const z = f32x4.mul(v, v);
  let y = f32x4.splat(1.9875691500e-4);
  y = f32x4.add(f32x4.mul(y, v), f32x4.splat(1.3981999507e-3));
  y = f32x4.add(f32x4.mul(y, v), f32x4.splat(8.3334519073e-3));
  y = f32x4.add(f32x4.mul(y, v), f32x4.splat(4.1665795894e-2));
  y = f32x4.add(f32x4.mul(y, v), f32x4.splat(1.6666665459e-1));
  y = f32x4.add(f32x4.mul(y, v), f32x4.splat(5.0000001201e-1));
  y = f32x4.add(f32x4.mul(y, z), f32x4.add(v, f32x4.splat(1.0)));
  // 2^n: n in [-126, 127] after the clamp, so (n + 127) << 23 is a normal float.
  const n = i32x4.trunc_sat_f32x4_s(fx);
  const pow2n = i32x4.shl(i32x4.add(n, i32x4.splat(127)), 23);
  return f32x4.mul(y, pow2n);
}

// Scalar twin of exp_f32x4 for loop tails, so tails and bodies agree bit for bit.
@inline export function exp_f32(x: f32): f32 {
  return f32x4.extract_lane(exp_f32x4(f32x4.splat(x)), 0);
}

// f(v) per lane for an activation code of the fused epilogues (1 sigmoid, 2 tanh, 3 relu, any
// other: leaky relu with slope alpha): the activation kernels' vector formulas, so results match
// them. Used by matmul_f32_ep's and gemv_f32_nt's stores.
@inline export function act_f32x4(v: v128, act: i32, alpha: f32): v128 {
  if (act == 1) { const one = f32x4.splat(1); return f32x4.div(one, f32x4.add(one, exp_f32x4(f32x4.neg(v)))); }
  if (act == 2) return tanh_f32x4(v);
  if (act == 3) return f32x4.max(v, f32x4.splat(0));
  return v128.bitselect(v, f32x4.mul(v, f32x4.splat(alpha)), f32x4.gt(v, f32x4.splat(0)));
}
