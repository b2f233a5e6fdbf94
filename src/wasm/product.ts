// The fused product, the one call in TypeScript that spells out matmul_f32_ep's arguments
// (assembly/matmul.ts): C (+)= op(A)·op(B) with the layer's elementwise work in its store.
import type { Kernels } from './kernels.js';

export type Layout = 'nn' | 'nt' | 'tn';
/** Layout codes of matmul_f32_ep: must match its `layout` argument (0 nn, 1 nt, 2 tn). */
export const LAYOUT_CODE: Readonly<Record<Layout, number>> = Object.freeze({ nn: 0, nt: 1, tn: 2 });

/**
 * The fused epilogue of a product; NO_EPILOGUE for a plain product. C = v + bias[j]; forward
 * (ep = activation code) out2 = f(C); backward (ep = code | EP_BACKWARD) out2 = C ⊙ f'(y);
 * rowsum[i] = Σ_p op(A)[i,p]. Zero pointers switch parts off. Reused by its owner: the training
 * step allocates none.
 */
export interface Epilogue { bias: number; ep: number; out2: number; y: number; alpha: number; rowsum: number }
export const NO_EPILOGUE: Readonly<Epilogue> = Object.freeze({ bias: 0, ep: 0, out2: 0, y: 0, alpha: 0, rowsum: 0 });

/** C[m,n] (+)= op(A)·op(B) on the calling thread; byte addresses and strides, acc = 1 adds into C. */
export function product(kern: Kernels, layout: Layout, c: number, a: number, b: number, m: number, n: number, k: number,
  sa: number, sb: number, sc: number, acc: number, e: Readonly<Epilogue> = NO_EPILOGUE): void {
  kern.matmul_f32_ep(LAYOUT_CODE[layout], c, a, b, m, n, k, sa, sb, sc, acc, e.bias, e.ep, e.out2, e.y, e.alpha, e.rowsum);
}
