import { ACTIVATIONS, EP_BACKWARD, OUTPUT_ACTIVATIONS, activateGrad, type OutputActivation } from '../activations.js';
import { OptionError, describe } from '../errors.js';
import { suggest } from '../suggest.js';
import type { Backend } from '../wasm/kernels.js';
import type { DenseWeights, InputGradEpilogue, Layer, Pass } from './layer.js';
import type { Epilogue, Matmul } from '../wasm/threads.js';
import type { Rng } from '../random.js';
import type { ParamRef } from '../optim/index.js';


/** `{ type: 'dense', units, … }` as resolved: the network-level defaults filled in. */
export interface DenseSpec {
  type: 'dense';
  units: number;
  /** Default: the network's `activation` (hidden layers) or `outputActivation` (the last layer). */
  activation: OutputActivation;
  /** Keras's regularizers on the weights (not the bias): penalty l1·Σ|W| + l2·ΣW². Default 0. */
  l1: number;
  l2: number;
  /** Default: the network's `bias`. */
  useBias: boolean;
}

export const DENSE_KEYS = ['type', 'units', 'activation', 'l1', 'l2', 'useBias'] as const;

/** A dense entry of a layer list validated; the activation (undefined when not given) and useBias are filled in by the stack. */
export function resolveDense(o: Record<string, unknown>, where: string): Omit<DenseSpec, 'activation' | 'useBias'> & { activation?: OutputActivation; useBias?: boolean } {
  const units = o.units;
  if (typeof units !== 'number' || !Number.isInteger(units) || units < 1) throw new OptionError(`${where}.units: expected an integer ≥ 1, got ${describe(units)}`);
  const out: Omit<DenseSpec, 'activation' | 'useBias'> & { activation?: OutputActivation; useBias?: boolean } = { type: 'dense', units, l1: reg(o.l1, `${where}.l1`), l2: reg(o.l2, `${where}.l2`) };
  if (o.activation !== undefined) {
    const a = o.activation;
    if (typeof a !== 'string' || !(OUTPUT_ACTIVATIONS as readonly string[]).includes(a)) {
      const hint = typeof a === 'string' ? suggest(a, OUTPUT_ACTIVATIONS) : undefined;
      throw new OptionError(`${where}.activation: expected one of ${OUTPUT_ACTIVATIONS.map((v) => `'${v}'`).join(', ')}, got ${describe(a)}${hint ? ` (did you mean '${hint}'?)` : ''}`);
    }
    out.activation = a as OutputActivation;
  }
  if (o.useBias !== undefined) {
    if (typeof o.useBias !== 'boolean') throw new OptionError(`${where}.useBias: expected true or false, got ${describe(o.useBias)}`);
    out.useBias = o.useBias;
  }
  return out;
}

function reg(v: unknown, name: string): number {
  if (v === undefined) return 0;
  if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) throw new OptionError(`${name}: expected a finite number ≥ 0, got ${describe(v)}`);
  return v;
}

/**
 * Row counts up to which the forward product skips the packed matmul for the kernels of
 * assembly/gemv.ts, which read W in place. Measured on a 2-core Zen 5 (784-256-128-10, one
 * thread; README "How it works"): gemv_f32_nt (the packed path's bits) beats the packed product
 * for 1 and 2 rows; with threads the packed product splits over the cores from 2 rows on, so its
 * cut-off is lower there. gemv_f32_nt_hsum (inference only, another summation order) beats it up
 * to 4 rows on one thread and 2 with threads; its cut-off is 2 for every thread count, so what
 * predict returns never depends on the thread count.
 */
const GEMV_ROWS = { single: 2, threaded: 1 } as const;
const HSUM_ROWS = 2;

/**
 * A fully connected layer: z = x·Wᵀ + b, a = f(z), W stored [out, in] row-major (row i holds
 * the weights into neuron i, as W in the seed articles). Owns its parameters, gradients and
 * per-batch buffers; forward and backward only call kernels.
 */
export class Dense implements Layer {
  readonly type = 'dense';
  readonly stateCount = 0;
  readonly w: number;
  readonly b: number; // 0 without bias
  readonly gw: number;
  readonly gb: number; // 0 without bias
  /** Batch buffers, [capacity, out]: pre-activation, output, dE/d(output), dE/d(pre-activation). */
  z = 0; a = 0; dout = 0; delta = 0;
  /** The fused epilogues of the three products (pointers refreshed by plan()); reused, never reallocated. */
  private readonly fwdEp: Epilogue = { bias: 0, ep: 0, out2: 0, y: 0, alpha: 0, rowsum: 0 };
  private readonly gradEp: Epilogue = { bias: 0, ep: 0, out2: 0, y: 0, alpha: 0, rowsum: 0 };
  private readonly dxEp: Epilogue = { bias: 0, ep: 0, out2: 0, y: 0, alpha: 0, rowsum: 0 };
  /** What this layer asks of the product that writes its dout (pointers refreshed by plan()). */
  private readonly gradIn: { ep: number; delta: number; y: number; alpha: number } = { ep: 0, delta: 0, y: 0, alpha: 0 };

  constructor(
    private readonly be: Backend,
    private readonly mm: Matmul,
    readonly inSize: number,
    readonly outSize: number,
    readonly activation: OutputActivation,
    readonly alpha: number,
    readonly hasBias: boolean,
    /** Keras's l1 and l2 regularizers on W: penalty l1·Σ|W| + l2·ΣW². */
    readonly l1 = 0,
    readonly l2 = 0,
  ) {
    const arena = be.arena;
    const n = outSize * inSize;
    const blocks: number[] = [];
    try {
      blocks.push(this.w = arena.alloc(n));
      blocks.push(this.gw = arena.alloc(n));
      this.b = hasBias ? arena.alloc(outSize) : 0;
      if (this.b) blocks.push(this.b);
      this.gb = hasBias ? arena.alloc(outSize) : 0;
      this.fwdEp.bias = this.b;
      this.fwdEp.ep = ACTIVATIONS[activation].code;
      this.fwdEp.alpha = alpha;
      this.gradEp.rowsum = this.gb;
      this.gradIn.ep = ACTIVATIONS[activation].code | EP_BACKWARD;
      this.gradIn.alpha = alpha;
    } catch (e) {
      for (const p of blocks) arena.free(p);
      throw e;
    }
  }

  get paramCount(): number { return this.outSize * this.inSize + (this.hasBias ? this.outSize : 0); }

  /** Floats of batch buffers per row of batch. */
  batchFloatsPerRow(): number { return this.outSize * (this.activation === 'linear' ? 3 : 4); }

  /** Glorot-uniform (sigmoid, tanh, linear, softmax, elu, selu, gelu, softplus, swish, softsign) or He-uniform (relu, leakyRelu) weights; zero bias. */
  init(rng: Rng): void {
    const he = ACTIVATIONS[this.activation].init === 'he';
    const limit = he ? Math.sqrt(6 / this.inSize) : Math.sqrt(6 / (this.inSize + this.outSize));
    const w = this.be.arena.view(this.w, this.outSize * this.inSize);
    for (let i = 0; i < w.length; i++) w[i] = rng.uniform(limit);
    if (this.hasBias) this.be.arena.view(this.b, this.outSize).fill(0);
  }

  /** Allocates the batch buffers for `rows` rows; returns the old ones for the caller to free. */
  plan(rows: number): number[] {
    const arena = this.be.arena;
    const old = this.batchBlocks();
    const n = rows * this.outSize;
    const fresh: number[] = [];
    try {
      const z = arena.alloc(n); fresh.push(z);
      const a = this.activation === 'linear' ? z : arena.alloc(n); if (a !== z) fresh.push(a);
      const dout = arena.alloc(n); fresh.push(dout);
      const delta = arena.alloc(n); fresh.push(delta);
      this.z = z; this.a = a; this.dout = dout; this.delta = delta;
      this.fwdEp.out2 = this.fwdEp.ep !== 0 ? a : 0;
      this.gradIn.delta = delta; this.gradIn.y = this.gradSource();
    } catch (e) {
      for (const p of fresh) arena.free(p);
      throw e;
    }
    return old;
  }

  /**
   * z = x·Wᵀ (+ b), a = f(z) for `rows` rows of x (ptr to [rows, in]): one product, with the bias
   * and the activation applied in its store (softmax, per row, after it). A few rows take the
   * gemv kernels (W read in place); `inference` allows the faster one whose sums are in another
   * order (predict, evaluate: `pass.fastSums`), otherwise every row gets the bits of the packed product.
   */
  forward(x: number, rows: number, pass: Pass): void {
    const { inSize: nIn, outSize: nOut } = this;
    const threaded = this.mm.maxThreads > 1;
    const e = this.fwdEp;
    if (pass.fastSums && rows <= HSUM_ROWS) {
      this.be.kernels.gemv_f32_nt_hsum(this.z, x, this.w, rows, nOut, nIn, nIn * 4, nIn * 4, nOut * 4, e.bias, e.ep, e.out2, e.alpha);
    } else if (rows <= (threaded ? GEMV_ROWS.threaded : GEMV_ROWS.single)) {
      this.be.kernels.gemv_f32_nt(this.z, x, this.w, rows, nOut, nIn, nIn * 4, nIn * 4, nOut * 4, e.bias, e.ep, e.out2, e.alpha);
    } else {
      this.mm.run('nt', this.z, x, this.w, rows, nOut, nIn, nIn * 4, nIn * 4, nOut * 4, 0, e);
    }
    if (ACTIVATIONS[this.activation].rowwise) this.be.kernels.softmax_f32_rows(this.a, this.z, rows, nOut); // the one row-wise activation
  }

  /** delta = dout ⊙ f'(·): from dE/d(output) to dE/d(pre-activation). */
  activationBackward(rows: number): void {
    activateGrad(this.be.kernels, this.activation, this.alpha, this.delta, this.dout, this.gradSource(), rows, this.outSize);
  }

  /** What f' is computed from: the output a, or z for the activations whose gradFrom is 'input' (gelu, swish; z ≠ a for every activation but linear). */
  private gradSource(): number { return ACTIVATIONS[this.activation].gradFrom === 'input' ? this.z : this.a; }

  /** δ = dout ⊙ f'(a) (f'(z) for gelu, swish), written by the product that writes this layer's dout (the next layer's δ·W). */
  inputGradEpilogue(): InputGradEpilogue { return this.gradIn; }

  /**
   * From delta: ∇W = δᵀ·x with ∇b = Σ_rows δ summed while δ is packed, and, when dx ≠ 0 (ptr to
   * [rows, in]), dx = δ·W. `prev` is what the layer that produced x (so dx is its dout) asks of
   * this product: its δ = dx ⊙ f'(its output), computed in the same product's store.
   */
  backward(x: number, rows: number, dx: number, prev: InputGradEpilogue | null = null): void {
    const { inSize: nIn, outSize: nOut } = this;
    this.mm.run('tn', this.gw, this.delta, x, nOut, nIn, rows, nOut * 4, nIn * 4, nIn * 4, 0, this.gradEp);
    if (this.l1 !== 0 || this.l2 !== 0) this.be.kernels.l1l2_grad_f32(this.gw, this.w, nOut * nIn, this.l1, this.l2);
    if (!dx) return;
    const e = this.dxEp;
    if (prev) { e.ep = prev.ep; e.out2 = prev.delta; e.y = prev.y; e.alpha = prev.alpha; }
    else { e.ep = 0; e.out2 = 0; e.y = 0; }
    this.mm.run('nn', dx, this.delta, this.w, rows, nIn, nOut, nOut * 4, nIn * 4, nIn * 4, 0, e);
  }

  commit(): void { /* nothing staged */ }

  /** l1·Σ|W| + l2·ΣW² (Keras's regularizers; biases are not penalized), summed in float64; backward adds l1·sign(W) + 2·l2·W to ∇W. */
  penalty(): number {
    if (this.l1 === 0 && this.l2 === 0) return 0;
    return this.be.kernels.l1l2_penalty_f32(this.w, this.outSize * this.inSize, this.l1, this.l2);
  }

  /** Parameter/gradient pairs for an optimizer. */
  params(): ParamRef[] {
    const out: ParamRef[] = [{ param: this.w, grad: this.gw, length: this.outSize * this.inSize, decay: true }];
    if (this.hasBias) out.push({ param: this.b, grad: this.gb, length: this.outSize, decay: false });
    return out;
  }

  state(): { ptr: number; length: number }[] { return []; }

  /** Copies of the weights ([out, in]) and biases. */
  weights(): DenseWeights {
    const arena = this.be.arena;
    return {
      type: 'dense',
      weights: arena.view(this.w, this.outSize * this.inSize).slice(),
      bias: this.hasBias ? arena.view(this.b, this.outSize).slice() : null,
      rows: this.outSize,
      cols: this.inSize,
    };
  }

  /** Frees every block this layer owns. */
  dispose(): void {
    const arena = this.be.arena;
    for (const p of this.batchBlocks()) arena.free(p);
    for (const p of [this.w, this.gw, this.b, this.gb]) if (p) arena.free(p);
    this.z = this.a = this.dout = this.delta = 0;
    this.fwdEp.out2 = 0;
  }

  /** The distinct batch buffers now allocated (z and a are one block for 'linear'). */
  private batchBlocks(): number[] {
    return [this.z, this.a, this.dout, this.delta].filter((p, i, all) => p !== 0 && all.indexOf(p) === i);
  }
}
