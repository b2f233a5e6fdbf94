// The elementwise loss kernels of assembly/loss.ts (mae, huber, poisson) against the float64
// references in tests/ref/loss.ts, over the lengths of SIZES (around the SIMD width of 4), at two
// offsets, with NaN frames around every input (a read past either end poisons the result) and NaN
// in every output slot before the call (an unwritten element fails).
//
// Tolerances (|d| ≤ max(atol, rtol·|ref|)):
//  - value kernels are float64 sums of float32 inputs: rtol 1e-10, atol 1e-9.
//  - mae_grad: exact (a sign times scale).
//  - huber_grad (an f32 difference, a clamp, a product): rtol 1.3e-7 (2 roundings), atol 1e-30.
//  - poisson_grad: per element, scale·6e-8·(4|q| + 2|1 − q| + 1) with q = t/(y + ε): the f32
//    roundings of y + ε, of q and of 1 − q (which cancels where q ≈ 1), and of the product.
import { beforeAll, describe, expect, it } from 'vitest';
import type { SimdVariant } from '../src/wasm/kernels.js';
import {
  assertCloseScalar, checkFramed, frameInput, frameOutput, Mem, MARGIN, SENTINEL, SIZES, simdVariants, TestRng,
  uniformValues, type Tol,
} from './helpers.js';
import { huberGradRef, huberLossRef, maeGradRef, maeLossRef, poissonGradRef, poissonLossRef } from './ref/loss.js';

const LEN = 2048;
const OFFSETS = [0, 1];
const SCALES = [1, Math.fround(1 / 32), Math.fround(2 / 7)];
const LOSS_TOL: Tol = { atol: 1e-9, rtol: 1e-10 };
const EXACT: Tol = { atol: 0, rtol: 0 };
const GRAD_TOL: Tol = { atol: 1e-30, rtol: 1.3e-7 };

const ran = new Set<SimdVariant>();

describe.each(simdVariants())('loss kernels (mae, huber, poisson) [%s]', (variant) => {
  let mem: Mem;
  let Y = 0, T = 0, Z = 0;
  const rng = new TestRng(0x5eed_0013);

  beforeAll(() => {
    mem = new Mem(variant);
    Y = mem.alloc(LEN); T = mem.alloc(LEN); Z = mem.alloc(LEN);
  });

  /** Outputs in [−3, 3) and targets, some equal to the output (r = 0) and some exactly δ = 1 away. */
  function pair(n: number): [Float32Array, Float32Array] {
    const y = uniformValues(rng, n, -3, 3), t = uniformValues(rng, n, -3, 3);
    for (let i = 0; i < n; i += 5) t[i] = y[i]!;
    for (let i = 3; i < n; i += 11) t[i] = Math.fround(y[i]! - 1);
    return [y, t];
  }

  /** Runs a gradient kernel into a framed output and in place (dz == y); returns the float64 inputs. */
  function grad(off: number, ys: Float32Array, ts: Float32Array, run: (dz: number, y: number, t: number) => void,
    want: (hy: Float64Array, ht: Float64Array) => ArrayLike<number>, tol: Tol, label: string): void {
    const n = ys.length;
    const [y, hy] = frameInput(mem, Y, LEN, off, ys);
    const [t, ht] = frameInput(mem, T, LEN, off, ts);
    const ref = want(hy, ht);
    const dz = frameOutput(mem, Z, LEN, off, n);
    run(dz, y, t);
    checkFramed(mem, dz, n, ref, tol, label);
    const dz2 = frameOutput(mem, Z, LEN, off, n);
    mem.f32(dz2, n).set(hy);
    run(dz2, dz2, t);
    checkFramed(mem, dz2, n, ref, tol, `${label} in place`);
  }

  it('instantiates the requested SIMD build', () => {
    expect(mem.be.simd).toBe(variant);
    ran.add(variant);
  });

  it('mae_loss_f32 and huber_loss_f32 (δ = 1 and 0.5) match float64 Σ|r| and Σ h(r)', () => {
    for (const n of [0, ...SIZES]) {
      for (const off of OFFSETS) {
        const [ys, ts] = pair(n);
        const [y, hy] = frameInput(mem, Y, LEN, off, ys);
        const [t, ht] = frameInput(mem, T, LEN, 1 - off, ts);
        assertCloseScalar(mem.k.mae_loss_f32(y, t, n), maeLossRef(hy, ht, n), LOSS_TOL, `${variant} mae_loss n=${n} off=${off}`);
        for (const delta of [1, 0.5]) {
          assertCloseScalar(mem.k.huber_loss_f32(y, t, delta, n), huberLossRef(hy, ht, delta, n), LOSS_TOL, `${variant} huber_loss δ=${delta} n=${n} off=${off}`);
        }
      }
    }
  });

  it('mae_grad_f32 is scale·sign(y − t), 0 where y = t, bit for bit; in place', () => {
    for (const scale of SCALES) {
      for (const n of SIZES) {
        for (const off of OFFSETS) {
          const [ys, ts] = pair(n);
          grad(off, ys, ts, (dz, y, t) => mem.k.mae_grad_f32(dz, y, t, scale, n), (hy, ht) => maeGradRef(hy, ht, scale, n), EXACT, `${variant} mae_grad scale=${scale} n=${n} off=${off}`);
        }
      }
    }
    // y = t gives +0, not −0 or NaN
    const [y, t] = [frameInput(mem, Y, LEN, 0, [2, -2, 0, 5, 1])[0], frameInput(mem, T, LEN, 0, [2, -2, 0, 5, 1])[0]];
    const dz = frameOutput(mem, Z, LEN, 0, 5);
    mem.k.mae_grad_f32(dz, y, t, 1, 5);
    expect(Array.from(mem.f32(dz, 5)).every((v) => Object.is(v, 0))).toBe(true);
  });

  it('huber_grad_f32 (δ = 1 and 0.5) is scale·clamp(y − t, −δ, δ); in place', () => {
    for (const delta of [1, 0.5]) {
      for (const scale of SCALES) {
        for (const n of SIZES) {
          for (const off of OFFSETS) {
            const [ys, ts] = pair(n);
            grad(off, ys, ts, (dz, y, t) => mem.k.huber_grad_f32(dz, y, t, scale, delta, n), (hy, ht) => huberGradRef(hy, ht, scale, delta, n), GRAD_TOL,
              `${variant} huber_grad δ=${delta} scale=${scale} n=${n} off=${off}`);
          }
        }
      }
    }
  });

  it('poisson_loss_f32 matches float64 Σ y − t·log(y + 1e-7), with outputs 0 and counts 0', () => {
    for (const n of [0, ...SIZES]) {
      for (const off of OFFSETS) {
        const ys = uniformValues(rng, n, 0, 3), ts = uniformValues(rng, n, 0, 5).map(Math.round);
        for (let i = 0; i < n; i += 7) ys[i] = 0; // log(1e-7), finite
        const [y, hy] = frameInput(mem, Y, LEN, off, ys);
        const [t, ht] = frameInput(mem, T, LEN, 1 - off, ts);
        assertCloseScalar(mem.k.poisson_loss_f32(y, t, n), poissonLossRef(hy, ht, n), LOSS_TOL, `${variant} poisson_loss n=${n} off=${off}`);
      }
    }
  });

  it('poisson_grad_f32 matches scale·(1 − t/(y + 1e-7)) within its rounding bound; in place', () => {
    for (const scale of SCALES) {
      for (const n of SIZES) {
        for (const off of OFFSETS) {
          const label = `${variant} poisson_grad scale=${scale} n=${n} off=${off}`;
          const ys = uniformValues(rng, n, 0, 3), ts = uniformValues(rng, n, 0, 4);
          for (let i = 0; i < n; i += 7) ys[i] = 0;
          for (let i = 2; i < n; i += 9) ts[i] = ys[i]!; // q ≈ 1: 1 − q cancels
          const [y, hy] = frameInput(mem, Y, LEN, off, ys);
          const [t, ht] = frameInput(mem, T, LEN, off, ts);
          const want = poissonGradRef(hy, ht, scale, n);
          for (const inPlace of [false, true]) {
            const dz = frameOutput(mem, Z, LEN, off, n);
            if (inPlace) mem.f32(dz, n).set(hy);
            mem.k.poisson_grad_f32(dz, inPlace ? dz : y, t, scale, n);
            const got = mem.f32(dz - MARGIN * 4, n + 2 * MARGIN);
            for (let i = 0; i < n; i++) {
              const q = ht[i]! / (hy[i]! + 1e-7);
              const bound = scale * 6e-8 * (4 * Math.abs(q) + 2 * Math.abs(1 - q) + 1);
              const g = got[MARGIN + i]!;
              if (!(Math.abs(g - want[i]!) <= bound)) expect.fail(`${label}${inPlace ? ' in place' : ''}: [${i}] got ${g}, want ${want[i]} (bound ${bound})`);
            }
            for (const j of [0, MARGIN - 1, MARGIN + n, 2 * MARGIN + n - 1]) expect(got[j], `${label} frame`).toBe(SENTINEL);
          }
        }
      }
    }
  });

  it('a NaN output gives a NaN gradient in the vector body and in the tail (mae, huber, poisson)', () => {
    const n = 7; // lanes 0–3 in the body, 4–6 in the tail
    const ys = Float32Array.from([0.5, NaN, 0.25, 1, 2, NaN, 0.5]);
    const ts = Float32Array.from([0.5, 1, 0, 3, 1, 1, 0.25]);
    const kernels: [string, (dz: number, y: number, t: number) => void][] = [
      ['mae_grad', (dz, y, t) => mem.k.mae_grad_f32(dz, y, t, 1, n)],
      ['huber_grad', (dz, y, t) => mem.k.huber_grad_f32(dz, y, t, 1, 1, n)],
      ['poisson_grad', (dz, y, t) => mem.k.poisson_grad_f32(dz, y, t, 1, n)],
    ];
    for (const [name, run] of kernels) {
      const [y] = frameInput(mem, Y, LEN, 0, ys);
      const [t] = frameInput(mem, T, LEN, 0, ts);
      const dz = frameOutput(mem, Z, LEN, 0, n, 7); // poison 7: every element must be rewritten
      run(dz, y, t);
      const got = Array.from(mem.f32(dz, n));
      expect(got.map(Number.isNaN), `${variant} ${name}: ${got}`).toEqual([false, true, false, false, false, true, false]);
      expect(got.includes(7), `${variant} ${name} wrote every element`).toBe(false);
    }
    const [y] = frameInput(mem, Y, LEN, 0, ys);
    const [t] = frameInput(mem, T, LEN, 0, ts);
    for (const [name, v] of [['mae', mem.k.mae_loss_f32(y, t, n)], ['huber', mem.k.huber_loss_f32(y, t, 1, n)], ['poisson', mem.k.poisson_loss_f32(y, t, n)]] as const) {
      expect(Number.isNaN(v), `${variant} ${name}_loss with a NaN output`).toBe(true);
    }
  });
});

it('ran the baseline build', () => {
  expect(ran.has('baseline')).toBe(true);
});

