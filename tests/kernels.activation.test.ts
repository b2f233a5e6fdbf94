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
  erfcRef, erfRef, F64, F64_GRAD, leakyReluGradRef, leakyReluRef, reluGradRef, reluRef, sigmoidGradRef, sigmoidRef, tanhGradRef, tanhRef,
} from './ref/activation.js';
import { ACTIVATIONS } from '../src/activations.js';

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

/**
 * elu, selu, gelu, softplus, swish, softsign: act_f32 / act_grad_f32 with their codes, against the
 * float64 formulas of tests/ref/activation.ts. Worst |d|/|ref| measured over 200,000 points of
 * [−30, 30] (both builds give the same bits: these formulas use no madd):
 *  - elu 7.4e-8, selu 1.3e-7 (e^x − 1 by expm1_f32x4, no cancellation near 0): rtol 5e-7.
 *  - gelu: x·½·erfc(−x/√2), erfc from Numerical Recipes' erfcc (1.05e-7 in float64): 8.8e-7 for
 *    x ≥ −4; further left the rounding of exp's argument −x²/2 grows it (7.5e-6 at −30, while
 *    |gelu| < 1.3e-4 and the absolute error < 1.3e-10): rtol 1e-6, atol 1e-9.
 *  - softplus (max(x, 0) + 2·atanh(u/(2+u)), u = e^−|x|) 2.4e-7, swish 2.3e-7: rtol 5e-7.
 *  - softsign (one add, one divide) 1.2e-7: rtol 2.5e-7.
 *  - derivatives: worst absolute error 2.2e-7 (gelu near 0, swish) for |dy| ≤ 1, and 1 + y (elu),
 *    y + λα (selu), 1 − |y| (softsign) cancel towards their limits: atol 2e-7, rtol 5e-7 (gelu 1e-6).
 * atol 1e-30 elsewhere: where exp's input clamp at −87.3 leaves ~1e-38 instead of a smaller number.
 */
const NEW_ACTS = ['elu', 'selu', 'gelu', 'softplus', 'swish', 'softsign'] as const;
type NewAct = (typeof NEW_ACTS)[number];
const NEW_TOL: Record<NewAct, { f: Tol; g: Tol }> = {
  elu: { f: { atol: 1e-30, rtol: 5e-7 }, g: { atol: 2e-7, rtol: 5e-7 } },
  selu: { f: { atol: 1e-30, rtol: 5e-7 }, g: { atol: 2e-7, rtol: 5e-7 } },
  gelu: { f: { atol: 1e-9, rtol: 1e-6 }, g: { atol: 2e-7, rtol: 1e-6 } },
  softplus: { f: { atol: 1e-30, rtol: 5e-7 }, g: { atol: 2e-7, rtol: 5e-7 } },
  swish: { f: { atol: 1e-30, rtol: 5e-7 }, g: { atol: 2e-7, rtol: 5e-7 } },
  softsign: { f: { atol: 1e-30, rtol: 2.5e-7 }, g: { atol: 2e-7, rtol: 5e-7 } },
};
/** Lengths 0..9 (every lane count and tail), 15..17 and 100. */
const NEW_SIZES = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 15, 16, 17, 100];

it('the float64 erf/erfc references agree with known values of erf and erfc (16 digits)', () => {
  const table: [number, number, number][] = [ // x, erf(x), erfc(x)
    [0.5, 0.5204998778130465, 0.4795001221869535], [1, 0.8427007929497149, 0.15729920705028513],
    [2, 0.9953222650189527, 0.004677734981047266], [3, 0.9999779095030014, 2.209049699858544e-5],
    [5, 1 - 1.5374597944280349e-12, 1.5374597944280349e-12],
  ];
  for (const [x, erf, erfc] of table) {
    expect(Math.abs(erfRef(x) - erf), `erf(${x})`).toBeLessThanOrEqual(1e-15);
    expect(Math.abs(erfRef(-x) + erf), `erf(${-x})`).toBeLessThanOrEqual(1e-15);
    expect(Math.abs(erfcRef(x) / erfc - 1), `erfc(${x})`).toBeLessThanOrEqual(1e-12);
  }
});

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

  describe.each(NEW_ACTS)('%s (act_f32 / act_grad_f32)', (name) => {
    const code = ACTIVATIONS[name].code, tol = NEW_TOL[name], fromInput = ACTIVATIONS[name].gradFrom === 'input';
    const f = (x: ArrayLike<number>, n: number) => Float64Array.from({ length: n }, (_, i) => F64[name](x[i]!));
    const fwd: Fwd = (y, x, n) => mem.k.act_f32(y, x, n, code, 0.3); // alpha is leaky relu's: ignored
    const bwd: Bwd = (dx, dy, y, n) => mem.k.act_grad_f32(dx, dy, y, n, code, 0.3);
    const gradRef = (dy: Float64Array, y: Float64Array, n: number) => Float64Array.from({ length: n }, (_, i) => F64_GRAD[name](dy[i]!, y[i]!));

    it('forward matches the float64 formula over lengths 0..9, 15..17, 100, separate and in place, finite for finite x', () => {
      for (const n of NEW_SIZES) {
        for (const off of OFFSETS) {
          const label = `${variant} ${name} n=${n} off=${off}`;
          const [x, hx] = frameInput(mem, X, LEN, off, xs(n));
          const y = frameOutput(mem, Z, LEN, off, n);
          fwd(y, x, n);
          checkFramed(mem, y, n, f(hx, n), tol.f, label); // a NaN or ±Infinity where the formula is finite fails
          assertClose(mem.f32(x, n), hx, { atol: 0, rtol: 0 }, `${label} (input unchanged)`);
        }
        const y = frameOutput(mem, Z, LEN, 1, n);
        const vals = xs(n);
        mem.f32(y, n).set(vals);
        fwd(y, y, n);
        checkFramed(mem, y, n, f(Float64Array.from(vals), n), tol.f, `${variant} ${name} in place n=${n}`);
      }
    });

    it(`derivative matches the float64 formula (from the ${fromInput ? 'input' : 'output'}), separate and in place`, () => {
      for (const n of NEW_SIZES) {
        for (const off of OFFSETS) {
          const label = `${variant} ${name}' n=${n} off=${off}`;
          const x = xs(n);
          // y: what the layer hands the kernel, the input x or float32(f(x))
          const yv = fromInput ? x : Float32Array.from(x, (v) => F64[name](v));
          const [dy, hdy] = frameInput(mem, X, LEN, off, uniformValues(rng, n));
          const [y, hy] = frameInput(mem, Y, LEN, off, yv);
          const want = gradRef(hdy, hy, n);
          const dx = frameOutput(mem, Z, LEN, off, n);
          bwd(dx, dy, y, n);
          checkFramed(mem, dx, n, want, tol.g, label);
          const dd = frameOutput(mem, Z, LEN, off, n);
          mem.f32(dd, n).set(hdy);
          bwd(dd, dd, y, n);
          checkFramed(mem, dd, n, want, tol.g, `${label} in place`);
        }
      }
    });

    it('at ±1e4, ±100, ±20, ±1e-8 and ±0: finite, as the formula (vector lanes and scalar tail agree)', () => {
      const vals = [1e4, -1e4, 100, -100, 20, -20, 1e-8, -1e-8, 0, -0, 1e4, -1e4, -1e4]; // 13: three vectors and a tail
      const want = f(Float64Array.from(vals), vals.length);
      for (const out of edge(fwd, vals)) {
        assertClose(out, want, tol.f, `${variant} ${name}(large and tiny |x|)`);
        if (name !== 'softplus' && name !== 'softsign') expect(out[0], `${name}(1e4)`).toBe(name === 'selu' ? Math.fround(Math.fround(1.0507009873554805) * 1e4) : 1e4);
      }
      const [whole, single] = edge(fwd, vals) as [Float32Array, Float32Array];
      expect(Array.from(whole)).toEqual(Array.from(single));
      // the derivative at the same points, from what the layer would hand it
      const ys = fromInput ? vals : vals.map((v) => Math.fround(F64[name](v)));
      const [dy, hdy] = frameInput(mem, X, LEN, 0, vals.map(() => 1));
      const [y, hy] = frameInput(mem, Y, LEN, 0, ys);
      const dx = frameOutput(mem, Z, LEN, 0, vals.length);
      bwd(dx, dy, y, vals.length);
      checkFramed(mem, dx, vals.length, gradRef(hdy, hy, vals.length), tol.g, `${variant} ${name}'(large and tiny |x|)`);
    });
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
