import { ACTIVATIONS, type Activation } from '../activations.js';
import type { Backend } from '../wasm/kernels.js';

/** brain.js's activation names. */
export type BrainActivation = 'sigmoid' | 'relu' | 'leaky-relu' | 'tanh';
export const BRAIN_ACTIVATIONS: readonly BrainActivation[] = ['sigmoid', 'relu', 'leaky-relu', 'tanh'];
/** brain.js's names in the activation table, whose codes the brain kernels (plan word 1) and gemv_f32_nt_hsum share. */
const TABLE_NAME: Record<BrainActivation, Activation> = { sigmoid: 'sigmoid', relu: 'relu', 'leaky-relu': 'leakyRelu', tanh: 'tanh' };
/**
 * From this many weights on, run() of one sample goes layer by layer through gemv_f32_nt_hsum
 * (one call per layer) instead of brain_run_f32 (one call): measured on the 2-core Zen 5, 784-128-10
 * runs 2.9× faster that way (6.9 vs 19.8 µs), while at XOR size the extra calls cost more than they save.
 */
const GEMV_MIN_WEIGHTS = 1024;

// The plan read by assembly/brain.ts: 4 header words, then one record of REC words per layer.
const HEAD = 4;
const REC = 12;
const F = { size: 0, stride: 1, out: 2, delta: 3, w: 4, b: 5, v: 6, gw: 7, gb: 8 } as const;

export const pad4 = (n: number): number => Math.ceil(n / 4) * 4;

interface LayerBlocks { out: number; delta: number; w: number; b: number; v: number; gw: number; gb: number }

/**
 * The wasm memory of one brain.js-style network: a plan (layer sizes, strides, addresses) and,
 * per layer, outputs, deltas, weights [stride_l rows × stride_{l−1}], biases, momentum changes
 * and (allocated on first mini-batch use) gradient sums. Rows and vectors are zero-padded to a
 * multiple of 4 floats; the padding stays zero. Everything is allocated here, in one place, and
 * freed by dispose().
 */
export class WasmNet {
  readonly sizes: readonly number[];
  readonly strides: readonly number[];
  readonly plan: number;
  /** Staging for one sample: input [stride_0] and output [size_last]. */
  readonly x1: number;
  readonly y1: number;
  private readonly layers: LayerBlocks[] = [];
  private blocks: number[] = [];
  private hasBatchBuffers = false;
  private actCode = 0;

  constructor(private readonly be: Backend, sizes: readonly number[], activation: BrainActivation) {
    this.sizes = [...sizes];
    this.strides = sizes.map(pad4);
    const arena = be.arena;
    const alloc = (floats: number): number => { const p = arena.alloc(floats); this.blocks.push(p); return p; };
    try {
      this.plan = alloc(HEAD + REC * sizes.length);
      this.x1 = alloc(this.strides[0]!);
      this.y1 = alloc(sizes[sizes.length - 1]!);
      this.layers.push({ out: 0, delta: alloc(this.strides[0]!), w: 0, b: 0, v: 0, gw: 0, gb: 0 });
      for (let l = 1; l < sizes.length; l++) {
        const s = this.strides[l]!, n = s * this.strides[l - 1]!;
        this.layers.push({ out: alloc(s), delta: alloc(s), w: alloc(n), b: alloc(s), v: alloc(n), gw: 0, gb: 0 });
      }
    } catch (e) {
      this.dispose();
      throw e;
    }
    this.writePlan();
    this.setActivation(activation);
  }

  private words(): Int32Array {
    return new Int32Array(this.be.arena.memory.buffer, this.plan, HEAD + REC * this.sizes.length);
  }

  private writePlan(): void {
    const p = this.words();
    p[0] = this.sizes.length;
    this.layers.forEach((L, l) => {
      const r = HEAD + REC * l;
      p[r + F.size] = this.sizes[l]!;
      p[r + F.stride] = this.strides[l]!;
      p[r + F.out] = L.out; p[r + F.delta] = L.delta; p[r + F.w] = L.w; p[r + F.b] = L.b;
      p[r + F.v] = L.v; p[r + F.gw] = L.gw; p[r + F.gb] = L.gb;
    });
  }

  setActivation(act: BrainActivation): void {
    this.actCode = ACTIVATIONS[TABLE_NAME[act]].code;
    this.words()[1] = this.actCode;
  }

  /**
   * Forward pass of the sample staged at x1; returns the address of the output layer's outputs.
   * Large networks go layer by layer through gemv_f32_nt_hsum (pre-activations into the layer's
   * delta block, which run does not otherwise use), small ones through brain_run_f32 into y1.
   */
  runOne(alpha: number): number {
    const k = this.be.kernels;
    const n = this.sizes.length;
    let weights = 0;
    for (let l = 1; l < n; l++) weights += this.sizes[l]! * this.sizes[l - 1]!;
    if (weights < GEMV_MIN_WEIGHTS) { k.brain_run_f32(this.plan, this.y1, this.x1, 1, alpha); return this.y1; }
    let input = this.x1;
    for (let l = 1; l < n; l++) {
      const L = this.layers[l]!, sIn = this.strides[l - 1]!, size = this.sizes[l]!;
      k.gemv_f32_nt_hsum(L.delta, input, L.w, 1, size, this.sizes[l - 1]!, sIn * 4, sIn * 4, size * 4, L.b, this.actCode, L.out, alpha);
      input = L.out;
    }
    return this.layers[n - 1]!.out;
  }

  /** The f64 the multi-pass kernel leaves at plan + 8: the mean error of its last pass. */
  lastError(): number {
    return new Float64Array(this.be.arena.memory.buffer, this.plan + 8, 1)[0]!;
  }

  /** Allocates the mini-batch gradient sums (once). */
  ensureBatchBuffers(): void {
    if (this.hasBatchBuffers) return;
    const arena = this.be.arena;
    for (let l = 1; l < this.sizes.length; l++) {
      const L = this.layers[l]!;
      L.gw = arena.alloc(this.strides[l]! * this.strides[l - 1]!); this.blocks.push(L.gw);
      L.gb = arena.alloc(this.strides[l]!); this.blocks.push(L.gb);
    }
    this.hasBatchBuffers = true;
    this.writePlan();
  }

  /** brain.js's initialisation: every weight and bias uniform in [−0.2, 0.2) (Math.random()·0.4 − 0.2); changes zero. */
  randomize(): void {
    for (let l = 1; l < this.sizes.length; l++) {
      const rows: Float32Array[] = [];
      for (let j = 0; j < this.sizes[l]!; j++) {
        const row = new Float32Array(this.sizes[l - 1]!);
        for (let k = 0; k < row.length; k++) row[k] = Math.random() * 0.4 - 0.2;
        rows.push(row);
      }
      const bias = new Float32Array(this.sizes[l]!);
      for (let j = 0; j < bias.length; j++) bias[j] = Math.random() * 0.4 - 0.2;
      this.setLayer(l, rows, bias);
    }
  }

  /** Writes layer l's weights (rows of sizes[l−1]) and biases; resets its momentum and sums. */
  setLayer(l: number, rows: readonly ArrayLike<number>[], bias: ArrayLike<number>): void {
    const arena = this.be.arena;
    const L = this.layers[l]!;
    const sIn = this.strides[l - 1]!, nIn = this.sizes[l - 1]!;
    const w = arena.view(L.w, this.strides[l]! * sIn);
    w.fill(0);
    rows.forEach((row, j) => { for (let k = 0; k < nIn; k++) w[j * sIn + k] = row[k]!; });
    const b = arena.view(L.b, this.strides[l]!);
    b.fill(0);
    for (let j = 0; j < this.sizes[l]!; j++) b[j] = bias[j]!;
    arena.view(L.v, this.strides[l]! * sIn).fill(0);
    if (L.gw) arena.view(L.gw, this.strides[l]! * sIn).fill(0);
    if (L.gb) arena.view(L.gb, this.strides[l]!).fill(0);
  }

  /** Copies of layer l's weight rows (unpadded) and biases. */
  getLayer(l: number): { weights: Float32Array[]; biases: Float32Array } {
    const arena = this.be.arena;
    const L = this.layers[l]!;
    const sIn = this.strides[l - 1]!, nIn = this.sizes[l - 1]!;
    const w = arena.view(L.w, this.strides[l]! * sIn);
    const weights: Float32Array[] = [];
    for (let j = 0; j < this.sizes[l]!; j++) weights.push(w.slice(j * sIn, j * sIn + nIn));
    return { weights, biases: arena.view(L.b, this.sizes[l]!).slice() };
  }

  dispose(): void {
    for (const p of this.blocks) this.be.arena.free(p);
    this.blocks = [];
  }
}
