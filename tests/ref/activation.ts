// Float64 references for the activation kernels (library Math functions, no polynomials).
// Gradients are expressed through the layer output y, as the kernels define them.

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

/** f(z) for an activation named as in src/activations.ts; throws for a name without a reference. */
export function activationRef(name: string, z: ArrayLike<number>, alpha: number, n = z.length): Float64Array {
  switch (name) {
    case 'linear': return Float64Array.from({ length: n }, (_, i) => z[i]!);
    case 'sigmoid': return sigmoidRef(z, n);
    case 'tanh': return tanhRef(z, n);
    case 'relu': return reluRef(z, n);
    case 'leakyRelu': return leakyReluRef(z, alpha, n);
    default: throw new Error(`tests/ref/activation.ts: no float64 reference for activation '${name}'`);
  }
}

/** dy ⊙ f'(·) from the output y, for an activation named as in src/activations.ts. */
export function activationGradRef(name: string, dy: ArrayLike<number>, y: ArrayLike<number>, alpha: number, n = dy.length): Float64Array {
  switch (name) {
    case 'linear': return Float64Array.from({ length: n }, (_, i) => dy[i]!);
    case 'sigmoid': return sigmoidGradRef(dy, y, n);
    case 'tanh': return tanhGradRef(dy, y, n);
    case 'relu': return reluGradRef(dy, y, n);
    case 'leakyRelu': return leakyReluGradRef(dy, y, alpha, n);
    default: throw new Error(`tests/ref/activation.ts: no float64 reference for the derivative of activation '${name}'`);
  }
}
