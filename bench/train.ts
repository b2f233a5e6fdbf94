// One SGD training step of a 784-256-128-10 MLP (relu hidden, softmax + cross-entropy, bias,
// mean reduction, plain SGD) on a batch of 128: Network.trainBatch (wasm) next to the same step in plain
// JS on Float32Array (forward, backward, SGD as simple loops), timed in the same run.
import { Network } from '../src/model.js';
import { backend } from '../src/wasm/kernels.js';
import { autoThreads } from '../src/wasm/threads.js';
import {
  SeededRandom, fmt, gflops, header, isMain, measure, measureInterleaved, printFamily, type FamilyResult, type Timing,
} from './common.js';

export const SIZES = [784, 256, 128, 10];
export const BATCH = 128;
const LEARNING_RATE = 0.01; // small enough that hundreds of steps on one batch stay finite
const SEED = 7;

const WASM_TIMING = { time: 1000, iterations: 20, warmupTime: 200, warmupIterations: 5 };
// One plain-JS step is ~0.1–0.3 s: a few iterations are enough.
const JS_TIMING = { time: 1000, iterations: 4, warmupTime: 0, warmupIterations: 1 };

/** The step in plain JS: W[l] is [out, in] row-major (the Network's layout), b[l] is [out]. */
class JsMlp {
  readonly W: Float32Array[];
  readonly b: Float32Array[];
  private readonly z: Float32Array[]; // pre-activations [rows, out]
  private readonly a: Float32Array[]; // outputs [rows, out] (softmax probabilities last)
  private readonly delta: Float32Array[]; // dE/dz [rows, out]
  private readonly gW: Float32Array[];
  private readonly gb: Float32Array[];

  constructor(readonly sizes: number[], readonly rows: number, weights: { weights: Float32Array; bias: Float32Array | null }[], readonly lr: number) {
    this.W = weights.map((w) => w.weights.slice());
    this.b = weights.map((w, l) => w.bias?.slice() ?? new Float32Array(sizes[l + 1]!));
    const outs = sizes.slice(1);
    this.z = outs.map((n) => new Float32Array(rows * n));
    this.a = outs.map((n) => new Float32Array(rows * n));
    this.delta = outs.map((n) => new Float32Array(rows * n));
    this.gW = this.W.map((w) => new Float32Array(w.length));
    this.gb = this.b.map((b) => new Float32Array(b.length));
  }

  /** One SGD step on (x [rows, in], labels); returns the mean cross-entropy before the step. */
  step(x: Float32Array, labels: Int32Array): number {
    const { sizes, rows } = this;
    const L = sizes.length - 1;
    // forward: z = x·Wᵀ + b, relu on hidden layers, softmax on the last
    for (let l = 0; l < L; l++) {
      const nIn = sizes[l]!, nOut = sizes[l + 1]!;
      const input = l === 0 ? x : this.a[l - 1]!;
      const W = this.W[l]!, b = this.b[l]!, z = this.z[l]!, a = this.a[l]!;
      for (let r = 0; r < rows; r++) {
        const xr = r * nIn;
        for (let o = 0; o < nOut; o++) {
          const wo = o * nIn;
          let s = b[o]!;
          for (let i = 0; i < nIn; i++) s += input[xr + i]! * W[wo + i]!;
          z[r * nOut + o] = s;
        }
      }
      if (l < L - 1) {
        for (let i = 0; i < z.length; i++) a[i] = z[i]! > 0 ? z[i]! : 0;
      } else {
        for (let r = 0; r < rows; r++) {
          const o0 = r * nOut;
          let max = -Infinity;
          for (let o = 0; o < nOut; o++) max = Math.max(max, z[o0 + o]!);
          let sum = 0;
          for (let o = 0; o < nOut; o++) { const e = Math.exp(z[o0 + o]! - max); a[o0 + o] = e; sum += e; }
          for (let o = 0; o < nOut; o++) a[o0 + o]! /= sum;
        }
      }
    }
    // loss and output delta: softmax + cross-entropy, mean over the batch → (p − t) / rows
    const nOut = sizes[L]!;
    const p = this.a[L - 1]!, dL = this.delta[L - 1]!;
    let loss = 0;
    for (let r = 0; r < rows; r++) {
      const label = labels[r]!;
      loss -= Math.log(Math.max(p[r * nOut + label]!, 1e-30));
      for (let o = 0; o < nOut; o++) dL[r * nOut + o] = (p[r * nOut + o]! - (o === label ? 1 : 0)) / rows;
    }
    loss /= rows;
    // backward: ∇W = δᵀ·input, ∇b = Σ_rows δ, δ_prev = (δ·W) ⊙ relu'(z_prev)
    for (let l = L - 1; l >= 0; l--) {
      const nIn = sizes[l]!, nOut = sizes[l + 1]!;
      const input = l === 0 ? x : this.a[l - 1]!;
      const W = this.W[l]!, d = this.delta[l]!, gW = this.gW[l]!, gb = this.gb[l]!;
      gW.fill(0); gb.fill(0);
      for (let r = 0; r < rows; r++) {
        const xr = r * nIn;
        for (let o = 0; o < nOut; o++) {
          const dv = d[r * nOut + o]!, wo = o * nIn;
          gb[o]! += dv;
          for (let i = 0; i < nIn; i++) gW[wo + i]! += dv * input[xr + i]!;
        }
      }
      if (l > 0) {
        const dp = this.delta[l - 1]!, zp = this.z[l - 1]!;
        dp.fill(0);
        for (let r = 0; r < rows; r++) {
          const xr = r * nIn;
          for (let o = 0; o < nOut; o++) {
            const dv = d[r * nOut + o]!, wo = o * nIn;
            for (let i = 0; i < nIn; i++) dp[xr + i]! += dv * W[wo + i]!;
          }
        }
        for (let i = 0; i < dp.length; i++) if (!(zp[i]! > 0)) dp[i] = 0;
      }
    }
    // SGD, after every gradient is computed from the pre-step weights
    for (let l = 0; l < L; l++) {
      const W = this.W[l]!, gW = this.gW[l]!, b = this.b[l]!, gb = this.gb[l]!;
      for (let i = 0; i < W.length; i++) W[i]! -= this.lr * gW[i]!;
      for (let i = 0; i < b.length; i++) b[i]! -= this.lr * gb[i]!;
    }
    return loss;
  }
}

/** Matmul FLOPs of one step: forward z, ∇W for every layer, δ·W for every layer but the first. */
export function stepFlops(sizes: number[], rows: number): number {
  let f = 0;
  for (let l = 0; l + 1 < sizes.length; l++) {
    const mnk = 2 * rows * sizes[l]! * sizes[l + 1]!;
    f += l === 0 ? 2 * mnk : 3 * mnk;
  }
  return f;
}

export async function run(): Promise<FamilyResult> {
  const rng = new SeededRandom(SEED);
  const x = rng.fill(BATCH * SIZES[0]!, 0, 1);
  const nOut = SIZES[SIZES.length - 1]!;
  const labels = new Int32Array(BATCH);
  const y = new Float32Array(BATCH * nOut);
  for (let r = 0; r < BATCH; r++) {
    labels[r] = Math.floor(rng.next() * nOut);
    y[r * nOut + labels[r]!] = 1;
  }

  const options = {
    layers: SIZES, activation: 'relu', outputActivation: 'softmax', loss: 'crossEntropy',
    bias: true, reduction: 'mean', optimizer: { type: 'sgd', learningRate: LEARNING_RATE }, seed: 1,
  } as const;
  const net = new Network({ ...options, layers: [...SIZES], threads: 1 });
  const threaded = new Network({ ...options, layers: [...SIZES], threads: 'auto' });
  threaded.setWeights(net.getWeights());
  const js = new JsMlp(SIZES, BATCH, net.getWeights(), LEARNING_RATE);
  // Same starting weights: the first step's losses must agree (a check of the reference, not timed).
  const lossWasm = net.trainBatch(x, y);
  const lossJs = js.step(x, labels);
  const W1 = net.getWeights()[0]!.weights;
  let dW = 0;
  for (let i = 0; i < W1.length; i++) dW = Math.max(dW, Math.abs(W1[i]! - js.W[0]![i]!));

  const simd = backend().simd;
  // interleaved rounds, so the 1-thread / N-thread ratio does not depend on when load came and went
  const [wasmT, wasmN] = measureInterleaved([
    ['train wasm', () => net.trainBatch(x, y)], ['train wasm threads', () => threaded.trainBatch(x, y)],
  ], { ...WASM_TIMING, time: 2 * WASM_TIMING.time }) as [Timing, Timing];
  const jsT = measure('train js', () => js.step(x, labels), JS_TIMING);
  net.dispose();
  threaded.dispose();

  const flops = stepFlops(SIZES, BATCH);
  const row = (impl: string, t: { medianMs: number; meanMs: number; rme: number; samples: number }): Record<string, string | number> => ({
    implementation: impl,
    'ms/step (median)': fmt(t.medianMs, 2),
    'ms/step (mean)': `${fmt(t.meanMs, 2)} ±${fmt(t.rme, 1)}%`,
    'samples/s': Math.round((BATCH * 1000) / t.medianMs),
    'GFLOP/s': fmt(gflops(flops, t.medianMs), 2),
    samples: t.samples,
  });
  const rows = [
    row(`Network.trainBatch (wasm ${simd}, 1 thread)`, wasmT),
    row(`Network.trainBatch (wasm ${simd}, ${autoThreads()} threads)`, wasmN),
    row('plain JS float32 loops', jsT),
    { implementation: 'speed-up wasm / JS', 'ms/step (median)': `${fmt(jsT.medianMs / wasmT.medianMs, 1)}×` },
  ];
  const notes = [
    `network ${SIZES.join('-')}, relu hidden, softmax + crossEntropy, bias, reduction mean, SGD lr ${LEARNING_RATE}; batch ${BATCH}; x uniform in [0, 1) (seed ${SEED}), one-hot targets; every step trains on the same batch.`,
    'wasm step = Network.trainBatch(x, y) on a row-major Float32Array, including input validation and the copy into wasm memory.',
    `GFLOP/s counts only the matmul FLOPs of a step (forward, ∇W, and δ·W for layers 2..${SIZES.length - 1}): ${(flops / 1e6).toFixed(1)} MFLOP.`,
    `check, same initial weights: first-step loss wasm ${lossWasm.toFixed(6)} vs JS ${lossJs.toFixed(6)}; max |ΔW₁| after that step ${dW.toExponential(1)}.`,
  ];
  return {
    title: `train: one SGD step, ${SIZES.join('-')}, batch ${BATCH}`, rows, notes,
    values: { wasmMs: wasmT.medianMs, wasmThreadsMs: wasmN.medianMs, threads: autoThreads(), jsMs: jsT.medianMs },
  };
}

if (isMain(import.meta.url)) {
  console.log(header());
  printFamily(await run());
}
