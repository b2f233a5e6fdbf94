// Float64 references for the elementwise kernels. Inputs are the float32 values the kernel
// sees (read back from wasm memory) and scalar parameters already rounded to float32.

/** c = a ⊙ b */
export function hadamardRef(a: ArrayLike<number>, b: ArrayLike<number>, n: number): Float64Array {
  const c = new Float64Array(n);
  for (let i = 0; i < n; i++) c[i] = a[i]! * b[i]!;
  return c;
}

/** c = a + b */
export function addRef(a: ArrayLike<number>, b: ArrayLike<number>, n: number): Float64Array {
  const c = new Float64Array(n);
  for (let i = 0; i < n; i++) c[i] = a[i]! + b[i]!;
  return c;
}

/** y + alpha·x */
export function axpyRef(y: ArrayLike<number>, x: ArrayLike<number>, alpha: number, n: number): Float64Array {
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) out[i] = y[i]! + alpha * x[i]!;
  return out;
}

/** alpha·x */
export function scaleRef(x: ArrayLike<number>, alpha: number, n: number): Float64Array {
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) out[i] = alpha * x[i]!;
  return out;
}

/** w − lr·g */
export function sgdRef(w: ArrayLike<number>, g: ArrayLike<number>, lr: number, n: number): Float64Array {
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) out[i] = w[i]! - lr * g[i]!;
  return out;
}

/** C[i,j] + bias[j] for a [m,n] matrix C given contiguously; returns [m,n] contiguous. */
export function biasAddRef(c: ArrayLike<number>, bias: ArrayLike<number>, m: number, n: number): Float64Array {
  const out = new Float64Array(m * n);
  for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) out[i * n + j] = c[i * n + j]! + bias[j]!;
  return out;
}

/** out0[j] + Σ_i A[i,j] for a [m,n] matrix A given contiguously (out0 omitted: zeros). */
export function colsumRef(a: ArrayLike<number>, m: number, n: number, out0?: ArrayLike<number>): Float64Array {
  const out = new Float64Array(n);
  for (let j = 0; j < n; j++) {
    let s = out0 ? out0[j]! : 0;
    for (let i = 0; i < m; i++) s += a[i * n + j]!;
    out[j] = s;
  }
  return out;
}

/** n copies of value. */
export function fillRef(value: number, n: number): Float64Array {
  return new Float64Array(n).fill(value);
}

/** Index of the first NaN / ±Infinity in a[0:n], or −1. */
export function nonfiniteIndexRef(a: ArrayLike<number>, n: number): number {
  for (let i = 0; i < n; i++) if (!Number.isFinite(a[i]!)) return i;
  return -1;
}
