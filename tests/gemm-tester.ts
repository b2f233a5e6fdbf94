// The one GEMM tester, in the manner of XNNPACK's GemmMicrokernelTester
// (test/gemm-microkernel-tester.h): a builder over layout, shape, strides, accumulate, epilogue
// and threads whose test() runs one product of assembly/matmul.ts and checks it.
//
//   h.gemm().layout('nt').m(5).n(17).k(257).strides(1, 2, 3).acc(true)
//     .epilogue({ bias: true, act: 'relu', rowsum: true }).threads(3).test();
//
// test() places every operand in wasm memory with NaN around it (inputs: a kernel that reads
// past an operand and uses it gets NaN into C) and every output NaN inside (an element left
// unwritten fails) with SENTINEL around it (a write outside the m×n block fails). It checks
//  1. against float64 (tests/ref): C = op(A)·op(B) (+ C0) (+ bias) with the mixed tolerance
//     |C − ref| ≤ max(max(1e-5, 1e-6·k), 1e-5·|ref|) (float32 error grows with the depth k);
//     out2 = f(C) or C ⊙ f'(y) computed from the kernel's own C (so only the activation's error
//     counts: 2e-6 forward, 1e-6 backward); rowsum = Σ_p op(A)[i,p] with C's tolerance;
//  2. bit for bit against the unfused kernels run one after another (matmul_f32_<layout>,
//     bias_add_f32, the activation kernel, colsum_f32 for tn's rowsum), which is what the fused
//     store replaces, so a training step gives the same bits fused or not; a product without an
//     epilogue runs matmul_f32_<layout> and is compared with matmul_f32_ep without one. The
//     plain call comes right after the fused one, so an epilogue left switched on would show;
//  3. with threads(n > 1), through the harness's ThreadPool, bit for bit against one thread;
//  4. that A, B, bias and y are not written.
// The sweeps (tileSweeps) derive from the tile constants the wasm module exports.
import { expect } from 'vitest';
import { ACTIVATIONS, EP_BACKWARD, type OutputActivation } from '../src/activations.js';
import { createBackend, relaxedSimdSupported, type Backend, type Kernels, type SimdVariant } from '../src/wasm/kernels.js';
import { LAYOUT_CODE, ThreadPool, type Epilogue, type Layout } from '../src/wasm/pool.js';
import { assertClose, SENTINEL, TestRng, type Tol } from './helpers.js';
import { activationGradRef, activationRef } from './ref/activation.js';
import { matmulRef, operandShapes, rowsumRef } from './ref/matmul.js';

export type { Layout };
export const LAYOUTS = Object.keys(LAYOUT_CODE) as Layout[];
/** The activations a matmul store can apply: every per-element entry of the one activation table. */
export const EP_ACTIVATIONS = (Object.keys(ACTIVATIONS) as OutputActivation[]).filter((a) => !ACTIVATIONS[a].rowwise);
/** Leaky relu's slope in the tests (not the default, so a kernel ignoring alpha shows). */
export const ALPHA = 0.07;
/** Floats past the end of every operand and output that are poisoned and checked. */
const PAD = 8;
/** Threads the harness's pool can use (the caller and POOL_WORKERS workers). */
const POOL_WORKERS = 3;

/** The tile constants of assembly/matmul.ts, read from the module. */
export interface Tiles {
  /** register tile rows (MR) and columns (NR) */
  mr: number; nr: number;
  /** packed block depth (KC), rows (MC) and columns (NC) */
  kc: number; mc: number; nc: number;
  /** up to this many columns of C, A is read in place instead of packed */
  directAMaxN: number;
}

export function tilesOf(k: Kernels): Tiles {
  return {
    mr: k.matmul_tile_rows(), nr: k.matmul_tile_cols(), kc: k.matmul_tile_depth(),
    mc: k.matmul_block_rows(), nc: k.matmul_block_cols(), directAMaxN: k.matmul_direct_a_max_n(),
  };
}

/**
 * Generated shape lists (XNNPACK's m_lt/m_gt, n_gt_nr, k_eq_kc, k_gt_kc cases):
 *  m: 1..MR+1 and 2·MR+1;  n: 1..NR+1, the direct-A edge ±1 and twice it +1;
 *  k: 1..NR+1 and 2·NR+1 (every residue of the 4-wide packing loops);
 *  mBlock/nBlock/kBlock: MC, NC, KC ± 1 and twice the block + 1 (three blocks).
 */
export interface Sweeps { m: number[]; n: number[]; k: number[]; mBlock: number[]; nBlock: number[]; kBlock: number[] }

export function tileSweeps(t: Tiles): Sweeps {
  const upTo = (x: number): number[] => Array.from({ length: x }, (_, i) => i + 1);
  const around = (x: number): number[] => [x - 1, x, x + 1];
  const uniq = (xs: number[]): number[] => [...new Set(xs)].filter((x) => x > 0).sort((a, b) => a - b);
  return {
    m: uniq([...upTo(t.mr + 1), 2 * t.mr + 1]),
    n: uniq([...upTo(t.nr + 1), ...around(t.directAMaxN), 2 * t.directAMaxN + 1]),
    k: uniq([...upTo(t.nr + 1), 2 * t.nr + 1]),
    mBlock: uniq([...around(t.mc), 2 * t.mc + 1]),
    nBlock: uniq([...around(t.nc), 2 * t.nc + 1]),
    kBlock: uniq([...around(t.kc), 2 * t.kc + 1]),
  };
}

/**
 * The build a kernel test file checks: the relaxed-simd vitest project (WASMLP_SIMD=relaxed,
 * engine flag on) checks the relaxed build, the default project the baseline build, so each build
 * is checked once per run.
 */
export function projectVariant(): SimdVariant {
  if (process.env.WASMLP_SIMD !== 'relaxed') return 'baseline';
  if (!relaxedSimdSupported()) throw new Error('WASMLP_SIMD=relaxed but this engine rejects the relaxed build (missing --experimental-wasm-relaxed-simd?)');
  return 'relaxed';
}

/** C's tolerance for depth k (kernels.matmul's: float32 accumulation error grows with k). */
export function tolFor(k: number): Tol {
  return { atol: Math.max(1e-5, 1e-6 * k), rtol: 1e-5 };
}
const TOL_FORWARD: Tol = { atol: 2e-6, rtol: 2e-6 }; // f(C) vs float64 f of the kernel's C (sigmoid/tanh polynomials)
const TOL_BACKWARD: Tol = { atol: 1e-6, rtol: 1e-6 }; // C ⊙ f'(y): one or two float32 roundings

/** What the product's store does besides C (see Kernels.matmul_f32_ep). */
export interface EpilogueSpec {
  /** C = v + bias[j] */
  bias?: boolean;
  /** The activation (default 'linear': forward writes no out2, backward out2 = C). */
  act?: OutputActivation;
  /** out2 = C ⊙ f'(y) instead of out2 = f(C). */
  backward?: boolean;
  /** Leaky relu's slope (default ALPHA). */
  alpha?: number;
  /** rowsum[i] = Σ_p op(A)[i,p] */
  rowsum?: boolean;
  /** out2 is C itself. */
  inPlace?: boolean;
}

/** A matrix inside a buffer: `rows`×`cols` at float offset `off`, row stride `ld` floats; `total` floats checked. */
interface Geom { rows: number; cols: number; ld: number; off: number; total: number }

function geom(rows: number, cols: number, gap: number, strided: boolean, rowOff: number, colOff: number): Geom {
  if (!strided) return { rows, cols, ld: cols, off: 0, total: rows * cols + PAD };
  const ld = cols + gap, off = rowOff * ld + colOff; // start at (rowOff, colOff): not 16-byte aligned
  return { rows, cols, ld, off, total: off + (rows + 1) * ld + PAD };
}

/** One kernel module with its buffers, host data, a memo of float64 products, and (on demand) a thread pool. */
export class GemmHarness {
  readonly be: Backend;
  readonly tiles: Tiles;
  readonly sweeps: Sweeps;
  private pool_: ThreadPool | null = null;
  private readonly slots = new Map<string, { ptr: number; floats: number }>();
  private readonly host = new Map<string, Float64Array>();
  private readonly products = new Map<string, Float64Array>();

  constructor(readonly variant: SimdVariant) {
    this.be = createBackend(variant);
    this.tiles = tilesOf(this.be.kernels);
    this.sweeps = tileSweeps(this.tiles);
  }

  get k(): Kernels { return this.be.kernels; }

  /** A new tester (defaults: nn, m = n = k = 1, contiguous, acc = 0, no epilogue, one thread). */
  gemm(): GemmTester { return new GemmTester(this); }

  /** The harness's thread pool (one per harness, started at first use; close() ends it). */
  pool(): ThreadPool {
    if (!this.pool_) this.pool_ = new ThreadPool(this.be, POOL_WORKERS);
    return this.pool_;
  }

  get maxThreads(): number { return POOL_WORKERS + 1; }

  close(): void { this.pool_?.close(); this.pool_ = null; }

  /** A buffer of at least `floats` floats named `name` (reallocated when too small). */
  slot(name: string, floats: number): number {
    const s = this.slots.get(name);
    if (s && s.floats >= floats) return s.ptr;
    if (s) this.be.arena.free(s.ptr);
    const cap = Math.max(floats, 1024, Math.ceil((s?.floats ?? 0) * 1.5));
    const ptr = this.be.arena.alloc(cap);
    this.slots.set(name, { ptr, floats: cap });
    return ptr;
  }

  f32(ptr: number, floats: number): Float32Array { return this.be.arena.view(ptr, floats); }
  u32(ptr: number, floats: number): Uint32Array { return new Uint32Array(this.be.arena.memory.buffer, ptr, floats); }

  /** The first `len` of a fixed stream of float32-rounded uniform values in [lo, hi) (same prefix for any len). */
  values(name: string, len: number, lo = -1, hi = 1): Float64Array {
    const have = this.host.get(name);
    if (have && have.length >= len) return have.subarray(0, len);
    const n = Math.max(len, 2 * (have?.length ?? 0), 4096);
    let seed = 0x9e3779b9;
    for (const ch of name) seed = Math.imul(seed ^ ch.charCodeAt(0), 0x01000193);
    const rng = new TestRng(seed);
    const v = new Float64Array(n);
    for (let i = 0; i < n; i++) v[i] = Math.fround(rng.uniform(lo, hi));
    this.host.set(name, v);
    return v.subarray(0, len);
  }

  /** A (m×k, stored per layout), B, C0 and bias, y as host values (the prefixes of fixed streams). */
  operands(layout: Layout, m: number, n: number, k: number): { a: Float64Array; b: Float64Array; c0: Float64Array; bias: Float64Array; y: Float64Array } {
    const { aRows, aCols, bRows, bCols } = operandShapes(layout, m, n, k);
    return {
      a: this.values('A', aRows * aCols), b: this.values('B', bRows * bCols), c0: this.values('C0', m * n),
      bias: this.values('bias', n, -0.5, 0.5), y: this.values('y', m * n, -0.2, 1), // activation outputs (relu: some ≤ 0)
    };
  }

  /** The float64 product (memoized: the epilogue sweeps reuse one product for every activation). */
  product(layout: Layout, m: number, n: number, k: number, acc: boolean): Float64Array {
    const key = `${layout} ${m} ${n} ${k} ${acc}`;
    let p = this.products.get(key);
    if (!p) {
      const { aCols, bCols } = operandShapes(layout, m, n, k);
      const o = this.operands(layout, m, n, k);
      p = matmulRef(layout, o.a, aCols, o.b, bCols, m, n, k, acc ? o.c0 : undefined);
      if (this.products.size >= 16) this.products.delete(this.products.keys().next().value!);
      this.products.set(key, p);
    }
    return p;
  }

  /** Fills buffer [0, g.total) with `around`, then the block with `vals` (or `inside` when vals is null). */
  write(ptr: number, g: Geom, vals: ArrayLike<number> | null, around: number, inside = NaN): void {
    const v = this.f32(ptr, g.total).fill(around);
    for (let r = 0; r < g.rows; r++) {
      const at = g.off + r * g.ld;
      if (vals) for (let j = 0; j < g.cols; j++) v[at + j] = vals[r * g.cols + j]!;
      else v.fill(inside, at, at + g.cols);
    }
  }

  /** The block as a contiguous float64 array. */
  read(ptr: number, g: Geom): Float64Array {
    const v = this.f32(ptr, g.total), out = new Float64Array(g.rows * g.cols);
    for (let r = 0; r < g.rows; r++) for (let j = 0; j < g.cols; j++) out[r * g.cols + j] = v[g.off + r * g.ld + j]!;
    return out;
  }

  /** Every float of the buffer outside the block still holds `value` (bit-exact). */
  untouchedOutside(ptr: number, g: Geom, value: number, label: string): void {
    const v = this.f32(ptr, g.total);
    for (let i = 0; i < g.total; i++) {
      const r = Math.floor((i - g.off) / g.ld), j = i - g.off - r * g.ld;
      const inside = i >= g.off && r < g.rows && j < g.cols;
      if (!inside && !Object.is(v[i], value)) expect.fail(`${label}: written outside the ${g.rows}×${g.cols} block at float ${i}: ${v[i]}`);
    }
  }
}

/** Bit-for-bit comparison of two buffers of `floats` floats (NaN payloads included). */
function sameBits(h: GemmHarness, got: number, want: number | Uint32Array, floats: number, label: string): void {
  const a = h.u32(got, floats), b = typeof want === 'number' ? h.u32(want, floats) : want;
  for (let i = 0; i < floats; i++) {
    if (a[i] !== b[i]) {
      const f = (u: number): number => new Float32Array(new Uint32Array([u]).buffer)[0]!;
      expect.fail(`${label}: bits differ at float ${i}: ${f(a[i]!)} (0x${a[i]!.toString(16)}) vs ${f(b[i]!)} (0x${b[i]!.toString(16)})`);
    }
  }
}

export class GemmTester {
  private layout_: Layout = 'nn';
  private m_ = 1;
  private n_ = 1;
  private k_ = 1;
  private gaps: [number, number, number] | null = null;
  private acc_ = false;
  private ep_: EpilogueSpec | null = null;
  private threads_ = 1;
  private unfused_ = true;

  constructor(private readonly h: GemmHarness) {}

  layout(l: Layout): this { this.layout_ = l; return this; }
  m(v: number): this { this.m_ = v; return this; }
  n(v: number): this { this.n_ = v; return this; }
  k(v: number): this { this.k_ = v; return this; }
  /**
   * Row gaps in floats of the stored A, B and C (and out2, y): row stride = row width + gap.
   * Also places each operand at an unaligned offset inside a larger matrix.
   */
  strides(gapA: number, gapB: number, gapC: number): this { this.gaps = [gapA, gapB, gapC]; return this; }
  acc(on: boolean): this { this.acc_ = on; return this; }
  epilogue(e: EpilogueSpec | null): this { this.ep_ = e; return this; }
  threads(t: number): this { this.threads_ = t; return this; }
  /** Skip the bit-for-bit comparison with the unfused kernels (default: compared). */
  unfused(on: boolean): this { this.unfused_ = on; return this; }

  describe(): string {
    const e = this.ep_;
    const ep = e ? ` ${e.backward ? 'backward ' : ''}${e.act ?? 'linear'}${e.bias ? ' +bias' : ''}${e.rowsum ? ' +rowsum' : ''}${e.inPlace ? ' in place' : ''}` : '';
    return `${this.h.variant} ${this.layout_} m=${this.m_} n=${this.n_} k=${this.k_} acc=${+this.acc_}` +
      `${this.gaps ? ` gaps=${this.gaps.join(',')}` : ''}${ep}${this.threads_ > 1 ? ` threads=${this.threads_}` : ''}`;
  }

  test(label = this.describe()): void {
    const h = this.h, kern = h.k;
    const layout = this.layout_, m = this.m_, n = this.n_, k = this.k_, acc = this.acc_, e = this.ep_;
    const act = e?.act ?? 'linear', backward = e?.backward === true, alpha = e?.alpha ?? ALPHA;
    if (ACTIVATIONS[act].rowwise) throw new Error(`${label}: ${act} works on rows and is not a matmul epilogue`);
    if (e && k < 1) throw new Error(`${label}: an epilogue needs k ≥ 1 (with k = 0 the kernel only clears or keeps C)`);
    if (this.threads_ > h.maxThreads) throw new Error(`${label}: at most ${h.maxThreads} threads`);
    const code = e ? ACTIVATIONS[act].code | (backward ? EP_BACKWARD : 0) : 0;
    const writesOut2 = e !== null && (backward || ACTIVATIONS[act].code !== 0);

    const { aRows, aCols, bRows, bCols } = operandShapes(layout, m, n, k);
    const strided = this.gaps !== null, [ga_, gb_, gc_] = this.gaps ?? [0, 0, 0];
    const gA = geom(aRows, aCols, ga_, strided, 1, 1), gB = geom(bRows, bCols, gb_, strided, 2, 3), gC = geom(m, n, gc_, strided, 1, 2);
    const gV: Geom = { rows: 1, cols: n, ld: n, off: 0, total: n + PAD }; // bias
    const gR: Geom = { rows: 1, cols: m, ld: m, off: 0, total: m + PAD }; // rowsum
    const host = h.operands(layout, m, n, k);

    // buffers (all allocated before any view is taken: an allocation may grow memory)
    const A = h.slot('A', gA.total), B = h.slot('B', gB.total), C = h.slot('C', gC.total), C2 = h.slot('C2', gC.total);
    const O = e && !e.inPlace ? h.slot('O', gC.total) : 0, O2 = O ? h.slot('O2', gC.total) : 0;
    const Y = backward ? h.slot('Y', gC.total) : 0;
    const BIAS = e?.bias ? h.slot('bias', gV.total) : 0;
    const RS = e?.rowsum ? h.slot('RS', gR.total) : 0, RS2 = RS ? h.slot('RS2', gR.total) : 0;
    const at = (ptr: number, g: Geom): number => ptr + g.off * 4;
    const sa = gA.ld * 4, sb = gB.ld * 4, sc = gC.ld * 4;

    /** Inputs: NaN around; outputs: NaN inside (or C0 when accumulating), SENTINEL around. */
    const poison = (c: number, o: number, rs: number): void => {
      h.write(c, gC, acc ? host.c0 : null, SENTINEL);
      if (o) h.write(o, gC, null, SENTINEL);
      if (rs) h.write(rs, gR, null, SENTINEL);
    };
    h.write(A, gA, host.a, NaN);
    h.write(B, gB, host.b, NaN);
    if (Y) h.write(Y, gC, host.y, NaN);
    if (BIAS) h.write(BIAS, gV, host.bias, NaN);
    poison(C, O, RS);
    const inputs = ([['A', A, gA], ['B', B, gB], ['y', Y, gC], ['bias', BIAS, gV]] as const).filter(([, p]) => p);
    const before = inputs.map(([, p, g]) => h.u32(p, g.total).slice());

    const ep = (c: number, o: number, rs: number): Epilogue => ({
      bias: BIAS, ep: code, out2: e ? (e.inPlace ? at(c, gC) : at(o, gC)) : 0, y: Y ? at(Y, gC) : 0, alpha, rowsum: rs,
    });
    const plain = (c: number): void => {
      const f = layout === 'nn' ? kern.matmul_f32_nn : layout === 'nt' ? kern.matmul_f32_nt : kern.matmul_f32_tn;
      f(at(c, gC), at(A, gA), at(B, gB), m, n, k, sa, sb, sc, +acc);
    };
    const fused = (c: number, o: number, rs: number): void => {
      const x = ep(c, o, rs);
      kern.matmul_f32_ep(LAYOUT_CODE[layout], at(c, gC), at(A, gA), at(B, gB), m, n, k, sa, sb, sc, +acc, x.bias, x.ep, x.out2, x.y, x.alpha, x.rowsum);
    };

    // the kernel under test
    if (this.threads_ > 1) {
      h.pool().matmul(layout, at(C, gC), at(A, gA), at(B, gB), m, n, k, sa, sb, sc, +acc, this.threads_, ep(C, O, RS));
    } else if (e) fused(C, O, RS);
    else plain(C);

    // 4. inputs untouched
    inputs.forEach(([name, p, g], i) => sameBits(h, p, before[i]!, g.total, `${label}: input ${name} written`));

    // 1. float64
    let z = h.product(layout, m, n, k, acc);
    if (BIAS) z = z.map((v, i) => v + host.bias[i % n]!);
    const got = h.read(C, gC);
    const tol = tolFor(k);
    if (e?.inPlace && writesOut2) { // C holds out2; |f(v) − f(z)| ≤ |v − z| for these activations
      const want = backward ? activationGradRef(act, z, host.y, alpha) : activationRef(act, z, alpha);
      const t = backward ? TOL_BACKWARD : TOL_FORWARD;
      assertClose(got, want, { atol: tol.atol + t.atol, rtol: tol.rtol + t.rtol }, `${label}: C = out2`);
    } else {
      assertClose(got, z, tol, `${label}: C`);
    }
    h.untouchedOutside(C, gC, SENTINEL, `${label}: C`);
    if (O) {
      if (writesOut2) {
        const want = backward ? activationGradRef(act, got, host.y, alpha) : activationRef(act, got, alpha);
        assertClose(h.read(O, gC), want, backward ? TOL_BACKWARD : TOL_FORWARD, `${label}: out2 = ${backward ? "C ⊙ f'(y)" : 'f(C)'}`);
        h.untouchedOutside(O, gC, SENTINEL, `${label}: out2`);
      } else {
        if (!h.read(O, gC).every(Number.isNaN)) expect.fail(`${label}: out2 written without an activation`);
        h.untouchedOutside(O, gC, SENTINEL, `${label}: out2 (no activation)`);
      }
    }
    if (RS) {
      assertClose(h.read(RS, gR), rowsumRef(layout, host.a, aCols, m, k), tol, `${label}: rowsum`);
      h.untouchedOutside(RS, gR, SENTINEL, `${label}: rowsum`);
    }

    // 2. the unfused kernels, bit for bit
    if (this.unfused_) {
      poison(C2, O2, RS2);
      if (!e) {
        fused(C2, 0, 0);
        sameBits(h, C, C2, gC.total, `${label}: matmul_f32_${layout} vs matmul_f32_ep without an epilogue`);
      } else {
        plain(C2);
        if (BIAS) kern.bias_add_f32(at(C2, gC), BIAS, m, n, sc);
        const out = e.inPlace ? C2 : O2;
        // one call over a contiguous C (what the Network's unfused path does), else one per row
        const runs = gC.ld === n ? [[at(C2, gC), at(out, gC), Y ? at(Y, gC) : 0, m * n]] :
          Array.from({ length: m }, (_, r) => [at(C2, gC) + r * sc, at(out, gC) + r * sc, Y ? at(Y, gC) + r * sc : 0, n]);
        for (const [c, o, y, len] of runs as [number, number, number, number][]) {
          if (backward) {
            if (act === 'sigmoid') kern.sigmoid_grad_f32(o, c, y, len);
            else if (act === 'tanh') kern.tanh_grad_f32(o, c, y, len);
            else if (act === 'relu') kern.relu_grad_f32(o, c, y, len);
            else if (act === 'leakyRelu') kern.leaky_relu_grad_f32(o, c, y, alpha, len);
            else if (act === 'linear') kern.scale_f32(o, c, 1, len);
            else kern.act_grad_f32(o, c, y, len, ACTIVATIONS[act].code, alpha); // elu, selu, gelu, softsign
          } else if (act === 'sigmoid') kern.sigmoid_f32(o, c, len);
          else if (act === 'tanh') kern.tanh_f32(o, c, len);
          else if (act === 'relu') kern.relu_f32(o, c, len);
          else if (act === 'leakyRelu') kern.leaky_relu_f32(o, c, alpha, len);
          else if (act !== 'linear') kern.act_f32(o, c, len, ACTIVATIONS[act].code, alpha);
        }
        sameBits(h, C, C2, gC.total, `${label}: C vs the unfused kernels`);
        if (O) sameBits(h, O, O2, gC.total, `${label}: out2 vs the unfused kernels`);
        if (RS && layout === 'tn') { // rowsum of op(A) = colsum of A[k, m]: the Network's ∇b
          kern.colsum_f32(RS2, at(A, gA), k, m, sa, 0);
          sameBits(h, RS, RS2, m, `${label}: rowsum vs colsum_f32`);
        }
      }
    }

    // 3. n threads vs one
    if (this.threads_ > 1) {
      poison(C2, O2, RS2);
      fused(C2, O2, RS2);
      sameBits(h, C, C2, gC.total, `${label}: C, ${this.threads_} threads vs 1`);
      if (O) sameBits(h, O, O2, gC.total, `${label}: out2, ${this.threads_} threads vs 1`);
      if (RS) sameBits(h, RS, RS2, gR.total, `${label}: rowsum, ${this.threads_} threads vs 1`);
    }
  }
}
