// Float64 references for softmax and the losses. Matrices are [m,n] row-major, contiguous.

/** Row-wise softmax, max-subtracted exp in float64. */
export function softmaxRowsRef(x: ArrayLike<number>, m: number, n: number): Float64Array {
  const y = new Float64Array(m * n);
  for (let r = 0; r < m; r++) {
    let mx = -Infinity;
    for (let j = 0; j < n; j++) mx = Math.max(mx, x[r * n + j]!);
    let s = 0;
    for (let j = 0; j < n; j++) { const e = Math.exp(x[r * n + j]! - mx); y[r * n + j] = e; s += e; }
    for (let j = 0; j < n; j++) y[r * n + j] = y[r * n + j]! / s;
  }
  return y;
}

/** scale·(p − t): the fused softmax + cross-entropy gradient. */
export function softmaxXentGradRef(p: ArrayLike<number>, t: ArrayLike<number>, scale: number, n: number): Float64Array {
  const dz = new Float64Array(n);
  for (let i = 0; i < n; i++) dz[i] = scale * (p[i]! - t[i]!);
  return dz;
}

/** scale·(y − t): the gradient of ½Σ(t − y)². */
export function mseGradRef(y: ArrayLike<number>, t: ArrayLike<number>, scale: number, n: number): Float64Array {
  const dz = new Float64Array(n);
  for (let i = 0; i < n; i++) dz[i] = scale * (y[i]! - t[i]!);
  return dz;
}

/** Jᵀg per row through the full softmax Jacobian J = diag(p) − p·pᵀ: dz_i = Σ_j (δ_ij p_i − p_i p_j) g_j. */
export function softmaxGradRef(g: ArrayLike<number>, p: ArrayLike<number>, m: number, n: number): Float64Array {
  const dz = new Float64Array(m * n);
  for (let r = 0; r < m; r++) {
    for (let i = 0; i < n; i++) {
      const pi = p[r * n + i]!;
      let s = 0;
      for (let j = 0; j < n; j++) s += ((i === j ? pi : 0) - pi * p[r * n + j]!) * g[r * n + j]!;
      dz[r * n + i] = s;
    }
  }
  return dz;
}

/** Σ_rows −Σ_j t_j·log softmax(z)_j, with log softmax via float64 log-sum-exp. */
export function xentLossRef(z: ArrayLike<number>, t: ArrayLike<number>, m: number, n: number): number {
  let total = 0;
  for (let r = 0; r < m; r++) {
    let mx = -Infinity;
    for (let j = 0; j < n; j++) mx = Math.max(mx, z[r * n + j]!);
    let s = 0;
    for (let j = 0; j < n; j++) s += Math.exp(z[r * n + j]! - mx);
    const lse = mx + Math.log(s);
    for (let j = 0; j < n; j++) {
      const tj = t[r * n + j]!;
      if (tj !== 0) total -= tj * (z[r * n + j]! - lse);
    }
  }
  return total;
}

/** Stable softplus log(1 + e^x) in float64. */
function softplus(x: number): number {
  return x > 0 ? x + Math.log1p(Math.exp(-x)) : Math.log1p(Math.exp(x));
}

/** Σ −t·log σ(z) − (1−t)·log(1 − σ(z)) = Σ t·softplus(−z) + (1−t)·softplus(z). */
export function bceLossRef(z: ArrayLike<number>, t: ArrayLike<number>, n: number): number {
  let total = 0;
  for (let i = 0; i < n; i++) total += t[i]! * softplus(-z[i]!) + (1 - t[i]!) * softplus(z[i]!);
  return total;
}

/** ½Σ(t − y)² */
export function mseLossRef(y: ArrayLike<number>, t: ArrayLike<number>, n: number): number {
  let total = 0;
  for (let i = 0; i < n; i++) { const d = t[i]! - y[i]!; total += d * d; }
  return total / 2;
}
