import { readFileSync } from 'node:fs';
import { instantiateSync } from '@assemblyscript/loader';
import { PACKAGE_ROOT } from '../where.js';
import { Arena } from './memory.js';

/** The wasm exports, bound once. Only numbers cross: byte addresses, counts, strides, flags. */
export interface Kernels {
  matmul_f32_nn(c: number, a: number, b: number, m: number, n: number, k: number, sa: number, sb: number, sc: number, acc: number): void;
  matmul_f32_nt(c: number, a: number, b: number, m: number, n: number, k: number, sa: number, sb: number, sc: number, acc: number): void;
  matmul_f32_tn(c: number, a: number, b: number, m: number, n: number, k: number, sa: number, sb: number, sc: number, acc: number): void;
  /**
   * A product with the layer's elementwise work fused into its store (see assembly/matmul.ts):
   * layout 0 nn, 1 nt, 2 tn; C = v + bias[j]; forward (ep = act code) out2 = f(C); backward
   * (ep = act code | EP_BACKWARD = 16) out2 = C ⊙ f'(y); rowsum[i] = Σ_p op(A)[i,p]. Zero pointers switch parts off.
   */
  matmul_f32_ep(layout: number, c: number, a: number, b: number, m: number, n: number, k: number, sa: number, sb: number, sc: number, acc: number,
    bias: number, ep: number, out2: number, y: number, alpha: number, rowsum: number): void;
  hadamard_f32(c: number, a: number, b: number, n: number): void;
  add_f32(c: number, a: number, b: number, n: number): void;
  axpy_f32(y: number, x: number, alpha: number, n: number): void;
  scale_f32(y: number, x: number, alpha: number, n: number): void;
  sgd_f32(w: number, g: number, lr: number, n: number): void;
  bias_add_f32(c: number, bias: number, m: number, n: number, sc: number): void;
  colsum_f32(out: number, a: number, m: number, n: number, sa: number, acc: number): void;
  fill_f32(c: number, value: number, n: number): void;
  nonfinite_index_f32(a: number, n: number): number;
  sigmoid_f32(y: number, x: number, n: number): void;
  sigmoid_grad_f32(dx: number, dy: number, y: number, n: number): void;
  tanh_f32(y: number, x: number, n: number): void;
  tanh_grad_f32(dx: number, dy: number, y: number, n: number): void;
  relu_f32(y: number, x: number, n: number): void;
  relu_grad_f32(dx: number, dy: number, y: number, n: number): void;
  leaky_relu_f32(y: number, x: number, alpha: number, n: number): void;
  leaky_relu_grad_f32(dx: number, dy: number, y: number, alpha: number, n: number): void;
  /** y = f(x) for an activation code of src/activations.ts (act_f32x4's; alpha: leaky relu's slope). */
  act_f32(y: number, x: number, n: number, act: number, alpha: number): void;
  /** dx = dy ⊙ f'(·) for an activation code of src/activations.ts (act_grad_f32x4's; y: the output, or the input where gradFrom is 'input'). */
  act_grad_f32(dx: number, dy: number, y: number, n: number, act: number, alpha: number): void;
  softmax_f32_rows(y: number, x: number, m: number, n: number): void;
  softmax_xent_grad_f32(dz: number, p: number, t: number, scale: number, n: number): void;
  softmax_grad_f32(dz: number, g: number, p: number, m: number, n: number): void;
  mse_grad_f32(dz: number, y: number, t: number, scale: number, n: number): void;
  xent_loss_f32(z: number, t: number, m: number, n: number): number;
  bce_loss_f32(z: number, t: number, n: number): number;
  mse_loss_f32(y: number, t: number, n: number): number;
  mae_loss_f32(y: number, t: number, n: number): number;
  mae_grad_f32(dz: number, y: number, t: number, scale: number, n: number): void;
  huber_loss_f32(y: number, t: number, delta: number, n: number): number;
  huber_grad_f32(dz: number, y: number, t: number, scale: number, delta: number, n: number): void;
  poisson_loss_f32(y: number, t: number, n: number): number;
  poisson_grad_f32(dz: number, y: number, t: number, scale: number, n: number): void;
  /**
   * The loss values over [m, n] with row r weighted by the f32 w[r] (sample weights), summed in f64
   * term by term; w = 0 weighs every row 1 and gives the unweighted kernel's bits (assembly/softmax.ts, loss.ts).
   */
  xent_loss_w_f32(z: number, t: number, w: number, m: number, n: number): number;
  bce_loss_w_f32(z: number, t: number, w: number, m: number, n: number): number;
  mse_loss_w_f32(y: number, t: number, w: number, m: number, n: number): number;
  mae_loss_w_f32(y: number, t: number, w: number, m: number, n: number): number;
  huber_loss_w_f32(y: number, t: number, w: number, delta: number, m: number, n: number): number;
  poisson_loss_w_f32(y: number, t: number, w: number, m: number, n: number): number;
  /** Y[r,:] = w[r]·X[r,:] over [m, n] in f32 (y may alias x): a loss gradient's rows weighted by the sample weights. */
  scale_rows_f32(y: number, x: number, w: number, m: number, n: number): void;
  sgd_momentum_f32(w: number, g: number, v: number, lr: number, mu: number, wd: number, nesterov: number, n: number): void;
  adam_f32(w: number, g: number, m: number, v: number, alpha: number, beta1: number, beta2: number, eps: number, wd: number, n: number): void;
  rmsprop_f32(w: number, g: number, v: number, lr: number, rho: number, eps: number, wd: number, n: number): void;
  /** Σ x² over n floats, summed in f64 (gradient clipping's norms, assembly/clip.ts). */
  sumsq_f32(x: number, n: number): number;
  /** y = min(max(x, lo), hi) elementwise (clipValue); values in range unchanged bit for bit, NaN stays NaN. */
  clamp_f32(y: number, x: number, lo: number, hi: number, n: number): void;
  brain_train_f32(plan: number, x: number, t: number, count: number, passes: number, lr: number, mom: number, alpha: number, batch: number, thresh: number): number;
  brain_run_f32(plan: number, y: number, x: number, count: number, alpha: number): void;
  /**
   * C[m,n] = X[m,k]·W[n,k]ᵀ (+ bias[n]) for a few rows, W read in place (assembly/gemv.ts); act ≠ 0
   * (codes of matmul_f32_ep): out2 = f(C). Same bits as matmul_f32_ep's nt product with that epilogue.
   */
  gemv_f32_nt(c: number, x: number, w: number, m: number, n: number, k: number, sx: number, sw: number, sc: number,
    bias: number, act: number, out2: number, alpha: number): void;
  /** gemv_f32_nt's product summed along k in 4 lanes, added across at the end (inference: not the packed path's bits). */
  gemv_f32_nt_hsum(c: number, x: number, w: number, m: number, n: number, k: number, sx: number, sw: number, sc: number,
    bias: number, act: number, out2: number, alpha: number): void;
  /** Batch norm, training (assembly/norm.ts): per column of x[m,n] mean[n], invstd[n] = 1/√(var + eps), xhat, y = xhat·γ + β (gamma/beta 0: γ = 1/β = 0); update ≠ 0: movmean/movvar −= (v − stat)·(1 − momentum). */
  batchnorm_train_f32(y: number, xhat: number, invstd: number, mean: number, x: number, gamma: number, beta: number,
    m: number, n: number, eps: number, movmean: number, movvar: number, momentum: number, update: number): void;
  /** Batch norm, inference: y = (x − movmean)·(γ/√(movvar + eps)) + β per column (gamma/beta 0: γ = 1/β = 0). */
  batchnorm_infer_f32(y: number, x: number, gamma: number, beta: number, movmean: number, movvar: number, m: number, n: number, eps: number): void;
  /** Batch norm backward through the batch statistics: dbeta = Σ_r dy, dgamma = Σ_r dy·xhat (overwritten); dx ≠ 0: dx = (γ·invstd/m)·(m·dy − dbeta − xhat·dgamma). */
  batchnorm_backward_f32(dx: number, dgamma: number, dbeta: number, dy: number, xhat: number, invstd: number, gamma: number, m: number, n: number): void;
  /** Layer norm per row of x[m,n]: invstd[m] = 1/√(var + eps), xhat, y = xhat·γ + β (gamma/beta 0: γ = 1/β = 0). */
  layernorm_forward_f32(y: number, xhat: number, invstd: number, x: number, gamma: number, beta: number, m: number, n: number, eps: number): void;
  /** Layer norm backward: dgamma, dbeta as batch norm's (overwritten); dx ≠ 0: dx = (invstd/n)·(n·d − Σd − xhat·Σd·xhat) per row, d = γ·dy. */
  layernorm_backward_f32(dx: number, dgamma: number, dbeta: number, dy: number, xhat: number, invstd: number, gamma: number, m: number, n: number): void;
  /** Inverted dropout: mask[i] = u ≥ rate ? f32(1/(1 − rate)) : 0, u from splitmix64 of (key_hi:key_lo, step, i) (formula in assembly/dropout.ts); y = x ⊙ mask. */
  dropout_forward_f32(y: number, mask: number, x: number, count: number, rate: number, key_lo: number, key_hi: number, step: number): void;
  /** l1·Σ|w| + l2·Σw² summed in f64 (Keras's l1/l2 regularizers). */
  l1l2_penalty_f32(w: number, n: number, l1: number, l2: number): number;
  /** gw += l1·sign(w) + 2·l2·w in f32, sign(±0) = 0 (operation order in assembly/penalty.ts). */
  l1l2_grad_f32(gw: number, w: number, n: number, l1: number, l2: number): void;
  /** Chunk `chunk` of the product described by the job block at `job` (see src/wasm/pool.ts). */
  matmul_f32_chunk(job: number, chunk: number): void;
  matmul_job_words(): number;
  matmul_tile_rows(): number;
  matmul_tile_cols(): number;
  /** KC, MC, NC and DIRECT_A_MAX_N of assembly/matmul.ts (the tests derive their shape sweeps from them). */
  matmul_tile_depth(): number;
  matmul_block_rows(): number;
  matmul_block_cols(): number;
  matmul_direct_a_max_n(): number;
  matmul_scratch_bytes(): number;
  matmul_set_scratch(ptr: number): void;
  heap_base(): number;
}

export type SimdVariant = 'baseline' | 'relaxed';

/** One instantiated kernel module with the arena that owns its memory. */
export interface Backend {
  readonly kernels: Kernels;
  readonly arena: Arena;
  readonly simd: SimdVariant;
}

const INITIAL_PAGES = 16; // must cover the module's static data (asconfig "initialMemory")

function wasmBytes(variant: SimdVariant): Uint8Array<ArrayBuffer> {
  const file = variant === 'relaxed' ? 'kernels.relaxed.wasm' : 'kernels.wasm';
  return new Uint8Array(readFileSync(new URL(`build/${file}`, PACKAGE_ROOT)));
}

/** True when this engine accepts the relaxed-SIMD build (Node 22+, or Node 20 with --experimental-wasm-relaxed-simd). */
export function relaxedSimdSupported(): boolean {
  try { return WebAssembly.validate(wasmBytes('relaxed')); } catch { return false; }
}

/** What worker threads need to run the same kernels on the same memory. */
export interface Shared { module: unknown; memory: unknown }
const shared_ = new WeakMap<Backend, Shared>();

/** The compiled module and shared memory behind a backend (for the thread pool). */
export function sharedOf(be: Backend): Shared {
  return shared_.get(be)!;
}

/**
 * Instantiates a fresh module with its own arena (synchronous). The memory is a shared
 * WebAssembly.Memory, so worker threads can run kernels on the same buffers.
 */
export function createBackend(variant: SimdVariant = relaxedSimdSupported() ? 'relaxed' : 'baseline'): Backend {
  const memory = new WebAssembly.Memory({ initial: INITIAL_PAGES, maximum: 65536, shared: true });
  const module = new WebAssembly.Module(wasmBytes(variant));
  const { exports } = instantiateSync<Record<string, unknown>>(module, { env: { memory } });
  const kernels = exports as unknown as Kernels;
  const arena = new Arena(memory, kernels.heap_base());
  const be: Backend = { kernels, arena, simd: variant };
  shared_.set(be, { module, memory });
  return be;
}

let shared: Backend | undefined;

/** The process-wide backend every Network uses, created on first use. WASMLP_SIMD=baseline forces the baseline build. */
export function backend(): Backend {
  if (!shared) {
    const forced = process.env.WASMLP_SIMD;
    shared = createBackend(forced === 'baseline' || forced === 'relaxed' ? forced : undefined);
  }
  return shared;
}
