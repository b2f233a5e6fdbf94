// ************* brain.js-compatible per-sample training: whole passes over the data in wasm *************
// The network of a brain.js NeuralNetwork (wasmlp/brain): one activation for every layer, biases,
// per-sample updates with momentum on the weights (not on the biases), brain.js's error measure.
// A pass runs every sample in data order: forward, deltas from the old weights, then the update;
// one call runs many passes (brain_train_f32), so at XOR size the cost is the arithmetic, not the
// JS↔wasm crossings. Networks of one hidden layer ≤ 4 wide go to brain_narrow.ts, which keeps the
// whole network in registers.
//
// The network is described by a plan: i32 words at `plan`, written by src/brain/wasm-net.ts.
//   word 0: n, the number of layers with the input layer (≥ 2)
//   word 1: the activation, a code of act_f32x4 (simd.ts): 1 sigmoid, 2 tanh, 3 relu, 4 leaky relu
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
// f and f' are simd.ts's act_lat_f32x4 / act_grad_lat_f32x4 (brain.js's formulas; sigmoid for latency).
import { ACT_LEAKY_RELU, ACT_RELU, ACT_SIGMOID, ACT_TANH, act_grad_lat_f32x4, act_lat_f32x4, hsum4, madd } from './simd';
import { narrow_train } from './brain_narrow';

const REC: usize = 12 * 4; // bytes per layer record
const HEAD: usize = 16;

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

// Zeroes `bytes` (a multiple of 16) at p; a loop, since memory.fill is a runtime call in V8.
@inline function zero(p: usize, bytes: usize): void {
  for (let o: usize = 0; o < bytes; o += 16) v128.store(p + o, f32x4.splat(0));
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
      let y = act_lat_f32x4(f32x4.add(hsum4(a0, a1, a2, a3), v128.load(b + jo)), act, alpha);
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
    v128.store(delta + o, act_grad_lat_f32x4(e, y, act, alpha));
  }
  return (f64x2.extract_lane(s, 0) + f64x2.extract_lane(s, 1)) / <f64>fsize(r);
}

// delta_{l−1} = err ⊙ f'(out_{l−1}), err already summed into delta_{l−1}.
@inline function hiddenDelta(rp: usize, act: i32, alpha: f32): void {
  const bytes = <usize>fstride(rp) << 2;
  const out = fout(rp), delta = fdelta(rp);
  for (let o: usize = 0; o < bytes; o += 16) {
    v128.store(delta + o, act_grad_lat_f32x4(v128.load(delta + o), v128.load(out + o), act, alpha));
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
function pass(plan: usize, x: usize, t: usize, count: i32, lr: f32, mom: f32, alpha: f32, batch: i32): f64 {
  const act = load<i32>(plan, 4);
  if (act == ACT_SIGMOID) return trainPass(plan, x, t, count, lr, mom, alpha, batch, ACT_SIGMOID);
  if (act == ACT_TANH) return trainPass(plan, x, t, count, lr, mom, alpha, batch, ACT_TANH);
  if (act == ACT_RELU) return trainPass(plan, x, t, count, lr, mom, alpha, batch, ACT_RELU);
  return trainPass(plan, x, t, count, lr, mom, alpha, batch, ACT_LEAKY_RELU);
}

// One hidden layer, every layer ≤ 4 wide: brain_narrow.ts.
@inline function isNarrow(plan: usize): bool {
  if (load<i32>(plan) != 3) return false;
  for (let l = 0; l < 3; l++) if (fstride(rec(plan, l)) != 4) return false;
  return true;
}

// Up to `passes` passes; after each the mean error (sum / count, f64) is stored at plan + 8 and
// training stops once it is ≤ thresh (brain.js's errorThresh test). Returns the passes run.
export function brain_train_f32(plan: usize, x: usize, t: usize, count: i32, passes: i32, lr: f32, mom: f32, alpha: f32, batch: i32, thresh: f64): i32 {
  if (batch <= 1 && isNarrow(plan)) {
    const r1 = rec(plan, 1), r2 = rec(plan, 2);
    return narrow_train(fw(r1), fv(r1), fb(r1), fsize(rec(plan, 0)), fsize(r1), fw(r2), fv(r2), fb(r2), fsize(r2),
                        x, t, count, passes, lr, mom, alpha, thresh, plan + 8, load<i32>(plan, 4));
  }
  let p = 0;
  while (p < passes) {
    const err = pass(plan, x, t, count, lr, mom, alpha, batch) / <f64>count;
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
  if (act == ACT_SIGMOID) runAll(plan, y, x, count, alpha, ACT_SIGMOID);
  else if (act == ACT_TANH) runAll(plan, y, x, count, alpha, ACT_TANH);
  else if (act == ACT_RELU) runAll(plan, y, x, count, alpha, ACT_RELU);
  else runAll(plan, y, x, count, alpha, ACT_LEAKY_RELU);
}
