// ************* brain.js-compatible per-sample training: whole passes over the data in wasm *************
// The network of a brain.js NeuralNetwork (wasmlp/brain): one activation for every layer, biases,
// per-sample updates with momentum on the weights (not on the biases), brain.js's error measure.
// A pass runs every sample in data order: forward, deltas from the old weights, then the update;
// one call runs one pass (brain_train_pass_f32) or many (brain_train_f32), so at XOR size the cost
// is the arithmetic, not the JS↔wasm crossings.
//
// The network is described by a plan: i32 words at `plan`, written by src/brain/wasm-net.ts.
//   word 0: n, the number of layers with the input layer (≥ 2)
//   word 1: activation: 0 sigmoid, 1 relu, 2 leaky-relu, 3 tanh
//   words 2–3: f64, the mean error of the last pass of brain_train_f32
//   from word 4 on, one record of REC words per layer l (layer 0 = input):
//     size, stride = size rounded up to 4, then byte addresses of
//     out [stride], delta [stride], w [stride rows × stride_{l−1}], b [stride],
//     v [like w] (momentum "changes"), gw [like w], gb [stride] (mini-batch sums; 0 when unused)
//   Layer 0 has only size and stride: its "out" is the current sample of x.
// Every row and vector is padded with zeros to a multiple of 4 floats, and the padding stays
// zero through training (padded weights see zero inputs or zero deltas), so all loops are SIMD.
// x is [count × stride_0], t is [count × stride_{n−1}], both zero-padded.
//
// Arithmetic is f32 (brain.js stores f32 but sums in f64: results agree to about 1e-6 per pass);
// the error is summed in f64 as brain.js does: per sample Σe²/size, e = t − out rounded to f32.
import { madd } from './simd';
import { tanh_f32x4 } from './activation';

const REC: usize = 12 * 4; // bytes per layer record
const HEAD: usize = 16;

const SIGMOID = 0;
const RELU = 1;
const LEAKY = 2;
const TANH = 3;

@inline function rec(plan: usize, l: i32): usize { return plan + HEAD + <usize>l * REC; }
@inline function fsize(r: usize): i32 { return load<i32>(r); }
@inline function fstride(r: usize): i32 { return load<i32>(r, 4); }
@inline function fout(r: usize): usize { return <usize>load<u32>(r, 8); }
@inline function fdelta(r: usize): usize { return <usize>load<u32>(r, 12); }
@inline function fw(r: usize): usize { return <usize>load<u32>(r, 16); }
@inline function fb(r: usize): usize { return <usize>load<u32>(r, 20); }
@inline function fv(r: usize): usize { return <usize>load<u32>(r, 24); }
@inline function fgw(r: usize): usize { return <usize>load<u32>(r, 28); }
@inline function fgb(r: usize): usize { return <usize>load<u32>(r, 32); }

// 1/(1 + e^−x) per lane. Per-sample training is one long chain of dependent operations, so this
// exp is built for latency, not throughput: e^v = 2^n·q(r), n = round(v·log2 e), r = v − n·ln 2 in
// one step, q the degree-5 Cephes expf polynomial (relative error ≤ 2e-7 on |r| ≤ ln2/2) in Estrin
// form: ((1 + r) + r²·(c2 + c3·r)) + r⁴·((c4 + c5·r) + r²·(c6 + c7·r)), three multiply-add levels
// from r instead of four. The one-step reduction rounds n·ln 2 to float32 (up to 2^−24·|v|
// absolute error in r); its effect on the sigmoid, σ(1−σ)·|v|·2^−24, stays below 2e-8 for every v.
// The input is clamped as in simd.ts's exp_f32x4, so the result is finite; NaN stays NaN.
@inline function sigmoid(x: v128): v128 {
  const v = f32x4.pmax(f32x4.pmin(f32x4.neg(x), f32x4.splat(88.0)), f32x4.splat(-87.33654));
  const n = f32x4.nearest(f32x4.mul(v, f32x4.splat(1.44269504088896341)));
  const r = f32x4.sub(v, f32x4.mul(n, f32x4.splat(0.6931471805599453)));
  // e^r ≈ 1 + r + r²·P(r), P the Cephes degree-5 polynomial; the degree-7 whole by Estrin's scheme
  const r2 = f32x4.mul(r, r);
  const r4 = f32x4.mul(r2, r2);
  const q01 = f32x4.add(r, f32x4.splat(1.0));
  const q23 = madd(r, f32x4.splat(1.6666665459e-1), f32x4.splat(5.0000001201e-1));
  const q45 = madd(r, f32x4.splat(8.3334519073e-3), f32x4.splat(4.1665795894e-2));
  const q67 = madd(r, f32x4.splat(1.9875691500e-4), f32x4.splat(1.3981999507e-3));
  const q = madd(r4, madd(r2, q67, q45), madd(r2, q23, q01));
  const pow2n = i32x4.shl(i32x4.add(i32x4.trunc_sat_f32x4_s(n), i32x4.splat(127)), 23);
  const one = f32x4.splat(1);
  return f32x4.div(one, madd(q, pow2n, one));
}

// f(x) per lane; brain.js 2: sigmoid 1/(1+e^−x), relu x<0?0:x, leaky-relu max(x, αx), tanh.
@inline function activate(x: v128, act: i32, alpha: f32): v128 {
  if (act == SIGMOID) return sigmoid(x);
  if (act == RELU) return v128.andnot(x, f32x4.lt(x, f32x4.splat(0))); // keeps NaN, like brain.js
  if (act == LEAKY) return v128.bitselect(x, f32x4.mul(x, f32x4.splat(alpha)), f32x4.gt(x, f32x4.splat(0)));
  return tanh_f32x4(x);
}

// error · f'(·) from the output y, as brain.js's calculateDeltas: sigmoid e·y(1−y), relu y>0?e:0,
// leaky-relu y>0?e:αe, tanh (1−y²)e.
@inline function derive(e: v128, y: v128, act: i32, alpha: f32): v128 {
  if (act == SIGMOID) return f32x4.mul(f32x4.mul(e, y), f32x4.sub(f32x4.splat(1), y));
  const pos = f32x4.gt(y, f32x4.splat(0));
  if (act == RELU) return v128.and(e, pos);
  if (act == LEAKY) return v128.bitselect(e, f32x4.mul(e, f32x4.splat(alpha)), pos);
  return f32x4.mul(f32x4.sub(f32x4.splat(1), f32x4.mul(y, y)), e);
}

// [Σa, Σb, Σc, Σd] from four vectors of partial sums.
// Zeroes `bytes` (a multiple of 16) at p; a loop, since memory.fill is a runtime call in V8.
@inline function zero(p: usize, bytes: usize): void {
  for (let o: usize = 0; o < bytes; o += 16) v128.store(p + o, f32x4.splat(0));
}

@inline function reduce4(a: v128, b: v128, c: v128, d: v128): v128 {
  const ab = f32x4.add(v128.shuffle<f32>(a, b, 0, 4, 1, 5), v128.shuffle<f32>(a, b, 2, 6, 3, 7));
  const cd = f32x4.add(v128.shuffle<f32>(c, d, 0, 4, 1, 5), v128.shuffle<f32>(c, d, 2, 6, 3, 7));
  return f32x4.add(v128.shuffle<f32>(ab, cd, 0, 1, 4, 5), v128.shuffle<f32>(ab, cd, 2, 3, 6, 7));
}

// Forward pass of one sample at x: every layer's out = f(W·in + b), padding lanes kept at zero.
@inline function forward(plan: usize, x: usize, act: i32, alpha: f32): void {
  const n = load<i32>(plan);
  let input = x;
  let sIn = fstride(rec(plan, 0));
  for (let l = 1; l < n; l++) {
    const r = rec(plan, l);
    const size = fsize(r);
    const out = fout(r), w = fw(r), b = fb(r);
    const rowBytes = <usize>sIn << 2;
    for (let j = 0; j < size; j += 4) {
      const w0 = w + <usize>j * rowBytes;
      const w1 = w0 + rowBytes, w2 = w1 + rowBytes, w3 = w2 + rowBytes;
      let a0 = f32x4.splat(0), a1 = f32x4.splat(0), a2 = f32x4.splat(0), a3 = f32x4.splat(0);
      for (let o: usize = 0; o < rowBytes; o += 16) {
        const xi = v128.load(input + o);
        a0 = madd(v128.load(w0 + o), xi, a0);
        a1 = madd(v128.load(w1 + o), xi, a1);
        a2 = madd(v128.load(w2 + o), xi, a2);
        a3 = madd(v128.load(w3 + o), xi, a3);
      }
      const jo = <usize>j << 2;
      let y = activate(f32x4.add(reduce4(a0, a1, a2, a3), v128.load(b + jo)), act, alpha);
      if (j + 4 > size) y = v128.and(y, i32x4.lt_s(i32x4(0, 1, 2, 3), i32x4.splat(size - j)));
      v128.store(out + jo, y);
    }
    input = out;
    sIn = fstride(r);
  }
}

// Output deltas from the targets at t; returns this sample's Σe²/size in f64 (brain.js's mse).
@inline function outputDelta(plan: usize, t: usize, act: i32, alpha: f32): f64 {
  const r = rec(plan, load<i32>(plan) - 1);
  const bytes = <usize>fstride(r) << 2;
  const out = fout(r), delta = fdelta(r);
  let s = f64x2.splat(0);
  for (let o: usize = 0; o < bytes; o += 16) {
    const y = v128.load(out + o);
    const e = f32x4.sub(v128.load(t + o), y); // padding: 0 − 0
    const lo = f64x2.promote_low_f32x4(e);
    const hi = f64x2.promote_low_f32x4(v128.shuffle<f32>(e, e, 2, 3, 0, 1));
    s = f64x2.add(s, f64x2.add(f64x2.mul(lo, lo), f64x2.mul(hi, hi)));
    v128.store(delta + o, derive(e, y, act, alpha));
  }
  return (f64x2.extract_lane(s, 0) + f64x2.extract_lane(s, 1)) / <f64>fsize(r);
}

// delta_{l−1} = err ⊙ f'(out_{l−1}), err already summed into delta_{l−1}.
@inline function hiddenDelta(rp: usize, act: i32, alpha: f32): void {
  const bytes = <usize>fstride(rp) << 2;
  const out = fout(rp), delta = fdelta(rp);
  for (let o: usize = 0; o < bytes; o += 16) {
    v128.store(delta + o, derive(v128.load(delta + o), v128.load(out + o), act, alpha));
  }
}

// Backward and update of one sample, brain.js's adjustWeights: per weight
// v = lr·δ·in + μ·v, w += v; per bias b += lr·δ. Layer l's pass over W also sums
// err_{l−1} = Σ_j δ_j·W[j] from the old weights, so every delta sees the weights before the update.
@inline function backwardUpdate(plan: usize, x: usize, lr: f32, mom: f32, act: i32, alpha: f32): void {
  const n = load<i32>(plan);
  const vm = f32x4.splat(mom);
  for (let l = n - 1; l >= 1; l--) {
    const r = rec(plan, l), rp = rec(plan, l - 1);
    const size = fsize(r);
    const delta = fdelta(r), w = fw(r), b = fb(r), v = fv(r);
    const input = l == 1 ? x : fout(rp);
    const rowBytes = <usize>fstride(rp) << 2;
    if (l > 1) {
      const err = fdelta(rp);
      zero(err, rowBytes);
      for (let j = 0; j < size; j++) {
        const d = load<f32>(delta + (<usize>j << 2));
        const vd = f32x4.splat(d), vld = f32x4.splat(lr * d);
        const row = w + <usize>j * rowBytes, vrow = v + <usize>j * rowBytes;
        for (let o: usize = 0; o < rowBytes; o += 16) {
          const wi = v128.load(row + o);
          v128.store(err + o, madd(vd, wi, v128.load(err + o)));
          const c = madd(vld, v128.load(input + o), f32x4.mul(vm, v128.load(vrow + o)));
          v128.store(vrow + o, c);
          v128.store(row + o, f32x4.add(wi, c));
        }
      }
      hiddenDelta(rp, act, alpha);
    } else {
      for (let j = 0; j < size; j++) {
        const d = load<f32>(delta + (<usize>j << 2));
        const vld = f32x4.splat(lr * d);
        const row = w + <usize>j * rowBytes, vrow = v + <usize>j * rowBytes;
        for (let o: usize = 0; o < rowBytes; o += 16) {
          const c = madd(vld, v128.load(input + o), f32x4.mul(vm, v128.load(vrow + o)));
          v128.store(vrow + o, c);
          v128.store(row + o, f32x4.add(v128.load(row + o), c));
        }
      }
    }
    const bBytes = <usize>fstride(r) << 2;
    const vlr = f32x4.splat(lr);
    for (let o: usize = 0; o < bBytes; o += 16) {
      v128.store(b + o, madd(vlr, v128.load(delta + o), v128.load(b + o)));
    }
  }
}

// Mini-batch: backward of one sample into the sums gw += δ·in, gb += δ (weights unchanged).
@inline function backwardAccumulate(plan: usize, x: usize, act: i32, alpha: f32): void {
  const n = load<i32>(plan);
  for (let l = n - 1; l >= 1; l--) {
    const r = rec(plan, l), rp = rec(plan, l - 1);
    const size = fsize(r);
    const delta = fdelta(r), w = fw(r), gw = fgw(r), gb = fgb(r);
    const input = l == 1 ? x : fout(rp);
    const rowBytes = <usize>fstride(rp) << 2;
    const err = fdelta(rp);
    const needErr = l > 1;
    if (needErr) zero(err, rowBytes);
    for (let j = 0; j < size; j++) {
      const vd = f32x4.splat(load<f32>(delta + (<usize>j << 2)));
      const row = w + <usize>j * rowBytes, grow = gw + <usize>j * rowBytes;
      for (let o: usize = 0; o < rowBytes; o += 16) {
        if (needErr) v128.store(err + o, madd(vd, v128.load(row + o), v128.load(err + o)));
        v128.store(grow + o, madd(vd, v128.load(input + o), v128.load(grow + o)));
      }
    }
    if (needErr) hiddenDelta(rp, act, alpha);
    const bBytes = <usize>fstride(r) << 2;
    for (let o: usize = 0; o < bBytes; o += 16) {
      v128.store(gb + o, f32x4.add(v128.load(gb + o), v128.load(delta + o)));
    }
  }
}

// Mini-batch update from the sums of `count` samples: v = (lr/count)·gw + μ·v, w += v,
// b += (lr/count)·gb; the sums are cleared.
function applyBatch(plan: usize, count: i32, lr: f32, mom: f32): void {
  const n = load<i32>(plan);
  const vs = f32x4.splat(lr / <f32>count), vm = f32x4.splat(mom);
  for (let l = 1; l < n; l++) {
    const r = rec(plan, l);
    const bytes = (<usize>fsize(r) * <usize>fstride(rec(plan, l - 1))) << 2;
    const w = fw(r), v = fv(r), gw = fgw(r), b = fb(r), gb = fgb(r);
    for (let o: usize = 0; o < bytes; o += 16) {
      const c = madd(vs, v128.load(gw + o), f32x4.mul(vm, v128.load(v + o)));
      v128.store(v + o, c);
      v128.store(w + o, f32x4.add(v128.load(w + o), c));
    }
    zero(gw, bytes);
    const bBytes = <usize>fstride(r) << 2;
    for (let o: usize = 0; o < bBytes; o += 16) {
      v128.store(b + o, madd(vs, v128.load(gb + o), v128.load(b + o)));
    }
    zero(gb, bBytes);
  }
}

// One pass of a network whose activation is the constant `act` (inlined per activation, so the
// branches on act fold away).
@inline function trainPass(plan: usize, x: usize, t: usize, count: i32, lr: f32, mom: f32, alpha: f32, batch: i32, act: i32): f64 {
  const xBytes = <usize>fstride(rec(plan, 0)) << 2;
  const tBytes = <usize>fstride(rec(plan, load<i32>(plan) - 1)) << 2;
  let sum: f64 = 0;
  let pending = 0;
  for (let s = 0; s < count; s++) {
    const xs = x + <usize>s * xBytes;
    forward(plan, xs, act, alpha);
    sum += outputDelta(plan, t + <usize>s * tBytes, act, alpha);
    if (batch <= 1) {
      backwardUpdate(plan, xs, lr, mom, act, alpha);
    } else {
      backwardAccumulate(plan, xs, act, alpha);
      if (++pending == batch) { applyBatch(plan, pending, lr, mom); pending = 0; }
    }
  }
  if (pending > 0) applyBatch(plan, pending, lr, mom);
  return sum;
}

// One pass over `count` samples in order; returns Σ over samples of Σe²/size (f64), each
// measured before that sample's update. batch ≤ 1: brain.js's per-sample updates; batch > 1:
// one update per `batch` samples (the last group may be smaller) from the mean gradient.
export function brain_train_pass_f32(plan: usize, x: usize, t: usize, count: i32, lr: f32, mom: f32, alpha: f32, batch: i32): f64 {
  const act = load<i32>(plan, 4);
  if (act == SIGMOID) return trainPass(plan, x, t, count, lr, mom, alpha, batch, SIGMOID);
  if (act == RELU) return trainPass(plan, x, t, count, lr, mom, alpha, batch, RELU);
  if (act == LEAKY) return trainPass(plan, x, t, count, lr, mom, alpha, batch, LEAKY);
  return trainPass(plan, x, t, count, lr, mom, alpha, batch, TANH);
}

// ---- narrow networks: one hidden layer, every layer ≤ 4 wide (XOR and other toy sizes) ----
// The whole state lives in v128 locals for all the passes of a call, so the chain of dependent
// operations from one sample to the next (forward, deltas, update, next forward) never goes
// through memory. Layer 1 is kept by columns (W1ᵀ: one vector over the hidden nodes per input),
// layer 2 both by rows (for the deltas) and by columns (for the forward pass); both copies get the
// same operations on the same values, so they stay identical. And the next sample's layer-1 sums
// are not taken from the updated weights but, equal in exact arithmetic, as
//   z1' = (b1 + Σ_k x'_k·(W1ᵀ_k + μ·V1ᵀ_k)) + lr·δ1·(x·x' + 1),
// whose first part is ready before δ1 is: one multiply-add after δ1 instead of update, then dot
// product. The weights are still updated as brain.js does; only rounding differs (≈ 1e-7).

@inline function lane(v: v128, i: i32): v128 {
  if (i == 0) return v128.shuffle<f32>(v, v, 0, 0, 0, 0);
  if (i == 1) return v128.shuffle<f32>(v, v, 1, 1, 1, 1);
  if (i == 2) return v128.shuffle<f32>(v, v, 2, 2, 2, 2);
  return v128.shuffle<f32>(v, v, 3, 3, 3, 3);
}

// Column k of a row-major 4×4 block.
@inline function column(m: usize, k: i32): v128 {
  const o = <usize>k << 2;
  let v = f32x4.splat(load<f32>(m + o));
  v = f32x4.replace_lane(v, 1, load<f32>(m + 16 + o));
  v = f32x4.replace_lane(v, 2, load<f32>(m + 32 + o));
  return f32x4.replace_lane(v, 3, load<f32>(m + 48 + o));
}

// Writes c0…c3 (columns) back as the rows of a row-major 4×4 block.
@inline function storeColumns(m: usize, c0: v128, c1: v128, c2: v128, c3: v128): void {
  const a = v128.shuffle<f32>(c0, c1, 0, 4, 1, 5), b = v128.shuffle<f32>(c2, c3, 0, 4, 1, 5);
  const c = v128.shuffle<f32>(c0, c1, 2, 6, 3, 7), d = v128.shuffle<f32>(c2, c3, 2, 6, 3, 7);
  v128.store(m, v128.shuffle<f32>(a, b, 0, 1, 4, 5));
  v128.store(m + 16, v128.shuffle<f32>(a, b, 2, 3, 6, 7));
  v128.store(m + 32, v128.shuffle<f32>(c, d, 0, 1, 4, 5));
  v128.store(m + 48, v128.shuffle<f32>(c, d, 2, 3, 6, 7));
}

@inline function isNarrow(plan: usize): bool {
  if (load<i32>(plan) != 3) return false;
  for (let l = 0; l < 3; l++) if (fstride(rec(plan, l)) != 4) return false;
  return true;
}

// `one`: a single output (a constant here, so each variant is compiled on its own): layer 2 is one
// row, its sum a horizontal add, and the column copy is not needed.
// `in2`: at most two inputs (a constant too): columns 2 and 3 of W1 are padding, zero for good, so
// they are neither kept in registers nor updated (fewer live vectors: less spilling in the loop).
@inline function narrowPasses(plan: usize, x: usize, t: usize, count: i32, passes: i32, lr: f32, mom: f32, alpha: f32, thresh: f64, act: i32, one: bool, in2: bool): i32 {
  const r1 = rec(plan, 1), r2 = rec(plan, 2);
  const w1 = fw(r1), v1 = fv(r1), w2 = fw(r2), v2 = fv(r2);
  const lanes = i32x4(0, 1, 2, 3);
  const mask1 = i32x4.lt_s(lanes, i32x4.splat(fsize(r1)));
  const mask2 = i32x4.lt_s(lanes, i32x4.splat(fsize(r2)));
  const invOut: f64 = 1.0 / <f64>fsize(r2);
  const vlr = f32x4.splat(lr), vm = f32x4.splat(mom);
  let W1c0 = column(w1, 0), W1c1 = column(w1, 1), W1c2 = column(w1, 2), W1c3 = column(w1, 3);
  let V1c0 = column(v1, 0), V1c1 = column(v1, 1), V1c2 = column(v1, 2), V1c3 = column(v1, 3);
  let W2r0 = v128.load(w2), W2r1 = v128.load(w2, 16), W2r2 = v128.load(w2, 32), W2r3 = v128.load(w2, 48);
  let V2r0 = v128.load(v2), V2r1 = v128.load(v2, 16), V2r2 = v128.load(v2, 32), V2r3 = v128.load(v2, 48);
  let W2c0 = column(w2, 0), W2c1 = column(w2, 1), W2c2 = column(w2, 2), W2c3 = column(w2, 3);
  let V2c0 = column(v2, 0), V2c1 = column(v2, 1), V2c2 = column(v2, 2), V2c3 = column(v2, 3);
  let b1 = v128.load(fb(r1)), b2 = v128.load(fb(r2));
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
      const a1 = v128.and(activate(z1, act, alpha), mask1);
      const h0 = lane(a1, 0), h1 = lane(a1, 1), h2 = lane(a1, 2), h3 = lane(a1, 3);
      let z2: v128;
      if (one) {
        const pr = f32x4.mul(a1, W2r0);
        const s1 = f32x4.add(pr, v128.shuffle<f32>(pr, pr, 2, 3, 0, 1));
        z2 = f32x4.add(f32x4.add(s1, v128.shuffle<f32>(s1, s1, 1, 0, 3, 2)), b2);
      } else {
        z2 = f32x4.add(f32x4.add(b2, madd(h0, W2c0, f32x4.mul(h1, W2c1))), madd(h2, W2c2, f32x4.mul(h3, W2c3)));
      }
      const a2 = v128.and(activate(z2, act, alpha), mask2);
      // output deltas and the error (f64, as brain.js)
      const e = f32x4.sub(tv, a2);
      const lo = f64x2.promote_low_f32x4(e), hi = f64x2.promote_low_f32x4(v128.shuffle<f32>(e, e, 2, 3, 0, 1));
      const q = f64x2.add(f64x2.mul(lo, lo), f64x2.mul(hi, hi));
      sum += (f64x2.extract_lane(q, 0) + f64x2.extract_lane(q, 1)) * invOut;
      const d2 = derive(e, a2, act, alpha);
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
      const K0 = derive(W2r0, a1, act, alpha);
      let d1: v128;
      if (one) {
        d1 = f32x4.mul(g0, K0);
        z1 = madd(g0, f32x4.mul(K0, L), A);
      } else {
        const K1 = derive(W2r1, a1, act, alpha), K2 = derive(W2r2, a1, act, alpha), K3 = derive(W2r3, a1, act, alpha);
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
    store<f64>(plan, err, 8);
    p++;
    if (err <= thresh) break;
  }
  storeColumns(w1, W1c0, W1c1, W1c2, W1c3);
  storeColumns(v1, V1c0, V1c1, V1c2, V1c3);
  v128.store(w2, W2r0); v128.store(w2, W2r1, 16); v128.store(w2, W2r2, 32); v128.store(w2, W2r3, 48);
  v128.store(v2, V2r0); v128.store(v2, V2r1, 16); v128.store(v2, V2r2, 32); v128.store(v2, V2r3, 48);
  v128.store(fb(r1), b1);
  v128.store(fb(r2), b2);
  return p;
}

// Up to `passes` passes; after each the mean error (sum / count, f64) is stored at plan + 8 and
// training stops once it is ≤ thresh (brain.js's errorThresh test). Returns the passes run.
export function brain_train_f32(plan: usize, x: usize, t: usize, count: i32, passes: i32, lr: f32, mom: f32, alpha: f32, batch: i32, thresh: f64): i32 {
  if (batch <= 1 && isNarrow(plan)) {
    const act = load<i32>(plan, 4);
    if (fsize(rec(plan, 2)) == 1) {
      if (fsize(rec(plan, 0)) <= 2) {
        if (act == SIGMOID) return narrowPasses(plan, x, t, count, passes, lr, mom, alpha, thresh, SIGMOID, true, true);
        if (act == RELU) return narrowPasses(plan, x, t, count, passes, lr, mom, alpha, thresh, RELU, true, true);
        if (act == LEAKY) return narrowPasses(plan, x, t, count, passes, lr, mom, alpha, thresh, LEAKY, true, true);
        return narrowPasses(plan, x, t, count, passes, lr, mom, alpha, thresh, TANH, true, true);
      }
      if (act == SIGMOID) return narrowPasses(plan, x, t, count, passes, lr, mom, alpha, thresh, SIGMOID, true, false);
      if (act == RELU) return narrowPasses(plan, x, t, count, passes, lr, mom, alpha, thresh, RELU, true, false);
      if (act == LEAKY) return narrowPasses(plan, x, t, count, passes, lr, mom, alpha, thresh, LEAKY, true, false);
      return narrowPasses(plan, x, t, count, passes, lr, mom, alpha, thresh, TANH, true, false);
    }
    if (act == SIGMOID) return narrowPasses(plan, x, t, count, passes, lr, mom, alpha, thresh, SIGMOID, false, false);
    if (act == RELU) return narrowPasses(plan, x, t, count, passes, lr, mom, alpha, thresh, RELU, false, false);
    if (act == LEAKY) return narrowPasses(plan, x, t, count, passes, lr, mom, alpha, thresh, LEAKY, false, false);
    return narrowPasses(plan, x, t, count, passes, lr, mom, alpha, thresh, TANH, false, false);
  }
  let p = 0;
  while (p < passes) {
    const err = brain_train_pass_f32(plan, x, t, count, lr, mom, alpha, batch) / <f64>count;
    store<f64>(plan, err, 8);
    p++;
    if (err <= thresh) break;
  }
  return p;
}

@inline function runAll(plan: usize, y: usize, x: usize, count: i32, alpha: f32, act: i32): void {
  const r = rec(plan, load<i32>(plan) - 1);
  const xBytes = <usize>fstride(rec(plan, 0)) << 2;
  const outBytes = <usize>fsize(r) << 2;
  for (let s = 0; s < count; s++) {
    forward(plan, x + <usize>s * xBytes, act, alpha);
    memory.copy(y + <usize>s * outBytes, fout(r), outBytes);
  }
}

// Forward only: outputs of `count` samples of x into y [count × size_{n−1}] (unpadded).
export function brain_run_f32(plan: usize, y: usize, x: usize, count: i32, alpha: f32): void {
  const act = load<i32>(plan, 4);
  if (act == SIGMOID) runAll(plan, y, x, count, alpha, SIGMOID);
  else if (act == RELU) runAll(plan, y, x, count, alpha, RELU);
  else if (act == LEAKY) runAll(plan, y, x, count, alpha, LEAKY);
  else runAll(plan, y, x, count, alpha, TANH);
}
