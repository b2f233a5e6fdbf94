// Float64 reference of a fully connected network, written as plain loops straight from the
// seed articles' equations and independent of src/: the trusted side of the network tests.
import { F64, F64_DERIV } from './activation.js';
export type Act = 'sigmoid' | 'tanh' | 'relu' | 'leakyRelu' | 'linear' | 'softmax' | keyof typeof F64;
// sparseCrossEntropy: crossEntropy of the one-hot rows its class indices stand for (the caller passes those rows).
export type RefLoss = 'mse' | 'crossEntropy' | 'binaryCrossEntropy' | 'mae' | 'huber' | 'poisson' | 'sparseCrossEntropy';

export interface RefNet {
  sizes: number[];
  acts: Act[]; // one per weight layer, output last
  loss: RefLoss;
  reduction: 'mean' | 'sum';
  alpha: number; // leakyRelu slope
  W: number[][][]; // W[l][i][j]: into neuron i of layer l+1 from neuron j of layer l
  b: (number[] | null)[];
}

export interface RefResult {
  loss: number;
  net: number[][][]; // [layer][row][unit]
  out: number[][][];
  delta: number[][][]; // dE/dnet
  dout: number[][][]; // dE/dout
  gW: number[][][];
  gb: (number[] | null)[];
  gx: number[][]; // dE/dx
}

/** out = f(z) for one row (softmax over the row). */
export function act(f: Act, z: number[], alpha: number): number[] {
  switch (f) {
    case 'sigmoid': return z.map((v) => 1 / (1 + Math.exp(-v)));
    case 'tanh': return z.map(Math.tanh);
    case 'relu': return z.map((v) => (v > 0 ? v : 0));
    case 'leakyRelu': return z.map((v) => (v > 0 ? v : alpha * v));
    case 'linear': return z.slice();
    case 'elu': case 'selu': case 'gelu': case 'softplus': case 'swish': case 'softsign': return z.map(F64[f]);
    case 'softmax': {
      const m = Math.max(...z);
      const e = z.map((v) => Math.exp(v - m));
      const s = e.reduce((a, c) => a + c, 0);
      return e.map((v) => v / s);
    }
  }
}

/** J_fᵀ·g at z (out = f(z)). */
export function actBack(f: Act, z: number[], out: number[], g: number[], alpha: number): number[] {
  switch (f) {
    case 'sigmoid': return g.map((v, i) => v * out[i]! * (1 - out[i]!));
    case 'tanh': return g.map((v, i) => v * (1 - out[i]! * out[i]!));
    case 'relu': return g.map((v, i) => (z[i]! > 0 ? v : 0));
    case 'leakyRelu': return g.map((v, i) => (z[i]! > 0 ? v : alpha * v));
    case 'linear': return g.slice();
    case 'elu': case 'selu': case 'gelu': case 'softplus': case 'swish': case 'softsign': return g.map((v, i) => v * F64_DERIV[f](z[i]!)); // f'(z), from the input
    case 'softmax': {
      // ∂p_i/∂z_j = p_i(δ_ij − p_j)
      const dot = g.reduce((s, v, i) => s + v * out[i]!, 0);
      return out.map((p, i) => p * (g[i]! - dot));
    }
  }
}

/** One row's loss from the output layer's net z and out. */
export function lossRow(loss: RefLoss, z: number[], out: number[], t: number[]): number {
  if (loss === 'mse') return 0.5 * out.reduce((s, o, i) => s + (t[i]! - o) ** 2, 0);
  if (loss === 'mae') return out.reduce((s, o, i) => s + Math.abs(o - t[i]!), 0);
  if (loss === 'huber') return out.reduce((s, o, i) => { const a = Math.abs(o - t[i]!); return s + (a <= 1 ? 0.5 * a * a : a - 0.5); }, 0);
  if (loss === 'poisson') return out.reduce((s, o, i) => s + o - t[i]! * Math.log(o + 1e-7), 0);
  if (loss === 'crossEntropy' || loss === 'sparseCrossEntropy') {
    const m = Math.max(...z);
    const lse = m + Math.log(z.reduce((s, v) => s + Math.exp(v - m), 0));
    return t.reduce((s, ti, i) => s + ti * (lse - z[i]!), 0);
  }
  return z.reduce((s, zi, i) => s + Math.max(zi, 0) - zi * t[i]! + Math.log1p(Math.exp(-Math.abs(zi))), 0);
}

/**
 * The output layer's dE/dout and δ = dE/dnet for its rows (net z, out = f(z)), with `scale` = 1/rows
 * for 'mean' and 1 for 'sum': ∂E/∂out through the activation's Jacobian, or for the losses fused
 * with their activation (softmax + crossEntropy, sigmoid + binaryCrossEntropy) δ = scale·(p − t).
 */
export function outputGrads(loss: RefLoss, f: Act, net: number[][], out: number[][], y: number[][], scale: number, alpha: number): { dout: number[][]; delta: number[][] } {
  const dout = out.map((o, r) => o.map((v, i) => {
    const t = y[r]![i]!;
    if (loss === 'mse') return scale * (v - t);
    if (loss === 'mae') return scale * Math.sign(v - t);
    if (loss === 'huber') return scale * Math.min(1, Math.max(-1, v - t));
    if (loss === 'poisson') return scale * (1 - t / (v + 1e-7));
    if (loss === 'crossEntropy' || loss === 'sparseCrossEntropy') return scale * (-t / v);
    return scale * (-t / v + (1 - t) / (1 - v));
  }));
  const delta = loss === 'mse' || loss === 'mae' || loss === 'huber' || loss === 'poisson'
    ? dout.map((g, r) => actBack(f, net[r]!, out[r]!, g, alpha))
    : out.map((o, r) => o.map((p, i) => scale * (p - y[r]![i]!))); // p − t, the closed form of J_fᵀ·∂E/∂out
  return { dout, delta };
}

/** Forward and backward for the rows of x with targets y. */
export function refRun(n: RefNet, x: number[][], y: number[][]): RefResult {
  const L = n.W.length;
  const rows = x.length;
  const scale = n.reduction === 'mean' ? 1 / rows : 1;
  const net: number[][][] = [], out: number[][][] = [];
  let a = x;
  for (let l = 0; l < L; l++) {
    const z = a.map((row) => n.W[l]!.map((wi, i) => wi.reduce((s, w, j) => s + w * row[j]!, n.b[l] ? n.b[l]![i]! : 0)));
    net.push(z);
    a = z.map((zr) => act(n.acts[l]!, zr, n.alpha));
    out.push(a);
  }
  let loss = 0;
  for (let r = 0; r < rows; r++) loss += lossRow(n.loss, net[L - 1]![r]!, out[L - 1]![r]!, y[r]!);
  loss *= scale;
  const delta: number[][][] = new Array(L), dout: number[][][] = new Array(L);
  const last = outputGrads(n.loss, n.acts[L - 1]!, net[L - 1]!, out[L - 1]!, y, scale, n.alpha);
  dout[L - 1] = last.dout;
  delta[L - 1] = last.delta;
  const gW: number[][][] = new Array(L), gb: (number[] | null)[] = new Array(L);
  let gx: number[][] = [];
  for (let l = L - 1; l >= 0; l--) {
    const inp = l === 0 ? x : out[l - 1]!;
    const d = delta[l]!;
    gW[l] = n.W[l]!.map((wi, i) => wi.map((_, j) => d.reduce((s, dr, r) => s + dr[i]! * inp[r]![j]!, 0)));
    gb[l] = n.b[l] ? n.W[l]!.map((_, i) => d.reduce((s, dr) => s + dr[i]!, 0)) : null;
    const back = d.map((dr) => inp[0]!.map((_, j) => dr.reduce((s, dv, i) => s + dv * n.W[l]![i]![j]!, 0)));
    if (l === 0) gx = back;
    else {
      dout[l - 1] = back;
      delta[l - 1] = back.map((g, r) => actBack(n.acts[l - 1]!, net[l - 1]![r]!, out[l - 1]![r]!, g, n.alpha));
    }
  }
  return { loss, net, out, delta, dout, gW, gb, gx };
}

/** The loss alone (for finite differences). */
export function refLoss(n: RefNet, x: number[][], y: number[][]): number {
  const L = n.W.length;
  let a = x, z: number[][] = [];
  for (let l = 0; l < L; l++) {
    z = a.map((row) => n.W[l]!.map((wi, i) => wi.reduce((s, w, j) => s + w * row[j]!, n.b[l] ? n.b[l]![i]! : 0)));
    a = z.map((zr) => act(n.acts[l]!, zr, n.alpha));
  }
  let loss = 0;
  for (let r = 0; r < x.length; r++) loss += lossRow(n.loss, z[r]!, a[r]!, y[r]!);
  return n.reduction === 'mean' ? loss / x.length : loss;
}

/**
 * Central differences of refLoss in float64 with respect to every weight, bias and input:
 * (E(θ+ε) − E(θ−ε)) / 2ε.
 */
export function finiteDiff(n: RefNet, x: number[][], y: number[][], eps = 1e-6): { gW: number[][][]; gb: (number[] | null)[]; gx: number[][] } {
  const cd = (get: () => number, set: (v: number) => void): number => {
    const v0 = get();
    set(v0 + eps); const up = refLoss(n, x, y);
    set(v0 - eps); const down = refLoss(n, x, y);
    set(v0);
    return (up - down) / (2 * eps);
  };
  const gW = n.W.map((Wl) => Wl.map((wi) => wi.map((_, j) => cd(() => wi[j]!, (v) => { wi[j] = v; }))));
  const gb = n.b.map((bl) => (bl ? bl.map((_, i) => cd(() => bl[i]!, (v) => { bl[i] = v; })) : null));
  const gx = x.map((row) => row.map((_, j) => cd(() => row[j]!, (v) => { row[j] = v; })));
  return { gW, gb, gx };
}

/**
 * Largest |a − b| / max(|a|, |b|, floor) over two equally shaped nested arrays. With a negative
 * `floor`, the floor is −floor × the largest |b|: relative error for the large entries, and
 * for entries far below the array's scale an absolute error measured against that scale.
 */
export function maxRelErr(a: ArrayLike<number> | number[][], b: ArrayLike<number> | number[][], floor: number): number {
  const fa = flat(a), fb = flat(b);
  if (fa.length !== fb.length) throw new Error(`length mismatch ${fa.length} vs ${fb.length}`);
  if (floor < 0) floor = -floor * fb.reduce((m, v) => Math.max(m, Math.abs(v)), 0) || 1e-30;
  let worst = 0;
  for (let i = 0; i < fa.length; i++) {
    const e = Math.abs(fa[i]! - fb[i]!) / Math.max(Math.abs(fa[i]!), Math.abs(fb[i]!), floor);
    if (!(e <= worst)) worst = Number.isNaN(e) ? Infinity : e;
  }
  return worst;
}

export function flat(a: ArrayLike<number> | number[][] | number[][][]): number[] {
  const out: number[] = [];
  const walk = (v: unknown): void => {
    if (typeof v === 'number') out.push(v);
    else for (const e of Array.from(v as ArrayLike<unknown>)) walk(e);
  };
  walk(a);
  return out;
}

/** Seeded uniform numbers (mulberry32) for test data, independent of src/random.ts. */
export function rand(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = Math.imul(s ^ (s >>> 15), s | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
