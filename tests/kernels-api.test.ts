// wasmlp/kernels (src/kernels-api.ts) against float64 references written here as plain loops.
//
// Tolerances:
//  - matmul: |c − ref| ≤ (k + 2)·2⁻²³·Σ_p |a_ip·b_pj| per element (a float32 dot product of length k
//    has at most ~k·u relative error in the sum of absolute products; the kernels split k into
//    blocks and may use fused multiply-add, both within this bound).
//  - add, hadamard, scale, axpy, relu, leakyRelu and the relu gradients: at most two float32
//    roundings: rtol 2.5e-7 of the largest term.
//  - sigmoid, tanh, softmax (polynomial exp, ~2e-7 relative): rtol 1e-6, atol 1e-7.
//  - sigmoid/tanh/softmax gradients: rtol 1e-6 of the largest term, atol 1e-7.
import { afterAll, describe, expect, it } from 'vitest';
import { ArgumentTypeError, DisposedError, NonFiniteError, OptionError, ShapeError, WasmlpError } from '../src/index.js';
import { backend } from '../src/internal.js';
import {
  WasmArray, add, axpy, biasAdd, colSum, hadamard, leakyRelu, leakyReluGrad, matmul, relu, reluGrad, releaseScratch,
  scale, scratchBytes, sigmoid, sigmoidGrad, softmax, softmaxGrad, tanh, tanhGrad, type Operand,
} from '../src/kernels-api.js';

const U = 2 ** -23;
const DIMS = [1, 3, 5, 8, 17, 33];

/** mulberry32, seeded: the same inputs on every run. */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    let t = (s = (s + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
const rand = rng(0x6b65726e);
function uniform(n: number, lo = -1, hi = 1): Float32Array {
  const v = new Float32Array(n);
  for (let i = 0; i < n; i++) v[i] = lo + (hi - lo) * rand();
  return v;
}

/** C = op(A)·op(B) and Σ|terms| per element, in float64. A is m×k (k×m if tA), B is k×n (n×k if tB). */
function matmulRef(a: ArrayLike<number>, b: ArrayLike<number>, m: number, k: number, n: number, tA: boolean, tB: boolean,
                   c0?: ArrayLike<number>): { c: Float64Array; abs: Float64Array } {
  const c = new Float64Array(m * n), abs = new Float64Array(m * n);
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let s = c0 ? c0[i * n + j]! : 0, t = Math.abs(s);
      for (let p = 0; p < k; p++) {
        const x = tA ? a[p * m + i]! : a[i * k + p]!;
        const y = tB ? b[j * k + p]! : b[p * n + j]!;
        s += x * y; t += Math.abs(x * y);
      }
      c[i * n + j] = s; abs[i * n + j] = t;
    }
  }
  return { c, abs };
}

function expectMatmul(got: ArrayLike<number>, ref: { c: Float64Array; abs: Float64Array }, k: number, label: string): void {
  expect(got.length, label).toBe(ref.c.length);
  for (let i = 0; i < ref.c.length; i++) {
    const tol = (k + 2) * U * ref.abs[i]! + 1e-30;
    if (!(Math.abs(got[i]! - ref.c[i]!) <= tol)) {
      throw new Error(`${label}: element ${i} = ${got[i]}, expected ${ref.c[i]} (tolerance ${tol})`);
    }
  }
}

function expectClose(got: ArrayLike<number>, want: ArrayLike<number>, rtol: number, atol: number, label: string, scaleOf?: ArrayLike<number>): void {
  expect(got.length, label).toBe(want.length);
  for (let i = 0; i < want.length; i++) {
    const tol = Math.max(atol, rtol * Math.abs(scaleOf ? scaleOf[i]! : want[i]!));
    if (!(Math.abs(got[i]! - want[i]!) <= tol)) throw new Error(`${label}: element ${i} = ${got[i]}, expected ${want[i]} (tolerance ${tol})`);
  }
}

const live: WasmArray[] = [];
function wasm(values: ArrayLike<number>): WasmArray { const w = WasmArray.from(values); live.push(w); return w; }
function wasmAlloc(n: number): WasmArray { const w = WasmArray.alloc(n); live.push(w); return w; }
afterAll(() => { for (const w of live) w.dispose(); });

const poisoned = (n: number) => new Float32Array(n).fill(Number.NaN);

describe('matmul', () => {
  const COMBOS: [boolean, boolean][] = [[false, false], [false, true], [true, false], [true, true]];

  it.each(COMBOS)('transposeA=%s transposeB=%s: every m, k, n in {1, 3, 5, 8, 17, 33}, copying path', (tA, tB) => {
    for (const m of DIMS) for (const k of DIMS) for (const n of DIMS) {
      const a = uniform(m * k), b = uniform(k * n);
      const ref = matmulRef(a, b, m, k, n, tA, tB);
      const c = matmul(a, b, m, k, n, { transposeA: tA, transposeB: tB });
      expect(c).toBeInstanceOf(Float32Array);
      expectMatmul(c, ref, k, `tA=${tA} tB=${tB} ${m}×${k}×${n}`);
    }
  });

  it.each(COMBOS)('transposeA=%s transposeB=%s: zero-copy WasmArray operands and out, and mixed operands', (tA, tB) => {
    for (const [m, k, n] of [[1, 1, 1], [3, 5, 8], [17, 33, 5], [33, 17, 33], [8, 3, 17], [5, 8, 1]] as const) {
      const a = uniform(m * k), b = uniform(k * n);
      const ref = matmulRef(a, b, m, k, n, tA, tB);
      const wa = wasm(a), wb = wasm(b), wc = wasmAlloc(m * n);
      wc.view.fill(Number.NaN);
      const r = matmul(wa, wb, m, k, n, { transposeA: tA, transposeB: tB, out: wc });
      expect(r).toBe(wc);
      expectMatmul(wc.view, ref, k, `zero-copy tA=${tA} tB=${tB} ${m}×${k}×${n}`);
      // the inputs are untouched
      expect(wa.view).toEqual(a);
      expect(wb.view).toEqual(b);
      // mixed: one WasmArray, one Float32Array, Float32Array out / WasmArray in with new output
      const out = poisoned(m * n);
      expect(matmul(wa, b, m, k, n, { transposeA: tA, transposeB: tB, out })).toBe(out);
      expectMatmul(out, ref, k, `mixed (wasm a) tA=${tA} tB=${tB}`);
      expectMatmul(matmul(a, wb, m, k, n, { transposeA: tA, transposeB: tB }), ref, k, `mixed (wasm b) tA=${tA} tB=${tB}`);
      const wc2 = wasmAlloc(m * n);
      matmul(a, b, m, k, n, { transposeA: tA, transposeB: tB, out: wc2 });
      expectMatmul(wc2.view, ref, k, `Float32Array in, WasmArray out tA=${tA} tB=${tB}`);
    }
  });

  it.each(COMBOS)('transposeA=%s transposeB=%s: shapes across the kernel blocks (129×257×261, 3×300×2)', (tA, tB) => {
    for (const [m, k, n] of [[129, 257, 261], [3, 300, 2], [260, 5, 7]] as const) {
      const a = uniform(m * k), b = uniform(k * n);
      const ref = matmulRef(a, b, m, k, n, tA, tB);
      expectMatmul(matmul(a, b, m, k, n, { transposeA: tA, transposeB: tB }), ref, k, `copy ${m}×${k}×${n}`);
      const wc = wasmAlloc(m * n);
      matmul(wasm(a), wasm(b), m, k, n, { transposeA: tA, transposeB: tB, out: wc });
      expectMatmul(wc.view, ref, k, `zero-copy ${m}×${k}×${n}`);
    }
  });

  it.each(COMBOS)('transposeA=%s transposeB=%s: out and accumulate (C += op(A)·op(B)) on both paths', (tA, tB) => {
    const [m, k, n] = [5, 17, 8];
    const a = uniform(m * k), b = uniform(k * n), c0 = uniform(m * n);
    const ref = matmulRef(a, b, m, k, n, tA, tB, c0);
    const out = c0.slice();
    expect(matmul(a, b, m, k, n, { transposeA: tA, transposeB: tB, out, accumulate: true })).toBe(out);
    expectMatmul(out, ref, k, 'accumulate, Float32Array');
    const wc = wasm(c0);
    matmul(wasm(a), wasm(b), m, k, n, { transposeA: tA, transposeB: tB, out: wc, accumulate: true });
    expectMatmul(wc.view, ref, k, 'accumulate, WasmArray');
    // out = a Float32Array the caller reuses: overwritten, not accumulated, by default
    const reuse = poisoned(m * n);
    matmul(a, b, m, k, n, { transposeA: tA, transposeB: tB, out: reuse });
    expectMatmul(reuse, matmulRef(a, b, m, k, n, tA, tB), k, 'out overwritten');
  });

  it('an out WasmArray that is also an input goes through scratch and is still right', () => {
    const n = 8;
    const a = uniform(n * n), b = uniform(n * n);
    for (const [tA, tB] of COMBOS) {
      const ref = matmulRef(a, b, n, n, n, tA, tB);
      const wa = wasm(a);
      matmul(wa, b, n, n, n, { transposeA: tA, transposeB: tB, out: wa });
      expectMatmul(wa.view, ref, n, `out === a tA=${tA} tB=${tB}`);
      const fb = b.slice();
      matmul(a, fb, n, n, n, { transposeA: tA, transposeB: tB, out: fb });
      expectMatmul(fb, ref, n, `out === b (Float32Array) tA=${tA} tB=${tB}`);
    }
  });

  it('empty dimensions: k = 0 gives zeros (or leaves C with accumulate), m = 0 / n = 0 give empty results', () => {
    expect(Array.from(matmul(new Float32Array(0), new Float32Array(0), 2, 0, 3))).toEqual([0, 0, 0, 0, 0, 0]);
    const c = Float32Array.from([1, 2, 3, 4]);
    matmul(new Float32Array(0), new Float32Array(0), 2, 0, 2, { out: c, accumulate: true });
    expect(Array.from(c)).toEqual([1, 2, 3, 4]);
    expect(matmul(new Float32Array(0), uniform(12), 0, 3, 4)).toHaveLength(0);
    expect(matmul(uniform(6), new Float32Array(0), 2, 3, 0, { transposeA: true, transposeB: true })).toHaveLength(0);
  });

  it('the copying path reuses its scratch: repeated calls allocate no new blocks and do not grow memory', () => {
    const arena = backend().arena;
    releaseScratch();
    const blocks0 = arena.liveBlocks, bytes0 = arena.bytesInUse;
    const a = uniform(64 * 64), b = uniform(64 * 64);
    for (const [tA, tB] of COMBOS) matmul(a, b, 64, 64, 64, { transposeA: tA, transposeB: tB });
    const blocks = arena.liveBlocks, bytes = arena.bytesInUse, mem = arena.memoryBytes, scratch = scratchBytes();
    expect(scratch).toBeGreaterThan(0);
    for (let i = 0; i < 20; i++) {
      for (const [tA, tB] of COMBOS) matmul(a, b, 64, 64, 64, { transposeA: tA, transposeB: tB });
      matmul(a.subarray(0, 32 * 64), b, 32, 64, 64); // smaller fits the same blocks
      sigmoid(a); hadamard(a, b); softmax(a, 64, 64);
    }
    expect(arena.liveBlocks).toBe(blocks);
    expect(arena.bytesInUse).toBe(bytes);
    expect(arena.memoryBytes).toBe(mem);
    expect(scratchBytes()).toBe(scratch);
    // releasing gives back everything the calls kept, and at least the bytes scratchBytes reported
    releaseScratch();
    expect(scratchBytes()).toBe(0);
    expect(arena.liveBlocks).toBe(blocks0);
    expect(arena.bytesInUse).toBe(bytes0);
    expect(bytes - arena.bytesInUse).toBeGreaterThanOrEqual(scratch);
  });

  it('the zero-copy path (nn, nt, tn; WasmArray out) uses no scratch at all', () => {
    releaseScratch();
    const [m, k, n] = [17, 33, 8];
    const combos: [boolean, boolean][] = [[false, false], [false, true], [true, false]];
    for (const [tA, tB] of combos) {
      const a = uniform(m * k), b = uniform(k * n);
      const wc = wasmAlloc(m * n);
      const arena = backend().arena;
      const wa = wasm(a), wb = wasm(b);
      const blocks = arena.liveBlocks;
      matmul(wa, wb, m, k, n, { transposeA: tA, transposeB: tB, out: wc });
      sigmoid(wc, wc);
      expect(scratchBytes()).toBe(0);
      expect(arena.liveBlocks).toBe(blocks);
      const ref = matmulRef(a, b, m, k, n, tA, tB);
      const want = Float64Array.from(ref.c, (v) => 1 / (1 + Math.exp(-v)));
      expectClose(wc.view, want, 1e-6, 1e-6, `zero-copy chain tA=${tA} tB=${tB}`);
    }
  });
});

describe('WasmArray', () => {
  it('alloc is zero-filled, from/set/toFloat32Array copy, ptr is 16-byte aligned', () => {
    const w = wasmAlloc(5);
    expect(Array.from(w.view)).toEqual([0, 0, 0, 0, 0]);
    expect(w.ptr % 16).toBe(0);
    w.set([1, 2], 3);
    expect(Array.from(w.view)).toEqual([0, 0, 0, 1, 2]);
    const copy = w.toFloat32Array();
    w.view[0] = 9;
    expect(copy[0]).toBe(0);
    expect(Array.from(wasm([1.5, -2]).view)).toEqual([1.5, -2]);
  });

  it('the view rule: after memory grows, .view is a new view of the same values', () => {
    const w = wasm([1, 2, 3]);
    const before = w.view;
    expect(w.view).toBe(before); // cached while memory does not grow
    const arena = backend().arena;
    const grow = WasmArray.alloc(arena.memoryBytes / 4); // larger than all of memory: must grow
    try {
      const after = w.view;
      expect(after).not.toBe(before);
      expect(Array.from(after)).toEqual([1, 2, 3]);
      expect(after.buffer.byteLength).toBe(arena.memoryBytes);
    } finally {
      grow.dispose();
    }
  });

  it('dispose frees the block (twice is fine) and any later use throws DisposedError', () => {
    const arena = backend().arena;
    const blocks = arena.liveBlocks;
    const w = WasmArray.alloc(10);
    expect(arena.liveBlocks).toBe(blocks + 1);
    w.dispose(); w.dispose();
    expect(arena.liveBlocks).toBe(blocks);
    expect(w.disposed).toBe(true);
    expect(() => w.view).toThrow(DisposedError);
    expect(() => w.set([1])).toThrow(DisposedError);
    expect(() => sigmoid(w)).toThrow(/sigmoid: x: the WasmArray was disposed/);
    expect(() => matmul(new Float32Array(1), w, 1, 1, 10)).toThrow(DisposedError);
  });

  it('bad arguments', () => {
    expect(() => WasmArray.alloc(-1)).toThrow(ShapeError);
    expect(() => WasmArray.alloc('3' as unknown as number)).toThrow(ArgumentTypeError);
    expect(() => WasmArray.from(null as unknown as number[])).toThrow(ArgumentTypeError);
    const w = wasmAlloc(3);
    expect(() => w.set([1, 2, 3, 4])).toThrow(/WasmArray.set: values: expected at most 3 floats .*got 4/);
    expect(() => w.set([1], 3)).toThrow(ShapeError);
    expect(() => w.set([1], -1)).toThrow(ArgumentTypeError);
  });
});

describe('elementwise, activations and their gradients', () => {
  const LENGTHS = [0, 1, 3, 5, 8, 17, 33, 1001];

  type Case = {
    name: string;
    inputs: (n: number) => Float32Array[];
    run: (ins: Operand[], out?: Operand) => Operand;
    ref: (ins: Float32Array[]) => { want: Float64Array; scale?: Float64Array };
    rtol: number; atol: number;
  };
  const map = (x: Float32Array, f: (v: number, i: number) => number) => Float64Array.from(x, f);
  const maxAbs = (...xs: ArrayLike<number>[]) => (_v: number, i: number) => Math.max(...xs.map((x) => Math.abs(x[i]!)));
  const pos = (n: number) => uniform(n, 0.001, 0.999);
  const cases: Case[] = [
    { name: 'hadamard', inputs: (n) => [uniform(n, -4, 4), uniform(n, -4, 4)], run: ([a, b], o) => (o ? hadamard(a!, b!, o) : hadamard(a!, b!)),
      ref: ([a, b]) => ({ want: map(a!, (v, i) => v * b![i]!) }), rtol: 2.5e-7, atol: 0 },
    { name: 'add', inputs: (n) => [uniform(n, -4, 4), uniform(n, -4, 4)], run: ([a, b], o) => (o ? add(a!, b!, o) : add(a!, b!)),
      ref: ([a, b]) => ({ want: map(a!, (v, i) => v + b![i]!), scale: map(a!, maxAbs(a!, b!)) }), rtol: 2.5e-7, atol: 0 },
    { name: 'scale', inputs: (n) => [uniform(n, -4, 4)], run: ([x], o) => (o ? scale(x!, -0.3, o) : scale(x!, -0.3)),
      ref: ([x]) => ({ want: map(x!, (v) => v * Math.fround(-0.3)) }), rtol: 2.5e-7, atol: 0 },
    { name: 'sigmoid', inputs: (n) => [uniform(n, -10, 10)], run: ([x], o) => (o ? sigmoid(x!, o) : sigmoid(x!)),
      ref: ([x]) => ({ want: map(x!, (v) => 1 / (1 + Math.exp(-v))) }), rtol: 1e-6, atol: 1e-7 },
    { name: 'tanh', inputs: (n) => [uniform(n, -5, 5)], run: ([x], o) => (o ? tanh(x!, o) : tanh(x!)),
      ref: ([x]) => ({ want: map(x!, Math.tanh) }), rtol: 1e-6, atol: 1e-7 },
    { name: 'relu', inputs: (n) => [uniform(n, -5, 5)], run: ([x], o) => (o ? relu(x!, o) : relu(x!)),
      ref: ([x]) => ({ want: map(x!, (v) => Math.max(v, 0)) }), rtol: 0, atol: 0 },
    { name: 'leakyRelu', inputs: (n) => [uniform(n, -5, 5)], run: ([x], o) => (o ? leakyRelu(x!, 0.2, o) : leakyRelu(x!, 0.2)),
      ref: ([x]) => ({ want: map(x!, (v) => (v > 0 ? v : Math.fround(0.2) * v)) }), rtol: 2.5e-7, atol: 0 },
    { name: 'leakyRelu (default alpha 0.01)', inputs: (n) => [uniform(n, -5, 5)], run: ([x], o) => (o ? leakyRelu(x!, undefined, o) : leakyRelu(x!)),
      ref: ([x]) => ({ want: map(x!, (v) => (v > 0 ? v : Math.fround(0.01) * v)) }), rtol: 2.5e-7, atol: 0 },
    { name: 'sigmoidGrad', inputs: (n) => [uniform(n), pos(n)], run: ([g, y], o) => (o ? sigmoidGrad(g!, y!, o) : sigmoidGrad(g!, y!)),
      ref: ([g, y]) => ({ want: map(g!, (v, i) => v * y![i]! * (1 - y![i]!)) }), rtol: 1e-6, atol: 1e-7 },
    { name: 'tanhGrad', inputs: (n) => [uniform(n), uniform(n, -0.99, 0.99)], run: ([g, y], o) => (o ? tanhGrad(g!, y!, o) : tanhGrad(g!, y!)),
      ref: ([g, y]) => ({ want: map(g!, (v, i) => v * (1 - y![i]! * y![i]!)) }), rtol: 1e-6, atol: 1e-7 },
    { name: 'reluGrad', inputs: (n) => [uniform(n), uniform(n, -1, 1).map((v) => Math.max(v, 0))], run: ([g, y], o) => (o ? reluGrad(g!, y!, o) : reluGrad(g!, y!)),
      ref: ([g, y]) => ({ want: map(g!, (v, i) => (y![i]! > 0 ? v : 0)) }), rtol: 0, atol: 0 },
    { name: 'leakyReluGrad', inputs: (n) => [uniform(n), uniform(n)], run: ([g, y], o) => (o ? leakyReluGrad(g!, y!, 0.1, o) : leakyReluGrad(g!, y!, 0.1)),
      ref: ([g, y]) => ({ want: map(g!, (v, i) => (y![i]! > 0 ? v : Math.fround(0.1) * v)) }), rtol: 2.5e-7, atol: 0 },
  ];

  it.each(cases.map((c) => [c.name, c] as const))('%s: copying path, zero-copy path, out, in place', (_, c) => {
    for (const n of LENGTHS) {
      const ins = c.inputs(n);
      const { want, scale: sc } = c.ref(ins);
      const label = `${c.name} n=${n}`;
      // copying: new Float32Array, and into a given Float32Array
      const r1 = c.run(ins);
      expect(r1).toBeInstanceOf(Float32Array);
      expectClose(r1 as Float32Array, want, c.rtol, c.atol, `${label} copy`, sc);
      const out = poisoned(n);
      expect(c.run(ins, out)).toBe(out);
      expectClose(out, want, c.rtol, c.atol, `${label} out`, sc);
      // zero-copy
      const w = ins.map(wasm);
      const wout = wasmAlloc(n);
      expect(c.run(w, wout)).toBe(wout);
      expectClose(wout.view, want, c.rtol, c.atol, `${label} zero-copy`, sc);
      w.forEach((x, i) => expect(x.view, `${label}: input ${i} untouched`).toEqual(ins[i]));
      // WasmArray inputs, new Float32Array result
      expectClose(c.run(w) as Float32Array, want, c.rtol, c.atol, `${label} wasm in, copy out`, sc);
      // in place: out is the first input (Float32Array and WasmArray)
      const inPlace = ins[0]!.slice();
      c.run([inPlace, ...ins.slice(1)], inPlace);
      expectClose(inPlace, want, c.rtol, c.atol, `${label} in place (Float32Array)`, sc);
      c.run(w, w[0]);
      expectClose(w[0]!.view, want, c.rtol, c.atol, `${label} in place (WasmArray)`, sc);
    }
  });

  it('axpy: y += alpha·x in place on both paths (and x === y)', () => {
    for (const n of LENGTHS) {
      const x = uniform(n, -3, 3), y = uniform(n, -3, 3);
      const a = Math.fround(0.7);
      const want = map(y, (v, i) => v + a * x[i]!);
      const sc = map(y, maxAbs(x, y));
      const fy = y.slice();
      expect(axpy(0.7, x, fy)).toBe(fy);
      expectClose(fy, want, 5e-7, 0, `axpy n=${n}`, sc);
      const wy = wasm(y);
      expect(axpy(0.7, wasm(x), wy)).toBe(wy);
      expectClose(wy.view, want, 5e-7, 0, `axpy zero-copy n=${n}`, sc);
      const self = wasm(x);
      axpy(1, self, self);
      expectClose(self.view, map(x, (v) => 2 * v), 0, 0, `axpy x === y n=${n}`);
    }
  });

  it('softmax and softmaxGrad: rows × cols on both paths', () => {
    for (const rows of [1, 3, 8]) for (const cols of [1, 3, 5, 8, 17, 33]) {
      const x = uniform(rows * cols, -20, 20);
      const want = new Float64Array(rows * cols);
      for (let r = 0; r < rows; r++) {
        let mx = -Infinity;
        for (let j = 0; j < cols; j++) mx = Math.max(mx, x[r * cols + j]!);
        let s = 0;
        for (let j = 0; j < cols; j++) s += Math.exp(x[r * cols + j]! - mx);
        for (let j = 0; j < cols; j++) want[r * cols + j] = Math.exp(x[r * cols + j]! - mx) / s;
      }
      const label = `softmax ${rows}×${cols}`;
      expectClose(softmax(x, rows, cols), want, 1e-6, 1e-7, label);
      const wo = wasmAlloc(rows * cols);
      softmax(wasm(x), rows, cols, wo);
      expectClose(wo.view, want, 1e-6, 1e-7, `${label} zero-copy`);

      const y = Float32Array.from(want), g = uniform(rows * cols);
      const gw = new Float64Array(rows * cols), gs = new Float64Array(rows * cols);
      for (let r = 0; r < rows; r++) {
        let dot = 0, dabs = 0;
        for (let j = 0; j < cols; j++) { dot += g[r * cols + j]! * y[r * cols + j]!; dabs += Math.abs(g[r * cols + j]! * y[r * cols + j]!); }
        for (let j = 0; j < cols; j++) {
          const i = r * cols + j;
          gw[i] = y[i]! * (g[i]! - dot);
          gs[i] = y[i]! * (Math.abs(g[i]!) + dabs);
        }
      }
      expectClose(softmaxGrad(g, y, rows, cols), gw, 1e-6, 1e-7, `softmaxGrad ${rows}×${cols}`, gs);
      const wg = wasmAlloc(rows * cols);
      softmaxGrad(wasm(g), wasm(y), rows, cols, wg);
      expectClose(wg.view, gw, 1e-6, 1e-7, `softmaxGrad ${rows}×${cols} zero-copy`, gs);
    }
  });

  it('biasAdd and colSum', () => {
    for (const rows of [1, 3, 17]) for (const cols of [1, 3, 5, 8, 33]) {
      const c = uniform(rows * cols), bias = uniform(cols);
      const want = map(c, (v, i) => v + bias[i % cols]!);
      const sc = map(c, (v, i) => Math.max(Math.abs(v), Math.abs(bias[i % cols]!)));
      const fc = c.slice();
      expect(biasAdd(fc, bias, rows, cols)).toBe(fc);
      expectClose(fc, want, 2.5e-7, 0, `biasAdd ${rows}×${cols}`, sc);
      const wc = wasm(c);
      biasAdd(wc, wasm(bias), rows, cols);
      expectClose(wc.view, want, 2.5e-7, 0, `biasAdd zero-copy ${rows}×${cols}`, sc);

      const sums = new Float64Array(cols), abs = new Float64Array(cols);
      for (let i = 0; i < rows * cols; i++) { sums[i % cols]! += c[i]!; abs[i % cols]! += Math.abs(c[i]!); }
      expectClose(colSum(c, rows, cols), sums, (rows + 1) * U, 0, `colSum ${rows}×${cols}`, abs);
      const ws = wasmAlloc(cols);
      colSum(wasm(c), rows, cols, ws);
      expectClose(ws.view, sums, (rows + 1) * U, 0, `colSum zero-copy ${rows}×${cols}`, abs);
    }
  });
});

describe('matmul with bias and activation (a dense layer in one call)', () => {
  const COMBOS: [boolean, boolean][] = [[false, false], [false, true], [true, false], [true, true]];
  const ACTS = [undefined, 'sigmoid', 'tanh', 'relu', 'leakyRelu'] as const;
  /** f and its largest slope (the factor by which an error in the pre-activation can grow). */
  const F: Record<string, [(x: number, alpha: number) => number, number]> = {
    none: [(x) => x, 1],
    sigmoid: [(x) => 1 / (1 + Math.exp(-x)), 0.25],
    tanh: [(x) => Math.tanh(x), 1],
    relu: [(x) => Math.max(x, 0), 1],
    leakyRelu: [(x, alpha) => (x > 0 ? x : alpha * x), 1],
  };

  /**
   * C = f(op(A)·op(B) (+ c0) + bias) in float64; each element within the matmul bound of its
   * pre-activation times f's largest slope, plus the activation's own 1e-6 relative (atol 1e-7).
   */
  function check(got: ArrayLike<number>, a: Float32Array, b: Float32Array, m: number, k: number, n: number, tA: boolean, tB: boolean,
                 bias: Float32Array | undefined, act: string | undefined, alpha: number, label: string, c0?: Float32Array): void {
    const ref = matmulRef(a, b, m, k, n, tA, tB, c0);
    const [f, slope] = F[act ?? 'none']!;
    expect(got.length, label).toBe(m * n);
    for (let i = 0; i < m * n; i++) {
      const bj = bias ? bias[i % n]! : 0;
      const z = ref.c[i]! + bj;
      const want = f(z, alpha);
      const tol = slope * ((k + 3) * U * (ref.abs[i]! + Math.abs(bj))) + 1e-6 * Math.abs(want) + 1e-7;
      if (!(Math.abs(got[i]! - want) <= tol)) throw new Error(`${label}: element ${i} = ${got[i]}, expected ${want} (tolerance ${tol})`);
    }
  }

  it.each(COMBOS)('transposeA=%s transposeB=%s: every activation, with and without bias, copying and zero-copy paths', (tA, tB) => {
    for (const [m, k, n] of [[1, 1, 1], [3, 5, 8], [17, 33, 5], [8, 3, 17], [129, 257, 261], [5, 300, 12]] as const) {
      const a = uniform(m * k), b = uniform(k * n), bias = uniform(n, -2, 2);
      for (const act of ACTS) {
        for (const withBias of [false, true]) {
          const label = `tA=${tA} tB=${tB} ${m}×${k}×${n} ${act ?? 'none'} bias=${withBias}`;
          const opts = { transposeA: tA, transposeB: tB, ...(withBias ? { bias } : {}), ...(act ? { activation: act } : {}) };
          check(matmul(a, b, m, k, n, opts), a, b, m, k, n, tA, tB, withBias ? bias : undefined, act, 0.01, `copy ${label}`);
          if (m * k * n > 1e5 && act !== 'sigmoid') continue; // the zero-copy path once per big shape is enough
          const wc = wasmAlloc(m * n);
          wc.view.fill(Number.NaN);
          matmul(wasm(a), wasm(b), m, k, n, { ...opts, out: wc, ...(withBias ? { bias: wasm(bias) } : {}) });
          check(wc.view, a, b, m, k, n, tA, tB, withBias ? bias : undefined, act, 0.01, `zero-copy ${label}`);
        }
      }
    }
  });

  it('leakyRelu takes alpha; accumulate adds into C before the bias and the activation', () => {
    const [m, k, n] = [9, 17, 10];
    const a = uniform(m * k), b = uniform(k * n), bias = uniform(n), c0 = uniform(m * n, -3, 3);
    const out = c0.slice();
    matmul(a, b, m, k, n, { out, accumulate: true, bias, activation: 'leakyRelu', alpha: 0.3 });
    check(out, a, b, m, k, n, false, false, bias, 'leakyRelu', 0.3, 'accumulate + bias + leakyRelu(0.3)', c0);
    expect(out.some((v) => v < 0)).toBe(true); // the negative side is really scaled, not clamped
    const wc = wasm(c0);
    matmul(wasm(a), b, m, k, n, { out: wc, accumulate: true, bias, activation: 'tanh', transposeB: false });
    check(wc.view, a, b, m, k, n, false, false, bias, 'tanh', 0, 'accumulate + bias + tanh (WasmArray out)', c0);
  });

  it('the same values as matmul, then biasAdd, then the activation function, bit for bit', () => {
    const [m, k, n] = [33, 40, 17];
    const a = uniform(m * k), b = uniform(k * n), bias = uniform(n);
    const fused = matmul(a, b, m, k, n, { bias, activation: 'sigmoid' });
    const stepwise = sigmoid(biasAdd(matmul(a, b, m, k, n), bias, m, n));
    expect(Buffer.from(fused.buffer).equals(Buffer.from(stepwise.buffer))).toBe(true);
  });

  it('a bias WasmArray that overlaps out, and out === bias (Float32Array), are still right', () => {
    const [m, k, n] = [1, 6, 8];
    const a = uniform(m * k), b = uniform(k * n), bias = uniform(n);
    const wb = wasm(bias);
    matmul(a, b, m, k, n, { bias: wb, out: wb, activation: 'relu' });
    check(wb.view, a, b, m, k, n, false, false, bias, 'relu', 0, 'out === bias (WasmArray)');
    const fb = bias.slice();
    matmul(a, b, m, k, n, { bias: fb, out: fb });
    check(fb, a, b, m, k, n, false, false, bias, undefined, 0, 'out === bias (Float32Array)');
  });

  it('bad bias and activation options are typed errors naming the option', () => {
    const f = (n: number) => new Float32Array(n);
    expect(() => matmul(f(6), f(6), 2, 3, 2, { bias: f(3) })).toThrow(new ShapeError('matmul: options.bias: expected 2 floats (one per column of C, n = 2), got a Float32Array of length 3'));
    expect(() => matmul(f(6), f(6), 2, 3, 2, { bias: [1, 2] as unknown as Float32Array })).toThrow(new ArgumentTypeError('matmul: options.bias: expected a Float32Array or a WasmArray, got an array of length 2'));
    expect(() => matmul(f(6), f(6), 2, 3, 2, { activation: 'softmax' as never })).toThrow(new OptionError("matmul: options.activation: expected one of 'sigmoid', 'tanh', 'relu', 'leakyRelu', 'elu', 'selu', 'gelu', 'softplus', 'swish', 'softsign', got \"softmax\""));
    expect(() => matmul(f(6), f(6), 2, 3, 2, { activation: 'toString' as never })).toThrow(OptionError);
    expect(() => matmul(f(6), f(6), 2, 3, 2, { activation: 'leakyRelu', alpha: Number.NaN })).toThrow(new NonFiniteError('matmul: options.alpha: expected a finite number, got NaN'));
    expect(() => matmul(f(6), f(6), 2, 3, 2, { activation: 'relu', alpha: 0.1 })).toThrow(/matmul: options.alpha: only used with activation 'leakyRelu', got activation "relu"/);
    const gone = WasmArray.alloc(2); gone.dispose();
    expect(() => matmul(f(6), f(6), 2, 3, 2, { bias: gone })).toThrow(DisposedError);
  });
});

describe('errors name the function, the argument, what was expected and what was given', () => {
  const f = (n: number) => new Float32Array(n);

  it('matmul: wrong lengths for each transpose, and wrong out', () => {
    expect(() => matmul(f(5), f(6), 2, 3, 2)).toThrow(new ShapeError('matmul: a: expected 6 floats (A is m×k = 2×3), got a Float32Array of length 5'));
    expect(() => matmul(f(6), f(5), 2, 3, 2, { transposeA: true })).toThrow(/^matmul: b: expected 6 floats \(B is k×n = 3×2\), got a Float32Array of length 5$/);
    expect(() => matmul(f(5), f(6), 2, 3, 2, { transposeA: true })).toThrow(/matmul: a: expected 6 floats \(A is k×m = 3×2 \(transposeA\)\), got .* 5/);
    expect(() => matmul(f(6), f(4), 2, 3, 2, { transposeB: true })).toThrow(/matmul: b: expected 6 floats \(B is n×k = 2×3 \(transposeB\)\), got .* 4/);
    expect(() => matmul(f(6), f(6), 2, 3, 2, { out: f(3) })).toThrow(/matmul: options.out: expected 4 floats \(C is m×n = 2×2\), got a Float32Array of length 3/);
    expect(() => matmul(f(6), f(6), 2, 3, 2, { out: wasmAlloc(5) })).toThrow(/got a WasmArray of length 5/);
  });

  it('matmul: wrong types, bad dimensions, bad options', () => {
    expect(() => matmul([1, 2] as unknown as Float32Array, f(2), 1, 2, 1)).toThrow(new ArgumentTypeError('matmul: a: expected a Float32Array or a WasmArray, got an array of length 2'));
    expect(() => matmul(f(2), new Float64Array(2) as unknown as Float32Array, 1, 2, 1)).toThrow(/matmul: b: expected a Float32Array or a WasmArray, got a Float64Array of length 2/);
    expect(() => matmul(f(2), null as unknown as Float32Array, 1, 2, 1)).toThrow(/matmul: b: .* got null/);
    expect(() => matmul(f(2), f(2), -1, 2, 1)).toThrow(new ShapeError('matmul: m: expected a non-negative integer (at most 2^30 − 1), got -1'));
    expect(() => matmul(f(2), f(2), 1, 2.5, 1)).toThrow(/matmul: k: expected a non-negative integer.*got 2.5/);
    expect(() => matmul(f(2), f(2), 1, 2, '1' as unknown as number)).toThrow(ArgumentTypeError);
    expect(() => matmul(f(2), f(2), 1, 2, Number.NaN)).toThrow(/matmul: n: .* got NaN/);
    expect(() => matmul(f(2), f(2), 1, 2, 1, { transpose: true } as never)).toThrow(new OptionError('matmul: options.transpose: unknown option (known: transposeA, transposeB, out, accumulate, bias, activation, alpha)'));
    expect(() => matmul(f(2), f(2), 1, 2, 1, { transposeA: 1 } as never)).toThrow(/matmul: options.transposeA: expected true or false, got 1/);
    expect(() => matmul(f(2), f(2), 1, 2, 1, { accumulate: true })).toThrow(/matmul: options.accumulate: needs options.out/);
    expect(() => matmul(f(2), f(2), 1, 2, 1, 'nt' as never)).toThrow(/matmul: options: expected an object, got "nt"/);
  });

  it('elementwise and row-wise functions', () => {
    expect(() => hadamard(f(3), f(4))).toThrow(new ShapeError('hadamard: b: expected 3 floats (the length of a), got a Float32Array of length 4'));
    expect(() => add(f(3), f(3), f(2))).toThrow(/add: out: expected 3 floats \(the length of a\), got a Float32Array of length 2/);
    expect(() => sigmoid([1, 2] as unknown as Float32Array)).toThrow(new ArgumentTypeError('sigmoid: x: expected a Float32Array or a WasmArray, got an array of length 2'));
    expect(() => tanhGrad(f(3), wasmAlloc(2))).toThrow(/tanhGrad: y: expected 3 floats \(the length of dy\), got a WasmArray of length 2/);
    expect(() => scale(f(3), Number.NaN)).toThrow(new NonFiniteError('scale: alpha: expected a finite number, got NaN'));
    expect(() => leakyRelu(f(3), 'x' as unknown as number)).toThrow(ArgumentTypeError);
    expect(() => axpy(Infinity, f(3), f(3))).toThrow(/axpy: alpha: expected a finite number, got Infinity/);
    expect(() => axpy(1, f(2), f(3))).toThrow(/axpy: x: expected 3 floats \(the length of y\), got a Float32Array of length 2/);
    expect(() => softmax(f(6), 4, 2)).toThrow(new ShapeError('softmax: x: expected 8 floats (rows×cols = 4×2), got a Float32Array of length 6'));
    expect(() => softmaxGrad(f(8), f(6), 4, 2)).toThrow(/softmaxGrad: y: expected 8 floats/);
    expect(() => biasAdd(f(6), f(2), 2, 3)).toThrow(/biasAdd: bias: expected 3 floats \(cols\), got a Float32Array of length 2/);
    expect(() => colSum(f(6), 2, 3, f(2))).toThrow(/colSum: out: expected 3 floats \(cols\)/);
    expect(() => softmax(f(6), 2, -3)).toThrow(/softmax: cols: expected a non-negative integer/);
  });

  it('every error is a WasmlpError, and a failed call changes nothing', () => {
    const out = Float32Array.from([1, 2, 3]);
    const errors = [
      () => hadamard(f(3), f(4), out), () => matmul(f(1), f(1), 1, 1, 3, { out: out, transposeB: 'yes' } as never),
      () => sigmoid(null as unknown as Float32Array, out),
    ];
    for (const e of errors) {
      let thrown: unknown;
      try { e(); } catch (err) { thrown = err; }
      expect(thrown).toBeInstanceOf(WasmlpError);
    }
    expect(Array.from(out)).toEqual([1, 2, 3]);
  });
});

describe('the README example', () => {
  it('gives the values its comments promise', () => {
    const a = Float32Array.from([1, 2, 3, 4, 5, 6]);
    const b = Float32Array.from([1, 0, 0, 1, 1, 1]);
    const c = matmul(a, b, 2, 3, 2);
    expect(Array.from(c)).toEqual([4, 5, 10, 11]);
    expect(Array.from(matmul(a, a, 2, 3, 2, { transposeB: true }))).toEqual([14, 32, 32, 77]);
    softmax(c, 2, 2, c);
    expectClose(c, [1 / (1 + Math.E), Math.E / (1 + Math.E), 1 / (1 + Math.E), Math.E / (1 + Math.E)], 1e-6, 1e-7, 'softmax');
    const x = WasmArray.from(a), w = WasmArray.from(b), h = WasmArray.alloc(4);
    matmul(x, w, 2, 3, 2, { out: h });
    sigmoid(h, h);
    expect(h.view[3]).toBeCloseTo(1 / (1 + Math.exp(-11)), 6);
    expect(String(h.view[3]).startsWith('0.99998')).toBe(true);
    x.dispose(); w.dispose(); h.dispose();
    expect(() => add(a, b.subarray(0, 5))).toThrow(new ShapeError('add: b: expected 6 floats (the length of a), got a Float32Array of length 5'));
  });
});
