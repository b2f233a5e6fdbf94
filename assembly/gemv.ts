// ************* gemv: a layer's forward product for a few rows, W read in place *************
// C[m,n] = X[m,k]·W[n,k]ᵀ (the "nt" layout of a Dense forward pass) for small m (predict of one
// sample, small batches), without packing W. Every output element is summed in matmul_f32_ep's
// order: sequentially over p from 0 within each k block of matmul.ts's split (equal blocks of at
// most KC), each block's sum added to the stored partial C, then the epilogue. So results equal
// the packed path's bit for bit, on both builds (the same madd). Lanes are 4 consecutive neurons:
// a 4×4 block of W (4 rows × 4 k) is loaded, transposed in registers and multiplied by splats of
// x, 16 neurons per pass. Rows of x are done one after another (W read once per row): measured
// on the 2-core Zen 5 against the packed path, one row is 2.5× faster, two rows 1.3×, and from
// three rows on the packed product wins (it transposes W once for 4 rows; see README "How it
// works"). Tiles with lanes across rows of x (W splatted) measured slower than packing.
import { KC } from './matmul';
import { act_f32x4, hsum4, lane, madd } from './simd';

const SPILL: usize = memory.data(16, 16); // a partial group's lanes, stored one by one

// C[m,n] = X[m,k]·W[n,k]ᵀ (+ bias[n]); act ≠ 0: out2 = f(C) (codes of matmul_f32_ep; alpha: leaky
// relu slope). Row-major, strides in bytes; out2 has C's shape and row stride sc. Any m; reads W
// once per row of x, so it is meant for one or two rows.
export function gemv_f32_nt(c: usize, x: usize, w: usize, m: i32, n: i32, k: i32,
                            sx: usize, sw: usize, sc: usize, bias: usize, act: i32, out2: usize, alpha: f32): void {
  if (m <= 0 || n <= 0) return;
  // matmul.ts's k split: equal blocks of at most KC (k = 0: one empty block, C = bias)
  const kb = max(1, (k + KC - 1) / KC);
  const kstep = max(1, (k + kb - 1) / kb);
  for (let i = 0; i < m; i++) {
    const xi = x + <usize>i * sx, ci = c + <usize>i * sc;
    const oi = out2 != 0 ? out2 + <usize>i * sc : 0;
    let p0 = 0;
    while (true) {
      const kc = min(kstep, k - p0);
      const last = p0 + kc >= k;
      row1(ci, xi + (<usize>p0 << 2), w + (<usize>p0 << 2), n, kc, sw, p0 > 0, last, bias, act, oi, alpha);
      if (last) break;
      p0 += kc;
    }
  }
}

// ************* one row of x: lanes = neurons *************

// acc + Σ_q x[p+q]·W[r, p+q] for q = 0..3 in order, lanes r = rows r0..r3 of W (4 floats at each).
@inline function block4(r0: usize, r1: usize, r2: usize, r3: usize,
                        x0: v128, x1: v128, x2: v128, x3: v128, acc: v128): v128 {
  const w0 = v128.load(r0), w1 = v128.load(r1), w2 = v128.load(r2), w3 = v128.load(r3);
  const t0 = v128.shuffle<f32>(w0, w1, 0, 4, 1, 5);
  const t1 = v128.shuffle<f32>(w0, w1, 2, 6, 3, 7);
  const t2 = v128.shuffle<f32>(w2, w3, 0, 4, 1, 5);
  const t3 = v128.shuffle<f32>(w2, w3, 2, 6, 3, 7);
  acc = madd(x0, v128.shuffle<f32>(t0, t2, 0, 1, 4, 5), acc);
  acc = madd(x1, v128.shuffle<f32>(t0, t2, 2, 3, 6, 7), acc);
  acc = madd(x2, v128.shuffle<f32>(t1, t3, 0, 1, 4, 5), acc);
  return madd(x3, v128.shuffle<f32>(t1, t3, 2, 3, 6, 7), acc);
}

// acc + x[p]·W[r, p] for one p (a tail of the k block), lanes r = rows r0..r3.
@inline function column1(r0: usize, r1: usize, r2: usize, r3: usize, xp: usize, acc: v128): v128 {
  let col = v128.load32_splat(r0);
  col = f32x4.replace_lane(col, 1, load<f32>(r1));
  col = f32x4.replace_lane(col, 2, load<f32>(r2));
  col = f32x4.replace_lane(col, 3, load<f32>(r3));
  return madd(v128.load32_splat(xp), col, acc);
}

// One k block (x and w already at p0) of one row of C: 16 neurons per pass, then 4 at a time,
// the last group's missing rows reading row j (never stored).
function row1(c: usize, x: usize, w: usize, n: i32, kc: i32, sw: usize,
              accum: bool, last: bool, bias: usize, act: i32, out2: usize, alpha: f32): void {
  const kc4 = kc & ~3;
  const body = <usize>kc4 << 2, end = <usize>kc << 2;
  let j = 0;
  for (; j + 16 <= n; j += 16) {
    const a = w + <usize>j * sw, b = a + (sw << 2), cc = b + (sw << 2), d = cc + (sw << 2);
    let s0 = f32x4.splat(0), s1 = f32x4.splat(0), s2 = f32x4.splat(0), s3 = f32x4.splat(0);
    let o: usize = 0;
    for (; o < body; o += 16) {
      const xv = v128.load(x + o);
      const x0 = lane(xv, 0), x1 = lane(xv, 1), x2 = lane(xv, 2), x3 = lane(xv, 3);
      s0 = block4(a + o, a + sw + o, a + sw * 2 + o, a + sw * 3 + o, x0, x1, x2, x3, s0);
      s1 = block4(b + o, b + sw + o, b + sw * 2 + o, b + sw * 3 + o, x0, x1, x2, x3, s1);
      s2 = block4(cc + o, cc + sw + o, cc + sw * 2 + o, cc + sw * 3 + o, x0, x1, x2, x3, s2);
      s3 = block4(d + o, d + sw + o, d + sw * 2 + o, d + sw * 3 + o, x0, x1, x2, x3, s3);
    }
    for (; o < end; o += 4) {
      s0 = column1(a + o, a + sw + o, a + sw * 2 + o, a + sw * 3 + o, x + o, s0);
      s1 = column1(b + o, b + sw + o, b + sw * 2 + o, b + sw * 3 + o, x + o, s1);
      s2 = column1(cc + o, cc + sw + o, cc + sw * 2 + o, cc + sw * 3 + o, x + o, s2);
      s3 = column1(d + o, d + sw + o, d + sw * 2 + o, d + sw * 3 + o, x + o, s3);
    }
    store_lanes(c, j, 4, s0, accum, last, bias, act, out2, alpha);
    store_lanes(c, j + 4, 4, s1, accum, last, bias, act, out2, alpha);
    store_lanes(c, j + 8, 4, s2, accum, last, bias, act, out2, alpha);
    store_lanes(c, j + 12, 4, s3, accum, last, bias, act, out2, alpha);
  }
  for (; j < n; j += 4) {
    const nr = min(4, n - j);
    const r0 = w + <usize>j * sw;
    const r1 = nr > 1 ? r0 + sw : r0, r2 = nr > 2 ? r0 + sw * 2 : r0, r3 = nr > 3 ? r0 + sw * 3 : r0;
    let s = f32x4.splat(0);
    let o: usize = 0;
    for (; o < body; o += 16) {
      const xv = v128.load(x + o);
      s = block4(r0 + o, r1 + o, r2 + o, r3 + o, lane(xv, 0), lane(xv, 1), lane(xv, 2), lane(xv, 3), s);
    }
    for (; o < end; o += 4) s = column1(r0 + o, r1 + o, r2 + o, r3 + o, x + o, s);
    store_lanes(c, j, nr, s, accum, last, bias, act, out2, alpha);
  }
}

// C[j..j+nr) = v (+ the stored partial sum when accum); on the last k block also + bias and
// out2 = f(C). Full groups store vectors; a partial one goes lane by lane (nothing past C[n]).
@inline function store_lanes(c: usize, j: i32, nr: i32, v: v128, accum: bool, last: bool,
                             bias: usize, act: i32, out2: usize, alpha: f32): void {
  const off = <usize>j << 2;
  const dst = c + off;
  if (nr == 4) {
    if (accum) v = f32x4.add(v128.load(dst), v);
    if (last && bias != 0) v = f32x4.add(v, v128.load(bias + off));
    v128.store(dst, v);
    if (last && act != 0 && out2 != 0) v128.store(out2 + off, act_f32x4(v, act, alpha));
    return;
  }
  v128.store(SPILL, v);
  for (let r = 0; r < nr; r++) {
    const o = <usize>r << 2;
    let e = load<f32>(SPILL + o);
    if (accum) e = load<f32>(dst + o) + e;
    if (last && bias != 0) e += load<f32>(bias + off + o);
    store<f32>(dst + o, e);
    if (last && act != 0 && out2 != 0) store<f32>(out2 + off + o, f32x4.extract_lane(act_f32x4(f32x4.splat(e), act, alpha), 0));
  }
}

// ************* inference: horizontal sums (not the packed order) *************

// C[m,n] = X[m,k]·W[n,k]ᵀ (+ bias[n]); act ≠ 0: out2 = f(C); arguments as gemv_f32_nt. Each output
// element is summed as 4 partial sums along k (lane q takes p ≡ q mod 4), added across lanes at
// the end, then the k % 4 tail in order: no transposes, about twice as fast for one row as
// gemv_f32_nt, but not the packed path's bits (float32 sums in another order: agreement within a
// few ulps of Σ|x·w|). Used for inference only; training keeps the packed order.
export function gemv_f32_nt_hsum(c: usize, x: usize, w: usize, m: i32, n: i32, k: i32,
                                 sx: usize, sw: usize, sc: usize, bias: usize, act: i32, out2: usize, alpha: f32): void {
  if (m <= 0 || n <= 0) return;
  const body = <usize>(max(k, 0) & ~3) << 2, end = <usize>max(k, 0) << 2;
  for (let i = 0; i < m; i++) {
    const xi = x + <usize>i * sx, ci = c + <usize>i * sc;
    const oi = out2 != 0 ? out2 + <usize>i * sc : 0;
    for (let j = 0; j < n; j += 4) {
      const nr = min(4, n - j);
      const r0 = w + <usize>j * sw;
      const r1 = nr > 1 ? r0 + sw : r0, r2 = nr > 2 ? r0 + sw * 2 : r0, r3 = nr > 3 ? r0 + sw * 3 : r0;
      let a0 = f32x4.splat(0), a1 = f32x4.splat(0), a2 = f32x4.splat(0), a3 = f32x4.splat(0);
      let o: usize = 0;
      for (; o < body; o += 16) {
        const xv = v128.load(xi + o);
        a0 = madd(v128.load(r0 + o), xv, a0); a1 = madd(v128.load(r1 + o), xv, a1);
        a2 = madd(v128.load(r2 + o), xv, a2); a3 = madd(v128.load(r3 + o), xv, a3);
      }
      let v = hsum4(a0, a1, a2, a3); // lane r = Σ of a_r's lanes, pairwise
      for (; o < end; o += 4) v = column1(r0 + o, r1 + o, r2 + o, r3 + o, xi + o, v);
      store_lanes(ci, j, nr, v, false, true, bias, act, oi, alpha);
    }
  }
}
