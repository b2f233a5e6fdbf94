// matmul_f32_ep: the products with a layer's elementwise work fused into their store.
//
// Two independent checks per case:
//  1. against float64: matmulRef, then + bias, then the activation (or times its derivative)
//     from tests/ref, with the matmul tolerance of kernels.matmul.test.ts widened by the
//     activation's own (sigmoid/tanh: 2e-6 absolute on values in [-1, 1]);
//  2. bit for bit against the unfused kernels run one after another (matmul_f32_*, bias_add_f32,
//     the activation kernel, colsum_f32), which is what the fused path replaces: the epilogue
//     reuses their formulas, so a training step gives the same bits fused or not.
// Every output is poisoned before the call and checked past its end; shapes sweep the 4×8 tile
// edges, the direct (n ≤ 16, A unpacked) path, and the KC/MC/NC block edges (k > 256: the
// epilogue must run once, after the last k block).
import { beforeAll, describe, expect, it } from 'vitest';
import type { SimdVariant } from '../src/wasm/kernels.js';
import { ThreadPool } from '../src/wasm/pool.js';
import { assertClose, assertUntouched, fillUniform, Mem, SENTINEL, simdVariants, TestRng, toF64 } from './helpers.js';
import {
  leakyReluGradRef, leakyReluRef, reluGradRef, reluRef, sigmoidGradRef, sigmoidRef, tanhGradRef, tanhRef,
} from './ref/activation.js';
import { biasAddRef, colsumRef } from './ref/elementwise.js';
import { matmulRef, operandShapes, type Layout } from './ref/matmul.js';

const LAYOUTS: Layout[] = ['nn', 'nt', 'tn'];
const CODE: Record<Layout, number> = { nn: 0, nt: 1, tn: 2 };
const ACTS = ['none', 'sigmoid', 'tanh', 'relu', 'leakyRelu'] as const;
type Act = (typeof ACTS)[number];
const ACT_CODE: Record<Act, number> = { none: 0, sigmoid: 1, tanh: 2, relu: 3, leakyRelu: 4 };
const BACKWARD = 8;
const ALPHA = 0.07;
const DIMS = [1, 3, 4, 5, 8, 9, 16, 17, 33];
const BIG: [number, number, number][] = [[129, 257, 300], [5, 10, 513], [130, 12, 257], [37, 260, 9]];
const CAP = 200_000;
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

function gradRef(act: Act, g: Float64Array, y: ArrayLike<number>): Float64Array {
  const n = g.length;
  switch (act) {
    case 'none': return g;
    case 'sigmoid': return sigmoidGradRef(g, y, n);
    case 'tanh': return tanhGradRef(g, y, n);
    case 'relu': return reluGradRef(g, y, n);
    case 'leakyRelu': return leakyReluGradRef(g, y, ALPHA, n);
  }
}

describe.each(simdVariants())('fused matmul epilogues [%s]', (variant: SimdVariant) => {
  let mem: Mem;
  let A = 0, B = 0, C = 0, O = 0, Y = 0, BIAS = 0, RS = 0, C2 = 0, O2 = 0, RS2 = 0;
  let hostA: Float64Array, hostB: Float64Array;
  const rng = new TestRng(0xe91_0901);

  beforeAll(() => {
    mem = new Mem(variant);
    A = mem.alloc(CAP); B = mem.alloc(CAP); C = mem.alloc(CAP); O = mem.alloc(CAP);
    Y = mem.alloc(CAP); C2 = mem.alloc(CAP); O2 = mem.alloc(CAP);
    BIAS = mem.alloc(1024); RS = mem.alloc(1024); RS2 = mem.alloc(1024);
    fillUniform(mem.f32(A, CAP), rng);
    fillUniform(mem.f32(B, CAP), rng);
    fillUniform(mem.f32(BIAS, 1024), rng, -0.5, 0.5);
    fillUniform(mem.f32(Y, CAP), rng, -0.2, 1); // activation outputs (relu: some ≤ 0)
    hostA = toF64(mem.f32(A, CAP)); hostB = toF64(mem.f32(B, CAP));
  });

  /** Poisons an output of `len` floats and puts the sentinel after it. */
  function poison(ptr: number, len: number): void {
    const v = mem.f32(ptr, len + PAD);
    v.fill(NaN, 0, len);
    v.fill(SENTINEL, len, len + PAD);
  }

  function bits(ptr: number, len: number): Uint32Array { return mem.u32(ptr, len).slice(); }

  function plain(layout: Layout, c: number, m: number, n: number, k: number, sa: number, sb: number, acc: number): void {
    const f = layout === 'nn' ? mem.k.matmul_f32_nn : layout === 'nt' ? mem.k.matmul_f32_nt : mem.k.matmul_f32_tn;
    f(c, A, B, m, n, k, sa, sb, n * 4, acc);
  }

  function unfusedAct(act: Act, y: number, x: number, len: number): void {
    const k = mem.k;
    if (act === 'sigmoid') k.sigmoid_f32(y, x, len);
    else if (act === 'tanh') k.tanh_f32(y, x, len);
    else if (act === 'relu') k.relu_f32(y, x, len);
    else if (act === 'leakyRelu') k.leaky_relu_f32(y, x, ALPHA, len);
  }

  function unfusedGrad(act: Act, dz: number, dy: number, y: number, len: number): void {
    const k = mem.k;
    if (act === 'sigmoid') k.sigmoid_grad_f32(dz, dy, y, len);
    else if (act === 'tanh') k.tanh_grad_f32(dz, dy, y, len);
    else if (act === 'relu') k.relu_grad_f32(dz, dy, y, len);
    else if (act === 'leakyRelu') k.leaky_relu_grad_f32(dz, dy, y, ALPHA, len);
    else k.scale_f32(dz, dy, 1, len);
  }

  /** One forward case: C = op(A)·op(B) (+ C0) + bias, O = f(C); with rowsum of op(A). */
  function forward(layout: Layout, m: number, n: number, k: number, act: Act, bias: boolean, acc: 0 | 1): void {
    const label = `${variant} ${layout} m=${m} n=${n} k=${k} ${act} bias=${bias} acc=${acc}`;
    const { aCols, bCols } = operandShapes(layout, m, n, k);
    const len = m * n, sa = aCols * 4, sb = bCols * 4;
    const c0 = new Float32Array(len); fillUniform(c0, rng);
    poison(C, len); poison(O, len); poison(RS, m);
    if (acc) mem.f32(C, len).set(c0);
    mem.k.matmul_f32_ep(CODE[layout], C, A, B, m, n, k, sa, sb, n * 4, acc, bias ? BIAS : 0, ACT_CODE[act], act === 'none' ? 0 : O, 0, ALPHA, RS);

    // 1. float64 reference
    let z = matmulRef(layout, hostA, aCols, hostB, bCols, m, n, k, acc ? toF64(c0) : undefined);
    if (bias) z = biasAddRef(z, toF64(mem.f32(BIAS, n)), m, n);
    const tol = { atol: Math.max(1e-5, 1e-6 * k), rtol: 1e-5 };
    assertClose(mem.f32(C, len), z, tol, `${label}: C`);
    assertUntouched(mem.f32(C, len + PAD), len, len + PAD, SENTINEL, `${label}: past C`);
    if (act !== 'none') {
      // f(C) from the kernel's own float32 C, so the check is the activation's error alone
      assertClose(mem.f32(O, len), actRef(act, toF64(mem.f32(C, len))), { atol: 2e-6, rtol: 2e-6 }, `${label}: f(C)`);
      assertUntouched(mem.f32(O, len + PAD), len, len + PAD, SENTINEL, `${label}: past out2`);
    } else {
      assertUntouched(mem.f32(O, len), 0, len, NaN, `${label}: out2 untouched without an activation`);
    }
    // row sums of op(A) = column sums of A for tn (the bias gradient)
    const opA = matmulRef(layout === 'tn' ? 'tn' : 'nn', hostA, aCols, Float64Array.from({ length: k }, () => 1), 1, m, 1, k);
    assertClose(mem.f32(RS, m), opA, tol, `${label}: rowsum`);
    assertUntouched(mem.f32(RS, m + PAD), m, m + PAD, SENTINEL, `${label}: past rowsum`);

    // 2. bit for bit against the unfused kernels
    poison(C2, len); poison(O2, len);
    if (acc) mem.f32(C2, len).set(c0);
    plain(layout, C2, m, n, k, sa, sb, acc);
    if (bias) mem.k.bias_add_f32(C2, BIAS, m, n, n * 4);
    unfusedAct(act, O2, C2, len);
    expect(bits(C, len), `${label}: C bits`).toEqual(bits(C2, len));
    if (act !== 'none') expect(bits(O, len), `${label}: f(C) bits`).toEqual(bits(O2, len));
    if (layout === 'tn') { // rowsum of op(A) = colsum of A[k, m]: the Network's ∇b
      mem.k.colsum_f32(RS2, A, k, m, sa, 0);
      expect(bits(RS, m), `${label}: rowsum bits = colsum_f32`).toEqual(bits(RS2, m));
    }
  }

  /** One backward case: C = op(A)·op(B), O = C ⊙ f'(Y). */
  function backward(layout: Layout, m: number, n: number, k: number, act: Act): void {
    const label = `${variant} ${layout} backward m=${m} n=${n} k=${k} ${act}`;
    const { aCols, bCols } = operandShapes(layout, m, n, k);
    const len = m * n, sa = aCols * 4, sb = bCols * 4;
    poison(C, len); poison(O, len);
    mem.k.matmul_f32_ep(CODE[layout], C, A, B, m, n, k, sa, sb, n * 4, 0, 0, ACT_CODE[act] | BACKWARD, O, Y, ALPHA, 0);
    const g = toF64(mem.f32(C, len));
    const ref = matmulRef(layout, hostA, aCols, hostB, bCols, m, n, k);
    assertClose(g, ref, { atol: Math.max(1e-5, 1e-6 * k), rtol: 1e-5 }, `${label}: C`);
    assertClose(mem.f32(O, len), gradRef(act, g, toF64(mem.f32(Y, len))), { atol: 1e-6, rtol: 1e-6 }, `${label}: C ⊙ f'(y)`);
    assertUntouched(mem.f32(O, len + PAD), len, len + PAD, SENTINEL, `${label}: past out2`);
    poison(C2, len); poison(O2, len);
    plain(layout, C2, m, n, k, sa, sb, 0);
    unfusedGrad(act, O2, C2, Y, len);
    expect(bits(O, len), `${label}: bits`).toEqual(bits(O2, len));
  }

  it.each(LAYOUTS)('%s forward: bias + every activation over tile edges, = float64 and = unfused bits', (layout) => {
    for (const m of DIMS) for (const n of DIMS) for (const k of [1, 5, 33]) {
      const act = ACTS[(m + n + k) % ACTS.length]!;
      forward(layout, m, n, k, act, (m + n) % 3 !== 0, 0);
    }
  });

  it.each(LAYOUTS)('%s forward: every activation with and without bias, acc = 1, k split into blocks', (layout) => {
    for (const act of ACTS) {
      for (const [m, n, k] of BIG) forward(layout, m, n, k, act, true, 1);
      forward(layout, 17, 9, 300, act, false, 0);
      forward(layout, 4, 8, 600, act, true, 0);
    }
  });

  it.each(LAYOUTS)('%s backward: C ⊙ f\'(y) for every activation, = float64 and = unfused bits', (layout) => {
    for (const act of ACTS) {
      for (const [m, n, k] of [[1, 1, 1], [3, 5, 7], [4, 8, 16], [9, 17, 5], [33, 16, 9], ...BIG] as [number, number, number][]) {
        backward(layout, m, n, k, act);
      }
    }
  });

  it('without epilogue arguments it is the plain product (and a later plain call is not affected)', () => {
    const [m, n, k] = [9, 17, 300];
    poison(C, m * n); poison(C2, m * n);
    mem.k.matmul_f32_ep(1, C, A, B, m, n, k, k * 4, k * 4, n * 4, 0, 0, 0, 0, 0, 0, 0);
    mem.k.matmul_f32_ep(1, C2, A, B, m, n, k, k * 4, k * 4, n * 4, 0, BIAS, ACT_CODE.sigmoid | BACKWARD, O, Y, 0, RS);
    mem.k.matmul_f32_nt(C2, A, B, m, n, k, k * 4, k * 4, n * 4, 0); // must not keep the previous epilogue
    expect(bits(C2, m * n)).toEqual(bits(C, m * n));
  });

  it('in place (out2 = C) leaves f(C) in C', () => {
    const [m, n, k] = [5, 12, 7];
    poison(C, m * n); poison(C2, m * n);
    mem.k.matmul_f32_ep(0, C, A, B, m, n, k, k * 4, n * 4, n * 4, 0, BIAS, ACT_CODE.tanh, C, 0, 0, 0);
    plain('nn', C2, m, n, k, k * 4, n * 4, 0);
    mem.k.bias_add_f32(C2, BIAS, m, n, n * 4);
    mem.k.tanh_f32(C2, C2, m * n);
    expect(bits(C, m * n)).toEqual(bits(C2, m * n));
  });

  it('a pool split 1–4 ways gives the same bits for every epilogue, rowsum included', () => {
    const be = mem.be;
    const pool = new ThreadPool(be, 3);
    try {
      for (const [layout, m, n, k] of [['nt', 37, 203, 129], ['tn', 131, 45, 67], ['nn', 9, 517, 33], ['tn', 10, 300, 260]] as const) {
        const { aCols, bCols } = operandShapes(layout, m, n, k);
        for (const ep of [ACT_CODE.relu, ACT_CODE.sigmoid | BACKWARD]) {
          const outs = [1, 2, 3, 4].map((t) => {
            poison(C, m * n); poison(O, m * n); poison(RS, m);
            pool.matmul(layout, C, A, B, m, n, k, aCols * 4, bCols * 4, n * 4, 0, t,
              { bias: ep & BACKWARD ? 0 : BIAS, ep, out2: O, y: Y, alpha: 0, rowsum: RS });
            return [bits(C, m * n), bits(O, m * n), bits(RS, m)];
          });
          expect(mem.f32(O, m * n).every(Number.isFinite), `${layout} ${m}×${n}×${k} ep=${ep}`).toBe(true);
          expect(mem.f32(RS, m).every(Number.isFinite)).toBe(true);
          for (const o of outs.slice(1)) expect(o).toEqual(outs[0]);
        }
      }
    } finally {
      pool.close();
    }
  });
});
