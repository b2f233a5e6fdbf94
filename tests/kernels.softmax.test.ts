// Softmax, its gradients and the losses against the float64 references in tests/ref/softmax.ts.
//
// Tolerances (|d| ≤ max(atol, rtol·|ref|)):
//  - softmax_f32_rows: rtol 1e-6 + (n/4 + 2)·6e-8 — the polynomial exp (relative error ~2e-7) plus
//    the float32 row sum (4 lanes of n/4 terms, then a horizontal sum; u = 6e-8 per addition).
//    atol 1e-30: exp's input clamp at −87.3 leaves ~1e-38 where float64 has a smaller number or 0.
//    Row sums must equal 1 within the same rtol.
//  - softmax_xent_grad, mse_grad (a difference, then a product): rtol 1.3e-7 (2 roundings), atol 1e-30.
//  - softmax_grad (f32 dot → p·(g − dot)): atol 3e-7, rtol 2.4e-7 (inputs |g| ≤ 1, p in [0, 1]).
//  - xent/bce/mse losses are float64 sums of float32 inputs: rtol 1e-10, atol 1e-9.
import { beforeAll, describe, expect, it } from 'vitest';
import type { SimdVariant } from '../src/wasm/kernels.js';
import {
  assertClose, assertCloseScalar, checkFramed, frameInput, frameOutput, Mem, SIZES, simdVariants, TestRng,
  uniformValues, type Tol,
} from './helpers.js';
import {
  bceLossRef, mseGradRef, mseLossRef, softmaxGradRef, softmaxRowsRef, softmaxXentGradRef, xentLossRef,
} from './ref/softmax.js';

const ROWS = [1, 2, 3, 5];
const LEN = 8192; // ≥ 5 rows × 1001 + frame
const OFFSETS = [0, 1];
const softmaxTol = (n: number): Tol => ({ atol: 1e-30, rtol: 1e-6 + (n / 4 + 2) * 6e-8 });
const GRAD_TOL: Tol = { atol: 1e-30, rtol: 1.3e-7 };
const SOFTMAX_GRAD_TOL: Tol = { atol: 3e-7, rtol: 2.4e-7 };
const LOSS_TOL: Tol = { atol: 1e-9, rtol: 1e-10 };

const ran = new Set<SimdVariant>();

describe.each(simdVariants())('softmax and loss kernels [%s]', (variant) => {
  let mem: Mem;
  let X = 0, T = 0, Z = 0;
  const rng = new TestRng(0x5eed_0004);

  beforeAll(() => {
    mem = new Mem(variant);
    X = mem.alloc(LEN); T = mem.alloc(LEN); Z = mem.alloc(LEN);
  });

  /** [m,n] logits: uniform in [-10, 10] plus a per-row offset in [-500, 500] (rows must be independent). */
  function logits(m: number, n: number): Float32Array {
    const v = new Float32Array(m * n);
    for (let r = 0; r < m; r++) {
      const shift = rng.uniform(-500, 500);
      for (let j = 0; j < n; j++) v[r * n + j] = shift + rng.uniform(-10, 10);
    }
    return v;
  }

  /** [m,n] targets: one-hot rows (soft=false) or non-negative rows summing to 1 with some zeros. */
  function targets(m: number, n: number, soft: boolean): Float32Array {
    const v = new Float32Array(m * n);
    for (let r = 0; r < m; r++) {
      if (!soft) { v[r * n + rng.int(n)] = 1; continue; }
      let s = 0;
      const row = new Float64Array(n);
      for (let j = 0; j < n; j++) { row[j] = rng.next() < 0.3 ? 0 : rng.next(); s += row[j]!; }
      if (s === 0) { row[0] = 1; s = 1; }
      for (let j = 0; j < n; j++) v[r * n + j] = row[j]! / s;
    }
    return v;
  }

  /** Row sums of a [m,n] matrix (float64). */
  function rowSums(v: ArrayLike<number>, m: number, n: number): Float64Array {
    const s = new Float64Array(m);
    for (let r = 0; r < m; r++) { let t = 0; for (let j = 0; j < n; j++) t += v[r * n + j]!; s[r] = t; }
    return s;
  }

  it('instantiates the requested SIMD build', () => {
    expect(mem.be.simd).toBe(variant);
    ran.add(variant);
  });

  it('softmax_f32_rows matches float64 max-subtracted softmax; rows sum to 1; in place', () => {
    for (const m of ROWS) {
      for (const n of SIZES) {
        const label = `${variant} softmax m=${m} n=${n}`;
        const [x, hx] = frameInput(mem, X, LEN, 1, logits(m, n));
        const want = softmaxRowsRef(hx, m, n);
        const y = frameOutput(mem, Z, LEN, 0, m * n);
        mem.k.softmax_f32_rows(y, x, m, n);
        checkFramed(mem, y, m * n, want, softmaxTol(n), label);
        assertClose(rowSums(mem.f32(y, m * n), m, n), new Float64Array(m).fill(1), softmaxTol(n), `${label} row sums`);
        // in place: y == x
        const y2 = frameOutput(mem, Z, LEN, 1, m * n);
        mem.f32(y2, m * n).set(hx);
        mem.k.softmax_f32_rows(y2, y2, m, n);
        checkFramed(mem, y2, m * n, want, softmaxTol(n), `${label} in place`);
      }
    }
  });

  it('softmax_f32_rows with logits of ±1e4 stays finite and sums to 1', () => {
    const rows: number[][] = [
      [1e4, -1e4, 0, 5, -1e4],
      [-1e4, -1e4, -1e4, -1e4, -1e4],
      [1e4, 1e4, -1e4, -1e4, 1e4],
      [-1e4, 1e4, -1e4, -1e4, -1e4],
    ];
    const n = 5, m = rows.length;
    const [x, hx] = frameInput(mem, X, LEN, 0, rows.flat());
    const y = frameOutput(mem, Z, LEN, 0, m * n);
    mem.k.softmax_f32_rows(y, x, m, n);
    const out = mem.f32(y, m * n);
    expect(out.every(Number.isFinite), `finite: ${Array.from(out)}`).toBe(true);
    checkFramed(mem, y, m * n, softmaxRowsRef(hx, m, n), softmaxTol(n), `${variant} softmax ±1e4`);
    assertClose(rowSums(out, m, n), [1, 1, 1, 1], softmaxTol(n), `${variant} softmax ±1e4 row sums`);
    // one value per row: the scalar tail alone
    for (const v of [1e4, -1e4]) {
      const [x1] = frameInput(mem, X, LEN, 1, [v]);
      const y1 = frameOutput(mem, Z, LEN, 1, 1);
      mem.k.softmax_f32_rows(y1, x1, 1, 1);
      checkFramed(mem, y1, 1, [1], { atol: 0, rtol: 0 }, `${variant} softmax [${v}]`);
    }
  });

  it('softmax_xent_grad_f32 matches scale·(p − t); in place', () => {
    for (const scale of [1, Math.fround(1 / 32), Math.fround(1 / 3)]) {
      for (const n of SIZES) {
        for (const off of OFFSETS) {
          const label = `${variant} softmax_xent_grad scale=${scale} n=${n} off=${off}`;
          const [p, hp] = frameInput(mem, X, LEN, off, uniformValues(rng, n, 0, 1));
          const [t, ht] = frameInput(mem, T, LEN, off, targets(1, n, off === 1));
          const want = softmaxXentGradRef(hp, ht, scale, n);
          const dz = frameOutput(mem, Z, LEN, off, n);
          mem.k.softmax_xent_grad_f32(dz, p, t, scale, n);
          checkFramed(mem, dz, n, want, GRAD_TOL, label);
          const dz2 = frameOutput(mem, Z, LEN, off, n);
          mem.f32(dz2, n).set(hp);
          mem.k.softmax_xent_grad_f32(dz2, dz2, t, scale, n);
          checkFramed(mem, dz2, n, want, GRAD_TOL, `${label} in place`);
        }
      }
    }
  });

  it('mse_grad_f32 matches scale·(y − t); in place', () => {
    for (const scale of [1, Math.fround(2 / 7)]) {
      for (const n of SIZES) {
        for (const off of OFFSETS) {
          const label = `${variant} mse_grad scale=${scale} n=${n} off=${off}`;
          const [yp, hy] = frameInput(mem, X, LEN, off, uniformValues(rng, n, -3, 3));
          const [t, ht] = frameInput(mem, T, LEN, off, uniformValues(rng, n, -3, 3));
          const want = mseGradRef(hy, ht, scale, n);
          const dz = frameOutput(mem, Z, LEN, off, n);
          mem.k.mse_grad_f32(dz, yp, t, scale, n);
          checkFramed(mem, dz, n, want, GRAD_TOL, label);
          const dz2 = frameOutput(mem, Z, LEN, off, n);
          mem.f32(dz2, n).set(hy);
          mem.k.mse_grad_f32(dz2, dz2, t, scale, n);
          checkFramed(mem, dz2, n, want, GRAD_TOL, `${label} in place`);
        }
      }
    }
  });

  it('softmax_grad_f32 matches the full softmax Jacobian times g, per row; in place (dz == g)', () => {
    for (const m of [1, 2, 3]) {
      for (const n of SIZES) {
        const label = `${variant} softmax_grad m=${m} n=${n}`;
        const probs = Float32Array.from(softmaxRowsRef(logits(m, n), m, n));
        const [p, hp] = frameInput(mem, X, LEN, 0, probs);
        const [g, hg] = frameInput(mem, T, LEN, 1, uniformValues(rng, m * n));
        const want = softmaxGradRef(hg, hp, m, n);
        const dz = frameOutput(mem, Z, LEN, 1, m * n);
        mem.k.softmax_grad_f32(dz, g, p, m, n);
        checkFramed(mem, dz, m * n, want, SOFTMAX_GRAD_TOL, label);
        const dz2 = frameOutput(mem, Z, LEN, 0, m * n);
        mem.f32(dz2, m * n).set(hg);
        mem.k.softmax_grad_f32(dz2, dz2, p, m, n);
        checkFramed(mem, dz2, m * n, want, SOFTMAX_GRAD_TOL, `${label} in place`);
      }
    }
  });

  it('xent_loss_f32 matches float64 log-sum-exp cross-entropy (one-hot and soft targets)', () => {
    for (const m of [0, ...ROWS]) {
      for (const n of SIZES) {
        for (const soft of [false, true]) {
          const label = `${variant} xent_loss m=${m} n=${n} soft=${soft}`;
          // NaN frames: reading past either end would make the loss NaN.
          const [z, hz] = frameInput(mem, X, LEN, 1, logits(m, n));
          const [t, ht] = frameInput(mem, T, LEN, 0, targets(m, n, soft));
          assertCloseScalar(mem.k.xent_loss_f32(z, t, m, n), xentLossRef(hz, ht, m, n), LOSS_TOL, label);
        }
      }
    }
  });

  it('xent_loss_f32 is finite where a probability rounds to 0 and matches float64 log-sum-exp', () => {
    const cases: [number[], number[], number][] = [
      [[1e4, -1e4, 0], [0, 1, 0], 2e4],
      [[60, -60], [0, 1], 120],
      [[-1e4, 1e4, -1e4, 0, 3], [0.5, 0, 0.25, 0.25, 0], 0.5 * 2e4 + 0.25 * 2e4 + 0.25 * 1e4],
      [[1e4, 1e4, 1e4], [1, 0, 0], Math.log(3)],
      // every logit ≪ 0: a naive exp underflows the whole row to 0 and log(0) = −Infinity
      [[-1e4, -10001, -10008], [0, 1, 0], 1 + Math.log(1 + Math.exp(-1) + Math.exp(-8))],
    ];
    for (const [zs, ts, approx] of cases) {
      const n = zs.length;
      const [z, hz] = frameInput(mem, X, LEN, 0, zs);
      const [t, ht] = frameInput(mem, T, LEN, 0, ts);
      const got = mem.k.xent_loss_f32(z, t, 1, n);
      const want = xentLossRef(hz, ht, 1, n);
      expect(Number.isFinite(got), `xent_loss(${zs}) = ${got}`).toBe(true);
      assertCloseScalar(got, want, LOSS_TOL, `${variant} xent_loss ${zs}`);
      assertCloseScalar(want, approx, { atol: 1e-9, rtol: 1e-9 }, `reference sanity ${zs}`);
    }
    // Precondition of the cases above: the targeted probability really rounds to 0 in float32.
    expect(Math.fround(softmaxRowsRef([60, -60], 1, 2)[1]!)).toBe(0);
    expect(Math.fround(softmaxRowsRef([1e4, -1e4, 0], 1, 3)[1]!)).toBe(0);
  });

  it('bce_loss_f32 matches t·softplus(−z) + (1−t)·softplus(z) in float64', () => {
    for (const n of [0, ...SIZES]) {
      for (const soft of [false, true]) {
        const label = `${variant} bce_loss n=${n} soft=${soft}`;
        const zs = uniformValues(rng, n, -20, 20);
        for (let i = 0; i < n; i += 7) zs[i] = [1e4, -1e4, 100, -100, 0][(i / 7) % 5]!;
        const ts = soft ? uniformValues(rng, n, 0, 1) : uniformValues(rng, n, 0, 1).map(Math.round);
        const [z, hz] = frameInput(mem, X, LEN, 1, zs);
        const [t, ht] = frameInput(mem, T, LEN, 0, ts);
        assertCloseScalar(mem.k.bce_loss_f32(z, t, n), bceLossRef(hz, ht, n), LOSS_TOL, label);
      }
    }
  });

  it('bce_loss_f32 at z = ±1e4 is finite and matches float64', () => {
    const cases: [number, number, number][] = [
      [1e4, 1, 0], [1e4, 0, 1e4], [-1e4, 1, 1e4], [-1e4, 0, 0], [1e4, 0.5, 5e3], [-1e4, 0.25, 2.5e3], [1e4, 0.25, 7.5e3],
    ];
    for (const [zv, tv, approx] of cases) {
      const [z, hz] = frameInput(mem, X, LEN, 0, [zv]);
      const [t, ht] = frameInput(mem, T, LEN, 0, [tv]);
      const got = mem.k.bce_loss_f32(z, t, 1);
      expect(Number.isFinite(got), `bce_loss(${zv}, ${tv}) = ${got}`).toBe(true);
      assertCloseScalar(got, bceLossRef(hz, ht, 1), LOSS_TOL, `${variant} bce_loss(${zv}, ${tv})`);
      assertCloseScalar(got, approx, { atol: 1e-9, rtol: 1e-12 }, `${variant} bce_loss(${zv}, ${tv}) closed form`);
    }
  });

  it('mse_loss_f32 matches ½Σ(t − y)² in float64', () => {
    for (const n of [0, ...SIZES]) {
      for (const off of OFFSETS) {
        const label = `${variant} mse_loss n=${n} off=${off}`;
        const [yp, hy] = frameInput(mem, X, LEN, off, uniformValues(rng, n, -3, 3));
        const [t, ht] = frameInput(mem, T, LEN, 1 - off, uniformValues(rng, n, -3, 3));
        assertCloseScalar(mem.k.mse_loss_f32(yp, t, n), mseLossRef(hy, ht, n), LOSS_TOL, label);
      }
    }
  });
});

it('ran the baseline build', () => {
  expect(ran.has('baseline')).toBe(true);
});
