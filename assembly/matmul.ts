// ************* matmul: C[m,n] (+)= op(A)·op(B), row-major, byte strides *************
// GotoBLAS-style: B is packed into KC×NR panels and A into MR×KC panels, so the register
// tile always streams contiguous memory whatever the layout; nn, nt and tn differ only in
// how they pack. Edges are zero-padded in the panels and masked on store.
import { act_f32x4, act_grad_f32x4, madd, transpose4_store } from './simd';

const MR: i32 = 4; // register tile rows
const NR: i32 = 8; // register tile cols (two f32x4)
export const KC: i32 = 256; // depth of a packed block (gemv.ts splits k the same way)
const MC: i32 = 128; // rows of A per packed block (MC·KC·4 = 128 KiB, L2)
const NC: i32 = 256; // cols of B per packed block (KC·NC·4 = 256 KiB, L2)
const DIRECT_A_MAX_N: i32 = 2 * NR; // up to this many columns of C, A is read in place, not packed

// Packing scratch. Globals are per instance: the main thread uses this static block, and each
// worker instance (same shared memory) points its own globals at a block the Arena gave it.
const SCRATCH_BYTES: usize = <usize>(MC * KC * 4 + KC * NC * 4 + MR * NR * 4);
let PACK_A: usize = memory.data(<i32>SCRATCH_BYTES, 16);
let PACK_B: usize = PACK_A + <usize>(MC * KC * 4);
let EDGE: usize = PACK_B + <usize>(KC * NC * 4); // spill tile for partial stores

// Epilogue of the current call (see matmul_f32_ep); per instance, like the scratch.
const EP_BACKWARD: i32 = 16; // kind bit: out2 = v ⊙ f'(y) instead of out2 = f(v); must match EP_BACKWARD in src/activations.ts
const EP_ACT: i32 = 15;      // the activation code's bits (codes 0..10 of act_f32x4 in simd.ts)
let EP_KIND: i32 = 0;     // activation code (0 none, 1 sigmoid, 2 tanh, 3 relu, 4 leaky relu, 5..10 act_more_f32x4) | EP_BACKWARD
let EP_BIAS: usize = 0;   // bias[n] added to the final value (0: none)
let EP_HAS2: bool = false; // a second output is written
let EP_OUT2: usize = 0;   // out2 − c in bytes
let EP_Y: usize = 0;      // y − c in bytes (backward)
let EP_ALPHA: f32 = 0;    // leaky relu slope
let EP_ROWSUM: usize = 0; // rowsum[m] = Σ_p op(A)[i,p] (0: none)

// Bytes of packing scratch one thread needs.
export function matmul_scratch_bytes(): usize {
  return SCRATCH_BYTES;
}

// Points this instance's packing scratch at [ptr, ptr + matmul_scratch_bytes()), 16-byte aligned.
export function matmul_set_scratch(ptr: usize): void {
  PACK_A = ptr;
  PACK_B = ptr + <usize>(MC * KC * 4);
  EDGE = PACK_B + <usize>(KC * NC * 4);
}

// C[m,n] (+)= A[m,k]·B[k,n]. Row-major, strides in bytes, acc=1 adds into C.
export function matmul_f32_nn(c: usize, a: usize, b: usize, m: i32, n: i32, k: i32,
                              sa: usize, sb: usize, sc: usize, acc: i32): void {
  gemm(c, a, b, m, n, k, sa, sb, sc, acc, false, false);
}

// C[m,n] (+)= A[m,k]·B[n,k]ᵀ. Row-major, strides in bytes, acc=1 adds into C.
export function matmul_f32_nt(c: usize, a: usize, b: usize, m: i32, n: i32, k: i32,
                              sa: usize, sb: usize, sc: usize, acc: i32): void {
  gemm(c, a, b, m, n, k, sa, sb, sc, acc, false, true);
}

// C[m,n] (+)= A[k,m]ᵀ·B[k,n]. Row-major, strides in bytes, acc=1 adds into C.
export function matmul_f32_tn(c: usize, a: usize, b: usize, m: i32, n: i32, k: i32,
                              sa: usize, sb: usize, sc: usize, acc: i32): void {
  gemm(c, a, b, m, n, k, sa, sb, sc, acc, true, false);
}

// The products of a layer with its elementwise work fused in, applied to each element of C
// once its final value v is known (after the last k block), while the tile is in registers:
//   C = v + bias[j]                      (bias ≠ 0; else C = v)
//   forward  (ep = act):                 out2 = f(C)             (act 0: no out2)
//   backward (ep = act | 16):            out2 = C ⊙ f'(y)        (act 0: out2 = C)
// and, when rowsum ≠ 0, rowsum[i] = Σ_p op(A)[i,p] (the bias gradient of ∇W = δᵀ·x), summed in
// colsum_f32's order while A is packed. out2 and y have C's shape and row stride sc.
// layout: 0 nn, 1 nt, 2 tn. Results equal the unfused kernels' bit for bit.
export function matmul_f32_ep(layout: i32, c: usize, a: usize, b: usize, m: i32, n: i32, k: i32,
                              sa: usize, sb: usize, sc: usize, acc: i32,
                              bias: usize, ep: i32, out2: usize, y: usize, alpha: f32, rowsum: usize): void {
  EP_KIND = ep; EP_BIAS = bias; EP_ALPHA = alpha; EP_ROWSUM = rowsum;
  EP_HAS2 = out2 != 0 && ((ep & EP_ACT) != 0 || (ep & EP_BACKWARD) != 0);
  EP_OUT2 = out2 - c;
  EP_Y = y - c;
  gemm(c, a, b, m, n, k, sa, sb, sc, acc, layout == 2, layout == 1);
  EP_KIND = 0; EP_BIAS = 0; EP_HAS2 = false; EP_ROWSUM = 0;
}

function gemm(c: usize, a: usize, b: usize, m: i32, n: i32, k: i32,
              sa: usize, sb: usize, sc: usize, acc: i32, transA: bool, transB: bool): void {
  if (m <= 0 || n <= 0) return;
  if (k <= 0) { // empty sum: C = 0 (or unchanged when accumulating)
    if (acc == 0) for (let i = 0; i < m; i++) memory.fill(c + <usize>i * sc, 0, <usize>n << 2);
    return;
  }
  // split k into equal blocks of at most KC, so no block is a thin remainder
  const kb = (k + KC - 1) / KC;
  const kstep = (k + kb - 1) / kb;
  const fused = EP_BIAS != 0 || EP_HAS2;
  for (let j0 = 0; j0 < n; j0 += NC) {
    const nc = min(NC, n - j0);
    for (let p0 = 0; p0 < k; p0 += kstep) {
      const kc = min(kstep, k - p0);
      pack_b(b, sb, j0, nc, p0, kc, transB);
      const accum = acc != 0 || p0 > 0;
      const ep = fused && p0 + kc >= k; // the last k block: C gets its final value
      const sums = j0 == 0 && EP_ROWSUM != 0;
      for (let i0 = 0; i0 < m; i0 += MC) {
        const mc = min(MC, m - i0);
        if (n <= DIRECT_A_MAX_N) { // one or two column panels: packing A would cost as much as using it
          if (sums) rowsum_direct(a, sa, i0, mc, p0, kc, transA);
          direct_a(c, a, sa, sc, i0, mc, j0, nc, p0, kc, transA, accum, ep);
          continue;
        }
        pack_a(a, sa, i0, mc, p0, kc, transA);
        if (sums) rowsum_packed(i0, mc, p0, kc);
        for (let jr = 0; jr < nc; jr += NR) {
          const nr = min(NR, nc - jr);
          const bp = PACK_B + <usize>(jr / NR) * <usize>(kc * NR * 4);
          const col = <usize>(j0 + jr) << 2;
          let cp = c + <usize>i0 * sc + col;
          for (let ir = 0; ir < mc; ir += MR) {
            const ap = PACK_A + <usize>(ir / MR) * <usize>(kc * MR * 4);
            if (nr > 4) kernel_4x8(ap, bp, kc, cp, sc, min(MR, mc - ir), nr, accum, ep, col);
            else kernel_4x4(ap, bp, kc, cp, sc, min(MR, mc - ir), nr, accum, ep, col);
            cp += sc * MR;
          }
        }
      }
    }
  }
}

// rowsum[i0 + i] (+)= Σ_p panel values, p over this k block, in colsum_f32's order: the first
// block starts from 0, later ones continue from the stored partial sum.
function rowsum_packed(i0: i32, mc: i32, p0: i32, kc: i32): void {
  for (let ir = 0; ir < mc; ir += MR) {
    const rows = min(MR, mc - ir);
    const out = EP_ROWSUM + (<usize>(i0 + ir) << 2);
    let s = f32x4.splat(0);
    if (rows == MR) {
      if (p0 > 0) s = v128.load(out);
    } else { // a partial panel (zero-padded): go through the spill tile so nothing past rowsum[m] is touched
      v128.store(EDGE, s);
      if (p0 > 0) for (let r = 0; r < rows; r++) store<f32>(EDGE + (<usize>r << 2), load<f32>(out + (<usize>r << 2)));
      s = v128.load(EDGE);
    }
    let src = PACK_A + <usize>(ir / MR) * <usize>(kc * MR * 4);
    for (let p = 0; p < kc; p++) { s = f32x4.add(s, v128.load(src)); src += 16; }
    if (rows == MR) {
      v128.store(out, s);
    } else {
      v128.store(EDGE, s);
      for (let r = 0; r < rows; r++) store<f32>(out + (<usize>r << 2), load<f32>(EDGE + (<usize>r << 2)));
    }
  }
}

// The same sums read from op(A) in place (the n ≤ DIRECT_A_MAX_N path packs no A).
function rowsum_direct(a: usize, sa: usize, i0: i32, mc: i32, p0: i32, kc: i32, trans: bool): void {
  const rs: usize = trans ? 4 : sa; // op(A)[i,p] at a + i·rs + p·ka
  const ka: usize = trans ? sa : 4;
  for (let i = i0; i < i0 + mc; i++) {
    const out = EP_ROWSUM + (<usize>i << 2);
    let src = a + <usize>i * rs + <usize>p0 * ka;
    let v: f32 = p0 > 0 ? load<f32>(out) : 0;
    for (let p = 0; p < kc; p++) { v += load<f32>(src); src += ka; }
    store<f32>(out, v);
  }
}

// MR×NR register tile over one packed panel pair: 8 f32x4 accumulators.
@inline function kernel_4x8(ap: usize, bp: usize, kc: i32, c: usize, sc: usize,
                            mr: i32, nr: i32, accum: bool, ep: bool, col: usize): void {
  let c00 = f32x4.splat(0), c01 = f32x4.splat(0);
  let c10 = f32x4.splat(0), c11 = f32x4.splat(0);
  let c20 = f32x4.splat(0), c21 = f32x4.splat(0);
  let c30 = f32x4.splat(0), c31 = f32x4.splat(0);
  const bend = bp + (<usize>kc << 5); // loop on the B pointer: no counter (one register and one add fewer)
  while (bp < bend) {
    const b0 = v128.load(bp);
    const b1 = v128.load(bp, 16);
    const a0 = v128.load32_splat(ap);
    c00 = madd(a0, b0, c00); c01 = madd(a0, b1, c01);
    const a1 = v128.load32_splat(ap, 4);
    c10 = madd(a1, b0, c10); c11 = madd(a1, b1, c11);
    const a2 = v128.load32_splat(ap, 8);
    c20 = madd(a2, b0, c20); c21 = madd(a2, b1, c21);
    const a3 = v128.load32_splat(ap, 12);
    c30 = madd(a3, b0, c30); c31 = madd(a3, b1, c31);
    ap += 16; bp += 32;
  }
  store_tile(c, sc, mr, nr, accum, ep, col, c00, c01, c10, c11, c20, c21, c30, c31);
}

// A last panel of at most 4 columns: half the tile, reading the first half of each packed B row
// (the zero padding is never loaded), so a 10-column output costs 12 columns of work, not 16.
@inline function kernel_4x4(ap: usize, bp: usize, kc: i32, c: usize, sc: usize,
                            mr: i32, nr: i32, accum: bool, ep: bool, col: usize): void {
  let c00 = f32x4.splat(0), c10 = f32x4.splat(0), c20 = f32x4.splat(0), c30 = f32x4.splat(0);
  const bend = bp + (<usize>kc << 5); // loop on the B pointer: no counter (one register and one add fewer)
  while (bp < bend) {
    const b0 = v128.load(bp);
    c00 = madd(v128.load32_splat(ap), b0, c00);
    c10 = madd(v128.load32_splat(ap, 4), b0, c10);
    c20 = madd(v128.load32_splat(ap, 8), b0, c20);
    c30 = madd(v128.load32_splat(ap, 12), b0, c30);
    ap += 16; bp += 32;
  }
  const z = f32x4.splat(0);
  store_tile(c, sc, mr, nr, accum, ep, col, c00, z, c10, z, c20, z, c30, z);
}

// Writes (or adds, when accum) the valid mr×nr part of an MR×NR accumulator tile to C; with ep,
// through the epilogue (col: byte offset of the tile's first column, for the bias).
@inline function store_tile(c: usize, sc: usize, mr: i32, nr: i32, accum: bool, ep: bool, col: usize,
                            c00: v128, c01: v128, c10: v128, c11: v128,
                            c20: v128, c21: v128, c30: v128, c31: v128): void {
  if (mr == MR && nr == NR) {
    let r = c;
    if (accum) {
      c00 = f32x4.add(v128.load(r), c00); c01 = f32x4.add(v128.load(r, 16), c01); r += sc;
      c10 = f32x4.add(v128.load(r), c10); c11 = f32x4.add(v128.load(r, 16), c11); r += sc;
      c20 = f32x4.add(v128.load(r), c20); c21 = f32x4.add(v128.load(r, 16), c21); r += sc;
      c30 = f32x4.add(v128.load(r), c30); c31 = f32x4.add(v128.load(r, 16), c31);
      r = c;
    }
    if (ep) {
      if (EP_BIAS != 0) {
        const b0 = v128.load(EP_BIAS + col), b1 = v128.load(EP_BIAS + col, 16);
        c00 = f32x4.add(c00, b0); c01 = f32x4.add(c01, b1); c10 = f32x4.add(c10, b0); c11 = f32x4.add(c11, b1);
        c20 = f32x4.add(c20, b0); c21 = f32x4.add(c21, b1); c30 = f32x4.add(c30, b0); c31 = f32x4.add(c31, b1);
      }
      epilogue_store(r, c00); epilogue_store(r + 16, c01); r += sc;
      epilogue_store(r, c10); epilogue_store(r + 16, c11); r += sc;
      epilogue_store(r, c20); epilogue_store(r + 16, c21); r += sc;
      epilogue_store(r, c30); epilogue_store(r + 16, c31);
      return;
    }
    v128.store(r, c00); v128.store(r, c01, 16); r += sc;
    v128.store(r, c10); v128.store(r, c11, 16); r += sc;
    v128.store(r, c20); v128.store(r, c21, 16); r += sc;
    v128.store(r, c30); v128.store(r, c31, 16);
    return;
  }
  if (mr == MR && nr == 4) { // a full half tile (kernel_4x4)
    let r = c;
    if (accum) {
      c00 = f32x4.add(v128.load(r), c00); r += sc;
      c10 = f32x4.add(v128.load(r), c10); r += sc;
      c20 = f32x4.add(v128.load(r), c20); r += sc;
      c30 = f32x4.add(v128.load(r), c30);
      r = c;
    }
    if (ep) {
      if (EP_BIAS != 0) {
        const b0 = v128.load(EP_BIAS + col);
        c00 = f32x4.add(c00, b0); c10 = f32x4.add(c10, b0); c20 = f32x4.add(c20, b0); c30 = f32x4.add(c30, b0);
      }
      epilogue_store(r, c00); r += sc; epilogue_store(r, c10); r += sc;
      epilogue_store(r, c20); r += sc; epilogue_store(r, c30);
      return;
    }
    v128.store(r, c00); r += sc; v128.store(r, c10); r += sc;
    v128.store(r, c20); r += sc; v128.store(r, c30);
    return;
  }
  // Partial tile: spill, then write only the mr×nr valid elements.
  v128.store(EDGE, c00); v128.store(EDGE, c01, 16);
  v128.store(EDGE, c10, 32); v128.store(EDGE, c11, 48);
  v128.store(EDGE, c20, 64); v128.store(EDGE, c21, 80);
  v128.store(EDGE, c30, 96); v128.store(EDGE, c31, 112);
  for (let i = 0; i < mr; i++) {
    const src = EDGE + <usize>(i * NR * 4);
    const dst = c + <usize>i * sc;
    for (let j = 0; j < nr; j++) {
      const off = <usize>j << 2;
      let v = load<f32>(src + off);
      if (accum) v = load<f32>(dst + off) + v;
      if (ep) {
        if (EP_BIAS != 0) v += load<f32>(EP_BIAS + col + off);
        epilogue_store_lane(dst + off, v);
      } else {
        store<f32>(dst + off, v);
      }
    }
  }
}

// f(v) for the forward epilogue: the activation kernels' vector formulas, so results match them.
// Not inlined (nor ep_grad): called once per stored vector, it would otherwise be copied into every
// tile variant (exp, tanh and all), doubling the module's size for no measured gain.
function ep_act(v: v128): v128 {
  return act_f32x4(v, EP_KIND & EP_ACT, EP_ALPHA);
}

// g ⊙ f'(y) for the backward epilogue, as the *_grad_f32 kernels compute it (act 0: g).
function ep_grad(g: v128, y: v128): v128 {
  return act_grad_f32x4(g, y, EP_KIND & EP_ACT, EP_ALPHA);
}

// C = v at addr, then the second output of the epilogue, if any.
@inline function epilogue_store(addr: usize, v: v128): void {
  v128.store(addr, v);
  if (!EP_HAS2) return;
  if ((EP_KIND & EP_BACKWARD) != 0) v128.store(addr + EP_OUT2, ep_grad(v, v128.load(addr + EP_Y)));
  else v128.store(addr + EP_OUT2, ep_act(v));
}

// One element of a partial tile through the same vector formulas (lane 0), so edges match bodies.
function epilogue_store_lane(addr: usize, v: f32): void {
  store<f32>(addr, v);
  if (!EP_HAS2) return;
  const x = f32x4.splat(v);
  const r = (EP_KIND & EP_BACKWARD) != 0 ? ep_grad(x, f32x4.splat(load<f32>(addr + EP_Y))) : ep_act(x);
  store<f32>(addr + EP_OUT2, f32x4.extract_lane(r, 0));
}

// The same tile with A read in place: rows r0..r3 step by `ka` bytes per k (row-major A: 4;
// transposed A: its row stride). Rows past mr point at row 0 and are not stored.
@inline function kernel_4x8_direct(r0: usize, r1: usize, r2: usize, r3: usize, ka: usize, bp: usize, kc: i32,
                                   c: usize, sc: usize, mr: i32, nr: i32, accum: bool, ep: bool, col: usize): void {
  let c00 = f32x4.splat(0), c01 = f32x4.splat(0);
  let c10 = f32x4.splat(0), c11 = f32x4.splat(0);
  let c20 = f32x4.splat(0), c21 = f32x4.splat(0);
  let c30 = f32x4.splat(0), c31 = f32x4.splat(0);
  const bend = bp + (<usize>kc << 5); // loop on the B pointer: no counter (one register and one add fewer)
  while (bp < bend) {
    const b0 = v128.load(bp);
    const b1 = v128.load(bp, 16);
    const a0 = v128.load32_splat(r0);
    c00 = madd(a0, b0, c00); c01 = madd(a0, b1, c01);
    const a1 = v128.load32_splat(r1);
    c10 = madd(a1, b0, c10); c11 = madd(a1, b1, c11);
    const a2 = v128.load32_splat(r2);
    c20 = madd(a2, b0, c20); c21 = madd(a2, b1, c21);
    const a3 = v128.load32_splat(r3);
    c30 = madd(a3, b0, c30); c31 = madd(a3, b1, c31);
    r0 += ka; r1 += ka; r2 += ka; r3 += ka; bp += 32;
  }
  store_tile(c, sc, mr, nr, accum, ep, col, c00, c01, c10, c11, c20, c21, c30, c31);
}

// kernel_4x4 with A read in place.
@inline function kernel_4x4_direct(r0: usize, r1: usize, r2: usize, r3: usize, ka: usize, bp: usize, kc: i32,
                                   c: usize, sc: usize, mr: i32, nr: i32, accum: bool, ep: bool, col: usize): void {
  let c00 = f32x4.splat(0), c10 = f32x4.splat(0), c20 = f32x4.splat(0), c30 = f32x4.splat(0);
  const bend = bp + (<usize>kc << 5); // loop on the B pointer: no counter (one register and one add fewer)
  while (bp < bend) {
    const b0 = v128.load(bp);
    c00 = madd(v128.load32_splat(r0), b0, c00);
    c10 = madd(v128.load32_splat(r1), b0, c10);
    c20 = madd(v128.load32_splat(r2), b0, c20);
    c30 = madd(v128.load32_splat(r3), b0, c30);
    r0 += ka; r1 += ka; r2 += ka; r3 += ka; bp += 32;
  }
  const z = f32x4.splat(0);
  store_tile(c, sc, mr, nr, accum, ep, col, c00, z, c10, z, c20, z, c30, z);
}

// Rows i0..i0+mc of C over columns j0..j0+nc (at most 2 panels) for one k block, A unpacked.
function direct_a(c: usize, a: usize, sa: usize, sc: usize, i0: i32, mc: i32, j0: i32, nc: i32,
                  p0: i32, kc: i32, trans: bool, accum: bool, ep: bool): void {
  // op(A)[i,p] is at a + i·sa + p·4, or (transposed) a + p·sa + i·4
  const rs: usize = trans ? 4 : sa;
  const ka: usize = trans ? sa : 4;
  const base = a + (trans ? <usize>p0 * sa : <usize>p0 << 2);
  for (let jr = 0; jr < nc; jr += NR) {
    const nr = min(NR, nc - jr);
    const bp = PACK_B + <usize>(jr / NR) * <usize>(kc * NR * 4);
    for (let ir = 0; ir < mc; ir += MR) {
      const i = i0 + ir;
      const mr = min(MR, mc - ir);
      const r0 = base + <usize>i * rs;
      const r1 = mr > 1 ? r0 + rs : r0, r2 = mr > 2 ? r0 + rs * 2 : r0, r3 = mr > 3 ? r0 + rs * 3 : r0;
      const col = <usize>(j0 + jr) << 2;
      if (nr > 4) kernel_4x8_direct(r0, r1, r2, r3, ka, bp, kc, c + <usize>i * sc + col, sc, mr, nr, accum, ep, col);
      else kernel_4x4_direct(r0, r1, r2, r3, ka, bp, kc, c + <usize>i * sc + col, sc, mr, nr, accum, ep, col);
    }
  }
}

// Packs op(A)[i0:i0+mc, p0:p0+kc] into MR-row panels: panel[p][r] = op(A)[i0+ir+r, p0+p].
function pack_a(a: usize, sa: usize, i0: i32, mc: i32, p0: i32, kc: i32, trans: bool): void {
  for (let ir = 0; ir < mc; ir += MR) {
    const rows = min(MR, mc - ir);
    const dst = PACK_A + <usize>(ir / MR) * <usize>(kc * MR * 4);
    const i = i0 + ir;
    if (trans) { // op(A)[i,p] = A[p,i]: row p of A holds the MR values contiguously
      let src = a + <usize>p0 * sa + (<usize>i << 2);
      if (rows == MR) {
        for (let p = 0; p < kc; p++) { v128.store(dst + (<usize>p << 4), v128.load(src)); src += sa; }
      } else {
        for (let p = 0; p < kc; p++) {
          const d = dst + (<usize>p << 4);
          v128.store(d, f32x4.splat(0));
          for (let r = 0; r < rows; r++) store<f32>(d + (<usize>r << 2), load<f32>(src + (<usize>r << 2)));
          src += sa;
        }
      }
    } else { // op(A)[i,p] = A[i,p]: gather down MR rows, 4×4 transposes
      const s0 = a + <usize>i * sa + (<usize>p0 << 2);
      if (rows == MR) {
        const s1 = s0 + sa, s2 = s1 + sa, s3 = s2 + sa;
        let p = 0;
        for (; p + 4 <= kc; p += 4) {
          const o = <usize>p << 2;
          transpose4_store(v128.load(s0 + o), v128.load(s1 + o), v128.load(s2 + o), v128.load(s3 + o),
                           dst + (<usize>p << 4), 16);
        }
        for (; p < kc; p++) {
          const o = <usize>p << 2, d = dst + (<usize>p << 4);
          store<f32>(d, load<f32>(s0 + o)); store<f32>(d, load<f32>(s1 + o), 4);
          store<f32>(d, load<f32>(s2 + o), 8); store<f32>(d, load<f32>(s3 + o), 12);
        }
      } else {
        for (let p = 0; p < kc; p++) {
          const d = dst + (<usize>p << 4);
          v128.store(d, f32x4.splat(0));
          for (let r = 0; r < rows; r++) store<f32>(d + (<usize>r << 2), load<f32>(s0 + <usize>r * sa + (<usize>p << 2)));
        }
      }
    }
  }
}

// Packs op(B)[p0:p0+kc, j0:j0+nc] into NR-col panels: panel[p][j] = op(B)[p0+p, j0+jr+j].
function pack_b(b: usize, sb: usize, j0: i32, nc: i32, p0: i32, kc: i32, trans: bool): void {
  for (let jr = 0; jr < nc; jr += NR) {
    const cols = min(NR, nc - jr);
    const dst = PACK_B + <usize>(jr / NR) * <usize>(kc * NR * 4);
    const j = j0 + jr;
    if (!trans) { // op(B)[p,j] = B[p,j]: row p holds the NR values contiguously
      let src = b + <usize>p0 * sb + (<usize>j << 2);
      if (cols == NR) {
        for (let p = 0; p < kc; p++) {
          const d = dst + (<usize>p << 5);
          v128.store(d, v128.load(src)); v128.store(d, v128.load(src, 16), 16);
          src += sb;
        }
      } else {
        for (let p = 0; p < kc; p++) {
          const d = dst + (<usize>p << 5);
          v128.store(d, f32x4.splat(0)); v128.store(d, f32x4.splat(0), 16);
          for (let q = 0; q < cols; q++) store<f32>(d + (<usize>q << 2), load<f32>(src + (<usize>q << 2)));
          src += sb;
        }
      }
    } else { // op(B)[p,j] = B[j,p]: gather down NR rows, 4×4 transposes
      const s0 = b + <usize>j * sb + (<usize>p0 << 2);
      if (cols == NR) {
        const s1 = s0 + sb, s2 = s1 + sb, s3 = s2 + sb;
        const s4 = s3 + sb, s5 = s4 + sb, s6 = s5 + sb, s7 = s6 + sb;
        let p = 0;
        for (; p + 4 <= kc; p += 4) {
          const o = <usize>p << 2, d = dst + (<usize>p << 5);
          transpose4_store(v128.load(s0 + o), v128.load(s1 + o), v128.load(s2 + o), v128.load(s3 + o), d, 32);
          transpose4_store(v128.load(s4 + o), v128.load(s5 + o), v128.load(s6 + o), v128.load(s7 + o), d + 16, 32);
        }
        for (; p < kc; p++) {
          const o = <usize>p << 2, d = dst + (<usize>p << 5);
          store<f32>(d, load<f32>(s0 + o)); store<f32>(d, load<f32>(s1 + o), 4);
          store<f32>(d, load<f32>(s2 + o), 8); store<f32>(d, load<f32>(s3 + o), 12);
          store<f32>(d, load<f32>(s4 + o), 16); store<f32>(d, load<f32>(s5 + o), 20);
          store<f32>(d, load<f32>(s6 + o), 24); store<f32>(d, load<f32>(s7 + o), 28);
        }
      } else {
        for (let p = 0; p < kc; p++) {
          const d = dst + (<usize>p << 5);
          v128.store(d, f32x4.splat(0)); v128.store(d, f32x4.splat(0), 16);
          for (let q = 0; q < cols; q++) store<f32>(d + (<usize>q << 2), load<f32>(s0 + <usize>q * sb + (<usize>p << 2)));
        }
      }
    }
  }
}

// ************* parallel products: one job, cut into chunks of whole output tiles *************
// A job is a block of i32 words in wasm memory, written by the thread pool (JOB in
// src/wasm/pool.ts must match these offsets). Any thread computes chunk i of it with
// matmul_f32_chunk(job, i): columns [i·unit, (i+1)·unit) of C (by_cols), or rows, each element
// in the single-thread order, so the result is the same bits whoever computes which chunk.
const J_LAYOUT = 0, J_C = 1, J_A = 2, J_B = 3, J_M = 4, J_N = 5, J_K = 6, J_SA = 7, J_SB = 8, J_SC = 9,
  J_ACC = 10, J_BIAS = 11, J_EP = 12, J_OUT2 = 13, J_Y = 14, J_ALPHA = 15, J_ROWSUM = 16, J_BY_COLS = 17, J_UNIT = 18;

@inline function jw(job: usize, i: i32): i32 { return load<i32>(job + (<usize>i << 2)); }
@inline function jp(job: usize, i: i32): usize { return <usize>load<u32>(job + (<usize>i << 2)); }

// Computes chunk `chunk` of the product described at `job` (see above); the epilogue's pointers
// move with their part of C (bias and rowsum with the columns and rows they index; rowsum is
// summed by the chunk holding column 0).
export function matmul_f32_chunk(job: usize, chunk: i32): void {
  const layout = jw(job, J_LAYOUT);
  const c = jp(job, J_C), a = jp(job, J_A), b = jp(job, J_B);
  const m = jw(job, J_M), n = jw(job, J_N), k = jw(job, J_K);
  const sa = jp(job, J_SA), sb = jp(job, J_SB), sc = jp(job, J_SC);
  const bias = jp(job, J_BIAS), out2 = jp(job, J_OUT2), y = jp(job, J_Y), rowsum = jp(job, J_ROWSUM);
  const unit = jw(job, J_UNIT);
  const alpha = load<f32>(job + (<usize>J_ALPHA << 2));
  const s = chunk * unit;
  if (jw(job, J_BY_COLS) != 0) { // columns s..end of C come from columns s..end of op(B)
    const end = min(n, s + unit);
    if (end <= s) return;
    const d = <usize>s << 2;
    matmul_f32_ep(layout, c + d, a, layout == 1 ? b + <usize>s * sb : b + d, m, end - s, k, sa, sb, sc, jw(job, J_ACC),
      bias ? bias + d : 0, jw(job, J_EP), out2 ? out2 + d : 0, y ? y + d : 0, alpha, s == 0 ? rowsum : 0);
  } else { // rows s..end of C come from rows s..end of op(A)
    const end = min(m, s + unit);
    if (end <= s) return;
    const d = <usize>s * sc;
    matmul_f32_ep(layout, c + d, layout == 2 ? a + (<usize>s << 2) : a + <usize>s * sa, b, end - s, n, k, sa, sb, sc, jw(job, J_ACC),
      bias, jw(job, J_EP), out2 ? out2 + d : 0, y ? y + d : 0, alpha, rowsum ? rowsum + (<usize>s << 2) : 0);
  }
}

// Words of a job block.
export function matmul_job_words(): i32 {
  return 19;
}

// The register tile (MR rows × NR columns): parallel chunks are whole tiles.
export function matmul_tile_rows(): i32 { return MR; }
export function matmul_tile_cols(): i32 { return NR; }
// The packing blocks and the direct-A edge, so the tests derive their sweeps from them.
export function matmul_tile_depth(): i32 { return KC; }
export function matmul_block_rows(): i32 { return MC; }
export function matmul_block_cols(): i32 { return NC; }
export function matmul_direct_a_max_n(): i32 { return DIRECT_A_MAX_N; }
