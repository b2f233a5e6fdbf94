// Float64 references for the elementwise losses of assembly/loss.ts, written from the formulas.
// Per sample each loss is the sum over its outputs; these sum over all n values.

/** Σ|y − t| */
export function maeLossRef(y: ArrayLike<number>, t: ArrayLike<number>, n: number): number {
  let total = 0;
  for (let i = 0; i < n; i++) total += Math.abs(y[i]! - t[i]!);
  return total;
}

/** scale·sign(y − t), 0 where y = t (tf's sign), NaN where y − t is NaN or ±Infinity. */
export function maeGradRef(y: ArrayLike<number>, t: ArrayLike<number>, scale: number, n: number): Float64Array {
  const dz = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const r = y[i]! - t[i]!;
    dz[i] = Number.isFinite(r) ? scale * Math.sign(r) : NaN;
  }
  return dz;
}

/** Σ h(y − t): h(r) = ½r² for |r| ≤ δ, δ·(|r| − ½δ) beyond. */
export function huberLossRef(y: ArrayLike<number>, t: ArrayLike<number>, delta: number, n: number): number {
  let total = 0;
  for (let i = 0; i < n; i++) {
    const r = y[i]! - t[i]!;
    const a = Math.abs(r);
    total += a <= delta ? 0.5 * r * r : delta * (a - 0.5 * delta);
  }
  return total;
}

/** scale·h'(y − t) = scale·r for |r| ≤ δ, scale·δ·sign(r) beyond. */
export function huberGradRef(y: ArrayLike<number>, t: ArrayLike<number>, scale: number, delta: number, n: number): Float64Array {
  const dz = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const r = y[i]! - t[i]!;
    dz[i] = scale * (Math.abs(r) <= delta ? r : delta * Math.sign(r));
  }
  return dz;
}

/** Σ y − t·log(y + ε), ε = 1e-7 (Keras's poisson, summed). */
export function poissonLossRef(y: ArrayLike<number>, t: ArrayLike<number>, n: number, eps = 1e-7): number {
  let total = 0;
  for (let i = 0; i < n; i++) total += y[i]! - t[i]! * Math.log(y[i]! + eps);
  return total;
}

/** scale·(1 − t/(y + ε)): d/dy of y − t·log(y + ε). */
export function poissonGradRef(y: ArrayLike<number>, t: ArrayLike<number>, scale: number, n: number, eps = 1e-7): Float64Array {
  const dz = new Float64Array(n);
  for (let i = 0; i < n; i++) dz[i] = scale * (1 - t[i]! / (y[i]! + eps));
  return dz;
}
