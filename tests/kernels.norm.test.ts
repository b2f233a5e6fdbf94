// The normalization kernels of assembly/norm.ts (batch norm: train, infer, backward; layer norm:
// forward, backward) against the float64 references in tests/ref/norm.ts, over every m, n in DIMS
// (1 to 33, around the SIMD width of 4), at two offsets, with γ and β present or absent (pointer 0) in turn,
// NaN frames around every input (a read past either end poisons the result) and NaN in every output
// slot before the call (an unwritten element fails; SENTINEL either side catches a stray write).
//
// Tolerances: per element, first-order bounds on the kernels' float32 roundings (u = 2^−24), doubled
// to cover the second-order terms. A sum of c terms errs by at most (c − 1)·u·Σ|terms| in any order.
//  - Statistics over c values (c = m for batch norm, n for layer norm), a = mean |x|, V and I the
//    float64 variance and invstd: mean within eμ = (c + 1)·u·a; var relative (c + 3)·u plus the
//    mean's error squared (Σ(x − mean − δ)² = Σ(x − mean)² + c·δ²), so invstd relative
//    ρ = ((c + 3)·u·(V + eμ²) + eμ²) / (2·(V + eps)) + 3u (+ eps, sqrt, 1/·).
//  - xhat: eμ·I + |xhat|·(ρ + 2u); y = xhat·γ + β: |γ|·(xhat's bound) + u·(2|γ·xhat| + |β|).
//  - infer: 2.5u in γ/√(v + eps), 2u in (x − μ)·inv, u in + β: 6u·|(x − μ)·inv| + u·|β|.
//  - dβ = Σ dy within m·u·Σ|dy|, dγ = Σ dy·xhat within (m + 1)·u·Σ|dy·xhat|.
//  - batch dx = k·((m·dy − dβ) − xhat·dγ), k = γ·invstd/m: k·(e_dβ + |xhat|·e_dγ + 3u·P) + 3u·|dx|,
//    P = m|dy| + |dβ| + |xhat·dγ| (the terms that cancel).
//  - layer dx with d = γ·dy, s1 = Σd, s2 = Σd·xhat, k = invstd/n: k·(n·u·Σ|d| + |xhat|·(n + 2)·u·Σ|d·xhat|
//    + 4u·P) + 2u·|dx|, P = n|d| + |s1| + |xhat·s2|.
//  - Moving statistics after 5 updated steps: bit for bit (0 ulp) with the float32 replay of the order
//    documented in assembly/norm.ts (Math.fround per operation; no madd in either build).
//  - Gradient checks (γ, β, x of L = Σ y·R through a kernel forward and backward, against central
//    differences of the float64 forward, h = 1e-5): within 2e-4·T + 1e-7, T the element's Σ|terms| as
//    above. The kernels' float32 error is at most (c + 8)·u·(1 + I·max|x|)·T ≈ 6.6e-5·T for these
//    inputs (|x| ≤ 2, eps = 1e-3, so I·max|x| ≤ 64; c ≤ 9), doubled; seen: 3e-7·T. The float64 formula
//    must agree with the differences within 1e-6·T (seen: 1.5e-9·T), and the check must reject
//    dx = γ·invstd·dy, the gradient that forgets the statistics (seen: off by ≥ 0.22·T somewhere).
import { beforeAll, describe, expect, it } from 'vitest';
import type { SimdVariant } from '../src/wasm/kernels.js';
import {
  assertUntouched, frameInput, frameOutput, Mem, MARGIN, SENTINEL, simdVariants, TestRng, toF64, uniformValues,
} from './helpers.js';
import {
  batchnormBackwardRef, batchnormInferRef, batchnormMovingF32Replay, batchnormTrainRef, layernormBackwardRef,
  layernormForwardRef, type NormForwardRef,
} from './ref/norm.js';

const DIMS = [1, 2, 3, 4, 5, 7, 8, 9, 16, 33];
const LEN = 33 * 33 + 2 * MARGIN + 1;
const OFFSETS = [0, 1];
const U = 2 ** -24;
const EPSILONS = [Math.fround(1e-3), Math.fround(1e-5)];
/** Which of γ, β the call gets (the other pointer is 0). */
const PARAMS = [[true, true], [false, false], [true, false], [false, true]] as const;
const FD_H = 1e-5;
const FD_RTOL = 2e-4;
const FD_ATOL = 1e-7;
const FD_SHAPES = [[1, 3], [2, 5], [3, 4], [4, 1], [5, 7], [8, 9], [9, 2]] as const;

const ran = new Set<SimdVariant>();

describe.each(simdVariants())('normalization kernels (batch norm, layer norm) [%s]', (variant) => {
  let mem: Mem;
  let X = 0, Y = 0, XH = 0, IS = 0, MU = 0, G = 0, B = 0, MM = 0, MV = 0, DY = 0, DX = 0, DG = 0, DB = 0;
  const rng = new TestRng(0x5eed_0020);

  beforeAll(() => {
    mem = new Mem(variant);
    X = mem.alloc(LEN); Y = mem.alloc(LEN); XH = mem.alloc(LEN); IS = mem.alloc(LEN); MU = mem.alloc(LEN);
    G = mem.alloc(LEN); B = mem.alloc(LEN); MM = mem.alloc(LEN); MV = mem.alloc(LEN);
    DY = mem.alloc(LEN); DX = mem.alloc(LEN); DG = mem.alloc(LEN); DB = mem.alloc(LEN);
  });

  /**
   * [m,n] values in groups (columns for batch norm, rows for layer norm): group g is
   * shift_g + spread_g·U(−1, 1), shift in [−4, 4], spread 10^U(−3, 0.5); group 2 is constant.
   */
  function grouped(m: number, n: number, byColumn: boolean): Float32Array {
    const groups = byColumn ? n : m, size = byColumn ? m : n;
    const v = new Float32Array(m * n);
    for (let g = 0; g < groups; g++) {
      const shift = rng.uniform(-4, 4), spread = g === 2 ? 0 : 10 ** rng.uniform(-3, 0.5);
      for (let t = 0; t < size; t++) v[byColumn ? t * n + g : g * n + t] = shift + spread * rng.uniform(-1, 1);
    }
    return v;
  }

  /** Each element of the framed output at ptr within bound[i] of want[i]; the SENTINEL frame untouched. */
  function checkWithin(ptr: number, want: ArrayLike<number>, bound: ArrayLike<number>, label: string): void {
    const n = want.length;
    const v = mem.f32(ptr - MARGIN * 4, n + 2 * MARGIN);
    for (let i = 0; i < n; i++) {
      const g = v[MARGIN + i]!;
      if (!(Math.abs(g - want[i]!) <= bound[i]!)) expect.fail(`${label}: [${i}] got ${g}, want ${want[i]} (bound ${bound[i]})`);
    }
    assertUntouched(v, 0, MARGIN, SENTINEL, `${label} (before the start)`);
    assertUntouched(v, MARGIN + n, n + 2 * MARGIN, SENTINEL, `${label} (past the end)`);
  }

  /** γ in ±[0.5, 1.5] and β in [−1, 1] framed at off, or pointer 0. */
  function params(n: number, off: number, withGamma: boolean, withBeta: boolean): { g: number; b: number; gv: Float64Array | null; bv: Float64Array | null } {
    const gs = uniformValues(rng, n, 0.5, 1.5).map((v) => (rng.next() < 0.3 ? -v : v));
    const [g, gv] = frameInput(mem, G, LEN, off, gs);
    const [b, bv] = frameInput(mem, B, LEN, off, uniformValues(rng, n, -1, 1));
    return withGamma ? (withBeta ? { g, b, gv, bv } : { g, b: 0, gv, bv: null }) : (withBeta ? { g: 0, b, gv: null, bv } : { g: 0, b: 0, gv: null, bv: null });
  }

  /** Bounds for a forward's mean, invstd, xhat and y (header), statistics over `count` values per group. */
  function forwardBounds(ref: NormForwardRef, x: ArrayLike<number>, gv: ArrayLike<number> | null, bv: ArrayLike<number> | null,
    m: number, n: number, eps: number, byColumn: boolean): { mean: Float64Array; invstd: Float64Array; xhat: Float64Array; y: Float64Array } {
    const groups = byColumn ? n : m, count = byColumn ? m : n;
    const at = (g: number, t: number): number => (byColumn ? t * n + g : g * n + t);
    const mean = new Float64Array(groups), invstd = new Float64Array(groups), xhat = new Float64Array(m * n), y = new Float64Array(m * n);
    for (let g = 0; g < groups; g++) {
      let a = 0;
      for (let t = 0; t < count; t++) a += Math.abs(x[at(g, t)]!);
      const eMu = (count + 1) * U * (a / count), V = ref.variance[g]!, I = ref.invstd[g]!;
      const rho = ((count + 3) * U * (V + eMu * eMu) + eMu * eMu) / (2 * (V + eps)) + 3 * U;
      mean[g] = 2 * eMu;
      invstd[g] = 2 * rho * I;
      for (let t = 0; t < count; t++) {
        const i = at(g, t), j = i % n, h = ref.xhat[i]!;
        const gj = gv ? gv[j]! : 1, bj = bv ? bv[j]! : 0;
        xhat[i] = 2 * (eMu * I + Math.abs(h) * (rho + 2 * U));
        y[i] = Math.abs(gj) * xhat[i]! + 2 * U * (2 * Math.abs(gj * h) + Math.abs(bj));
      }
    }
    return { mean, invstd, xhat, y };
  }

  it('instantiates the requested SIMD build', () => {
    expect(mem.be.simd).toBe(variant);
    ran.add(variant);
  });

  it('batchnorm_train_f32 matches float64 per-column statistics, xhat and y; update = 0 leaves the moving statistics', () => {
    let c = 0;
    for (const m of DIMS) {
      for (const n of DIMS) {
        for (const off of OFFSETS) {
          const [withGamma, withBeta] = PARAMS[c % PARAMS.length]!;
          const eps = EPSILONS[Math.floor(c++ / PARAMS.length) % 2]!;
          const label = `${variant} batchnorm_train m=${m} n=${n} off=${off} γ=${withGamma} β=${withBeta}`;
          const [x, hx] = frameInput(mem, X, LEN, off, grouped(m, n, true));
          const { g, b, gv, bv } = params(n, off, withGamma, withBeta);
          const [mm] = frameInput(mem, MM, LEN, off, uniformValues(rng, n, -1, 1));
          const [mv] = frameInput(mem, MV, LEN, off, uniformValues(rng, n, 0.5, 2));
          const before = [...mem.u32(mm - MARGIN * 4, n + 2 * MARGIN), ...mem.u32(mv - MARGIN * 4, n + 2 * MARGIN)];
          const y = frameOutput(mem, Y, LEN, off, m * n), xh = frameOutput(mem, XH, LEN, off, m * n);
          const is = frameOutput(mem, IS, LEN, off, n), mu = frameOutput(mem, MU, LEN, off, n);
          mem.k.batchnorm_train_f32(y, xh, is, mu, x, g, b, m, n, eps, mm, mv, 0.99, 0);
          const ref = batchnormTrainRef(hx, gv, bv, m, n, eps);
          const bound = forwardBounds(ref, hx, gv, bv, m, n, eps, true);
          checkWithin(mu, ref.mean, bound.mean, `${label} mean`);
          checkWithin(is, ref.invstd, bound.invstd, `${label} invstd`);
          checkWithin(xh, ref.xhat, bound.xhat, `${label} xhat`);
          checkWithin(y, ref.y, bound.y, `${label} y`);
          const after = [...mem.u32(mm - MARGIN * 4, n + 2 * MARGIN), ...mem.u32(mv - MARGIN * 4, n + 2 * MARGIN)];
          expect(after, `${label} moving statistics untouched`).toEqual(before);
          if (m === 1) { // var = 0: xhat = 0 and y = β exactly, invstd = 1/√eps in f32
            expect(Array.from(mem.f32(xh, n)).every((v) => v === 0), `${label} xhat = 0`).toBe(true);
            expect(Array.from(mem.f32(y, n)), `${label} y = β`).toEqual(Array.from(bv ?? new Float64Array(n)));
            expect(mem.f32(is, 1)[0], `${label} invstd`).toBe(Math.fround(1 / Math.fround(Math.sqrt(eps))));
          }
        }
      }
    }
  });

  it('batchnorm_train_f32 with update = 1, 5 steps: moving mean and variance equal the float32 replay bit for bit', () => {
    for (const [m, n] of [[1, 5], [2, 3], [3, 7], [8, 9], [33, 16], [16, 33], [5, 4]] as const) {
      for (const momentum of [0.99, 0.9, 0.5, 0]) {
        const label = `${variant} moving statistics m=${m} n=${n} momentum=${momentum}`;
        const wantMean = new Float32Array(n), wantVar = new Float32Array(n).fill(1); // Keras's initial values
        const [mm] = frameInput(mem, MM, LEN, 0, wantMean);
        const [mv] = frameInput(mem, MV, LEN, 0, wantVar);
        for (let step = 0; step < 5; step++) {
          const xs = grouped(m, n, true);
          const [x] = frameInput(mem, X, LEN, 1, xs);
          const y = frameOutput(mem, Y, LEN, 1, m * n), xh = frameOutput(mem, XH, LEN, 1, m * n);
          const is = frameOutput(mem, IS, LEN, 1, n), mu = frameOutput(mem, MU, LEN, 1, n);
          mem.k.batchnorm_train_f32(y, xh, is, mu, x, 0, 0, m, n, EPSILONS[0]!, mm, mv, momentum, 1);
          batchnormMovingF32Replay(xs, m, n, momentum, wantMean, wantVar);
          expect(Array.from(mem.f32(mm, n)), `${label} step ${step} moving mean`).toEqual(Array.from(wantMean));
          expect(Array.from(mem.f32(mv, n)), `${label} step ${step} moving variance`).toEqual(Array.from(wantVar));
          for (const p of [mm, mv]) {
            const v = mem.f32(p - MARGIN * 4, n + 2 * MARGIN);
            assertUntouched(v, 0, MARGIN, NaN, `${label} frame before`);
            assertUntouched(v, MARGIN + n, n + 2 * MARGIN, NaN, `${label} frame after`);
          }
        }
      }
    }
  });

  it('batchnorm_infer_f32 matches (x − movmean)·γ/√(movvar + eps) + β', () => {
    let c = 0;
    for (const m of DIMS) {
      for (const n of DIMS) {
        for (const off of OFFSETS) {
          const [withGamma, withBeta] = PARAMS[c % PARAMS.length]!;
          const eps = EPSILONS[Math.floor(c++ / PARAMS.length) % 2]!;
          const label = `${variant} batchnorm_infer m=${m} n=${n} off=${off} γ=${withGamma} β=${withBeta}`;
          const [x, hx] = frameInput(mem, X, LEN, off, grouped(m, n, true));
          const { g, b, gv, bv } = params(n, off, withGamma, withBeta);
          const mvs = uniformValues(rng, n, 0, 2);
          mvs[0] = 0;
          const [mm, hmm] = frameInput(mem, MM, LEN, off, uniformValues(rng, n, -4, 4));
          const [mv, hmv] = frameInput(mem, MV, LEN, off, mvs);
          const y = frameOutput(mem, Y, LEN, off, m * n);
          mem.k.batchnorm_infer_f32(y, x, g, b, mm, mv, m, n, eps);
          const want = batchnormInferRef(hx, gv, bv, hmm, hmv, m, n, eps);
          const bound = want.map((_, i) => {
            const j = i % n, p = (hx[i]! - hmm[j]!) * (gv ? gv[j]! : 1) / Math.sqrt(hmv[j]! + eps);
            return 2 * U * (6 * Math.abs(p) + Math.abs(bv ? bv[j]! : 0));
          });
          checkWithin(y, want, bound, label);
        }
      }
    }
  });

  it('layernorm_forward_f32 matches float64 per-row statistics, xhat and y', () => {
    let c = 0;
    for (const m of DIMS) {
      for (const n of DIMS) {
        for (const off of OFFSETS) {
          const [withGamma, withBeta] = PARAMS[c % PARAMS.length]!;
          const eps = EPSILONS[Math.floor(c++ / PARAMS.length) % 2]!;
          const label = `${variant} layernorm_forward m=${m} n=${n} off=${off} γ=${withGamma} β=${withBeta}`;
          const [x, hx] = frameInput(mem, X, LEN, off, grouped(m, n, false));
          const { g, b, gv, bv } = params(n, off, withGamma, withBeta);
          const y = frameOutput(mem, Y, LEN, off, m * n), xh = frameOutput(mem, XH, LEN, off, m * n);
          const is = frameOutput(mem, IS, LEN, off, m);
          mem.k.layernorm_forward_f32(y, xh, is, x, g, b, m, n, eps);
          const ref = layernormForwardRef(hx, gv, bv, m, n, eps);
          const bound = forwardBounds(ref, hx, gv, bv, m, n, eps, false);
          checkWithin(is, ref.invstd, bound.invstd, `${label} invstd`);
          checkWithin(xh, ref.xhat, bound.xhat, `${label} xhat`);
          checkWithin(y, ref.y, bound.y, `${label} y`);
          if (n === 1) expect(Array.from(mem.f32(xh, m)).every((v) => v === 0), `${label} xhat = 0`).toBe(true);
        }
      }
    }
  });

  /** dy, xhat, invstd, γ inputs for a backward, framed at off; invstd has `stats` entries. */
  function backwardInputs(m: number, n: number, stats: number, off: number, withGamma: boolean) {
    const [dy, hdy] = frameInput(mem, DY, LEN, off, uniformValues(rng, m * n, -1, 1));
    const [xh, hxh] = frameInput(mem, XH, LEN, off, uniformValues(rng, m * n, -2, 2));
    const [is, his] = frameInput(mem, IS, LEN, off, uniformValues(rng, stats, 0.5, 30));
    const { g, gv } = params(n, off, withGamma, false);
    return { dy, hdy, xh, hxh, is, his, g, gv };
  }

  /** Bounds for dγ and dβ (header). */
  function paramBounds(hdy: ArrayLike<number>, hxh: ArrayLike<number>, m: number, n: number): { dg: Float64Array; db: Float64Array; sdy: Float64Array; sdyx: Float64Array } {
    const sdy = new Float64Array(n), sdyx = new Float64Array(n);
    for (let i = 0; i < m * n; i++) {
      const j = i % n;
      sdy[j] = sdy[j]! + Math.abs(hdy[i]!);
      sdyx[j] = sdyx[j]! + Math.abs(hdy[i]! * hxh[i]!);
    }
    return { dg: sdyx.map((s) => 2 * (m + 1) * U * s), db: sdy.map((s) => 2 * m * U * s), sdy, sdyx };
  }

  it('batchnorm_backward_f32 matches the float64 formula; dx = 0 computes only dγ, dβ', () => {
    for (const m of DIMS) {
      for (const n of DIMS) {
        for (const off of OFFSETS) {
          for (const withGamma of [true, false]) {
            const label = `${variant} batchnorm_backward m=${m} n=${n} off=${off} γ=${withGamma}`;
            const { dy, hdy, xh, hxh, is, his, g, gv } = backwardInputs(m, n, n, off, withGamma);
            const dx = frameOutput(mem, DX, LEN, off, m * n), dg = frameOutput(mem, DG, LEN, off, n), db = frameOutput(mem, DB, LEN, off, n);
            mem.k.batchnorm_backward_f32(dx, dg, db, dy, xh, is, g, m, n);
            const ref = batchnormBackwardRef(hdy, hxh, his, gv, m, n);
            const pb = paramBounds(hdy, hxh, m, n);
            checkWithin(dg, ref.dgamma, pb.dg, `${label} dgamma`);
            checkWithin(db, ref.dbeta, pb.db, `${label} dbeta`);
            const bound = ref.dx.map((v, i) => {
              const j = i % n, k = Math.abs((gv ? gv[j]! : 1) * his[j]!) / m;
              const P = m * Math.abs(hdy[i]!) + Math.abs(ref.dbeta[j]!) + Math.abs(hxh[i]! * ref.dgamma[j]!);
              return 2 * (k * (m * U * pb.sdy[j]! + Math.abs(hxh[i]!) * (m + 1) * U * pb.sdyx[j]! + 3 * U * P) + 3 * U * Math.abs(v));
            });
            checkWithin(dx, ref.dx, bound, `${label} dx`);
            const dx2 = frameOutput(mem, DX, LEN, off, m * n);
            mem.k.batchnorm_backward_f32(0, dg, db, dy, xh, is, g, m, n);
            checkWithin(dg, ref.dgamma, pb.dg, `${label} dx = 0: dgamma`);
            assertUntouched(mem.f32(dx2, m * n), 0, m * n, NaN, `${label} dx = 0: no dx written`);
          }
        }
      }
    }
  });

  it('layernorm_backward_f32 matches the float64 formula; dx = 0 computes only dγ, dβ', () => {
    for (const m of DIMS) {
      for (const n of DIMS) {
        for (const off of OFFSETS) {
          for (const withGamma of [true, false]) {
            const label = `${variant} layernorm_backward m=${m} n=${n} off=${off} γ=${withGamma}`;
            const { dy, hdy, xh, hxh, is, his, g, gv } = backwardInputs(m, n, m, off, withGamma);
            const dx = frameOutput(mem, DX, LEN, off, m * n), dg = frameOutput(mem, DG, LEN, off, n), db = frameOutput(mem, DB, LEN, off, n);
            mem.k.layernorm_backward_f32(dx, dg, db, dy, xh, is, g, m, n);
            const ref = layernormBackwardRef(hdy, hxh, his, gv, m, n);
            const pb = paramBounds(hdy, hxh, m, n);
            checkWithin(dg, ref.dgamma, pb.dg, `${label} dgamma`);
            checkWithin(db, ref.dbeta, pb.db, `${label} dbeta`);
            const bound = new Float64Array(m * n);
            for (let r = 0; r < m; r++) {
              let s1 = 0, s2 = 0, a1 = 0, a2 = 0;
              for (let j = 0; j < n; j++) {
                const i = r * n + j, d = (gv ? gv[j]! : 1) * hdy[i]!;
                s1 += d; s2 += d * hxh[i]!; a1 += Math.abs(d); a2 += Math.abs(d * hxh[i]!);
              }
              const k = his[r]! / n;
              for (let j = 0; j < n; j++) {
                const i = r * n + j, d = (gv ? gv[j]! : 1) * hdy[i]!;
                const P = n * Math.abs(d) + Math.abs(s1) + Math.abs(hxh[i]! * s2);
                bound[i] = 2 * (k * (n * U * a1 + Math.abs(hxh[i]!) * (n + 2) * U * a2 + 4 * U * P) + 2 * U * Math.abs(ref.dx[i]!));
              }
            }
            checkWithin(dx, ref.dx, bound, `${label} dx`);
            const dx2 = frameOutput(mem, DX, LEN, off, m * n);
            mem.k.layernorm_backward_f32(0, dg, db, dy, xh, is, g, m, n);
            checkWithin(db, ref.dbeta, pb.db, `${label} dx = 0: dbeta`);
            assertUntouched(mem.f32(dx2, m * n), 0, m * n, NaN, `${label} dx = 0: no dx written`);
          }
        }
      }
    }
  });

  /**
   * Kernel forward then backward with dy = R, against central differences of L = Σ y·R through the
   * float64 forward, for x, γ, β; and the check rejects the gradient that ignores the statistics.
   */
  function gradcheck(kind: 'batch' | 'layer', m: number, n: number, withParams: boolean): void {
    const label = `${variant} ${kind} norm gradient check m=${m} n=${n} γ,β=${withParams}`;
    const eps = EPSILONS[0]!, stats = kind === 'batch' ? n : m;
    const fwd = kind === 'batch' ? batchnormTrainRef : layernormForwardRef;
    const bwd = kind === 'batch' ? batchnormBackwardRef : layernormBackwardRef;
    const [x, hx] = frameInput(mem, X, LEN, 0, uniformValues(rng, m * n, -2, 2));
    const { g, b, gv, bv } = params(n, 0, withParams, withParams);
    const [dy, R] = frameInput(mem, DY, LEN, 0, uniformValues(rng, m * n, -1, 1));
    const y = frameOutput(mem, Y, LEN, 0, m * n), xh = frameOutput(mem, XH, LEN, 0, m * n), is = frameOutput(mem, IS, LEN, 0, stats);
    if (kind === 'batch') mem.k.batchnorm_train_f32(y, xh, is, frameOutput(mem, MU, LEN, 0, n), x, g, b, m, n, eps, 0, 0, 0.99, 0);
    else mem.k.layernorm_forward_f32(y, xh, is, x, g, b, m, n, eps);
    const dx = frameOutput(mem, DX, LEN, 0, m * n), dg = frameOutput(mem, DG, LEN, 0, n), db = frameOutput(mem, DB, LEN, 0, n);
    if (kind === 'batch') mem.k.batchnorm_backward_f32(dx, dg, db, dy, xh, is, g, m, n);
    else mem.k.layernorm_backward_f32(dx, dg, db, dy, xh, is, g, m, n);
    const got = { dx: toF64(mem.f32(dx, m * n)), dgamma: toF64(mem.f32(dg, n)), dbeta: toF64(mem.f32(db, n)) };
    if (kind === 'batch' ? m === 1 : n === 1) { // one value per statistic: xhat = 0 and dx = 0 exactly
      expect(Array.from(mem.f32(xh, m * n)).every((v) => v === 0), `${label}: xhat = 0`).toBe(true);
      expect(Array.from(got.dx).every((v) => v === 0), `${label}: dx = 0`).toBe(true);
    }

    const gam = gv ? Float64Array.from(gv) : new Float64Array(n).fill(1), bet = bv ? Float64Array.from(bv) : new Float64Array(n);
    const xv = Float64Array.from(hx);
    const loss = (): number => { const yy = fwd(xv, gam, bet, m, n, eps).y; let L = 0; for (let i = 0; i < m * n; i++) L += yy[i]! * R[i]!; return L; };
    const fd = (v: Float64Array, i: number): number => {
      const o = v[i]!;
      v[i] = o + FD_H; const lp = loss();
      v[i] = o - FD_H; const lm = loss();
      v[i] = o;
      return (lp - lm) / (2 * FD_H);
    };
    // Term scales T from the float64 forward (header), and the float64 formula, which must agree with the differences too.
    const ref = fwd(xv, gam, bet, m, n, eps);
    const exact = bwd(R, ref.xhat, ref.invstd, gam, m, n);
    const T = { dx: new Float64Array(m * n), dgamma: new Float64Array(n), dbeta: new Float64Array(n) };
    for (let i = 0; i < m * n; i++) {
      const j = i % n;
      T.dbeta[j] = T.dbeta[j]! + Math.abs(R[i]!);
      T.dgamma[j] = T.dgamma[j]! + Math.abs(R[i]! * ref.xhat[i]!);
    }
    const naive = new Float64Array(m * n);
    for (let r = 0; r < m; r++) {
      let a1 = 0, a2 = 0;
      for (let j = 0; j < n; j++) { a1 += Math.abs(gam[j]! * R[r * n + j]!); a2 += Math.abs(gam[j]! * R[r * n + j]! * ref.xhat[r * n + j]!); }
      for (let j = 0; j < n; j++) {
        const i = r * n + j, I = ref.invstd[kind === 'batch' ? j : r]!;
        T.dx[i] = kind === 'batch'
          ? Math.abs(gam[j]! * I / m) * (m * Math.abs(R[i]!) + T.dbeta[j]! + Math.abs(ref.xhat[i]!) * T.dgamma[j]!)
          : (I / n) * (n * Math.abs(gam[j]! * R[i]!) + a1 + Math.abs(ref.xhat[i]!) * a2);
        naive[i] = gam[j]! * I * R[i]!;
      }
    }
    let rejected = false;
    for (const [name, v, count] of [['dx', xv, m * n], ['dgamma', gam, n], ['dbeta', bet, n]] as const) {
      for (let i = 0; i < count; i++) {
        const want = fd(v, i), tol = FD_RTOL * T[name][i]! + FD_ATOL;
        if (!(Math.abs(exact[name][i]! - want) <= 1e-6 * T[name][i]! + FD_ATOL)) expect.fail(`${label}: float64 ${name}[${i}] ${exact[name][i]} vs differences ${want}`);
        if (!(Math.abs(got[name][i]! - want) <= tol)) expect.fail(`${label}: ${name}[${i}] got ${got[name][i]}, differences ${want} (tol ${tol})`);
        if (name === 'dx' && !(Math.abs(naive[i]! - want) <= tol)) rejected = true;
      }
    }
    expect(rejected, `${label}: the check rejects dx = γ·invstd·dy`).toBe(true);
  }

  it('batchnorm_train_f32 + batchnorm_backward_f32 pass a float64 central-difference check (x, γ, β)', () => {
    for (const [m, n] of FD_SHAPES) for (const withParams of [true, false]) gradcheck('batch', m, n, withParams);
  });

  it('layernorm_forward_f32 + layernorm_backward_f32 pass a float64 central-difference check (x, γ, β)', () => {
    for (const [m, n] of FD_SHAPES) for (const withParams of [true, false]) gradcheck('layer', m, n, withParams);
  });
});

it('ran the baseline build', () => {
  expect(ran.has('baseline')).toBe(true);
});
