// The contract every layer of a Network keeps, and the weight records it trades with the outside.
// A network is an ordered stack of layers (src/model.ts); a layer owns its parameters, their
// gradients and its batch buffers, and runs forward and backward through the kernels only.
import type { ParamRef } from '../optim/index.js';
import type { Rng } from '../random.js';

/** One layer's parameters as returned by getWeights (copies). */
export interface LayerWeights {
  /** Row-major [rows = out, cols = in]: row i holds the weights into neuron i. */
  weights: Float32Array;
  bias: Float32Array | null;
  rows: number;
  cols: number;
}

/** One layer's parameters as accepted by setWeights. */
export interface LayerWeightsInput {
  /** [out][in] (row i = weights into neuron i), or a row-major Float32Array of out·in. */
  weights: number[][] | Float32Array;
  /** Length out; required when the network has biases, null/omitted when it has none. */
  bias?: number[] | Float32Array | null;
}

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

/** One layer of the stack. Pointers are byte addresses in wasm memory; buffers hold `rows × size` floats, row-major. */
export interface Layer {
  readonly inSize: number;
  readonly outSize: number;
  /** Weights and biases. */
  readonly paramCount: number;
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
  /** Forward of `rows` rows of x; `inference` allows a summation order that only predict/evaluate use. */
  forward(x: number, rows: number, inference: boolean): void;
  /** The output layer of a loss not fused with its activation: δ = dout ⊙ f'(output). */
  activationBackward(rows: number): void;
  /** What the product writing dE/d(this layer's output) should also write (see InputGradEpilogue). */
  inputGradEpilogue(): InputGradEpilogue;
  /** From δ: its parameter gradients, and when dx ≠ 0, dE/dx into dx with `prev`'s epilogue applied. */
  backward(x: number, rows: number, dx: number, prev: InputGradEpilogue | null): void;
  /** Parameter/gradient pairs for an optimizer. */
  params(): ParamRef[];
  /** Copies of its weights and biases. */
  weights(): LayerWeights;
  /** Frees every block it owns. */
  dispose(): void;
}
