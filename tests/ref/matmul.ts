// Float64 reference for the matmul kernels: plain triple loops, no blocking, no packing.
// Matrices are row-major with row strides given in ELEMENTS (the kernels take bytes).

export type Layout = 'nn' | 'nt' | 'tn';

/**
 * C[m,n] = C0 + op(A)·op(B), summed in float64.
 *  nn: A is [m,k] (row stride lda), B is [k,n] (row stride ldb)
 *  nt: A is [m,k],                  B is [n,k]            → C = A·Bᵀ
 *  tn: A is [k,m],                  B is [k,n]            → C = Aᵀ·B
 * c0 (optional, [m,n] contiguous) is the starting C for acc=1; omitted means zeros.
 * Returns C as a contiguous [m,n] Float64Array.
 */
export function matmulRef(layout: Layout, a: ArrayLike<number>, lda: number, b: ArrayLike<number>, ldb: number,
                          m: number, n: number, k: number, c0?: ArrayLike<number>): Float64Array {
  // op(A)[i,p] = a[i·ai + p·ap], op(B)[p,j] = b[p·bp + j·bj]
  const ai = layout === 'tn' ? 1 : lda, ap = layout === 'tn' ? lda : 1;
  const bp = layout === 'nt' ? 1 : ldb, bj = layout === 'nt' ? ldb : 1;
  const c = new Float64Array(m * n);
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let s = c0 ? c0[i * n + j]! : 0;
      for (let p = 0; p < k; p++) s += a[i * ai + p * ap]! * b[p * bp + j * bj]!;
      c[i * n + j] = s;
    }
  }
  return c;
}

/** Rows and columns of the stored A and B for a layout and shape (op(A) is m×k, op(B) is k×n). */
export function operandShapes(layout: Layout, m: number, n: number, k: number):
  { aRows: number; aCols: number; bRows: number; bCols: number } {
  return {
    aRows: layout === 'tn' ? k : m, aCols: layout === 'tn' ? m : k,
    bRows: layout === 'nt' ? n : k, bCols: layout === 'nt' ? k : n,
  };
}

/** rowsum[i] = Σ_p op(A)[i,p] in float64 (op(A) is m×k; for tn these are the column sums of A[k,m]). */
export function rowsumRef(layout: Layout, a: ArrayLike<number>, lda: number, m: number, k: number): Float64Array {
  const ai = layout === 'tn' ? 1 : lda, ap = layout === 'tn' ? lda : 1;
  const s = new Float64Array(m);
  for (let i = 0; i < m; i++) {
    let t = 0;
    for (let p = 0; p < k; p++) t += a[i * ai + p * ap]!;
    s[i] = t;
  }
  return s;
}
