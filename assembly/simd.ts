// ************* inline SIMD helpers (no exports reach JS) *************
// The one home of the per-lane math every kernel family shares: multiply-add, horizontal sums,
// the 4×4 transpose, exp, and the activations with their derivatives by code.

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

// [Σa, Σb, Σc, Σd]: the lanes of four vectors of partial sums, each added pairwise.
@inline export function hsum4(a: v128, b: v128, c: v128, d: v128): v128 {
  const ab = f32x4.add(v128.shuffle<f32>(a, b, 0, 4, 1, 5), v128.shuffle<f32>(a, b, 2, 6, 3, 7));
  const cd = f32x4.add(v128.shuffle<f32>(c, d, 0, 4, 1, 5), v128.shuffle<f32>(c, d, 2, 6, 3, 7));
  return f32x4.add(v128.shuffle<f32>(ab, cd, 0, 1, 4, 5), v128.shuffle<f32>(ab, cd, 2, 3, 6, 7));
}

// Lane i of v in every lane (a register shuffle, no memory).
@inline export function lane(v: v128, i: i32): v128 {
  if (i == 0) return v128.shuffle<f32>(v, v, 0, 0, 0, 0);
  if (i == 1) return v128.shuffle<f32>(v, v, 1, 1, 1, 1);
  if (i == 2) return v128.shuffle<f32>(v, v, 2, 2, 2, 2);
  return v128.shuffle<f32>(v, v, 3, 3, 3, 3);
}

// Transpose of four rows r0..r3 (4 floats each) into columns, stored at dst + q·step.
@inline export function transpose4_store(r0: v128, r1: v128, r2: v128, r3: v128, dst: usize, step: usize): void {
  const t0 = v128.shuffle<f32>(r0, r1, 0, 4, 1, 5);
  const t1 = v128.shuffle<f32>(r0, r1, 2, 6, 3, 7);
  const t2 = v128.shuffle<f32>(r2, r3, 0, 4, 1, 5);
  const t3 = v128.shuffle<f32>(r2, r3, 2, 6, 3, 7);
  v128.store(dst, v128.shuffle<f32>(t0, t2, 0, 1, 4, 5));
  v128.store(dst + step, v128.shuffle<f32>(t0, t2, 2, 3, 6, 7));
  v128.store(dst + step * 2, v128.shuffle<f32>(t1, t3, 0, 1, 4, 5));
  v128.store(dst + step * 3, v128.shuffle<f32>(t1, t3, 2, 3, 6, 7));
}

// ************* exp *************
// Cephes expf: e^x = 2^n·(1 + r + r²·P(r)), n = round(x·log2 e), r = x − n·ln 2, |r| ≤ ln2/2, P of
// degree 5 (relative error ≤ 2e-7). Inputs are clamped to [EXP_LO, EXP_HI], so the result is
// always finite and > 0, and n + 127 is a normal float's exponent.
const EXP_HI: f32 = 88.0; // e^88 = 1.65e38: n stays ≤ 127 after rounding
const EXP_LO: f32 = -87.33654;
const LOG2E: f32 = 1.44269504088896341;
const P5: f32 = 1.9875691500e-4;
const P4: f32 = 1.3981999507e-3;
const P3: f32 = 8.3334519073e-3;
const P2: f32 = 4.1665795894e-2;
const P1: f32 = 1.6666665459e-1;
const P0: f32 = 5.0000001201e-1;

// e^x per lane for throughput: r in two steps (ln 2 = 0.693359375 − 2.12194440e-4, the first
// part exact in float32), P by Horner. Used by the activation, softmax and epilogue kernels.
@inline export function exp_f32x4(x: v128): v128 {
  const c = exp_clamp(x);
  const fx = exp_n(c);
  const v = exp_r(c, fx);
  const y = f32x4.add(f32x4.mul(exp_p(v), f32x4.mul(v, v)), f32x4.add(v, f32x4.splat(1.0)));
  return f32x4.mul(y, exp_pow2(fx));
}

// The steps exp_f32x4 and expm1_f32x4 share (same operations, so the same bits in both).
@inline function exp_clamp(x: v128): v128 { // pmin/pmax keep NaN from x
  return f32x4.pmin(f32x4.pmax(x, f32x4.splat(EXP_LO)), f32x4.splat(EXP_HI));
}
@inline function exp_n(c: v128): v128 { // n = round(x / ln 2), as a float
  return f32x4.nearest(f32x4.mul(c, f32x4.splat(LOG2E)));
}
@inline function exp_r(c: v128, fx: v128): v128 { // r = x − n·ln 2 in two steps
  const v = f32x4.sub(c, f32x4.mul(fx, f32x4.splat(0.693359375)));
  return f32x4.sub(v, f32x4.mul(fx, f32x4.splat(-2.12194440e-4)));
}
@inline function exp_p(v: v128): v128 { // P(r) by Horner: e^r ≈ 1 + r + r²·P(r)
  let y = f32x4.splat(P5);
  y = f32x4.add(f32x4.mul(y, v), f32x4.splat(P4));
  y = f32x4.add(f32x4.mul(y, v), f32x4.splat(P3));
  y = f32x4.add(f32x4.mul(y, v), f32x4.splat(P2));
  y = f32x4.add(f32x4.mul(y, v), f32x4.splat(P1));
  return f32x4.add(f32x4.mul(y, v), f32x4.splat(P0));
}
@inline function exp_pow2(fx: v128): v128 { // 2^n
  return i32x4.shl(i32x4.add(i32x4.trunc_sat_f32x4_s(fx), i32x4.splat(127)), 23);
}

// Scalar twin of exp_f32x4 for loop tails, so tails and bodies agree bit for bit.
@inline export function exp_f32(x: f32): f32 {
  return f32x4.extract_lane(exp_f32x4(f32x4.splat(x)), 0);
}

// ************* activations by code *************
// The codes of the fused epilogues (matmul_f32_ep, gemv_f32_nt*) and the brain kernels' plan.
// Must match ACTIVATIONS[…].code in src/activations.ts (0 there: no activation in the store).
export const ACT_SIGMOID = 1;
export const ACT_TANH = 2;
export const ACT_RELU = 3;
export const ACT_LEAKY_RELU = 4;
export const ACT_ELU = 5;
export const ACT_SELU = 6;
export const ACT_GELU = 7;
export const ACT_SOFTPLUS = 8;
export const ACT_SWISH = 9;
export const ACT_SOFTSIGN = 10;

// σ(x) = 1 / (1 + e^−x): finite and in [0, 1] for any finite x.
@inline export function sigmoid_f32x4(x: v128): v128 {
  const one = f32x4.splat(1);
  return f32x4.div(one, f32x4.add(one, exp_f32x4(f32x4.neg(x))));
}

// σ(x) for latency (per-sample training is one long chain of dependent operations): e^−x with r in
// one step, n·ln 2 rounded to float32 (up to 2^−24·|v| absolute error in r; its effect on σ,
// σ(1−σ)·|v|·2^−24, stays below 2e-8 for every v), and 1 + r + r²·P(r) by Estrin's scheme,
// ((1 + r) + r²·(P0 + P1·r)) + r⁴·((P2 + P3·r) + r²·(P4 + P5·r)): three multiply-add levels from r
// instead of four; then 1 / (1 + q·2^n) as one multiply-add. Clamped like exp_f32x4; NaN stays NaN.
@inline export function sigmoid_lat_f32x4(x: v128): v128 {
  const v = f32x4.pmax(f32x4.pmin(f32x4.neg(x), f32x4.splat(EXP_HI)), f32x4.splat(EXP_LO));
  const n = f32x4.nearest(f32x4.mul(v, f32x4.splat(LOG2E)));
  const r = f32x4.sub(v, f32x4.mul(n, f32x4.splat(0.6931471805599453)));
  const r2 = f32x4.mul(r, r);
  const r4 = f32x4.mul(r2, r2);
  const q01 = f32x4.add(r, f32x4.splat(1.0));
  const q23 = madd(r, f32x4.splat(P1), f32x4.splat(P0));
  const q45 = madd(r, f32x4.splat(P3), f32x4.splat(P2));
  const q67 = madd(r, f32x4.splat(P5), f32x4.splat(P4));
  const q = madd(r4, madd(r2, q67, q45), madd(r2, q23, q01));
  const pow2n = i32x4.shl(i32x4.add(i32x4.trunc_sat_f32x4_s(n), i32x4.splat(127)), 23);
  const one = f32x4.splat(1);
  return f32x4.div(one, madd(q, pow2n, one));
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

// f(v) per lane for an activation code (codes 5..10: act_more_f32x4; 4: leaky relu with slope
// alpha): the activation kernels' vector formulas, so results match them. Used by matmul_f32_ep's
// and gemv_f32_nt's stores and by the brain kernels.
@inline export function act_f32x4(v: v128, act: i32, alpha: f32): v128 {
  if (act == ACT_SIGMOID) return sigmoid_f32x4(v);
  if (act == ACT_TANH) return tanh_f32x4(v);
  if (act == ACT_RELU) return f32x4.max(v, f32x4.splat(0));
  if (act >= ACT_ELU) return act_more_f32x4(v, act);
  return v128.bitselect(v, f32x4.mul(v, f32x4.splat(alpha)), f32x4.gt(v, f32x4.splat(0)));
}

// g ⊙ f'(·) per lane, as the *_grad_f32 kernels compute it (act 0: g). y is the output f(x), or
// for gelu and swish (gradFrom 'input' in src/activations.ts) the input x.
@inline export function act_grad_f32x4(g: v128, y: v128, act: i32, alpha: f32): v128 {
  if (act == ACT_SIGMOID) return f32x4.mul(g, f32x4.mul(y, f32x4.sub(f32x4.splat(1), y)));
  if (act == ACT_TANH) return f32x4.mul(g, f32x4.sub(f32x4.splat(1), f32x4.mul(y, y)));
  if (act == ACT_RELU) return v128.and(g, f32x4.gt(y, f32x4.splat(0)));
  if (act == ACT_LEAKY_RELU) return v128.bitselect(g, f32x4.mul(g, f32x4.splat(alpha)), f32x4.gt(y, f32x4.splat(0)));
  if (act >= ACT_ELU) return act_grad_more_f32x4(g, y, act);
  return g;
}

// ************* elu, selu, gelu, softplus, swish, softsign *************
// Not inlined: the brain kernels and gemv inline act_f32x4 with a run-time code at several sites;
// these longer formulas would be copied into each. Plain mul/add (no madd), so both builds agree.
const SELU_SCALE: f32 = 1.0507009873554805; // λ (Keras, Klambauer et al. 2017)
const SELU_SCALE_ALPHA: f32 = 1.7580993408473766; // λ·α, α = 1.6732632423543772
const SQRT1_2: f32 = 0.7071067811865476;
const INV_SQRT_2PI: f32 = 0.3989422804014327;

// e^x − 1 with a small relative error near 0 (where e^x − 1 would cancel): exp_f32x4's reduction,
// x = n·ln 2 + r, then 2^n·(r + r²·P(r)) + (2^n − 1), exact for n = 0 up to P's error.
@inline export function expm1_f32x4(x: v128): v128 {
  const c = exp_clamp(x);
  const fx = exp_n(c);
  const v = exp_r(c, fx);
  const q = f32x4.add(f32x4.mul(exp_p(v), f32x4.mul(v, v)), v); // e^r − 1
  const pow2n = exp_pow2(fx);
  return f32x4.add(f32x4.mul(q, pow2n), f32x4.sub(pow2n, f32x4.splat(1)));
}

// log(1 + u) for u in [0, 1] (softplus's log1p(e^−|x|)): 2·atanh(s), s = u/(2 + u) ≤ 1/3, by the
// Taylor series 2s·Σ_{k≤6} s^2k/(2k+1) (truncation < (1/9)^7/15 = 1.4e-8 relative). No 1 + u is
// formed, so small u keep their relative accuracy.
@inline function log1p_unit_f32x4(u: v128): v128 {
  const s = f32x4.div(u, f32x4.add(f32x4.splat(2), u));
  const s2 = f32x4.mul(s, s);
  let p = f32x4.splat(<f32>(1.0 / 13));
  p = f32x4.add(f32x4.mul(p, s2), f32x4.splat(<f32>(1.0 / 11)));
  p = f32x4.add(f32x4.mul(p, s2), f32x4.splat(<f32>(1.0 / 9)));
  p = f32x4.add(f32x4.mul(p, s2), f32x4.splat(<f32>(1.0 / 7)));
  p = f32x4.add(f32x4.mul(p, s2), f32x4.splat(<f32>(1.0 / 5)));
  p = f32x4.add(f32x4.mul(p, s2), f32x4.splat(<f32>(1.0 / 3)));
  p = f32x4.add(f32x4.mul(p, s2), f32x4.splat(1));
  return f32x4.mul(f32x4.add(s, s), p);
}

// erfc(u) for u ≥ 0: Numerical Recipes in C, 2nd ed., §6.2, erfcc (a Chebyshev fit):
// t = 1/(1 + u/2), erfc(u) = t·exp(−u² − 1.26551223 + t·(1.00002368 + … + t·0.17087277)),
// relative error < 1.2e-7 for every u ≥ 0 (measured 1.05e-7 in float64). u2 = u², passed in so
// the caller can form it without rounding u first; float32 still adds ≈ u²·1e-7 relative (the
// rounding of exp's argument ≈ −u²), which only matters in the far tail, where erfc is tiny.
@inline function erfc_pos_f32x4(u: v128, u2: v128): v128 {
  const t = f32x4.div(f32x4.splat(1), f32x4.add(f32x4.splat(1), f32x4.mul(u, f32x4.splat(0.5))));
  let p = f32x4.splat(0.17087277);
  p = f32x4.add(f32x4.mul(p, t), f32x4.splat(-0.82215223));
  p = f32x4.add(f32x4.mul(p, t), f32x4.splat(1.48851587));
  p = f32x4.add(f32x4.mul(p, t), f32x4.splat(-1.13520398));
  p = f32x4.add(f32x4.mul(p, t), f32x4.splat(0.27886807));
  p = f32x4.add(f32x4.mul(p, t), f32x4.splat(-0.18628806));
  p = f32x4.add(f32x4.mul(p, t), f32x4.splat(0.09678418));
  p = f32x4.add(f32x4.mul(p, t), f32x4.splat(0.37409196));
  p = f32x4.add(f32x4.mul(p, t), f32x4.splat(1.00002368));
  p = f32x4.add(f32x4.mul(p, t), f32x4.splat(-1.26551223));
  return f32x4.mul(t, exp_f32x4(f32x4.sub(p, u2)));
}

// Φ(x) = ½·(1 + erf(x/√2)) = ½·erfc(−x/√2), with erfc(−w) = 2 − erfc(w): no 1 + erf is formed,
// so Φ keeps its relative accuracy in the left tail (TensorFlow's gelu uses the same erfc form).
@inline function normal_cdf_f32x4(x: v128): v128 {
  const u = f32x4.abs(f32x4.mul(x, f32x4.splat(SQRT1_2)));
  const h = f32x4.mul(erfc_pos_f32x4(u, f32x4.mul(f32x4.mul(x, x), f32x4.splat(0.5))), f32x4.splat(0.5)); // u² = x²/2: one rounding
  return v128.bitselect(h, f32x4.sub(f32x4.splat(1), h), f32x4.lt(x, f32x4.splat(0)));
}

// f(v) for codes 5..10:
//   elu      x > 0 ? x : e^x − 1 (α = 1)        selu  λ·(x > 0 ? x : α·(e^x − 1))
//   gelu     x·Φ(x)                              softplus  max(x, 0) + log(1 + e^−|x|)
//   swish    x·σ(x) (x below −88 counts as −88: σ's clamped exp would make x·σ(x) grow again)
//   softsign x / (1 + |x|)
function act_more_f32x4(v: v128, act: i32): v128 {
  const zero = f32x4.splat(0);
  if (act == ACT_ELU) return v128.bitselect(v, expm1_f32x4(v), f32x4.gt(v, zero));
  if (act == ACT_SELU) {
    return v128.bitselect(f32x4.mul(v, f32x4.splat(SELU_SCALE)), f32x4.mul(expm1_f32x4(v), f32x4.splat(SELU_SCALE_ALPHA)), f32x4.gt(v, zero));
  }
  if (act == ACT_GELU) return f32x4.mul(v, normal_cdf_f32x4(v));
  if (act == ACT_SOFTPLUS) return f32x4.add(f32x4.max(v, zero), log1p_unit_f32x4(exp_f32x4(f32x4.neg(f32x4.abs(v)))));
  if (act == ACT_SWISH) return f32x4.mul(f32x4.pmax(v, f32x4.splat(-88)), sigmoid_f32x4(v));
  return f32x4.div(v, f32x4.add(f32x4.splat(1), f32x4.abs(v)));
}

// g ⊙ f'(·) for codes 5..10, from the output y (elu, selu, softplus, softsign) or the input x (gelu, swish):
//   elu      y < 0 ? y + 1 : 1                  selu  y < 0 ? y + λα : λ
//   gelu     Φ(x) + x·φ(x), φ(x) = e^(−x²/2)/√(2π) (x·φ taken as 0 for |x| ≥ 16, below 1e-54)
//   softplus σ(x) = 1 − e^−y                    swish σ(x)·(1 + x·(1 − σ(x))), 1 − σ = e^−x·σ, x clamped to ±88
//   softsign (1 − |y|)²
function act_grad_more_f32x4(g: v128, y: v128, act: i32): v128 {
  const zero = f32x4.splat(0), one = f32x4.splat(1);
  if (act == ACT_ELU) return v128.bitselect(f32x4.mul(g, f32x4.add(y, one)), g, f32x4.lt(y, zero));
  if (act == ACT_SELU) {
    return v128.bitselect(f32x4.mul(g, f32x4.add(y, f32x4.splat(SELU_SCALE_ALPHA))), f32x4.mul(g, f32x4.splat(SELU_SCALE)), f32x4.lt(y, zero));
  }
  if (act == ACT_GELU) {
    const pdf = f32x4.mul(exp_f32x4(f32x4.mul(f32x4.mul(y, y), f32x4.splat(-0.5))), f32x4.splat(INV_SQRT_2PI));
    const xpdf = v128.and(f32x4.mul(y, pdf), f32x4.lt(f32x4.abs(y), f32x4.splat(16)));
    return f32x4.mul(g, f32x4.add(normal_cdf_f32x4(y), xpdf));
  }
  if (act == ACT_SOFTPLUS) return f32x4.mul(g, f32x4.neg(expm1_f32x4(f32x4.neg(y))));
  if (act == ACT_SWISH) {
    const e = exp_f32x4(f32x4.neg(y));
    const s = f32x4.div(one, f32x4.add(one, e));
    const xc = f32x4.pmin(f32x4.pmax(y, f32x4.splat(-88)), f32x4.splat(88));
    return f32x4.mul(g, f32x4.mul(s, f32x4.add(one, f32x4.mul(xc, f32x4.mul(e, s)))));
  }
  const r = f32x4.sub(one, f32x4.abs(y));
  return f32x4.mul(g, f32x4.mul(r, r));
}

// act_f32x4 and act_grad_f32x4 as the per-sample brain kernels take them, where the cost is
// latency: sigmoid through sigmoid_lat_f32x4, and its derivative multiplied in brain.js's order,
// (g·y)·(1 − y), two multiplies deep from y instead of three. Other codes: the shared formulas.
@inline export function act_lat_f32x4(v: v128, act: i32, alpha: f32): v128 {
  if (act == ACT_SIGMOID) return sigmoid_lat_f32x4(v);
  return act_f32x4(v, act, alpha);
}
@inline export function act_grad_lat_f32x4(g: v128, y: v128, act: i32, alpha: f32): v128 {
  if (act == ACT_SIGMOID) return f32x4.mul(f32x4.mul(g, y), f32x4.sub(f32x4.splat(1), y));
  return act_grad_f32x4(g, y, act, alpha);
}
