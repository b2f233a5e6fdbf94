// Float64 reference of a layer stack, written as plain loops from the formulas and independent of
// src/: dense layers (the activations and losses of tests/ref/network.ts, plus Keras's l1/l2
// penalty l1·Σ|W| + l2·ΣW² added once to the reduced loss), batch normalization (training: the
// batch's mean and biased variance per feature, with the gradient through both; inference: the
// moving statistics), layer normalization (each row's mean and biased variance over its features)
// and dropout with a given mask. The normalizations' backward is the plain chain rule through μ and
// σ² (Ioffe & Szegedy 2015, the derivatives under Algorithm 1), not the closed form the kernels use.
import { act, actBack, lossRow, outputGrads, type Act, type RefLoss } from './network.js';

/** One layer; W[i][j] is the weight into unit i from input j; γ/β null when absent (scale/center false). */
export type RefStackLayer =
  | { type: 'dense'; act: Act; W: number[][]; b: number[] | null; l1: number; l2: number }
  | { type: 'batchNormalization'; gamma: number[] | null; beta: number[] | null; movingMean: number[]; movingVariance: number[]; epsilon: number }
  | { type: 'layerNormalization'; gamma: number[] | null; beta: number[] | null; epsilon: number }
  /** mask[row][unit]: 0 or 1/(1 − rate), used in training; inference is the identity. */
  | { type: 'dropout'; mask: number[][] };

export interface RefStack {
  /** The last layer is dense: the loss reads its net and out. */
  layers: RefStackLayer[];
  loss: RefLoss;
  reduction: 'mean' | 'sum';
  /** The leakyRelu slope. */
  alpha: number;
}

/** Training: batch statistics and the dropout masks; inference: moving statistics, no dropout. */
export type RefMode = 'training' | 'inference';

/** One layer's forward values and gradients, [row][unit]. */
export interface RefStackLayerResult {
  /** Dense: x·Wᵀ + b; other layers: the same array as out. */
  net: number[][];
  out: number[][];
  /** dE/d(out). */
  dout: number[][];
  /** Dense: δ = dE/dnet; null otherwise. */
  delta: number[][] | null;
  /** Dense: ∇W (with the penalty's gradient l1·sign(W) + 2·l2·W) and ∇b (null without bias). */
  gW: number[][] | null;
  gb: number[] | null;
  /** Normalization: ∇γ, ∇β (null when the layer has none). */
  gGamma: number[] | null;
  gBeta: number[] | null;
  /** Normalization: μ and σ² per group (batch norm: per feature, the batch's or the moving ones; layer norm: per row); null otherwise. */
  stats: { mean: number[]; variance: number[] } | null;
}

export interface RefStackResult {
  /** The reduced loss plus the penalties. */
  loss: number;
  /** The penalties alone: Σ over dense layers of l1·Σ|W| + l2·ΣW². */
  penalty: number;
  layers: RefStackLayerResult[];
  /** dE/dx. */
  gx: number[][];
}

/** What a normalization's backward needs of its forward: per group (a column for batch norm, a row for layer norm) x − μ and σ². */
interface NormCache { xhat: number[][]; centered: number[][]; mean: number[]; variance: number[] }

interface Forward { net: number[][]; out: number[][]; norm: NormCache | null }

/** x̂ = (x − μ)/√(σ² + ε) of one group of values, μ and σ² (biased) over the group. */
function normalizeGroup(v: number[], eps: number): { xhat: number[]; centered: number[]; mean: number; variance: number } {
  let s = 0;
  for (const e of v) s += e;
  const mean = s / v.length;
  const centered = v.map((e) => e - mean);
  let q = 0;
  for (const c of centered) q += c * c;
  const variance = q / v.length;
  const invstd = 1 / Math.sqrt(variance + eps);
  return { xhat: centered.map((c) => c * invstd), centered, mean, variance };
}

/**
 * dE/dx of one group from dE/dx̂ by the chain rule through μ and σ²:
 * ∂E/∂σ² = Σ dx̂·(x − μ)·(−½)(σ² + ε)^(−3/2), ∂E/∂μ = −Σ dx̂/√(σ² + ε) + ∂E/∂σ²·(−2/c)·Σ(x − μ),
 * dx = dx̂/√(σ² + ε) + ∂E/∂σ²·2(x − μ)/c + ∂E/∂μ/c.
 */
function normalizeGroupBack(dxhat: number[], centered: number[], variance: number, eps: number): number[] {
  const c = dxhat.length, invstd = 1 / Math.sqrt(variance + eps);
  let dvar = 0, sd = 0, sc = 0;
  for (let i = 0; i < c; i++) { dvar += dxhat[i]! * centered[i]! * -0.5 * invstd ** 3; sd += dxhat[i]!; sc += centered[i]!; }
  const dmean = -sd * invstd + dvar * (-2 / c) * sc;
  return dxhat.map((d, i) => d * invstd + dvar * 2 * centered[i]! / c + dmean / c);
}

const column = (m: number[][], j: number): number[] => m.map((row) => row[j]!);

function forwardLayer(layer: RefStackLayer, x: number[][], mode: RefMode, alpha: number): Forward {
  switch (layer.type) {
    case 'dense': {
      const { W, b } = layer;
      const net = x.map((row) => W.map((wi, i) => {
        let z = b ? b[i]! : 0;
        for (let j = 0; j < wi.length; j++) z += wi[j]! * row[j]!;
        return z;
      }));
      return { net, out: net.map((z) => act(layer.act, z, alpha)), norm: null };
    }
    case 'dropout': {
      const out = mode === 'training' ? x.map((row, r) => row.map((v, j) => v * layer.mask[r]![j]!)) : x.map((row) => row.slice());
      return { net: out, out, norm: null };
    }
    case 'batchNormalization':
    case 'layerNormalization': {
      const rows = x.length, n = x[0]!.length;
      const xhat = x.map((row) => row.map(() => 0)), centered = x.map((row) => row.map(() => 0));
      const mean: number[] = [], variance: number[] = [];
      if (layer.type === 'layerNormalization') {
        x.forEach((row, r) => {
          const g = normalizeGroup(row, layer.epsilon);
          xhat[r] = g.xhat; centered[r] = g.centered; mean.push(g.mean); variance.push(g.variance);
        });
      } else if (mode === 'training') {
        for (let j = 0; j < n; j++) {
          const g = normalizeGroup(column(x, j), layer.epsilon);
          for (let r = 0; r < rows; r++) { xhat[r]![j] = g.xhat[r]!; centered[r]![j] = g.centered[r]!; }
          mean.push(g.mean); variance.push(g.variance);
        }
      } else {
        for (let j = 0; j < n; j++) {
          const invstd = 1 / Math.sqrt(layer.movingVariance[j]! + layer.epsilon);
          for (let r = 0; r < rows; r++) { centered[r]![j] = x[r]![j]! - layer.movingMean[j]!; xhat[r]![j] = centered[r]![j]! * invstd; }
          mean.push(layer.movingMean[j]!); variance.push(layer.movingVariance[j]!);
        }
      }
      const out = xhat.map((row) => row.map((h, j) => h * (layer.gamma ? layer.gamma[j]! : 1) + (layer.beta ? layer.beta[j]! : 0)));
      return { net: out, out, norm: { xhat, centered, mean, variance } };
    }
  }
}

/** Forward of layers start, start + 1, … from `input` (the output of layer start − 1, or x). */
function forwardAll(s: RefStack, input: number[][], mode: RefMode, start = 0): Forward[] {
  const fw: Forward[] = [];
  let a = input;
  for (let l = start; l < s.layers.length; l++) { const f = forwardLayer(s.layers[l]!, a, mode, s.alpha); fw.push(f); a = f.out; }
  return fw;
}

function lastDense(s: RefStack): Extract<RefStackLayer, { type: 'dense' }> {
  const last = s.layers[s.layers.length - 1];
  if (!last || last.type !== 'dense') throw new Error('ref stack: the last layer must be dense');
  return last;
}

/** Σ over dense layers of l1·Σ|W| + l2·ΣW² (Keras's L1L2; biases are not penalized). */
export function refPenalty(s: RefStack): number {
  let p = 0;
  for (const l of s.layers) {
    if (l.type !== 'dense' || (l.l1 === 0 && l.l2 === 0)) continue;
    for (const wi of l.W) for (const w of wi) p += l.l1 * Math.abs(w) + l.l2 * w * w;
  }
  return p;
}

function reducedLoss(s: RefStack, last: Forward, y: number[][]): number {
  let loss = 0;
  for (let r = 0; r < y.length; r++) loss += lossRow(s.loss, last.net[r]!, last.out[r]!, y[r]!);
  return (s.reduction === 'mean' ? loss / y.length : loss) + refPenalty(s);
}

/** Forward values of every layer (predict in 'inference' mode; trace(x, { training: true }) in 'training' mode). */
export function refStackForward(s: RefStack, x: number[][], mode: RefMode = 'inference'): { net: number[][]; out: number[][] }[] {
  return forwardAll(s, x, mode).map(({ net, out }) => ({ net, out }));
}

/** The loss alone (for finite differences). */
export function refStackLoss(s: RefStack, x: number[][], y: number[][], mode: RefMode = 'training'): number {
  lastDense(s);
  const fw = forwardAll(s, x, mode);
  return reducedLoss(s, fw[fw.length - 1]!, y);
}

/** Forward and backward for the rows of x with targets y. */
export function refStackRun(s: RefStack, x: number[][], y: number[][], mode: RefMode = 'training'): RefStackResult {
  const outLayer = lastDense(s);
  const L = s.layers.length, rows = x.length;
  const fw = forwardAll(s, x, mode);
  const loss = reducedLoss(s, fw[L - 1]!, y);
  const top = outputGrads(s.loss, outLayer.act, fw[L - 1]!.net, fw[L - 1]!.out, y, s.reduction === 'mean' ? 1 / rows : 1, s.alpha);
  const res: RefStackLayerResult[] = new Array(L);
  let g = top.dout; // dE/d(out) of layer l
  let gx: number[][] = [];
  for (let l = L - 1; l >= 0; l--) {
    const layer = s.layers[l]!, f = fw[l]!, inp = l === 0 ? x : fw[l - 1]!.out;
    const r: RefStackLayerResult = {
      net: f.net, out: f.out, dout: g, delta: null, gW: null, gb: null, gGamma: null, gBeta: null,
      stats: f.norm && { mean: f.norm.mean, variance: f.norm.variance },
    };
    let back: number[][];
    switch (layer.type) {
      case 'dense': {
        const d = l === L - 1 ? top.delta : g.map((gr, i) => actBack(layer.act, f.net[i]!, f.out[i]!, gr, s.alpha));
        r.delta = d;
        r.gW = layer.W.map((wi, i) => wi.map((w, j) => {
          let acc = 0;
          for (let k = 0; k < rows; k++) acc += d[k]![i]! * inp[k]![j]!;
          return acc + layer.l1 * Math.sign(w) + 2 * layer.l2 * w;
        }));
        r.gb = layer.b ? layer.W.map((_, i) => d.reduce((acc, dr) => acc + dr[i]!, 0)) : null;
        back = d.map((dr) => inp[0]!.map((_, j) => dr.reduce((acc, dv, i) => acc + dv * layer.W[i]![j]!, 0)));
        break;
      }
      case 'dropout':
        back = mode === 'training' ? g.map((gr, k) => gr.map((v, j) => v * layer.mask[k]![j]!)) : g.map((gr) => gr.slice());
        break;
      case 'batchNormalization':
      case 'layerNormalization': {
        const { xhat, centered, variance } = f.norm!;
        const n = g[0]!.length;
        if (layer.gamma) r.gGamma = Array.from({ length: n }, (_, j) => g.reduce((acc, gr, k) => acc + gr[j]! * xhat[k]![j]!, 0));
        if (layer.beta) r.gBeta = Array.from({ length: n }, (_, j) => g.reduce((acc, gr) => acc + gr[j]!, 0));
        const dxhat = g.map((gr) => gr.map((v, j) => v * (layer.gamma ? layer.gamma[j]! : 1)));
        if (layer.type === 'layerNormalization') {
          back = dxhat.map((dr, k) => normalizeGroupBack(dr, centered[k]!, variance[k]!, layer.epsilon));
        } else if (mode === 'training') {
          back = g.map((gr) => gr.map(() => 0));
          for (let j = 0; j < n; j++) {
            const dcol = normalizeGroupBack(column(dxhat, j), column(centered, j), variance[j]!, layer.epsilon);
            for (let k = 0; k < rows; k++) back[k]![j] = dcol[k]!;
          }
        } else {
          back = dxhat.map((dr) => dr.map((v, j) => v / Math.sqrt(layer.movingVariance[j]! + layer.epsilon)));
        }
        break;
      }
    }
    res[l] = r;
    if (l === 0) gx = back;
    else g = back;
  }
  return { loss, penalty: refPenalty(s), layers: res, gx };
}

/** One parameter array of a stack (or the input), with access to its entries in row-major order. */
export interface RefEntries {
  /** Index of the layer (−1: the input x). */
  layer: number;
  /** As gradients() names it: 'weights', 'bias', 'gamma', 'beta', or 'input'. */
  kind: 'weights' | 'bias' | 'gamma' | 'beta' | 'input';
  length: number;
  get(i: number): number;
  set(i: number, v: number): void;
}

const matrixEntries = (m: number[][], layer: number, kind: RefEntries['kind']): RefEntries => {
  const cols = m[0]!.length;
  return {
    layer, kind, length: m.length * cols,
    get: (i) => m[Math.floor(i / cols)]![i % cols]!,
    set: (i, v) => { m[Math.floor(i / cols)]![i % cols] = v; },
  };
};
const vectorEntries = (v: number[], layer: number, kind: RefEntries['kind']): RefEntries => ({
  layer, kind, length: v.length, get: (i) => v[i]!, set: (i, val) => { v[i] = val; },
});

/** Every trainable array of the stack (∇W, ∇b, ∇γ, ∇β in layer order) and then x, as live views for perturbing in place. */
export function refEntries(s: RefStack, x: number[][]): RefEntries[] {
  const out: RefEntries[] = [];
  s.layers.forEach((l, i) => {
    if (l.type === 'dense') {
      out.push(matrixEntries(l.W, i, 'weights'));
      if (l.b) out.push(vectorEntries(l.b, i, 'bias'));
    } else if (l.type !== 'dropout') {
      if (l.gamma) out.push(vectorEntries(l.gamma, i, 'gamma'));
      if (l.beta) out.push(vectorEntries(l.beta, i, 'beta'));
    }
  });
  out.push(matrixEntries(x, -1, 'input'));
  return out;
}

/**
 * (E(θ + ε) − E(θ − ε)) / 2ε of refStackLoss for one entry. With `base`, the refStackRun of the
 * same stack, x and mode, the layers below the entry's are not run again (their outputs are base's).
 */
export function centralDiff(s: RefStack, x: number[][], y: number[][], e: RefEntries, i: number, eps = 1e-6, mode: RefMode = 'training', base?: RefStackResult): number {
  const start = base && e.layer > 0 ? e.layer : 0, input = start > 0 ? base!.layers[start - 1]!.out : x;
  const loss = (): number => { const fw = forwardAll(s, input, mode, start); return reducedLoss(s, fw[fw.length - 1]!, y); };
  const v0 = e.get(i);
  e.set(i, v0 + eps); const up = loss();
  e.set(i, v0 - eps); const down = loss();
  e.set(i, v0);
  return (up - down) / (2 * eps);
}

/**
 * Central differences in float64 of refStackLoss with respect to every weight, bias, γ, β and
 * input, shaped as refStackRun's gradients (null where a layer has no such parameter).
 */
export function stackFiniteDiff(s: RefStack, x: number[][], y: number[][], eps = 1e-6, mode: RefMode = 'training'): {
  layers: { gW: number[][] | null; gb: number[] | null; gGamma: number[] | null; gBeta: number[] | null }[]; gx: number[][];
} {
  const layers = s.layers.map(() => ({ gW: null as number[][] | null, gb: null as number[] | null, gGamma: null as number[] | null, gBeta: null as number[] | null }));
  let gx: number[][] = [];
  const base = refStackRun(s, x, y, mode);
  for (const e of refEntries(s, x)) {
    const d = Array.from({ length: e.length }, (_, i) => centralDiff(s, x, y, e, i, eps, mode, base));
    if (e.kind === 'weights' || e.kind === 'input') {
      const cols = e.kind === 'input' ? x[0]!.length : (s.layers[e.layer] as { W: number[][] }).W[0]!.length;
      const m = Array.from({ length: e.length / cols }, (_, r) => d.slice(r * cols, (r + 1) * cols));
      if (e.kind === 'input') gx = m; else layers[e.layer]!.gW = m;
    } else if (e.kind === 'bias') layers[e.layer]!.gb = d;
    else if (e.kind === 'gamma') layers[e.layer]!.gGamma = d;
    else layers[e.layer]!.gBeta = d;
  }
  return { layers, gx };
}

// ************* building a reference from a layer list *************

/**
 * A layer of a layer list as the tests write it, with Keras's defaults for what is left out
 * (epsilon 1e-3, center and scale true, l1 = l2 = 0); activations are always given.
 */
export type ListLayer =
  | { type: 'dense'; units: number; activation: Act; l1?: number; l2?: number }
  | { type: 'dropout'; rate: number }
  | { type: 'batchNormalization' | 'layerNormalization'; epsilon?: number; center?: boolean; scale?: boolean };

/** One layer's weights as getWeights returns them (dense: weights [rows = out, cols = in] row-major, bias or null; normalization: gamma, beta or null, moving statistics). */
export interface ListWeights {
  type?: string;
  weights?: ArrayLike<number>; bias?: ArrayLike<number> | null; rows?: number; cols?: number;
  gamma?: ArrayLike<number> | null; beta?: ArrayLike<number> | null; movingMean?: ArrayLike<number>; movingVariance?: ArrayLike<number>;
}

/**
 * The reference of a network built from `list` with `weights` (one entry per layer, float32
 * values copied to float64) and, per dropout layer, its mask [row][unit] (null or absent: all
 * ones, as rate 0 gives).
 */
export function refStackOf(list: readonly ListLayer[], weights: readonly ListWeights[], masks: readonly (number[][] | null | undefined)[],
  o: { loss: RefLoss; reduction: 'mean' | 'sum'; alpha: number; rows: number; inputs: number }): RefStack {
  let size = o.inputs;
  const layers = list.map((l, i): RefStackLayer => {
    const w = weights[i]!, inSize = size;
    const vec = (v: ArrayLike<number> | null | undefined): number[] | null => (v ? Array.from(v) : null);
    switch (l.type) {
      case 'dense': {
        size = l.units;
        const W = Array.from({ length: l.units }, (_, k) => Array.from(w.weights!).slice(k * inSize, (k + 1) * inSize));
        return { type: 'dense', act: l.activation, W, b: vec(w.bias), l1: l.l1 ?? 0, l2: l.l2 ?? 0 };
      }
      case 'dropout':
        return { type: 'dropout', mask: masks[i] ?? Array.from({ length: o.rows }, () => new Array<number>(inSize).fill(1)) };
      case 'batchNormalization':
        return { type: l.type, gamma: vec(w.gamma), beta: vec(w.beta), movingMean: Array.from(w.movingMean!), movingVariance: Array.from(w.movingVariance!), epsilon: l.epsilon ?? 1e-3 };
      case 'layerNormalization':
        return { type: l.type, gamma: vec(w.gamma), beta: vec(w.beta), epsilon: l.epsilon ?? 1e-3 };
    }
  });
  return { layers, loss: o.loss, reduction: o.reduction, alpha: o.alpha };
}

/**
 * A dropout layer's mask [row][unit] read from its input and output in trace(x, { training: true }):
 * 1/(1 − rate) where the output is nonzero, 0 where it is zero. Where the input is 0 the trace
 * cannot tell; those entries are set to 0 and listed in `unknown` ([row, unit]).
 */
export function maskFromTrace(input: ArrayLike<number>, output: ArrayLike<number>, rows: number, size: number, rate: number): { mask: number[][]; unknown: [number, number][]; dropped: number } {
  const keep = 1 / (1 - rate), unknown: [number, number][] = [];
  let dropped = 0;
  const mask = Array.from({ length: rows }, (_, r) => Array.from({ length: size }, (_, j) => {
    const at = r * size + j;
    if (input[at] === 0) { unknown.push([r, j]); return 0; }
    if (output[at] === 0) { dropped++; return 0; }
    return keep;
  }));
  return { mask, unknown, dropped };
}
