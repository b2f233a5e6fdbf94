// The contract every layer of a Network keeps, and the weight records it trades with the outside.
// A network is an ordered stack of layers (src/model.ts); a layer owns its parameters, their
// gradients and its batch buffers, and runs forward and backward through the kernels only.
import { EP_BACKWARD } from '../activations.js';
import type { ParamRef } from '../optim/index.js';
import type { Rng } from '../random.js';
import type { Kernels } from '../wasm/kernels.js';

/** The layer types of a layer list (`options.layers`); each has its file in src/layers/. */
export const LAYER_TYPES = ['dense', 'dropout', 'batchNormalization', 'layerNormalization'] as const;
export type LayerType = (typeof LAYER_TYPES)[number];

/** A dense layer's parameters as returned by getWeights (copies). */
export interface DenseWeights {
  type: 'dense';
  /** Row-major [rows = out, cols = in]: row i holds the weights into neuron i. */
  weights: Float32Array;
  bias: Float32Array | null;
  rows: number;
  cols: number;
}

/** A batch normalization layer's parameters and moving statistics (copies; gamma/beta null when scale/center is false). */
export interface BatchNormalizationWeights {
  type: 'batchNormalization';
  gamma: Float32Array | null;
  beta: Float32Array | null;
  movingMean: Float32Array;
  movingVariance: Float32Array;
}

/** A layer normalization layer's parameters (copies; null when scale/center is false). */
export interface LayerNormalizationWeights {
  type: 'layerNormalization';
  gamma: Float32Array | null;
  beta: Float32Array | null;
}

/** A dropout layer has no parameters. */
export interface DropoutWeights {
  type: 'dropout';
}

/** One layer's parameters as returned by getWeights: one entry per layer of the stack, narrowed by `type`. */
export type AnyLayerWeights = DenseWeights | BatchNormalizationWeights | LayerNormalizationWeights | DropoutWeights;

/** A dense layer's weights: what getWeights returns for a network of sizes (the name kept from before layer lists). */
export type LayerWeights = DenseWeights;

/** A dense layer's parameters as accepted by setWeights. */
export interface DenseWeightsInput {
  /** [out][in] (row i = weights into neuron i), or a row-major Float32Array of out·in. */
  weights: number[][] | Float32Array;
  /** Length out; required when the network has biases, null/omitted when it has none. */
  bias?: number[] | Float32Array | null;
}

type Floats = number[] | Float32Array;

/** What setWeights accepts for a normalization layer: every block it has (gamma when scale, beta when center; moving statistics for batch normalization). */
export interface NormalizationWeightsInput {
  gamma?: Floats | null;
  beta?: Floats | null;
  movingMean?: Floats;
  movingVariance?: Floats;
}

/** One entry of setWeights: the fields of the layer's getWeights entry (`type` optional; a dropout layer takes `{}`). */
export type LayerWeightsInput = (DenseWeightsInput | NormalizationWeightsInput | Record<string, never>) & { type?: LayerType };

/**
 * How a pass runs the layers. Training (fit, trainBatch, gradients, trace with training: true)
 * uses batch statistics and dropout; inference (predict, evaluate, trace) moving statistics and
 * no dropout.
 */
export interface Pass {
  readonly training: boolean;
  /** Also update the state a training step changes besides the weights: moving statistics (fit, trainBatch only). */
  readonly update: boolean;
  /** predict/evaluate: a few rows may take gemv_f32_nt_hsum's summation order (see Dense.forward). */
  readonly fastSums: boolean;
  /** Which dropout masks: the optimizer's step count (a step and the gradients/trace before it use the same masks). */
  readonly step: number;
}

/** The passes of the Network's methods (step filled in per call). */
export const INFERENCE: Pass = Object.freeze({ training: false, update: false, fastSums: false, step: 0 });

/**
 * What a layer asks of the product that writes dE/d(its output) (the next layer's backward
 * product δ·W): besides dout, also write δ = dout ⊙ f'(its output) into `delta`, in that product's
 * store. The next layer applies it without knowing anything else about this one.
 */
export interface InputGradEpilogue {
  /** Activation code | EP_BACKWARD (src/activations.ts), or 0: write dout only. */
  readonly ep: number;
  /** Where δ goes (0: nowhere). */
  readonly delta: number;
  /** What f' is computed from: the layer's output, or its pre-activation where gradFrom is 'input' (src/activations.ts). */
  readonly y: number;
  /** The leaky relu slope. */
  readonly alpha: number;
}

/** The epilogue of a layer that needs none: its δ is its dout (layers without an activation). */
export const NO_INPUT_GRAD: InputGradEpilogue = Object.freeze({ ep: 0, delta: 0, y: 0, alpha: 0 });

/**
 * For a layer whose backward is not a product (dropout, normalization): applies what the layer
 * below asks (its δ = dx ⊙ f'(·)) after dx = dE/d(its output) was written, in one pass.
 */
export function applyInputGrad(k: Kernels, prev: InputGradEpilogue | null, dx: number, count: number): void {
  if (prev && prev.ep !== 0) k.act_grad_f32(prev.delta, dx, prev.y, count, prev.ep & (EP_BACKWARD - 1), prev.alpha);
}

/** One layer of the stack. Pointers are byte addresses in wasm memory; buffers hold `rows × size` floats, row-major. */
export interface Layer {
  readonly type: LayerType;
  readonly inSize: number;
  readonly outSize: number;
  /** Trainable parameters (weights and biases, γ and β). */
  readonly paramCount: number;
  /** Non-trainable parameters (moving statistics). */
  readonly stateCount: number;
  /** Its output after forward ([rows, outSize]), the next layer's input. */
  readonly a: number;
  /** dE/d(its output) ([rows, outSize]): where the next layer's backward writes. */
  readonly dout: number;
  /** Floats of batch buffers per row of batch (for the batch-size check before planning). */
  batchFloatsPerRow(): number;
  /** Seeded initial weights. */
  init(rng: Rng): void;
  /** Allocates batch buffers for `rows` rows (0: none); returns the old blocks for the caller to free. */
  plan(rows: number): number[];
  /** Forward of `rows` rows of x. */
  forward(x: number, rows: number, pass: Pass): void;
  /** What the product writing dE/d(this layer's output) should also write (see InputGradEpilogue). */
  inputGradEpilogue(): InputGradEpilogue;
  /** After a training forward, from dout (δ for a dense layer): its parameter gradients, and when dx ≠ 0, dE/dx into dx with `prev`'s epilogue applied. */
  backward(x: number, rows: number, dx: number, prev: InputGradEpilogue | null): void;
  /**
   * Makes what the last training pass with `update` staged besides the weights take effect (batch
   * normalization's moving statistics): called once the step's loss is known to be finite, after
   * fit's rollback copy, so a diverging batch changes nothing.
   */
  commit(): void;
  /** Its weight penalty (l1·Σ|W| + l2·ΣW², 0 without); backward adds the penalty's gradient to the weights' gradient. */
  penalty(): number;
  /** Parameter/gradient pairs for an optimizer. */
  params(): ParamRef[];
  /** The non-trainable blocks saved with the parameters (moving statistics). */
  state(): { ptr: number; length: number }[];
  /** Copies of its parameters. */
  weights(): AnyLayerWeights;
  /** Frees every block it owns. */
  dispose(): void;
}
