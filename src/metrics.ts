// ************* metrics *************
// Accuracy and argmax, once: used by fit's logs, evaluate and the command line.
import type { OutputActivation } from './activations.js';

/** Index of the largest of v[at .. at+n) (the first one on ties). */
export function argmax(v: ArrayLike<number>, at: number, n: number): number {
  let best = 0;
  for (let j = 1; j < n; j++) if (v[at + j]! > v[at + best]!) best = j;
  return best;
}

/** Index of the largest value of each row of a row-major [rows × cols] array. */
export function argmaxRows(p: ArrayLike<number>, cols: number): Uint32Array {
  const out = new Uint32Array(p.length / cols);
  for (let r = 0; r < out.length; r++) out[r] = argmax(p, r * cols, cols);
  return out;
}

/**
 * [correct, judged] for `rows` rows of predictions p against targets t ([rows, cols] each):
 * softmax, by row (argmax of p equals argmax of t); sigmoid, by output (p > 0.5 equals t > 0.5);
 * null for other outputs, which have no accuracy.
 */
export function accuracyCounts(outputActivation: OutputActivation, p: ArrayLike<number>, t: ArrayLike<number>, rows: number, cols: number): [number, number] | null {
  let correct = 0;
  if (outputActivation === 'sigmoid') {
    for (let i = 0; i < rows * cols; i++) if ((p[i]! > 0.5) === (t[i]! > 0.5)) correct++;
    return [correct, rows * cols];
  }
  if (outputActivation !== 'softmax') return null;
  for (let r = 0; r < rows; r++) if (argmax(p, r * cols, cols) === argmax(t, r * cols, cols)) correct++;
  return [correct, rows];
}
