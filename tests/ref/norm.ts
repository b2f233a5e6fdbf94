// Float64 references for the normalization kernels of assembly/norm.ts, written from the formulas.
// Matrices are [m,n] row-major, contiguous. gamma/beta null: γ = 1, β = 0.

/** A normalization's forward results; `mean` and `variance` have n entries (batch norm) or m (layer norm). */
export interface NormForwardRef { y: Float64Array; xhat: Float64Array; invstd: Float64Array; mean: Float64Array; variance: Float64Array }

/** dE/dx, dE/dγ, dE/dβ. */
export interface NormBackwardRef { dx: Float64Array; dgamma: Float64Array; dbeta: Float64Array }

type Vec = ArrayLike<number> | null;

/**
 * Normalizes x over `count` values at x[start + t·step], t < count: biased two-pass variance,
 * invstd = 1/√(var + eps), xhat = (x − mean)·invstd, y = xhat·γ_j + β_j.
 */
function normalize(x: ArrayLike<number>, gamma: Vec, beta: Vec, n: number, start: number, step: number, count: number, eps: number,
  out: NormForwardRef, stat: number): void {
  let s = 0;
  for (let t = 0; t < count; t++) s += x[start + t * step]!;
  const mean = s / count;
  let q = 0;
  for (let t = 0; t < count; t++) q += (x[start + t * step]! - mean) ** 2;
  const variance = q / count;
  const invstd = 1 / Math.sqrt(variance + eps);
  out.mean[stat] = mean; out.variance[stat] = variance; out.invstd[stat] = invstd;
  for (let t = 0; t < count; t++) {
    const i = start + t * step, j = i % n;
    const h = (x[i]! - mean) * invstd;
    out.xhat[i] = h;
    out.y[i] = h * (gamma ? gamma[j]! : 1) + (beta ? beta[j]! : 0);
  }
}

/** Batch norm in training mode: statistics per column over the m rows. */
export function batchnormTrainRef(x: ArrayLike<number>, gamma: Vec, beta: Vec, m: number, n: number, eps: number): NormForwardRef {
  const out = { y: new Float64Array(m * n), xhat: new Float64Array(m * n), invstd: new Float64Array(n), mean: new Float64Array(n), variance: new Float64Array(n) };
  for (let j = 0; j < n; j++) normalize(x, gamma, beta, n, j, n, m, eps, out, j);
  return out;
}

/** Batch norm in inference mode: y = (x − movmean)·γ/√(movvar + eps) + β. */
export function batchnormInferRef(x: ArrayLike<number>, gamma: Vec, beta: Vec, movmean: ArrayLike<number>, movvar: ArrayLike<number>,
  m: number, n: number, eps: number): Float64Array {
  const y = new Float64Array(m * n);
  for (let r = 0; r < m; r++) {
    for (let j = 0; j < n; j++) {
      const g = gamma ? gamma[j]! : 1, b = beta ? beta[j]! : 0;
      y[r * n + j] = (x[r * n + j]! - movmean[j]!) * g / Math.sqrt(movvar[j]! + eps) + b;
    }
  }
  return y;
}

/** Layer norm: statistics per row over the n columns. */
export function layernormForwardRef(x: ArrayLike<number>, gamma: Vec, beta: Vec, m: number, n: number, eps: number): NormForwardRef {
  const out = { y: new Float64Array(m * n), xhat: new Float64Array(m * n), invstd: new Float64Array(m), mean: new Float64Array(m), variance: new Float64Array(m) };
  for (let r = 0; r < m; r++) normalize(x, gamma, beta, n, r * n, 1, n, eps, out, r);
  return out;
}

/** dβ_j = Σ_r dy, dγ_j = Σ_r dy·xhat: both norms' parameter gradients. */
function paramGrads(dy: ArrayLike<number>, xhat: ArrayLike<number>, m: number, n: number): [Float64Array, Float64Array] {
  const dgamma = new Float64Array(n), dbeta = new Float64Array(n);
  for (let r = 0; r < m; r++) {
    for (let j = 0; j < n; j++) {
      dbeta[j] = dbeta[j]! + dy[r * n + j]!;
      dgamma[j] = dgamma[j]! + dy[r * n + j]! * xhat[r * n + j]!;
    }
  }
  return [dgamma, dbeta];
}

/** Batch norm backward (training mode): dx = (γ·invstd/m)·(m·dy − dβ − xhat·dγ) per column. */
export function batchnormBackwardRef(dy: ArrayLike<number>, xhat: ArrayLike<number>, invstd: ArrayLike<number>, gamma: Vec,
  m: number, n: number): NormBackwardRef {
  const [dgamma, dbeta] = paramGrads(dy, xhat, m, n);
  const dx = new Float64Array(m * n);
  for (let r = 0; r < m; r++) {
    for (let j = 0; j < n; j++) {
      const i = r * n + j;
      dx[i] = ((gamma ? gamma[j]! : 1) * invstd[j]! / m) * (m * dy[i]! - dbeta[j]! - xhat[i]! * dgamma[j]!);
    }
  }
  return { dx, dgamma, dbeta };
}

/** Layer norm backward: with d = γ·dy, dx = (invstd_r/n)·(n·d − Σ_k d − xhat·Σ_k d·xhat) per row. */
export function layernormBackwardRef(dy: ArrayLike<number>, xhat: ArrayLike<number>, invstd: ArrayLike<number>, gamma: Vec,
  m: number, n: number): NormBackwardRef {
  const [dgamma, dbeta] = paramGrads(dy, xhat, m, n);
  const dx = new Float64Array(m * n);
  for (let r = 0; r < m; r++) {
    let s1 = 0, s2 = 0;
    for (let k = 0; k < n; k++) { const d = (gamma ? gamma[k]! : 1) * dy[r * n + k]!; s1 += d; s2 += d * xhat[r * n + k]!; }
    for (let j = 0; j < n; j++) {
      const i = r * n + j;
      dx[i] = (invstd[r]! / n) * (n * (gamma ? gamma[j]! : 1) * dy[i]! - s1 - xhat[i]! * s2);
    }
  }
  return { dx, dgamma, dbeta };
}

/**
 * batchnorm_train_f32's moving statistics after one call with update = 1, replayed in float32 with
 * Math.fround in the order its header documents: per column, mean = (Σ_r x, row 0 first)/m,
 * var = (Σ_r (x − mean)², row 0 first)/m, om = 1 − momentum, movmean −= (movmean − mean)·om,
 * movvar −= (movvar − var)·om, each operation rounded. Updates movmean and movvar in place.
 */
export function batchnormMovingF32Replay(x: ArrayLike<number>, m: number, n: number, momentum: number,
  movmean: Float32Array, movvar: Float32Array): void {
  const f = Math.fround, fm = f(m), om = f(1 - f(momentum));
  for (let j = 0; j < n; j++) {
    let s = 0;
    for (let r = 0; r < m; r++) s = f(s + x[r * n + j]!);
    const mean = f(s / fm);
    let q = 0;
    for (let r = 0; r < m; r++) { const d = f(x[r * n + j]! - mean); q = f(q + f(d * d)); }
    const variance = f(q / fm);
    movmean[j] = f(movmean[j]! - f(f(movmean[j]! - mean) * om));
    movvar[j] = f(movvar[j]! - f(f(movvar[j]! - variance) * om));
  }
}
