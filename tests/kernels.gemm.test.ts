// matmul_f32_nn / _nt / _tn and the fused matmul_f32_ep, plain and through the thread pool, all
// through the one GEMM tester (tests/gemm-tester.ts: poisoned memory, float64 reference, bit
// equality with the unfused kernels and across thread counts). Every shape below is derived from
// the tile constants the module exports (MR, NR, KC, MC, NC, the direct-A edge). The default
// vitest project runs this file on the baseline build, the relaxed-simd project on the relaxed one.
import { afterAll, describe, expect, it } from 'vitest';
import { EP_ACTIVATIONS, GemmHarness, LAYOUTS, projectVariant, type Layout } from './gemm-tester.js';

const variant = projectVariant();
const h = new GemmHarness(variant);
afterAll(() => h.close());
const t = h.tiles, s = h.sweeps, D = t.directAMaxN;
type Shape = [m: number, n: number, k: number];

describe(`matmul kernels [${variant}]`, () => {
  it('instantiates the requested SIMD build, and the tile constants nest as the kernels assume', () => {
    expect(h.be.simd).toBe(variant);
    expect(t.mc % t.mr).toBe(0);
    expect(t.nc % t.nr).toBe(0);
    expect(D).toBeGreaterThanOrEqual(t.nr);
    expect(D).toBeLessThan(t.nc);
  });

  it.each(LAYOUTS)('%s: every (m, n, k) over the register tile and direct-A edges, acc 0 and 1', (layout) => {
    for (const m of s.m) for (const n of s.n) for (const k of s.k) {
      for (const acc of [false, true]) h.gemm().layout(layout).m(m).n(n).k(k).acc(acc).test();
    }
  });

  it.each(LAYOUTS)('%s: k around KC, m around MC, n around NC (the packing blocks)', (layout) => {
    let i = 0;
    const run = (m: number, n: number, k: number): void => h.gemm().layout(layout).m(m).n(n).k(k).acc(i++ % 2 === 1).test();
    for (const k of s.kBlock) for (const m of [1, t.mr + 1]) for (const n of [1, t.nr + 1, D + 1]) run(m, n, k);
    for (const m of s.mBlock) for (const n of [1, t.nr + 1, D, D + 1]) for (const k of [1, t.nr + 1]) run(m, n, k);
    for (const n of s.nBlock) for (const m of [1, t.mr + 1]) for (const k of [1, t.nr + 1]) run(m, n, k);
  });

  it.each(LAYOUTS)('%s: shapes crossing all three blocks at once', (layout) => {
    for (const acc of [false, true]) h.gemm().layout(layout).m(t.mc + 1).n(t.nc + 1).k(t.kc + 1).acc(acc).test();
    h.gemm().layout(layout).m(2 * t.mc + 1).n(2 * t.nc + 1).k(2 * t.kc + 1).acc(true).test(); // three blocks each
  });

  it.each(LAYOUTS)('%s: non-contiguous strides (sub-matrices at unaligned offsets, NaN / sentinel gaps)', (layout) => {
    const shapes: Shape[] = [
      [1, 1, 1], [t.mr - 1, t.mr + 1, t.nr - 1], [t.mr, t.nr, t.mr], [t.mr + 1, t.nr + 1, 2 * t.nr + 1],
      [2 * t.mr + 1, D + 1, D - 1], [t.mc + 1, t.nc + 1, t.kc + 1],
    ];
    const gaps: [number, number, number][] = [[1, 1, 1], [1, 2, 3], [t.mr, t.mr, t.mr], [3, 5, 7], [t.nr, 1, 2]];
    shapes.forEach(([m, n, k], i) => {
      const [ga, gb, gc] = gaps[i % gaps.length]!;
      for (const acc of [false, true]) h.gemm().layout(layout).m(m).n(n).k(k).strides(ga, gb, gc).acc(acc).test();
    });
  });

  it.each(LAYOUTS)('%s: k = 0 gives C = 0 (acc 0) or leaves C0 (acc 1); m = 0 or n = 0 writes nothing', (layout) => {
    for (const acc of [false, true]) {
      for (const [m, n] of [[t.mr - 1, t.nr - 1], [t.mr, t.nr], [2 * t.mr + 1, D + 1]]) h.gemm().layout(layout).m(m!).n(n!).k(0).acc(acc).test();
      h.gemm().layout(layout).m(0).n(t.nr + 1).k(t.nr - 1).acc(acc).test();
      h.gemm().layout(layout).m(t.mr + 1).n(0).k(t.nr - 1).acc(acc).test();
    }
  });
});

describe(`fused matmul epilogues [${variant}]`, () => {
  // the block-crossing shapes the epilogue must survive (k > KC: it runs once, after the last k block)
  const BLOCKS: Shape[] = [
    [t.mc + 1, t.nc + 1, t.kc + 1], [t.mr + 1, t.nr + 2, 2 * t.kc + 1],
    [t.mc + 2, D - t.mr, t.kc + 1], [2 * D + t.mr + 1, t.nc + t.mr, t.nr + 1],
  ];

  it.each(LAYOUTS)('%s forward: bias + every activation + rowsum over the tile edges', (layout) => {
    for (const m of s.m) for (const n of s.n) for (const k of [1, t.mr + 1, 2 * D + 1]) {
      const act = EP_ACTIVATIONS[(m + n + k) % EP_ACTIVATIONS.length]!;
      h.gemm().layout(layout).m(m).n(n).k(k).epilogue({ bias: (m + n) % 3 !== 0, act, rowsum: true }).test();
    }
  });

  it.each(LAYOUTS)("%s backward: C ⊙ f'(y) for every activation over the tile edges", (layout) => {
    for (const m of s.m) for (const n of s.n) for (const k of [1, 2 * t.nr + 1]) {
      const act = EP_ACTIVATIONS[(m + 2 * n + k) % EP_ACTIVATIONS.length]!;
      h.gemm().layout(layout).m(m).n(n).k(k).epilogue({ act, backward: true }).test();
    }
  });

  it.each(LAYOUTS)('%s: every activation, forward (bias, acc 1; no bias) and backward, across the packing blocks', (layout) => {
    for (const [m, n, k] of BLOCKS) {
      for (const act of EP_ACTIVATIONS) {
        h.gemm().layout(layout).m(m).n(n).k(k).acc(true).epilogue({ bias: true, act, rowsum: true }).test();
        h.gemm().layout(layout).m(m).n(n).k(k).epilogue({ act }).test();
        h.gemm().layout(layout).m(m).n(n).k(k).epilogue({ act, backward: true }).test();
      }
    }
  });

  it.each(LAYOUTS)('%s: epilogues on strided operands', (layout) => {
    for (const act of EP_ACTIVATIONS) {
      h.gemm().layout(layout).m(t.mr + 1).n(D + 1).k(t.nr + 1).strides(1, 2, 3).epilogue({ bias: true, act, rowsum: true }).test();
      h.gemm().layout(layout).m(2 * t.mr + 1).n(t.nr - 1).k(t.kc + 1).strides(3, 1, 2).epilogue({ act, backward: true }).test();
    }
  });

  it('in place (out2 = C) leaves f(C) or C ⊙ f\'(y) in C', () => {
    for (const layout of LAYOUTS) {
      h.gemm().layout(layout).m(t.mr + 1).n(t.nr + t.mr).k(t.nr - 1).epilogue({ bias: true, act: 'tanh', inPlace: true }).test();
      h.gemm().layout(layout).m(t.mc + 1).n(D + 1).k(t.kc + 1).epilogue({ act: 'sigmoid', backward: true, inPlace: true }).test();
    }
  });

  it('a pool split 2–4 ways gives the bits of one thread for every epilogue, rowsum included', () => {
    const shapes: [Layout, number, number, number][] = [
      ['nt', 2 * D + t.mr + 1, t.nc - t.mr - 1, t.kc / 2 + 1], // by columns
      ['tn', t.mc + t.mr - 1, 2 * D + 1, t.kc + 1],             // by rows, two k blocks
      ['nn', 2 * t.mr + 1, 2 * t.nc + 1, 2 * D + 1],
      ['tn', 2 * t.mr + 2, t.nc + 2 * D + t.mr, t.kc + t.mr],
    ];
    for (const [layout, m, n, k] of shapes) {
      for (const threads of [2, 3, 4]) {
        h.gemm().layout(layout).m(m).n(n).k(k).threads(threads).epilogue({ bias: true, act: 'relu', rowsum: true }).test();
        h.gemm().layout(layout).m(m).n(n).k(k).threads(threads).epilogue({ act: 'sigmoid', backward: true, rowsum: true }).test();
      }
    }
    h.gemm().layout('nt').m(shapes[0]![1]).n(shapes[0]![2]).k(shapes[0]![3]).strides(1, 2, 3).acc(true).threads(3).test();
  });
});
