// Elementwise kernels against the float64 loops in tests/ref/elementwise.ts.
//
// Tolerances (inputs uniform in [-1, 1], scalars exactly representable or float32-rounded before
// they reach the reference):
//  - one float32 rounding (hadamard, add, scale, bias_add): |d| ≤ max(1e-12, 1.2e-7·|ref|) (≤ 1 ulp)
//  - two roundings (axpy, sgd: the product, then the sum):   |d| ≤ max(2e-7, 1.2e-7·|ref|)
//  - colsum over m rows (m float32 additions, |terms| ≤ 1): |d| ≤ max(6e-8·(m+1)², 1.2e-7·|ref|)
//    (the worst-case bound m·u·Σ|a| with u = 2^-24)
//  - fill, nonfinite_index: exact.
import { beforeAll, describe, expect, it } from 'vitest';
import type { SimdVariant } from '../src/wasm/kernels.js';
import {
  assertClose, assertUntouched, checkFramed, fillUniform, frameInput, frameOutput, MARGIN, Mem, SENTINEL, SIZES,
  simdVariants, TestRng, toF64, uniformValues, type Tol,
} from './helpers.js';
import {
  addRef, axpyRef, biasAddRef, colsumRef, fillRef, hadamardRef, nonfiniteIndexRef, scaleRef, sgdRef,
} from './ref/elementwise.js';

const ONE_ROUNDING: Tol = { atol: 1e-12, rtol: 1.2e-7 };
const TWO_ROUNDINGS: Tol = { atol: 2e-7, rtol: 1.2e-7 };
const EXACT: Tol = { atol: 0, rtol: 0 };
/** Start offsets in floats: 0 keeps 16-byte alignment, 1 and 3 do not. */
const OFFSETS = [0, 1, 3];
/** Room for the longest vector (1001) plus offset and the poisoned margins either side. */
const LEN = 1024;
/** Capacity of the matrix buffers (bias_add / colsum): 33 rows of up to 1001 + stride padding. */
const MAT = 40_000;

const ran = new Set<SimdVariant>();

describe.each(simdVariants())('elementwise kernels [%s]', (variant) => {
  let mem: Mem;
  let X = 0, Y = 0, Z = 0, M = 0, V = 0;
  const rng = new TestRng(0x5eed_0002);

  beforeAll(() => {
    mem = new Mem(variant);
    X = mem.alloc(LEN); Y = mem.alloc(LEN); Z = mem.alloc(LEN);
    M = mem.alloc(MAT); V = mem.alloc(LEN);
  });

  /** Random inputs of length n in a NaN frame at base (+off floats); returns the address and float64 copy. */
  function input(base: number, off: number, n: number, lo = -1, hi = 1): [number, Float64Array] {
    return frameInput(mem, base, LEN, off, uniformValues(rng, n, lo, hi));
  }

  /** Output of length n: NaN inside (an unwritten element fails), sentinels in the margins. */
  function output(base: number, off: number, n: number): number {
    return frameOutput(mem, base, LEN, off, n);
  }

  function check(ptr: number, n: number, ref: ArrayLike<number>, tol: Tol, label: string): void {
    checkFramed(mem, ptr, n, ref, tol, label);
  }

  /** Copies the float64 values into the (already sentinel-framed) output at ptr: for in-place runs. */
  function put(ptr: number, vals: Float64Array): void {
    mem.f32(ptr, vals.length).set(vals);
  }

  function sweep(fn: (n: number, off: number, label: string) => void): void {
    for (const n of SIZES) for (const off of OFFSETS) fn(n, off, `${variant} n=${n} off=${off}`);
  }

  it('instantiates the requested SIMD build', () => {
    expect(mem.be.simd).toBe(variant);
    ran.add(variant);
  });

  it('hadamard_f32: c = a ⊙ b, separate and in place (c == a)', () => {
    sweep((n, off, label) => {
      const [a, ha] = input(X, off, n), [b, hb] = input(Y, off, n);
      const c = output(Z, off, n);
      mem.k.hadamard_f32(c, a, b, n);
      check(c, n, hadamardRef(ha, hb, n), ONE_ROUNDING, `hadamard ${label}`);
      const c2 = output(Z, off, n); put(c2, ha);
      mem.k.hadamard_f32(c2, c2, b, n);
      check(c2, n, hadamardRef(ha, hb, n), ONE_ROUNDING, `hadamard in place ${label}`);
    });
  });

  it('add_f32: c = a + b, separate and in place (c == b)', () => {
    sweep((n, off, label) => {
      const [a, ha] = input(X, off, n), [b, hb] = input(Y, off, n);
      const c = output(Z, off, n);
      mem.k.add_f32(c, a, b, n);
      check(c, n, addRef(ha, hb, n), ONE_ROUNDING, `add ${label}`);
      const c2 = output(Z, off, n); put(c2, hb);
      mem.k.add_f32(c2, a, c2, n);
      check(c2, n, addRef(ha, hb, n), ONE_ROUNDING, `add in place ${label}`);
    });
  });

  it('axpy_f32: y += alpha·x', () => {
    for (const alpha of [0.75, -1.5, Math.fround(0.1)]) {
      sweep((n, off, label) => {
        const [x, hx] = input(X, off, n), [, hy] = input(Y, off, n);
        const y = output(Z, off, n); put(y, hy);
        mem.k.axpy_f32(y, x, alpha, n);
        check(y, n, axpyRef(hy, hx, alpha, n), TWO_ROUNDINGS, `axpy alpha=${alpha} ${label}`);
      });
    }
  });

  it('scale_f32: y = alpha·x, separate and in place', () => {
    for (const alpha of [0.75, -3, Math.fround(1 / 3)]) {
      sweep((n, off, label) => {
        const [x, hx] = input(X, off, n);
        const y = output(Z, off, n);
        mem.k.scale_f32(y, x, alpha, n);
        check(y, n, scaleRef(hx, alpha, n), ONE_ROUNDING, `scale alpha=${alpha} ${label}`);
        const y2 = output(Z, off, n); put(y2, hx);
        mem.k.scale_f32(y2, y2, alpha, n);
        check(y2, n, scaleRef(hx, alpha, n), ONE_ROUNDING, `scale in place alpha=${alpha} ${label}`);
      });
    }
  });

  it('sgd_f32: w −= lr·g', () => {
    for (const lr of [0.5, Math.fround(0.01)]) {
      sweep((n, off, label) => {
        const [g, hg] = input(X, off, n), [, hw] = input(Y, off, n);
        const w = output(Z, off, n); put(w, hw);
        mem.k.sgd_f32(w, g, lr, n);
        check(w, n, sgdRef(hw, hg, lr, n), TWO_ROUNDINGS, `sgd lr=${lr} ${label}`);
      });
    }
  });

  it('fill_f32: c = value', () => {
    for (const value of [3.25, -1.5, 0, Infinity]) {
      sweep((n, off, label) => {
        const c = output(Z, off, n);
        mem.k.fill_f32(c, value, n);
        check(c, n, fillRef(value, n), EXACT, `fill ${value} ${label}`);
      });
    }
    // NaN as the value: poison the output with a finite number instead.
    for (const n of SIZES) {
      const c = output(Z, 1, n);
      mem.f32(c, n).fill(7);
      mem.k.fill_f32(c, NaN, n);
      check(c, n, fillRef(NaN, n), EXACT, `fill NaN n=${n}`);
    }
  });

  /** [m,n] matrix at row stride ld (floats) inside M, starting at float offset `off`; gaps hold `gap`. */
  function matrix(m: number, n: number, ld: number, off: number, gap: number): [number, Float64Array] {
    const total = off + m * ld + MARGIN;
    expect(total).toBeLessThanOrEqual(MAT);
    const v = mem.f32(M, total).fill(gap);
    const host = new Float32Array(m * n);
    fillUniform(host, rng);
    for (let r = 0; r < m; r++) v.set(host.subarray(r * n, (r + 1) * n), off + r * ld);
    return [M + off * 4, toF64(host)];
  }

  it('bias_add_f32: C[i,:] += bias, row stride sc; gaps between rows untouched', () => {
    for (const m of [1, 2, 3, 7]) {
      for (const n of SIZES) {
        if (n === 1001 && m > 3) continue;
        for (const pad of [0, 3]) {
          const ld = n + pad, off = 1 + pad;
          const label = `${variant} bias_add m=${m} n=${n} ld=${ld}`;
          const [bias, hb] = input(V, pad, n);
          const [c, hc] = matrix(m, n, ld, off, SENTINEL);
          mem.k.bias_add_f32(c, bias, m, n, ld * 4);
          const ref = biasAddRef(hc, hb, m, n);
          const v = mem.f32(M, off + m * ld + MARGIN);
          const got = new Float64Array(m * n);
          for (let r = 0; r < m; r++) for (let j = 0; j < n; j++) got[r * n + j] = v[off + r * ld + j]!;
          assertClose(got, ref, ONE_ROUNDING, label);
          assertUntouched(v, 0, off, SENTINEL, `${label} (before)`);
          for (let r = 0; r < m; r++) assertUntouched(v, off + r * ld + n, off + (r + 1) * ld, SENTINEL, `${label} (gap row ${r})`);
          assertUntouched(v, off + m * ld, off + m * ld + MARGIN, SENTINEL, `${label} (after)`);
          // the bias vector is an input: unchanged
          assertClose(mem.f32(bias, n), hb, EXACT, `${label} bias unchanged`);
        }
      }
    }
  });

  it('colsum_f32: out (+)= column sums of A[m,n] at row stride sa; NaN gaps are never read', () => {
    for (const m of [0, 1, 2, 3, 5, 17, 33]) {
      for (const n of SIZES) {
        for (const [pad, acc] of [[0, 0], [5, 0], [2, 1]] as const) {
          const ld = n + pad;
          const label = `${variant} colsum m=${m} n=${n} ld=${ld} acc=${acc}`;
          const [a, ha] = matrix(m, n, ld, 2, NaN);
          const out = output(Z, 1, n);
          let out0: Float64Array | undefined;
          if (acc) { out0 = input(X, 1, n)[1]; put(out, out0); }
          mem.k.colsum_f32(out, a, m, n, ld * 4, acc);
          const tol: Tol = { atol: 6e-8 * (m + 1) ** 2, rtol: 1.2e-7 };
          check(out, n, colsumRef(ha, m, n, out0), tol, label);
        }
      }
    }
  });

  it('nonfinite_index_f32: first NaN/±Infinity in a[0:n], −1 when none (ignores a[n..])', () => {
    const u32 = (ptr: number, n: number) => mem.u32(ptr, n);
    // bit patterns: +Inf, −Inf, quiet NaN, negative NaN, signalling-payload NaN
    const bad = [0x7f800000, 0xff800000, 0x7fc00000, 0xffc00000, 0x7f800001];
    // finite extremes that must not be reported: max float, −max float, smallest subnormal, −0
    const edgeFinite = [0x7f7fffff, 0xff7fffff, 0x00000001, 0x80000000];
    for (const n of SIZES) {
      for (const off of OFFSETS) {
        const label = `${variant} nonfinite n=${n} off=${off}`;
        const [a] = input(X, off, n, -1e3, 1e3); // NaN already sits just past the end
        const bits = u32(a, n);
        for (let i = 0; i < n; i += 5) bits[i] = edgeFinite[(i / 5) % edgeFinite.length]!;
        const clean = Uint32Array.from(bits);
        expect(mem.k.nonfinite_index_f32(a, n), `${label} all finite`).toBe(nonfiniteIndexRef(mem.f32(a, n), n));
        expect(nonfiniteIndexRef(mem.f32(a, n), n)).toBe(-1);
        const positions = [...new Set([0, 1, 2, 3, 4, 5, 7, 8, n >> 1, n - 2, n - 1])].filter((p) => p >= 0 && p < n);
        for (const p of positions) {
          for (const b of bad) {
            const v = u32(a, n); v.set(clean);
            v[p] = b;
            if (p + 6 < n) v[p + 6] = bad[(bad.indexOf(b) + 1) % bad.length]!; // a later one must not win
            const want = nonfiniteIndexRef(mem.f32(a, n), n);
            expect(want).toBe(p);
            expect(mem.k.nonfinite_index_f32(a, n), `${label} bits=0x${b.toString(16)} at ${p}`).toBe(want);
          }
        }
        u32(a, n).set(clean);
      }
    }
  });
});

it('ran the baseline build', () => {
  expect(ran.has('baseline')).toBe(true);
});
