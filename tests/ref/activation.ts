// Float64 references for the activation kernels (library Math functions, no polynomials; erf by
// its series and continued fraction). Gradients are expressed through the layer output y, as the
// kernels define them (through the input x for gelu and swish).

function map(x: ArrayLike<number>, n: number, f: (v: number) => number): Float64Array {
  const y = new Float64Array(n);
  for (let i = 0; i < n; i++) y[i] = f(x[i]!);
  return y;
}

/** 1 / (1 + e^−x) */
export function sigmoidRef(x: ArrayLike<number>, n: number): Float64Array {
  return map(x, n, (v) => 1 / (1 + Math.exp(-v)));
}

/** dy · y(1 − y) */
export function sigmoidGradRef(dy: ArrayLike<number>, y: ArrayLike<number>, n: number): Float64Array {
  const dx = new Float64Array(n);
  for (let i = 0; i < n; i++) dx[i] = dy[i]! * y[i]! * (1 - y[i]!);
  return dx;
}

/** tanh(x) */
export function tanhRef(x: ArrayLike<number>, n: number): Float64Array {
  return map(x, n, Math.tanh);
}

/** dy · (1 − y²) */
export function tanhGradRef(dy: ArrayLike<number>, y: ArrayLike<number>, n: number): Float64Array {
  const dx = new Float64Array(n);
  for (let i = 0; i < n; i++) dx[i] = dy[i]! * (1 - y[i]! * y[i]!);
  return dx;
}

/** max(x, 0) */
export function reluRef(x: ArrayLike<number>, n: number): Float64Array {
  return map(x, n, (v) => Math.max(v, 0));
}

/** dy where y > 0, else 0 */
export function reluGradRef(dy: ArrayLike<number>, y: ArrayLike<number>, n: number): Float64Array {
  const dx = new Float64Array(n);
  for (let i = 0; i < n; i++) dx[i] = y[i]! > 0 ? dy[i]! : 0;
  return dx;
}

/** x for x > 0, else alpha·x */
export function leakyReluRef(x: ArrayLike<number>, alpha: number, n: number): Float64Array {
  return map(x, n, (v) => (v > 0 ? v : alpha * v));
}

/** dy where y > 0, else alpha·dy */
export function leakyReluGradRef(dy: ArrayLike<number>, y: ArrayLike<number>, alpha: number, n: number): Float64Array {
  const dx = new Float64Array(n);
  for (let i = 0; i < n; i++) dx[i] = y[i]! > 0 ? dy[i]! : alpha * dy[i]!;
  return dx;
}

// ************* elu, selu, gelu, softplus, swish, softsign (float64, from the formulas) *************

/** Keras's selu constants (Klambauer et al. 2017). */
export const SELU_ALPHA = 1.6732632423543772;
export const SELU_SCALE = 1.0507009873554805;

/**
 * erf(x) in float64 to about 1e-16 relative: for |x| < 2.5 the series with positive terms
 * erf(x) = (2/√π)·e^(−x²)·Σ 2^n·x^(2n+1)/(1·3·…·(2n+1)) (Abramowitz–Stegun 7.1.6, no cancellation);
 * beyond, 1 − erfc(x).
 */
export function erfRef(x: number): number {
  if (Number.isNaN(x)) return NaN;
  const ax = Math.abs(x);
  if (ax >= 2.5) return Math.sign(x) * (1 - erfcRef(ax));
  let term = ax, sum = ax;
  for (let n = 1; n < 200 && term > 1e-18 * sum; n++) { term *= (2 * ax * ax) / (2 * n + 1); sum += term; }
  return Math.sign(x) * (2 / Math.sqrt(Math.PI)) * Math.exp(-ax * ax) * sum;
}

/**
 * erfc(x) in float64 with a small relative error also in the right tail: for x ≥ 2.5 the continued
 * fraction erfc(x) = e^(−x²)/√π · 1/(x + (1/2)/(x + 1/(x + (3/2)/(x + …)))) (A–S 7.1.14), 400 terms
 * evaluated backwards; else 1 − erf(x).
 */
export function erfcRef(x: number): number {
  if (Number.isNaN(x)) return NaN;
  if (x < 2.5) return 1 - erfRef(x);
  let f = x;
  for (let n = 400; n >= 1; n--) f = x + n / 2 / f;
  return Math.exp(-x * x) / (Math.sqrt(Math.PI) * f);
}

/** Φ(x) = ½·erfc(−x/√2), the standard normal CDF. */
export function normalCdfRef(x: number): number { return 0.5 * erfcRef(-x / Math.SQRT2); }
/** φ(x) = e^(−x²/2)/√(2π). */
export function normalPdfRef(x: number): number { return Math.exp(-0.5 * x * x) / Math.sqrt(2 * Math.PI); }
const sigma = (x: number): number => (x >= 0 ? 1 / (1 + Math.exp(-x)) : Math.exp(x) / (1 + Math.exp(x)));

/** f(x) of the six activations added with issue 13 (elu with α = 1, selu with Keras's constants, exact gelu). */
export const F64: Readonly<Record<'elu' | 'selu' | 'gelu' | 'softplus' | 'swish' | 'softsign', (x: number) => number>> = {
  elu: (x) => (x > 0 ? x : Math.expm1(x)),
  selu: (x) => (x > 0 ? SELU_SCALE * x : SELU_SCALE * SELU_ALPHA * Math.expm1(x)),
  gelu: (x) => x * normalCdfRef(x),
  softplus: (x) => Math.max(x, 0) + Math.log1p(Math.exp(-Math.abs(x))),
  swish: (x) => x * sigma(x),
  softsign: (x) => x / (1 + Math.abs(x)),
};

/** f'(x) of the same six, as functions of the input x. */
export const F64_DERIV: Readonly<Record<keyof typeof F64, (x: number) => number>> = {
  elu: (x) => (x > 0 ? 1 : Math.exp(x)),
  selu: (x) => (x > 0 ? SELU_SCALE : SELU_SCALE * SELU_ALPHA * Math.exp(x)),
  gelu: (x) => normalCdfRef(x) + x * normalPdfRef(x),
  softplus: sigma,
  swish: (x) => sigma(x) * (1 + x * (1 - sigma(x))),
  softsign: (x) => 1 / (1 + Math.abs(x)) ** 2,
};

/**
 * dy ⊙ f'(·) of the six in the kernels' convention: from the output y for elu (y < 0: y + 1),
 * selu (y < 0: y + λα, else λ), softplus (1 − e^−y) and softsign ((1 − |y|)²); from the input x
 * for gelu and swish (gradFrom 'input').
 */
export const F64_GRAD: Readonly<Record<keyof typeof F64, (dy: number, y: number) => number>> = {
  elu: (dy, y) => (y < 0 ? dy * (y + 1) : dy),
  selu: (dy, y) => (y < 0 ? dy * (y + SELU_SCALE * SELU_ALPHA) : dy * SELU_SCALE),
  gelu: (dy, x) => dy * F64_DERIV.gelu(x),
  softplus: (dy, y) => dy * -Math.expm1(-y),
  swish: (dy, x) => dy * F64_DERIV.swish(x),
  softsign: (dy, y) => dy * (1 - Math.abs(y)) ** 2,
};

const isNew = (name: string): name is keyof typeof F64 => Object.hasOwn(F64, name);

/** f(z) for an activation named as in src/activations.ts; throws for a name without a reference. */
export function activationRef(name: string, z: ArrayLike<number>, alpha: number, n = z.length): Float64Array {
  switch (name) {
    case 'linear': return Float64Array.from({ length: n }, (_, i) => z[i]!);
    case 'sigmoid': return sigmoidRef(z, n);
    case 'tanh': return tanhRef(z, n);
    case 'relu': return reluRef(z, n);
    case 'leakyRelu': return leakyReluRef(z, alpha, n);
    default:
      if (isNew(name)) return map(z, n, F64[name]);
      throw new Error(`tests/ref/activation.ts: no float64 reference for activation '${name}'`);
  }
}

/** dy ⊙ f'(·) from y (the output; the input for gelu and swish), for an activation named as in src/activations.ts. */
export function activationGradRef(name: string, dy: ArrayLike<number>, y: ArrayLike<number>, alpha: number, n = dy.length): Float64Array {
  switch (name) {
    case 'linear': return Float64Array.from({ length: n }, (_, i) => dy[i]!);
    case 'sigmoid': return sigmoidGradRef(dy, y, n);
    case 'tanh': return tanhGradRef(dy, y, n);
    case 'relu': return reluGradRef(dy, y, n);
    case 'leakyRelu': return leakyReluGradRef(dy, y, alpha, n);
    default:
      if (isNew(name)) return Float64Array.from({ length: n }, (_, i) => F64_GRAD[name](dy[i]!, y[i]!));
      throw new Error(`tests/ref/activation.ts: no float64 reference for the derivative of activation '${name}'`);
  }
}
