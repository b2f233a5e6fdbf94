// ************* brain.js training of narrow networks in registers (XOR and other toy sizes) *************
// brain_train_f32 (assembly/brain.ts) comes here for per-sample training of a network with one
// hidden layer and every layer ≤ 4 wide. The whole state lives in v128 locals for all the passes
// of a call, so the chain of dependent operations from one sample to the next (forward, deltas,
// update, next forward) never goes through memory. Layer 1 is kept by columns (W1ᵀ: one vector
// over the hidden nodes per input), layer 2 both by rows (for the deltas) and by columns (for the
// forward pass); both copies get the same operations on the same values, so they stay identical.
// And the next sample's layer-1 sums are not taken from the updated weights but, equal in exact
// arithmetic, as
//   z1' = (b1 + Σ_k x'_k·(W1ᵀ_k + μ·V1ᵀ_k)) + lr·δ1·(x·x' + 1),
// whose first part is ready before δ1 is: one multiply-add after δ1 instead of update, then dot
// product. The weights are still updated as brain.js does; only rounding differs (≈ 1e-7).
//
// Memory as in brain.ts's plan: w1, v1 [4 × 4] and w2, v2 [4 × 4] row-major (row = one node's
// weights), b1, b2 [4], x and t [count × 4], every row zero-padded to 4 floats.
import { ACT_LEAKY_RELU, ACT_RELU, ACT_SIGMOID, ACT_TANH, act_grad_lat_f32x4, act_lat_f32x4, lane, madd, transpose4_store } from './simd';

// Column k of a row-major 4×4 block.
@inline function column(m: usize, k: i32): v128 {
  const o = <usize>k << 2;
  let v = f32x4.splat(load<f32>(m + o));
  v = f32x4.replace_lane(v, 1, load<f32>(m + 16 + o));
  v = f32x4.replace_lane(v, 2, load<f32>(m + 32 + o));
  return f32x4.replace_lane(v, 3, load<f32>(m + 48 + o));
}

// `one`: a single output (a constant here, so each variant is compiled on its own): layer 2 is one
// row, its sum a horizontal add, and the column copy is not needed.
// `in2`: at most two inputs (a constant too): columns 2 and 3 of W1 are padding, zero for good, so
// they are neither kept in registers nor updated (fewer live vectors: less spilling in the loop).
@inline function narrowPasses(w1: usize, v1: usize, b1p: usize, hidden: i32, w2: usize, v2: usize, b2p: usize, outputs: i32,
                              x: usize, t: usize, count: i32, passes: i32, lr: f32, mom: f32, alpha: f32, thresh: f64, errAt: usize,
                              act: i32, one: bool, in2: bool): i32 {
  const lanes = i32x4(0, 1, 2, 3);
  const mask1 = i32x4.lt_s(lanes, i32x4.splat(hidden));
  const mask2 = i32x4.lt_s(lanes, i32x4.splat(outputs));
  const invOut: f64 = 1.0 / <f64>outputs;
  const vlr = f32x4.splat(lr), vm = f32x4.splat(mom);
  let W1c0 = column(w1, 0), W1c1 = column(w1, 1), W1c2 = column(w1, 2), W1c3 = column(w1, 3);
  let V1c0 = column(v1, 0), V1c1 = column(v1, 1), V1c2 = column(v1, 2), V1c3 = column(v1, 3);
  let W2r0 = v128.load(w2), W2r1 = v128.load(w2, 16), W2r2 = v128.load(w2, 32), W2r3 = v128.load(w2, 48);
  let V2r0 = v128.load(v2), V2r1 = v128.load(v2, 16), V2r2 = v128.load(v2, 32), V2r3 = v128.load(v2, 48);
  let W2c0 = column(w2, 0), W2c1 = column(w2, 1), W2c2 = column(w2, 2), W2c3 = column(w2, 3);
  let V2c0 = column(v2, 0), V2c1 = column(v2, 1), V2c2 = column(v2, 2), V2c3 = column(v2, 3);
  let b1 = v128.load(b1p), b2 = v128.load(b2p);
  // layer-1 sums of the first sample, directly
  let xv = v128.load(x);
  let z1 = f32x4.add(b1, madd(lane(xv, 0), W1c0, f32x4.mul(lane(xv, 1), W1c1)));
  if (!in2) z1 = f32x4.add(z1, madd(lane(xv, 2), W1c2, f32x4.mul(lane(xv, 3), W1c3)));
  let p = 0;
  while (p < passes) {
    let sum: f64 = 0;
    for (let s = 0; s < count; s++) {
      const tv = v128.load(t + (<usize>s << 4));
      // forward (z1 is ready)
      const a1 = v128.and(act_lat_f32x4(z1, act, alpha), mask1);
      const h0 = lane(a1, 0), h1 = lane(a1, 1), h2 = lane(a1, 2), h3 = lane(a1, 3);
      let z2: v128;
      if (one) {
        const pr = f32x4.mul(a1, W2r0);
        const s1 = f32x4.add(pr, v128.shuffle<f32>(pr, pr, 2, 3, 0, 1));
        z2 = f32x4.add(f32x4.add(s1, v128.shuffle<f32>(s1, s1, 1, 0, 3, 2)), b2);
      } else {
        z2 = f32x4.add(f32x4.add(b2, madd(h0, W2c0, f32x4.mul(h1, W2c1))), madd(h2, W2c2, f32x4.mul(h3, W2c3)));
      }
      const a2 = v128.and(act_lat_f32x4(z2, act, alpha), mask2);
      // output deltas and the error (f64, as brain.js)
      const e = f32x4.sub(tv, a2);
      const lo = f64x2.promote_low_f32x4(e), hi = f64x2.promote_low_f32x4(v128.shuffle<f32>(e, e, 2, 3, 0, 1));
      const q = f64x2.add(f64x2.mul(lo, lo), f64x2.mul(hi, hi));
      sum += (f64x2.extract_lane(q, 0) + f64x2.extract_lane(q, 1)) * invOut;
      const d2 = act_grad_lat_f32x4(e, a2, act, alpha);
      // the next sample (the first again after the last) and its layer-1 sums before δ1's update
      const xn = v128.load(x + (s + 1 == count ? 0 : <usize>(s + 1) << 4));
      const n0 = lane(xn, 0), n1 = lane(xn, 1), n2 = lane(xn, 2), n3 = lane(xn, 3);
      let A = f32x4.add(b1, madd(n0, madd(vm, V1c0, W1c0), f32x4.mul(n1, madd(vm, V1c1, W1c1))));
      if (!in2) A = f32x4.add(A, madd(n2, madd(vm, V1c2, W1c2), f32x4.mul(n3, madd(vm, V1c3, W1c3))));
      const xx = f32x4.mul(xv, xn);
      const c = f32x4.add(lane(f32x4.add(xx, v128.shuffle<f32>(xx, xx, 2, 3, 0, 1)), 0), lane(f32x4.add(xx, v128.shuffle<f32>(xx, xx, 2, 3, 0, 1)), 1));
      const L = f32x4.mul(vlr, f32x4.add(c, f32x4.splat(1)));
      // hidden deltas from the rows of W2 before its update: δ1 = (Σ_i δ2_i·W2_i) ⊙ f'(a1), taken as
      // Σ_i δ2_i·(W2_i ⊙ f'(a1)) (f' is linear in its first argument), whose factors are ready
      // before δ2 is; and z1' = A + lr·δ1·(x·x' + 1) as A + δ2_0·(K0·L) for one output.
      const g0 = lane(d2, 0), g1 = lane(d2, 1), g2 = lane(d2, 2), g3 = lane(d2, 3);
      const K0 = act_grad_lat_f32x4(W2r0, a1, act, alpha);
      let d1: v128;
      if (one) {
        d1 = f32x4.mul(g0, K0);
        z1 = madd(g0, f32x4.mul(K0, L), A);
      } else {
        const K1 = act_grad_lat_f32x4(W2r1, a1, act, alpha), K2 = act_grad_lat_f32x4(W2r2, a1, act, alpha), K3 = act_grad_lat_f32x4(W2r3, a1, act, alpha);
        d1 = f32x4.add(madd(g0, K0, f32x4.mul(g1, K1)), madd(g2, K2, f32x4.mul(g3, K3)));
        z1 = madd(d1, L, A);
      }
      // layer 2: v = lr·δ·a1 + μ·v, w += v, by rows and by columns; b2 += lr·δ
      const ld2 = f32x4.mul(vlr, d2);
      const l0 = lane(ld2, 0), l1 = lane(ld2, 1), l2 = lane(ld2, 2), l3 = lane(ld2, 3);
      V2r0 = madd(l0, a1, f32x4.mul(vm, V2r0)); W2r0 = f32x4.add(W2r0, V2r0);
      if (!one) {
        V2r1 = madd(l1, a1, f32x4.mul(vm, V2r1)); W2r1 = f32x4.add(W2r1, V2r1);
        V2r2 = madd(l2, a1, f32x4.mul(vm, V2r2)); W2r2 = f32x4.add(W2r2, V2r2);
        V2r3 = madd(l3, a1, f32x4.mul(vm, V2r3)); W2r3 = f32x4.add(W2r3, V2r3);
        V2c0 = madd(ld2, h0, f32x4.mul(vm, V2c0)); W2c0 = f32x4.add(W2c0, V2c0);
        V2c1 = madd(ld2, h1, f32x4.mul(vm, V2c1)); W2c1 = f32x4.add(W2c1, V2c1);
        V2c2 = madd(ld2, h2, f32x4.mul(vm, V2c2)); W2c2 = f32x4.add(W2c2, V2c2);
        V2c3 = madd(ld2, h3, f32x4.mul(vm, V2c3)); W2c3 = f32x4.add(W2c3, V2c3);
      }
      b2 = madd(vlr, d2, b2);
      // layer 1, by columns
      const ld1 = f32x4.mul(vlr, d1);
      // the lanes of x are taken again here rather than kept live across the sample (registers)
      V1c0 = madd(ld1, lane(xv, 0), f32x4.mul(vm, V1c0)); W1c0 = f32x4.add(W1c0, V1c0);
      V1c1 = madd(ld1, lane(xv, 1), f32x4.mul(vm, V1c1)); W1c1 = f32x4.add(W1c1, V1c1);
      if (!in2) {
        V1c2 = madd(ld1, lane(xv, 2), f32x4.mul(vm, V1c2)); W1c2 = f32x4.add(W1c2, V1c2);
        V1c3 = madd(ld1, lane(xv, 3), f32x4.mul(vm, V1c3)); W1c3 = f32x4.add(W1c3, V1c3);
      }
      b1 = madd(vlr, d1, b1);
      xv = xn;
    }
    const err = sum / <f64>count;
    store<f64>(errAt, err);
    p++;
    if (err <= thresh) break;
  }
  // the columns of W1 and V1 back as rows
  transpose4_store(W1c0, W1c1, W1c2, W1c3, w1, 16);
  transpose4_store(V1c0, V1c1, V1c2, V1c3, v1, 16);
  v128.store(w2, W2r0); v128.store(w2, W2r1, 16); v128.store(w2, W2r2, 32); v128.store(w2, W2r3, 48);
  v128.store(v2, V2r0); v128.store(v2, V2r1, 16); v128.store(v2, V2r2, 32); v128.store(v2, V2r3, 48);
  v128.store(b1p, b1);
  v128.store(b2p, b2);
  return p;
}

// Up to `passes` per-sample passes of a narrow network (inputs, hidden, outputs ≤ 4; act a code of
// simd.ts); after each the mean error (f64) is stored at errAt and training stops once it is
// ≤ thresh. Returns the passes run. Every (act, one, in2) is its own call with constants, so each
// variant is compiled on its own.
@inline export function narrow_train(w1: usize, v1: usize, b1: usize, inputs: i32, hidden: i32, w2: usize, v2: usize, b2: usize, outputs: i32,
                                     x: usize, t: usize, count: i32, passes: i32, lr: f32, mom: f32, alpha: f32, thresh: f64, errAt: usize, act: i32): i32 {
  if (outputs == 1) {
    if (inputs <= 2) {
      if (act == ACT_SIGMOID) return narrowPasses(w1, v1, b1, hidden, w2, v2, b2, outputs, x, t, count, passes, lr, mom, alpha, thresh, errAt, ACT_SIGMOID, true, true);
      if (act == ACT_TANH) return narrowPasses(w1, v1, b1, hidden, w2, v2, b2, outputs, x, t, count, passes, lr, mom, alpha, thresh, errAt, ACT_TANH, true, true);
      if (act == ACT_RELU) return narrowPasses(w1, v1, b1, hidden, w2, v2, b2, outputs, x, t, count, passes, lr, mom, alpha, thresh, errAt, ACT_RELU, true, true);
      return narrowPasses(w1, v1, b1, hidden, w2, v2, b2, outputs, x, t, count, passes, lr, mom, alpha, thresh, errAt, ACT_LEAKY_RELU, true, true);
    }
    if (act == ACT_SIGMOID) return narrowPasses(w1, v1, b1, hidden, w2, v2, b2, outputs, x, t, count, passes, lr, mom, alpha, thresh, errAt, ACT_SIGMOID, true, false);
    if (act == ACT_TANH) return narrowPasses(w1, v1, b1, hidden, w2, v2, b2, outputs, x, t, count, passes, lr, mom, alpha, thresh, errAt, ACT_TANH, true, false);
    if (act == ACT_RELU) return narrowPasses(w1, v1, b1, hidden, w2, v2, b2, outputs, x, t, count, passes, lr, mom, alpha, thresh, errAt, ACT_RELU, true, false);
    return narrowPasses(w1, v1, b1, hidden, w2, v2, b2, outputs, x, t, count, passes, lr, mom, alpha, thresh, errAt, ACT_LEAKY_RELU, true, false);
  }
  if (act == ACT_SIGMOID) return narrowPasses(w1, v1, b1, hidden, w2, v2, b2, outputs, x, t, count, passes, lr, mom, alpha, thresh, errAt, ACT_SIGMOID, false, false);
  if (act == ACT_TANH) return narrowPasses(w1, v1, b1, hidden, w2, v2, b2, outputs, x, t, count, passes, lr, mom, alpha, thresh, errAt, ACT_TANH, false, false);
  if (act == ACT_RELU) return narrowPasses(w1, v1, b1, hidden, w2, v2, b2, outputs, x, t, count, passes, lr, mom, alpha, thresh, errAt, ACT_RELU, false, false);
  return narrowPasses(w1, v1, b1, hidden, w2, v2, b2, outputs, x, t, count, passes, lr, mom, alpha, thresh, errAt, ACT_LEAKY_RELU, false, false);
}
