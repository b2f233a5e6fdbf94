// Activation kernels against the float64 references in tests/ref/activation.ts (Math.exp, Math.tanh).
//
// Tolerances (|d| ≤ max(atol, rtol·|ref|)):
//  - sigmoid, tanh: rtol 1e-6 (the polynomial exp has relative error ~2e-7; measured worst 1.8e-7),
//    atol 1e-30: only where exp's input clamp at −87.3 leaves ~1e-38 instead of a smaller number.
//  - sigmoid_grad, tanh_grad (three float32 roundings; 1 − y² can cancel): rtol 3e-7, atol 2e-7.
//  - relu, leaky_relu and their gradients (a select and at most one product): rtol 1.2e-7 (1 ulp),
//    atol 1e-30.
import { beforeAll, describe, expect, it } from 'vitest';
import type { SimdVariant } from '../src/wasm/kernels.js';
import {
  assertClose, checkFramed, frameInput, frameOutput, Mem, SIZES, simdVariants, TestRng, uniformValues, type Tol,
} from './helpers.js';
import {
  leakyReluGradRef, leakyReluRef, reluGradRef, reluRef, sigmoidGradRef, sigmoidRef, tanhGradRef, tanhRef,
} from './ref/activation.js';

const EXP_TOL: Tol = { atol: 1e-30, rtol: 1e-6 };
const GRAD_TOL: Tol = { atol: 2e-7, rtol: 3e-7 };
const SELECT_TOL: Tol = { atol: 1e-30, rtol: 1.2e-7 };
const OFFSETS = [0, 1];
const LEN = 1024;

/** Inputs every forward activation sees, spread over vector lanes and scalar tails. */
const SPECIAL_X = [
  0, -0, 1e-8, -1e-8, 0.5, -0.5, 0.625, -0.625, Math.fround(0.6249999), -Math.fround(0.6249999), 0.63, -0.63,
  1, -1, 9, -9, 20, -20, 44, -44, 87.3, -87.3, 88, -88, 89, -89, 100, -100, 1e4, -1e4, 3e38, -3e38,
];

const ran = new Set<SimdVariant>();

describe.each(simdVariants())('activation kernels [%s]', (variant) => {
  let mem: Mem;
  let X = 0, Y = 0, Z = 0;
  const rng = new TestRng(0x5eed_0003);

  beforeAll(() => {
    mem = new Mem(variant);
    X = mem.alloc(LEN); Y = mem.alloc(LEN); Z = mem.alloc(LEN);
  });

  /** n forward inputs: uniform in [-8, 8] with the special values sprinkled in at rotating positions. */
  function xs(n: number): Float32Array {
    const v = uniformValues(rng, n, -8, 8);
    const start = rng.int(SPECIAL_X.length);
    for (let i = 0; i < n; i += 3) v[i] = SPECIAL_X[(start + i / 3) % SPECIAL_X.length]!;
    return v;
  }

  type Fwd = (y: number, x: number, n: number) => void;
  type Bwd = (dx: number, dy: number, y: number, n: number) => void;

  /** Forward kernel on the sweep: separate output and in place (y == x). */
  function forward(name: string, kernel: Fwd, ref: (x: Float64Array, n: number) => Float64Array, tol: Tol): void {
    for (const n of SIZES) {
      for (const off of OFFSETS) {
        const label = `${variant} ${name} n=${n} off=${off}`;
        const vals = xs(n);
        const [x, hx] = frameInput(mem, X, LEN, off, vals);
        const y = frameOutput(mem, Z, LEN, off, n);
        kernel(y, x, n);
        const want = ref(hx, n);
        checkFramed(mem, y, n, want, tol, label);
        assertClose(mem.f32(x, n), hx, { atol: 0, rtol: 0 }, `${label} (input unchanged)`);
      }
    }
  }

  it('instantiates the requested SIMD build', () => {
    expect(mem.be.simd).toBe(variant);
    ran.add(variant);
  });

  /** Forward kernel in place: y == x. */
  function inPlace(name: string, kernel: Fwd, ref: (x: Float64Array, n: number) => Float64Array, tol: Tol): void {
    for (const n of SIZES) {
      const label = `${variant} ${name} in place n=${n}`;
      const y = frameOutput(mem, Z, LEN, 1, n);
      const vals = xs(n);
      mem.f32(y, n).set(vals);
      kernel(y, y, n);
      checkFramed(mem, y, n, ref(Float64Array.from(vals), n), tol, label);
    }
  }

  /** Backward kernel on the sweep, separate and in place (dx == dy); y values from yGen. */
  function backward(name: string, kernel: Bwd, ref: (dy: Float64Array, y: Float64Array, n: number) => Float64Array,
                    yGen: (n: number) => Float32Array, tol: Tol): void {
    for (const n of SIZES) {
      for (const off of OFFSETS) {
        const label = `${variant} ${name} n=${n} off=${off}`;
        const [dy, hdy] = frameInput(mem, X, LEN, off, uniformValues(rng, n));
        const [y, hy] = frameInput(mem, Y, LEN, off, yGen(n));
        const want = ref(hdy, hy, n);
        const dx = frameOutput(mem, Z, LEN, off, n);
        kernel(dx, dy, y, n);
        checkFramed(mem, dx, n, want, tol, label);
        // in place: dx == dy
        const dd = frameOutput(mem, Z, LEN, off, n);
        mem.f32(dd, n).set(hdy);
        kernel(dd, dd, y, n);
        checkFramed(mem, dd, n, want, tol, `${label} in place`);
      }
    }
  }

  /** y values in [lo, hi] including the exact ends and a few exact zeros. */
  const yIn = (lo: number, hi: number) => (n: number): Float32Array => {
    const v = uniformValues(rng, n, lo, hi);
    for (let i = 0; i < n; i += 4) v[i] = [lo, hi, 0, 0.5 * (lo + hi)][(i / 4) % 4]!;
    return v;
  };

  it('sigmoid_f32 matches 1/(1+exp(−x)) in float64', () => {
    forward('sigmoid', (y, x, n) => mem.k.sigmoid_f32(y, x, n), sigmoidRef, EXP_TOL);
    inPlace('sigmoid', (y, x, n) => mem.k.sigmoid_f32(y, x, n), sigmoidRef, EXP_TOL);
  });

  it('tanh_f32 matches Math.tanh', () => {
    forward('tanh', (y, x, n) => mem.k.tanh_f32(y, x, n), tanhRef, EXP_TOL);
    inPlace('tanh', (y, x, n) => mem.k.tanh_f32(y, x, n), tanhRef, EXP_TOL);
  });

  it('relu_f32 matches max(x, 0)', () => {
    forward('relu', (y, x, n) => mem.k.relu_f32(y, x, n), reluRef, SELECT_TOL);
    inPlace('relu', (y, x, n) => mem.k.relu_f32(y, x, n), reluRef, SELECT_TOL);
  });

  it('leaky_relu_f32 matches x > 0 ? x : alpha·x', () => {
    for (const alpha of [Math.fround(0.01), 0.25]) {
      const ref = (x: Float64Array, n: number) => leakyReluRef(x, alpha, n);
      forward(`leaky_relu(${alpha})`, (y, x, n) => mem.k.leaky_relu_f32(y, x, alpha, n), ref, SELECT_TOL);
      inPlace(`leaky_relu(${alpha})`, (y, x, n) => mem.k.leaky_relu_f32(y, x, alpha, n), ref, SELECT_TOL);
    }
  });

  it('sigmoid_grad_f32 matches dy·y(1−y)', () => {
    backward('sigmoid_grad', (dx, dy, y, n) => mem.k.sigmoid_grad_f32(dx, dy, y, n), sigmoidGradRef, yIn(0, 1), GRAD_TOL);
  });

  it('tanh_grad_f32 matches dy·(1−y²)', () => {
    backward('tanh_grad', (dx, dy, y, n) => mem.k.tanh_grad_f32(dx, dy, y, n), tanhGradRef, yIn(-1, 1), GRAD_TOL);
  });

  it('relu_grad_f32 passes dy where y > 0, else 0 (y = 0 gives 0)', () => {
    backward('relu_grad', (dx, dy, y, n) => mem.k.relu_grad_f32(dx, dy, y, n), reluGradRef, yIn(-1, 1), SELECT_TOL);
  });

  it('leaky_relu_grad_f32 passes dy where y > 0, else alpha·dy', () => {
    for (const alpha of [Math.fround(0.01), 0.25]) {
      backward(`leaky_relu_grad(${alpha})`, (dx, dy, y, n) => mem.k.leaky_relu_grad_f32(dx, dy, y, alpha, n),
        (dy, y, n) => leakyReluGradRef(dy, y, alpha, n), yIn(-1, 1), SELECT_TOL);
    }
  });

  /** Runs a forward kernel on `vals` twice: as one vector (lanes + tail) and one value at a time (scalar tail). */
  function edge(kernel: Fwd, vals: number[]): Float32Array[] {
    const [x] = frameInput(mem, X, LEN, 0, vals);
    const y = frameOutput(mem, Z, LEN, 0, vals.length);
    kernel(y, x, vals.length);
    const whole = mem.f32(y, vals.length).slice();
    const single = new Float32Array(vals.length);
    vals.forEach((v, i) => {
      const [x1] = frameInput(mem, X, LEN, 1, [v]);
      const y1 = frameOutput(mem, Z, LEN, 1, 1);
      kernel(y1, x1, 1);
      single[i] = mem.f32(y1, 1)[0]!;
    });
    return [whole, single];
  }

  it('sigmoid at ±1e4 and ±100 is finite and in [0, 1]: 1 and ~0', () => {
    const vals = [1e4, -1e4, 100, -100, 1e4, -1e4, 100, -100, 0]; // 9: two vectors and a tail
    for (const out of edge((y, x, n) => mem.k.sigmoid_f32(y, x, n), vals)) {
      out.forEach((v, i) => {
        expect(Number.isFinite(v), `sigmoid(${vals[i]}) = ${v}`).toBe(true);
        expect(v).toBeGreaterThanOrEqual(0);
        expect(v).toBeLessThanOrEqual(1);
      });
      const want = sigmoidRef(Float64Array.from(vals), vals.length);
      for (let i = 0; i < vals.length; i++) {
        if (vals[i]! > 0) expect(out[i], `sigmoid(${vals[i]})`).toBe(1); // float32(1 − e^−100) rounds to 1
        else expect(Math.abs(out[i]! - want[i]!), `sigmoid(${vals[i]})`).toBeLessThan(1e-30);
      }
      expect(out[8]).toBe(0.5);
    }
  });

  it('sigmoid, tanh and leaky_relu at ±Infinity', () => {
    const vals = [Infinity, -Infinity, Infinity, -Infinity, -Infinity]; // vector lanes and a tail
    const x64 = Float64Array.from(vals);
    for (const out of edge((y, x, n) => mem.k.sigmoid_f32(y, x, n), vals)) {
      assertClose(out, sigmoidRef(x64, vals.length), EXP_TOL, `${variant} sigmoid(±Inf)`);
    }
    for (const out of edge((y, x, n) => mem.k.tanh_f32(y, x, n), vals)) {
      assertClose(out, tanhRef(x64, vals.length), EXP_TOL, `${variant} tanh(±Inf)`);
    }
    for (const out of edge((y, x, n) => mem.k.leaky_relu_f32(y, x, 0.25, n), vals)) {
      assertClose(out, leakyReluRef(x64, 0.25, vals.length), SELECT_TOL, `${variant} leaky_relu(±Inf)`);
    }
  });

  // Regression: relu_f32 / relu_grad_f32 were once leaky_relu with alpha = 0, and 0·(±Infinity) = NaN.
  it('relu_f32(−Infinity) is 0', () => {
    const vals = [-Infinity, 1, -Infinity, -2, -Infinity];
    for (const out of edge((y, x, n) => mem.k.relu_f32(y, x, n), vals)) {
      assertClose(out, reluRef(Float64Array.from(vals), vals.length), SELECT_TOL, `${variant} relu(−Inf)`);
    }
  });

  it('relu_grad_f32 is 0 where y ≤ 0 even for dy = ±Infinity', () => {
    const dys = [Infinity, -Infinity, Infinity, 1, -Infinity], ys = [0, -1, 2, -1, 0];
    const [dy, hdy] = frameInput(mem, X, LEN, 0, dys);
    const [y, hy] = frameInput(mem, Y, LEN, 0, ys);
    const dx = frameOutput(mem, Z, LEN, 0, dys.length);
    mem.k.relu_grad_f32(dx, dy, y, dys.length);
    checkFramed(mem, dx, dys.length, reluGradRef(hdy, hy, dys.length), SELECT_TOL, `${variant} relu_grad(±Inf)`);
  });

  it('tanh at ±1e4 is exactly ±1 (and ±100, ±20)', () => {
    const vals = [1e4, -1e4, 100, -100, 20, -20, 1e4, -1e4, 1e4];
    for (const out of edge((y, x, n) => mem.k.tanh_f32(y, x, n), vals)) {
      const want = tanhRef(Float64Array.from(vals), vals.length).map(Math.fround); // float32(tanh) = ±1 here
      expect(Array.from(out)).toEqual(Array.from(want));
      expect(Array.from(out)).toEqual(vals.map(Math.sign));
    }
  });
});

it('ran the baseline build', () => {
  expect(ran.has('baseline')).toBe(true);
});
