// ************* losses: one record each *************
// A loss is its value, the δ it hands the output layer, whether it fuses with the output
// activation (softmax + cross-entropy and sigmoid + binary cross-entropy give dE/dz = p − y in one
// kernel) and the check its targets must pass. Adding a loss is one record here plus its kernels.
// Sample weights (Keras's sample_weight, class_weight) weight each row's loss in the value kernels
// and each row of the gradient (lossGrad): one f32 weight per row, staged in wasm.
import type { OutputActivation } from './activations.js';
import { DomainError } from './errors.js';
import type { Kernels } from './wasm/kernels.js';

export const LOSSES = ['mse', 'crossEntropy', 'binaryCrossEntropy', 'mae', 'huber', 'poisson', 'sparseCrossEntropy'] as const;
/**
 * Per sample, summed over its outputs: 'mse' = ½Σ(target − out)² (the seed's E); 'crossEntropy' = −Σ t·log(softmax);
 * 'binaryCrossEntropy' = −Σ t·log σ + (1−t)·log(1−σ); 'mae' = Σ|out − t|; 'huber' = Σ ½r² (|r| ≤ 1) or |r| − ½;
 * 'poisson' = Σ out − t·log(out + 1e-7); 'sparseCrossEntropy' = crossEntropy with a class index per sample.
 */
export type Loss = (typeof LOSSES)[number];

/** The output layer's buffers a loss reads and writes (byte addresses, [rows, cols]). */
export interface OutputBuffers { z: number; a: number; dout: number; delta: number }

export interface LossInfo {
  /** The output activation it fuses with and requires; null: any (the layer then applies f' itself). */
  readonly fusedWith: OutputActivation | null;
  /** Extra words for the pairing error, e.g. which loss to use instead. */
  readonly pairingHint?: string;
  /** When not fused: the only output activations it accepts (names absent from the activation table are ignored). */
  readonly outputs?: readonly string[];
  /** Targets are one class index per sample (checked and staged as one-hot rows by data.ts toTargets), not rows. */
  readonly classIndices?: boolean;
  /**
   * Σ over the rows of the per-sample loss (the cross-entropies from the logits z, with log-sum-exp),
   * row r weighted by the f32 at w + 4r; w = 0: unweighted (the same bits as every weight 1).
   */
  sum(k: Kernels, out: OutputBuffers, t: number, rows: number, cols: number, w: number): number;
  /**
   * Writes the gradient the output layer starts from, scaled by `scale` (1/rows for 'mean'): fused,
   * δ = dE/dz into out.delta; otherwise dE/dout into out.dout (the layer then forms δ = dout ⊙ f').
   */
  grad(k: Kernels, out: OutputBuffers, t: number, rows: number, cols: number, scale: number): void;
  /** Whether `check` can reject anything (mse takes any finite target). */
  readonly checksTargets: boolean;
  /** Throws a DomainError naming `name`, the row and the column of the first target outside the loss's domain. */
  check(t: Float32Array, at: number, rows: number, cols: number, name: string): void;
}

/** Targets must be probabilities in [0, 1]; with `rowsSumToOne`, each row must sum to 1 (±1e-3). */
function checkProbabilities(loss: Loss, rowsSumToOne: boolean, t: Float32Array, at: number, rows: number, cols: number, name: string): void {
  for (let r = 0; r < rows; r++) {
    let sum = 0;
    for (let j = 0; j < cols; j++) {
      const v = t[at + r * cols + j]!;
      if (v < 0 || v > 1) throw new DomainError(`${name}: ${loss} needs targets in [0, 1], got ${v} at row ${r}, column ${j}`);
      sum += v;
    }
    if (rowsSumToOne && Math.abs(sum - 1) > 1e-3) {
      throw new DomainError(`${name}: ${loss} needs each target row to sum to 1 (one-hot or probabilities), got a sum of ${Number(sum.toPrecision(7))} at row ${r}`);
    }
  }
}

/** Keras's epsilon in poisson, log(out + 1e-7). Must match POISSON_EPS in assembly/loss.ts. */
export const POISSON_EPS = 1e-7;
/** huber's δ (Keras's default). */
export const HUBER_DELTA = 1;

export const LOSS: Readonly<Record<Loss, LossInfo>> = Object.freeze({
  mse: {
    fusedWith: null,
    sum: (k, out, t, rows, cols, w) => k.mse_loss_w_f32(out.a, t, w, rows, cols),
    grad: (k, out, t, rows, cols, scale) => k.mse_grad_f32(out.dout, out.a, t, scale, rows * cols),
    checksTargets: false,
    check: () => {},
  },
  crossEntropy: {
    fusedWith: 'softmax',
    pairingHint: " (use 'binaryCrossEntropy' with 'sigmoid')",
    sum: (k, out, t, rows, cols, w) => k.xent_loss_w_f32(out.z, t, w, rows, cols),
    grad: (k, out, t, rows, cols, scale) => k.softmax_xent_grad_f32(out.delta, out.a, t, scale, rows * cols), // p − y
    checksTargets: true,
    check: (t, at, rows, cols, name) => checkProbabilities('crossEntropy', true, t, at, rows, cols, name),
  },
  binaryCrossEntropy: {
    fusedWith: 'sigmoid',
    sum: (k, out, t, rows, cols, w) => k.bce_loss_w_f32(out.z, t, w, rows, cols),
    grad: (k, out, t, rows, cols, scale) => k.softmax_xent_grad_f32(out.delta, out.a, t, scale, rows * cols), // σ − y: the same kernel
    checksTargets: true,
    check: (t, at, rows, cols, name) => checkProbabilities('binaryCrossEntropy', false, t, at, rows, cols, name),
  },
  mae: {
    fusedWith: null,
    sum: (k, out, t, rows, cols, w) => k.mae_loss_w_f32(out.a, t, w, rows, cols),
    grad: (k, out, t, rows, cols, scale) => k.mae_grad_f32(out.dout, out.a, t, scale, rows * cols), // sign(out − t), 0 at 0
    checksTargets: false,
    check: () => {},
  },
  huber: {
    fusedWith: null,
    sum: (k, out, t, rows, cols, w) => k.huber_loss_w_f32(out.a, t, w, HUBER_DELTA, rows, cols),
    grad: (k, out, t, rows, cols, scale) => k.huber_grad_f32(out.dout, out.a, t, scale, HUBER_DELTA, rows * cols), // clamp(out − t, −δ, δ)
    checksTargets: false,
    check: () => {},
  },
  poisson: {
    fusedWith: null,
    // log(out + 1e-7) needs out > −1e-7: only activations whose outputs are ≥ 0 (Keras would give NaN)
    outputs: ['sigmoid', 'relu', 'softmax', 'softplus'],
    pairingHint: ' (log(out + 1e-7) needs outputs ≥ 0; with a linear output, use softplus or relu)',
    sum: (k, out, t, rows, cols, w) => k.poisson_loss_w_f32(out.a, t, w, rows, cols),
    grad: (k, out, t, rows, cols, scale) => k.poisson_grad_f32(out.dout, out.a, t, scale, rows * cols), // 1 − t/(out + 1e-7)
    checksTargets: true,
    check: (t, at, rows, cols, name) => {
      for (let r = 0; r < rows; r++) {
        for (let j = 0; j < cols; j++) {
          const v = t[at + r * cols + j]!;
          if (v < 0) throw new DomainError(`${name}: poisson needs targets ≥ 0 (counts or rates), got ${v} at row ${r}, column ${j}`);
        }
      }
    },
  },
  sparseCrossEntropy: {
    fusedWith: 'softmax',
    pairingHint: " (use 'binaryCrossEntropy' with 'sigmoid')",
    classIndices: true,
    // staged as one-hot rows, so the value and gradient are crossEntropy's, bit for bit
    sum: (k, out, t, rows, cols, w) => k.xent_loss_w_f32(out.z, t, w, rows, cols),
    grad: (k, out, t, rows, cols, scale) => k.softmax_xent_grad_f32(out.delta, out.a, t, scale, rows * cols), // p − y
    checksTargets: false, // the class indices were checked when they were read (data.ts toTargets)
    check: () => {},
  },
});

/**
 * Writes the output layer's starting gradient (LossInfo.grad, scaled by `scale`) and weights its
 * row r by the f32 at w + 4r (w = 0: unweighted): the gradient of Σ wᵣ·Lᵣ·scale. Weight 1 leaves a
 * row's bits.
 */
export function lossGrad(loss: Loss, k: Kernels, out: OutputBuffers, t: number, rows: number, cols: number, scale: number, w: number): void {
  const info = LOSS[loss];
  info.grad(k, out, t, rows, cols, scale);
  if (w === 0) return;
  const g = info.fusedWith ? out.delta : out.dout; // the buffer grad wrote
  k.scale_rows_f32(g, g, w, rows, cols);
}

/** The loss a network gets when none is named: cross-entropy with a softmax output, else mse. */
export function defaultLoss(outputActivation: OutputActivation): Loss {
  return outputActivation === 'softmax' ? 'crossEntropy' : 'mse';
}
