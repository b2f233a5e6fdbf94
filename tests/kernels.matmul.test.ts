// matmul_f32_nn / _nt / _tn against the float64 triple loop in tests/ref/matmul.ts.
//
// Tolerance: operands are uniform in [-1, 1]; an element of C passes when
//   |C − ref| ≤ max(atol, rtol·|ref|),  atol = max(1e-5, 1e-6·k),  rtol = 1e-5
// (float32 accumulation error grows with the depth k; blocked sums keep it far below this).
import { beforeAll, describe, expect, it } from 'vitest';
import type { SimdVariant } from '../src/wasm/kernels.js';
import {
  assertClose, assertUntouched, fillUniform, Mem, SENTINEL, simdVariants, TestRng, toF64, type Tol,
} from './helpers.js';
import { matmulRef, operandShapes, type Layout } from './ref/matmul.js';

const DIMS = [1, 2, 3, 4, 5, 7, 8, 9, 15, 16, 17, 33, 100];
const LAYOUTS: Layout[] = ['nn', 'nt', 'tn'];
/** Shapes [m, n, k] crossing the packing blocks KC=256 (k), MC=128 (m), NC=256 (n) of assembly/matmul.ts. */
const BLOCK_SHAPES: [number, number, number][] = [
  [128, 256, 256], // exactly one block each
  [129, 257, 257],
  [130, 260, 300],
  [129, 9, 513],
  [5, 260, 513],
  [1, 257, 300],
  [130, 1, 257],
  [257, 17, 33],
  [260, 520, 600], // three MC blocks, three NC blocks, three KC blocks
];
/** Floats past the end of an operand / output that are poisoned and checked. */
const PAD = 8;
/** Capacity of each contiguous operand buffer (largest operand is 600·520 floats). */
const CAP = 320_000;
/** Capacity of each strided (sub-matrix) buffer. */
const SCAP = 320_000;

function tolFor(k: number): Tol {
  return { atol: Math.max(1e-5, 1e-6 * k), rtol: 1e-5 };
}

const ran = new Set<SimdVariant>();

describe.each(simdVariants())('matmul kernels [%s]', (variant) => {
  let mem: Mem;
  let A = 0, B = 0, C = 0, SA = 0, SB = 0, SC = 0;
  let hostA: Float64Array, hostB: Float64Array, hostC0: Float64Array;
  const rng = new TestRng(0x5eed_0001);

  beforeAll(() => {
    // Allocate everything once; views are refetched after the allocations (growth detaches them).
    mem = new Mem(variant);
    A = mem.alloc(CAP); B = mem.alloc(CAP); C = mem.alloc(CAP);
    SA = mem.alloc(SCAP); SB = mem.alloc(SCAP); SC = mem.alloc(SCAP);
    fillUniform(mem.f32(A, CAP), rng);
    fillUniform(mem.f32(B, CAP), rng);
    hostA = toF64(mem.f32(A, CAP));
    hostB = toF64(mem.f32(B, CAP));
    const c0 = new Float32Array(CAP);
    fillUniform(c0, rng);
    hostC0 = toF64(c0);
  });

  function call(layout: Layout, c: number, a: number, b: number, m: number, n: number, k: number,
                sa: number, sb: number, sc: number, acc: number): void {
    const k_ = mem.k;
    if (layout === 'nn') k_.matmul_f32_nn(c, a, b, m, n, k, sa, sb, sc, acc);
    else if (layout === 'nt') k_.matmul_f32_nt(c, a, b, m, n, k, sa, sb, sc, acc);
    else k_.matmul_f32_tn(c, a, b, m, n, k, sa, sb, sc, acc);
  }

  /** Contiguous operands (row stride = row width) at the start of A, B, C. */
  function runContiguous(layout: Layout, m: number, n: number, k: number, acc: 0 | 1): void {
    const label = `${variant} ${layout} m=${m} n=${n} k=${k} acc=${acc}`;
    const { aRows, aCols, bRows, bCols } = operandShapes(layout, m, n, k);
    const aLen = aRows * aCols, bLen = bRows * bCols, cLen = m * n;
    // Poison just past the operands: a kernel that reads (and uses) them gets NaN into C.
    mem.f32(A, CAP).fill(NaN, aLen, aLen + PAD);
    mem.f32(B, CAP).fill(NaN, bLen, bLen + PAD);
    // Poison C (acc=0: NaN, so an unwritten element fails; acc=1: known C0) and put a sentinel past its end.
    const fc = mem.f32(C, cLen + PAD);
    if (acc) fc.set(hostC0.subarray(0, cLen)); else fc.fill(NaN, 0, cLen);
    fc.fill(SENTINEL, cLen, cLen + PAD);

    call(layout, C, A, B, m, n, k, aCols * 4, bCols * 4, n * 4, acc);

    const out = mem.f32(C, cLen + PAD);
    const ref = matmulRef(layout, hostA, aCols, hostB, bCols, m, n, k, acc ? hostC0 : undefined);
    assertClose(out.subarray(0, cLen), ref, tolFor(k), label);
    assertUntouched(out, cLen, cLen + PAD, SENTINEL, `${label} (past the end of C)`);
    // Restore the operands' tails.
    mem.f32(A, CAP).set(hostA.subarray(aLen, aLen + PAD), aLen);
    mem.f32(B, CAP).set(hostB.subarray(bLen, bLen + PAD), bLen);
  }

  /**
   * Every operand is a sub-matrix of a bigger matrix: row strides wider than the rows and start
   * addresses at odd (non-16-byte-aligned) offsets. Everything in A and B outside the sub-block is
   * NaN (must not be read into C); everything in C outside the sub-block is a sentinel (must not be
   * written).
   */
  function runStrided(layout: Layout, m: number, n: number, k: number, acc: 0 | 1,
                      pads: [number, number, number]): void {
    const label = `${variant} ${layout} strided m=${m} n=${n} k=${k} acc=${acc} pads=${pads.join(',')}`;
    const { aRows, aCols, bRows, bCols } = operandShapes(layout, m, n, k);
    const lda = aCols + pads[0], ldb = bCols + pads[1], ldc = n + pads[2];
    const aTotal = (aRows + 2) * lda, bTotal = (bRows + 3) * ldb, cTotal = (m + 2) * ldc;
    expect(Math.max(aTotal, bTotal, cTotal)).toBeLessThanOrEqual(SCAP);
    const aOff = lda + 1, bOff = 2 * ldb + 3, cOff = ldc + 2; // (row 1, col 1), (2, 3), (1, 2)

    const subA = new Float32Array(aRows * aCols); fillUniform(subA, rng);
    const subB = new Float32Array(bRows * bCols); fillUniform(subB, rng);
    const subC0 = new Float32Array(m * n); fillUniform(subC0, rng);
    const fa = mem.f32(SA, aTotal).fill(NaN);
    for (let r = 0; r < aRows; r++) fa.set(subA.subarray(r * aCols, (r + 1) * aCols), aOff + r * lda);
    const fb = mem.f32(SB, bTotal).fill(NaN);
    for (let r = 0; r < bRows; r++) fb.set(subB.subarray(r * bCols, (r + 1) * bCols), bOff + r * ldb);
    const fc = mem.f32(SC, cTotal).fill(SENTINEL);
    for (let r = 0; r < m; r++) {
      if (acc) fc.set(subC0.subarray(r * n, (r + 1) * n), cOff + r * ldc);
      else fc.fill(NaN, cOff + r * ldc, cOff + r * ldc + n);
    }

    call(layout, SC + cOff * 4, SA + aOff * 4, SB + bOff * 4, m, n, k, lda * 4, ldb * 4, ldc * 4, acc);

    const out = mem.f32(SC, cTotal);
    const got = new Float64Array(m * n);
    for (let r = 0; r < m; r++) for (let j = 0; j < n; j++) got[r * n + j] = out[cOff + r * ldc + j]!;
    const ref = matmulRef(layout, toF64(subA), aCols, toF64(subB), bCols, m, n, k, acc ? toF64(subC0) : undefined);
    assertClose(got, ref, tolFor(k), label);
    // Nothing outside the m×n sub-block of C changed.
    for (let idx = 0; idx < cTotal; idx++) {
      const r = Math.floor((idx - cOff) / ldc), j = idx - cOff - r * ldc;
      const inside = idx >= cOff && r < m && j >= 0 && j < n;
      if (!inside && !Object.is(out[idx], SENTINEL)) {
        expect.fail(`${label}: C outside the sub-block overwritten at big-matrix index ${idx}: ${out[idx]}`);
      }
    }
  }

  it('instantiates the requested SIMD build', () => {
    expect(mem.be.simd).toBe(variant);
    ran.add(variant);
  });

  it.each(LAYOUTS)('%s: every (m, n, k) in DIMS³, acc=0, poisoned C', (layout) => {
    for (const m of DIMS) for (const n of DIMS) for (const k of DIMS) runContiguous(layout, m, n, k, 0);
    // The kernel must not write into its operands.
    assertClose(mem.f32(A, CAP), hostA, { atol: 0, rtol: 0 }, `${layout}: A unchanged`);
    assertClose(mem.f32(B, CAP), hostB, { atol: 0, rtol: 0 }, `${layout}: B unchanged`);
  });

  it.each(LAYOUTS)('%s: every (m, n, k) in DIMS³, acc=1 adds into C0', (layout) => {
    for (const m of DIMS) for (const n of DIMS) for (const k of DIMS) runContiguous(layout, m, n, k, 1);
  });

  it.each(LAYOUTS)('%s: shapes crossing the KC/MC/NC packing blocks', (layout) => {
    BLOCK_SHAPES.forEach(([m, n, k], i) => runContiguous(layout, m, n, k, i % 2 === 0 ? 0 : 1));
    // and the largest with the other acc value
    runContiguous(layout, 260, 520, 600, 1);
  });

  it.each(LAYOUTS)('%s: non-contiguous strides (sub-matrices at unaligned offsets)', (layout) => {
    const shapes: [number, number, number, [number, number, number]][] = [
      [1, 1, 1, [1, 1, 1]],
      [3, 5, 7, [1, 2, 3]],
      [4, 8, 4, [4, 4, 4]],
      [5, 9, 17, [3, 5, 7]],
      [9, 17, 15, [8, 1, 2]],
      [33, 16, 100, [5, 3, 1]],
      [100, 33, 17, [2, 7, 5]],
      [130, 260, 300, [3, 6, 9]],
    ];
    for (const [m, n, k, pads] of shapes) {
      runStrided(layout, m, n, k, 0, pads);
      runStrided(layout, m, n, k, 1, pads);
    }
  });

  it.each(LAYOUTS)('%s: k = 0 gives C = 0 (acc=0) or leaves C0 (acc=1); m = 0 or n = 0 writes nothing', (layout) => {
    for (const acc of [0, 1] as const) {
      for (const [m, n] of [[3, 5], [4, 8], [9, 17]] as const) runContiguous(layout, m, n, 0, acc);
    }
    mem.f32(C, 64).fill(SENTINEL);
    call(layout, C, A, B, 0, 5, 7, 7 * 4, 7 * 4, 5 * 4, 0);
    call(layout, C, A, B, 5, 0, 7, 7 * 4, 7 * 4, 4, 0);
    assertUntouched(mem.f32(C, 64), 0, 64, SENTINEL, `${layout}: m=0 / n=0`);
  });
});

it('ran the baseline build', () => {
  expect(ran.has('baseline')).toBe(true);
});
