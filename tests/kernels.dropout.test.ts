// dropout_forward_f32 (assembly/dropout.ts) against the BigInt reimplementation of its generator in
// tests/ref/dropout.ts, over the lengths of SIZES at two offsets, with NaN frames around x and NaN in
// every output slot before the call (SENTINEL either side catches a stray write).
//
// Tolerances: none. The mask is a pure function of (key, step, i) and must match bit for bit; kept
// units hold exactly f32(1/(1 − rate)) and y = x·mask is one float32 product (Math.fround of the
// float64 product is that product, 24 + 24 bits < 53). Statistical checks use 4σ of the binomial:
// over N units kept with probability p, |kept − N·p| ≤ 4·√(N·p·(1 − p)) (p is 1 − rate up to 2^−24,
// the resolution of u). Two masks drawn independently at rate ½ agree on N/2 ± 4·√N/2 units.
import { beforeAll, describe, expect, it } from 'vitest';
import type { SimdVariant } from '../src/wasm/kernels.js';
import { checkFramed, frameInput, frameOutput, Mem, SIZES, simdVariants, TestRng, uniformValues, type Tol } from './helpers.js';
import { dropoutBitsRef, dropoutMaskRef, splitmix64Ref } from './ref/dropout.js';

const LEN = 4096 + 16; // ≥ the 4096 units of the independence check; framed SIZES fit too
const BIG = 1_000_000;
const OFFSETS = [0, 1];
const EXACT: Tol = { atol: 0, rtol: 0 };
const KEYS = [[0, 0], [0x12345678, 0x9abcdef0], [0xffffffff, 0xffffffff]] as const;
const STEPS = [0, 1, 0xffffffff];
const RATES = [0.1, 0.5, 0.9, 1 / 3];

const ran = new Set<SimdVariant>();

describe.each(simdVariants())('dropout_forward_f32 [%s]', (variant) => {
  let mem: Mem;
  let X = 0, Y = 0, M = 0;
  const rng = new TestRng(0x5eed_0021);

  beforeAll(() => {
    mem = new Mem(variant);
    X = mem.alloc(LEN); Y = mem.alloc(LEN); M = mem.alloc(LEN);
  });

  /** The mask of count units (no frame) as float32 values. */
  function maskOf(count: number, rate: number, key: readonly [number, number], step: number, ptrs = { x: X, y: Y, m: M }): Float32Array {
    mem.k.dropout_forward_f32(ptrs.y, ptrs.m, ptrs.x, count, rate, key[0], key[1], step);
    return mem.f32(ptrs.m, count).slice();
  }

  it('instantiates the requested SIMD build', () => {
    expect(mem.be.simd).toBe(variant);
    ran.add(variant);
  });

  it('the generator is splitmix64: its published outputs from state 0, and u ≥ rate at the boundary', () => {
    expect(splitmix64Ref(0n)).toBe(0xe220a8397b1dcdafn);
    expect(splitmix64Ref(0x9e3779b97f4a7c15n)).toBe(0x6e789e6aa1b965f4n);
    const [u0, u1] = [0xe220a8 * 2 ** -24, 0x6e789e * 2 ** -24]; // key 0, step 0: i = 0 and 1 draw these
    expect(maskOf(2, u0, [0, 0], 0)[0]).toBe(Math.fround(1 / (1 - u0)));
    expect(maskOf(2, u0 + 2 ** -24, [0, 0], 0)[0]).toBe(0);
    expect(maskOf(2, u1, [0, 0], 0)[1]).toBe(Math.fround(1 / (1 - u1)));
    expect(maskOf(2, u1 + 2 ** -24, [0, 0], 0)[1]).toBe(0);
  });

  it('masks equal the BigInt reference bit for bit and y = x·mask exactly (keys, steps, rates, lengths); in place', () => {
    for (const n of SIZES) {
      for (const key of KEYS) {
        for (const step of STEPS) {
          const bits = dropoutBitsRef(n, key[0], key[1], step);
          for (const rate of RATES) {
            const off = rng.int(2);
            const label = `${variant} dropout n=${n} key=${key} step=${step} rate=${rate} off=${off}`;
            const want = dropoutMaskRef(bits, rate);
            const [x, hx] = frameInput(mem, X, LEN, OFFSETS[off]!, uniformValues(rng, n, -3, 3));
            const y = frameOutput(mem, Y, LEN, OFFSETS[off]!, n), mask = frameOutput(mem, M, LEN, OFFSETS[off]!, n);
            mem.k.dropout_forward_f32(y, mask, x, n, rate, key[0], key[1], step);
            checkFramed(mem, mask, n, want, EXACT, `${label} mask`);
            const prod = want.map((v, i) => Math.fround(hx[i]! * v));
            checkFramed(mem, y, n, prod, EXACT, `${label} y`);
            // in place: y = x
            const mask2 = frameOutput(mem, M, LEN, OFFSETS[off]!, n);
            mem.k.dropout_forward_f32(x, mask2, x, n, rate, key[0], key[1], step);
            checkFramed(mem, mask2, n, want, EXACT, `${label} in place mask`);
            expect(Array.from(mem.f32(x, n)), `${label} in place y`).toEqual(Array.from(prod));
          }
        }
      }
    }
  });

  it('rate 0 keeps every unit with mask exactly 1 and y = x bit for bit', () => {
    for (const n of SIZES) {
      const xs = uniformValues(rng, n, -3, 3);
      const [x] = frameInput(mem, X, LEN, 1, xs);
      const y = frameOutput(mem, Y, LEN, 1, n), mask = frameOutput(mem, M, LEN, 1, n);
      mem.k.dropout_forward_f32(y, mask, x, n, 0, 0xdeadbeef, 7, 3);
      checkFramed(mem, mask, n, new Float32Array(n).fill(1), EXACT, `${variant} rate 0 n=${n} mask`);
      checkFramed(mem, y, n, xs, EXACT, `${variant} rate 0 n=${n} y`);
    }
  });

  it('keeps a fraction within 4σ of 1 − rate over 1e6 units (rates 0.1, 0.5, 0.9), kept units scaled by f32(1/(1 − rate))', () => {
    const big = { x: mem.alloc(BIG), y: mem.alloc(BIG), m: mem.alloc(BIG) };
    mem.f32(big.x, BIG).fill(1);
    for (const rate of [0.1, 0.5, 0.9]) {
      const keep = Math.fround(1 / (1 - rate));
      const mask = maskOf(BIG, rate, [0x2545f491, 0x4f6cdd1d], 12345, big);
      let kept = 0, other = 0;
      for (let i = 0; i < BIG; i++) { const v = mask[i]!; if (v === keep) kept++; else if (v !== 0) other++; }
      expect(other, `${variant} rate ${rate}: every mask value is 0 or f32(1/(1 − rate))`).toBe(0);
      const p = 1 - rate, sigma = Math.sqrt(BIG * p * (1 - p));
      expect(Math.abs(kept - BIG * p), `${variant} rate ${rate}: kept ${kept} of ${BIG}`).toBeLessThanOrEqual(4 * sigma);
      expect(Array.from(mem.f32(big.y, BIG).subarray(0, 64)), `${variant} rate ${rate}: y = 1·mask`).toEqual(Array.from(mask.subarray(0, 64)));
    }
  });

  it('different steps and keys give independent masks (agreement within 4σ of ½ at rate ½)', () => {
    const n = 4096, sigma = Math.sqrt(n) / 2;
    const base = maskOf(n, 0.5, [11, 22], 5);
    const others: [string, Float32Array][] = [
      ['next step', maskOf(n, 0.5, [11, 22], 6)],
      ['step + 2^31', maskOf(n, 0.5, [11, 22], 5 + 2 ** 31)],
      ['key_lo + 1', maskOf(n, 0.5, [12, 22], 5)],
      ['key_hi + 1', maskOf(n, 0.5, [11, 23], 5)],
    ];
    expect(Array.from(maskOf(n, 0.5, [11, 22], 5)), `${variant} same (key, step): same mask`).toEqual(Array.from(base));
    for (const [what, mask] of others) {
      let agree = 0;
      for (let i = 0; i < n; i++) if (mask[i] === base[i]) agree++;
      expect(Math.abs(agree - n / 2), `${variant} ${what}: ${agree} of ${n} units agree`).toBeLessThanOrEqual(4 * sigma);
    }
  });
});

it('ran the baseline build', () => {
  expect(ran.has('baseline')).toBe(true);
});
