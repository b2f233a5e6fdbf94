// The weight penalties of assembly/penalty.ts (Keras's l1/l2 regularizers) against tests/ref/penalty.ts,
// over the lengths of SIZES (and 0) at two offsets, with NaN frames around w and SENTINEL around gw.
//
// Tolerances:
//  - l1l2_penalty_f32: the float32 weights and their squares are exact in float64, so only the float64
//    sums round: n ≤ 1001 non-negative terms err by at most n·2^−53 ≈ 1.1e-13 relative; rtol 1e-12.
//  - l1l2_grad_f32: bit for bit with the Math.fround replay of the order documented in the kernel
//    (gw + (l1·s + (2·l2)·w), each operation rounded; no madd in either build), and within
//    2·u·(|gw| + 2·(l1 + |2·l2·w|)) of the float64 gradient (3 roundings, u = 2^−24, doubled).
import { beforeAll, describe, expect, it } from 'vitest';
import type { SimdVariant } from '../src/wasm/kernels.js';
import {
  assertClose, assertCloseScalar, checkFramed, frameInput, frameOutput, Mem, SIZES, simdVariants, TestRng, uniformValues, type Tol,
} from './helpers.js';
import { l1l2GradF32Replay, l1l2GradRef, l1l2PenaltyRef } from './ref/penalty.js';

const LEN = 2048;
const OFFSETS = [0, 1];
const EXACT: Tol = { atol: 0, rtol: 0 };
const PENALTY_TOL: Tol = { atol: 0, rtol: 1e-12 };
const U = 2 ** -24;
/** (l1, l2): each alone, Keras's default 0.01, both, and a large l2. */
const COEFFS = [[0.01, 0], [0, 0.01], [1e-3, 2e-3], [1e-4, 3]] as const;

const ran = new Set<SimdVariant>();

describe.each(simdVariants())('penalty kernels (l1, l2) [%s]', (variant) => {
  let mem: Mem;
  let W = 0, GW = 0;
  const rng = new TestRng(0x5eed_0022);

  beforeAll(() => {
    mem = new Mem(variant);
    W = mem.alloc(LEN); GW = mem.alloc(LEN);
  });

  /** Weights in [−2, 2) with every 7th exactly ±0. */
  function weights(n: number): Float32Array {
    const w = uniformValues(rng, n, -2, 2);
    for (let i = 3; i < n; i += 7) w[i] = i % 2 ? 0 : -0;
    return w;
  }

  it('instantiates the requested SIMD build', () => {
    expect(mem.be.simd).toBe(variant);
    ran.add(variant);
  });

  it('l1l2_penalty_f32 matches float64 l1·Σ|w| + l2·Σw²', () => {
    for (const n of [0, ...SIZES]) {
      for (const off of OFFSETS) {
        for (const [l1, l2] of COEFFS) {
          const [w, hw] = frameInput(mem, W, LEN, off, weights(n));
          assertCloseScalar(mem.k.l1l2_penalty_f32(w, n, l1, l2), l1l2PenaltyRef(hw, n, l1, l2), PENALTY_TOL, `${variant} penalty n=${n} off=${off} l1=${l1} l2=${l2}`);
        }
      }
    }
  });

  it('l1l2_grad_f32 adds l1·sign(w) + 2·l2·w: the float32 replay bit for bit, and close to float64', () => {
    for (const n of SIZES) {
      for (const off of OFFSETS) {
        for (const [l1, l2] of COEFFS) {
          const label = `${variant} l1l2_grad n=${n} off=${off} l1=${l1} l2=${l2}`;
          const [w, hw] = frameInput(mem, W, LEN, off, weights(n));
          const g0 = uniformValues(rng, n, -1, 1);
          const gw = frameOutput(mem, GW, LEN, off, n);
          mem.f32(gw, n).set(g0);
          mem.k.l1l2_grad_f32(gw, w, n, l1, l2);
          checkFramed(mem, gw, n, l1l2GradF32Replay(g0, hw, n, l1, l2), EXACT, `${label} (replay)`);
          const want = l1l2GradRef(g0, hw, n, l1, l2);
          const got = mem.f32(gw, n);
          for (let i = 0; i < n; i++) {
            const bound = 2 * U * (Math.abs(g0[i]!) + 2 * (l1 + Math.abs(2 * l2 * hw[i]!)));
            if (!(Math.abs(got[i]! - want[i]!) <= bound)) expect.fail(`${label}: [${i}] got ${got[i]}, float64 ${want[i]} (bound ${bound})`);
          }
        }
      }
    }
  });

  it('sign(±0) = 0: zero weights leave gw unchanged bit for bit (vector body and tail)', () => {
    const n = 7; // lanes 0–3 in the body, 4–6 in the tail
    const [w] = frameInput(mem, W, LEN, 0, [0, -0, 0, -0, -0, 0, -0]);
    for (const [l1, l2] of [[0.25, 0], [0.25, 1]] as const) {
      const g0 = Float32Array.from([0.5, -1.25, 3, -0.125, 2, -7, 0.75]);
      const gw = frameOutput(mem, GW, LEN, 0, n);
      mem.f32(gw, n).set(g0);
      mem.k.l1l2_grad_f32(gw, w, n, l1, l2);
      assertClose(mem.f32(gw, n), g0, EXACT, `${variant} l1=${l1} l2=${l2} at w = ±0`);
    }
    expect(mem.k.l1l2_penalty_f32(w, n, 1, 1), `${variant} penalty of zeros`).toBe(0);
  });
});

it('ran the baseline build', () => {
  expect(ran.has('baseline')).toBe(true);
});
