// Float64 references for the weight penalties of assembly/penalty.ts, written from the formulas.

/** l1·Σ|w| + l2·Σw² (Keras's L1L2 regularizer). */
export function l1l2PenaltyRef(w: ArrayLike<number>, n: number, l1: number, l2: number): number {
  let a = 0, q = 0;
  for (let i = 0; i < n; i++) { a += Math.abs(w[i]!); q += w[i]! * w[i]!; }
  return l1 * a + l2 * q;
}

/** gw + l1·sign(w) + 2·l2·w, sign(±0) = 0 (the exact gradient, in float64). */
export function l1l2GradRef(gw: ArrayLike<number>, w: ArrayLike<number>, n: number, l1: number, l2: number): Float64Array {
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) out[i] = gw[i]! + l1 * (w[i]! > 0 ? 1 : w[i]! < 0 ? -1 : 0) + 2 * l2 * w[i]!;
  return out;
}

/** The kernel's f32 operation order replayed with Math.fround: gw + (l1·s + (2·l2)·w), each step rounded. */
export function l1l2GradF32Replay(gw: ArrayLike<number>, w: ArrayLike<number>, n: number, l1: number, l2: number): Float32Array {
  const f = Math.fround, fl1 = f(l1), c2 = f(2 * f(l2));
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const s = w[i]! > 0 ? 1 : w[i]! < 0 ? -1 : 0;
    out[i] = f(gw[i]! + f(f(fl1 * s) + f(c2 * w[i]!)));
  }
  return out;
}
