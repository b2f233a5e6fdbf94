// gemv_f32_nt and gemv_f32_nt_hsum: a layer's forward product C = X·Wᵀ (+ bias), out2 = f(C),
// for a few rows of X, W read in place.
//
// Checks per case:
//  1. both kernels against float64 (matmulRef 'nt', + bias, then the activation from tests/ref on
//     the kernel's own float32 C), with tests/gemm-tester.ts's tolerance;
//  2. gemv_f32_nt bit for bit against matmul_f32_ep with the same epilogue (the packed path's
//     summation order, including its k blocks for k > 256);
//  3. outputs poisoned (NaN) before the call and sentinels past their ends; out2 untouched without
//     an activation; X, W and bias unchanged.
// Shapes sweep the 4-neuron groups and the 16-neuron pass (n), the 4-wide k step and the KC = 256
// block split (k), rows 1..9, with row strides wider than the rows.
import { beforeAll, describe, expect, it } from 'vitest';
import type { SimdVariant } from '../src/wasm/kernels.js';
import { assertClose, assertUntouched, fillUniform, Mem, SENTINEL, simdVariants, TestRng, toF64 } from './helpers.js';
import { leakyReluRef, reluRef, sigmoidRef, tanhRef } from './ref/activation.js';
import { ACTIVATIONS } from '../src/activations.js';
import { biasAddRef } from './ref/elementwise.js';
import { matmulRef } from './ref/matmul.js';

const ACTS = ['none', 'sigmoid', 'tanh', 'relu', 'leakyRelu'] as const;
type Act = (typeof ACTS)[number];
const ACT_CODE: Record<Act, number> = {
  none: 0, sigmoid: ACTIVATIONS.sigmoid.code, tanh: ACTIVATIONS.tanh.code, relu: ACTIVATIONS.relu.code, leakyRelu: ACTIVATIONS.leakyRelu.code,
};
const ALPHA = 0.07;
const MS = [1, 2, 3, 4, 5, 6, 7, 8, 9];
const NS = [1, 3, 4, 5, 7, 8, 9, 15, 16, 17, 33];
const KS = [1, 3, 4, 5, 7, 8, 9, 255, 256, 257, 300];
const XPAD = 3, CPAD = 2; // row strides wider than the rows (floats)
const CAP = 40_000;
const PAD = 8;

function actRef(act: Act, z: Float64Array): Float64Array {
  const n = z.length;
  switch (act) {
    case 'none': return z;
    case 'sigmoid': return sigmoidRef(z, n);
    case 'tanh': return tanhRef(z, n);
    case 'relu': return reluRef(z, n);
    case 'leakyRelu': return leakyReluRef(z, ALPHA, n);
  }
}

describe.each(simdVariants())('gemv kernels [%s]', (variant: SimdVariant) => {
  let mem: Mem;
  let X = 0, W = 0, BIAS = 0, C = 0, O = 0, C2 = 0, O2 = 0;
  let hostX: Float64Array, hostW: Float64Array, hostB: Float64Array;
  const rng = new TestRng(0x9e3_0011);

  beforeAll(() => {
    mem = new Mem(variant);
    X = mem.alloc(CAP); W = mem.alloc(CAP); BIAS = mem.alloc(64);
    C = mem.alloc(CAP); O = mem.alloc(CAP); C2 = mem.alloc(CAP); O2 = mem.alloc(CAP);
    fillUniform(mem.f32(X, CAP), rng);
    fillUniform(mem.f32(W, CAP), rng);
    fillUniform(mem.f32(BIAS, 64), rng, -0.5, 0.5);
    hostX = toF64(mem.f32(X, CAP)); hostW = toF64(mem.f32(W, CAP)); hostB = toF64(mem.f32(BIAS, 64));
  });

  function poison(ptr: number, len: number): void {
    const v = mem.f32(ptr, len + PAD);
    v.fill(NaN, 0, len);
    v.fill(SENTINEL, len, len + PAD);
  }

  function bits(ptr: number, len: number): Uint32Array { return mem.u32(ptr, len).slice(); }

  /** Poisoned gaps between the rows of C (stride sc > n) must stay NaN. */
  function gapsUntouched(ptr: number, m: number, n: number, ldc: number, label: string): void {
    const v = mem.f32(ptr, m * ldc);
    for (let i = 0; i < m - 1; i++) assertUntouched(v, i * ldc + n, (i + 1) * ldc, NaN, `${label}: row gap ${i}`);
  }

  function run(kernel: 'gemv_f32_nt' | 'gemv_f32_nt_hsum', m: number, n: number, k: number, act: Act, bias: boolean): void {
    const label = `${variant} ${kernel} m=${m} n=${n} k=${k} ${act} bias=${bias}`;
    const ldx = k + XPAD, ldc = n + CPAD, len = m * ldc;
    poison(C, len); poison(O, len);
    mem.k[kernel](C, X, W, m, n, k, ldx * 4, k * 4, ldc * 4, bias ? BIAS : 0, ACT_CODE[act], act === 'none' ? 0 : O, ALPHA);

    let z = matmulRef('nt', hostX, ldx, hostW, k, m, n, k);
    if (bias) z = biasAddRef(z, hostB, m, n);
    const rowsOf = (ptr: number): Float32Array => {
      const v = mem.f32(ptr, len), r = new Float32Array(m * n);
      for (let i = 0; i < m; i++) r.set(v.subarray(i * ldc, i * ldc + n), i * n);
      return r;
    };
    const c = rowsOf(C);
    assertClose(c, z, { atol: Math.max(1e-5, 1e-6 * k), rtol: 1e-5 }, `${label}: C`);
    assertUntouched(mem.f32(C, len), (m - 1) * ldc + n, len, NaN, `${label}: C after the last row`);
    gapsUntouched(C, m, n, ldc, `${label}: C`);
    assertUntouched(mem.f32(C, len + PAD), len, len + PAD, SENTINEL, `${label}: past C`);
    if (act !== 'none') {
      assertClose(rowsOf(O), actRef(act, toF64(c)), { atol: 2e-6, rtol: 2e-6 }, `${label}: f(C)`);
      gapsUntouched(O, m, n, ldc, `${label}: out2`);
      assertUntouched(mem.f32(O, len + PAD), len, len + PAD, SENTINEL, `${label}: past out2`);
    } else {
      assertUntouched(mem.f32(O, len), 0, len, NaN, `${label}: out2 untouched without an activation`);
    }
    if (kernel !== 'gemv_f32_nt') return;
    // the packed product with the same epilogue: the same bits
    poison(C2, len); poison(O2, len);
    mem.k.matmul_f32_ep(1, C2, X, W, m, n, k, ldx * 4, k * 4, ldc * 4, 0, bias ? BIAS : 0, ACT_CODE[act], act === 'none' ? 0 : O2, 0, ALPHA, 0);
    expect(bits(C, len), `${label}: C bits = matmul_f32_ep's`).toEqual(bits(C2, len));
    if (act !== 'none') expect(bits(O, len), `${label}: out2 bits = matmul_f32_ep's`).toEqual(bits(O2, len));
  }

  for (const kernel of ['gemv_f32_nt', 'gemv_f32_nt_hsum'] as const) {
    it(`${kernel}: rows 1..9 × n × k, every activation, bias on and off`, () => {
      let i = 0;
      for (const m of MS) for (const n of NS) for (const k of KS) {
        const act = ACTS[i % ACTS.length]!;
        run(kernel, m, n, k, act, (i >> 1) % 2 === 0);
        i++;
      }
    });

    it(`${kernel}: every activation × bias at the block and tile edges`, () => {
      for (const [m, n, k] of [[1, 17, 257], [2, 33, 300], [1, 48, 784], [3, 10, 128], [8, 16, 512]] as const) {
        for (const act of ACTS) for (const bias of [false, true]) run(kernel, m, n, k, act, bias);
      }
    });
  }

  it('reads X, W and bias only', () => {
    for (const kernel of ['gemv_f32_nt', 'gemv_f32_nt_hsum'] as const) run(kernel, 3, 33, 300, 'tanh', true);
    assertClose(mem.f32(X, CAP), hostX, { atol: 0, rtol: 0 }, 'X unchanged');
    assertClose(mem.f32(W, CAP), hostW, { atol: 0, rtol: 0 }, 'W unchanged');
    assertClose(mem.f32(BIAS, 64), hostB, { atol: 0, rtol: 0 }, 'bias unchanged');
  });

  it('large activations stay finite: sigmoid and tanh at ±1e4', () => {
    const k = 4, n = 5;
    const x = mem.alloc(k), w = mem.alloc(n * k), c = mem.alloc(n), o = mem.alloc(n);
    mem.f32(x, k).set([1, 1, 1, 1]);
    mem.f32(w, n * k).set([2500, 2500, 2500, 2500, -2500, -2500, -2500, -2500, 0, 0, 0, 0, 1, 0, 0, 0, -1, 0, 0, 0]);
    for (const [act, want] of [['sigmoid', [1, 0, 0.5]], ['tanh', [1, -1, 0]]] as const) {
      for (const kernel of ['gemv_f32_nt', 'gemv_f32_nt_hsum'] as const) {
        mem.k[kernel](c, x, w, 1, n, k, k * 4, k * 4, n * 4, 0, ACT_CODE[act], o, ALPHA);
        const got = mem.f32(o, n);
        assertClose(got.subarray(0, 3), want, { atol: 1e-6, rtol: 0 }, `${kernel} ${act}`);
        assertClose(got.subarray(3), actRef(act, Float64Array.from([1, -1])), { atol: 2e-6, rtol: 2e-6 }, `${kernel} ${act} ±1`);
      }
    }
  });
});
